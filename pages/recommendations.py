"""Recommendations: per customer, per SKU, and substitutes for what is at risk of stocking out."""

import streamlit as st

from invdash.schema import InvdashError
from invdash.ui import recs_views

st.title("Recommendations")
st.caption(
    "Only items in stock (and not projected to run out before the next delivery) are "
    "recommended; items at risk are replaced by in-stock substitutes. Each row says why."
)
try:
    built = recs_views.model()
    customers = recs_views.customer_options()
    skus = recs_views.sku_options()
except InvdashError as err:
    st.error(str(err))
    st.stop()

basis = ", ".join(sorted(set(built.stock["basis"]))) if len(built.stock) else "no inventory data"
st.caption(f"Stock status from: {basis}. Blend weights: {built.source}.")
k = st.slider("Items per list", 3, 20, 10, key="recommendations_k")

st.subheader("For a customer")
customer = st.selectbox("Customer", customers, key="recommendations_customer")
if customer:
    try:
        history = recs_views.customer_history(customer)
        recs = recs_views.customer_recommendations(customer, k)
    except InvdashError as err:
        st.error(str(err))
        st.stop()
    left, right = st.columns(2)
    left.markdown(f"**Purchase history** ({len(history)} items)")
    left.dataframe(history, hide_index=True, use_container_width=True)
    right.markdown("**Recommended**")
    right.dataframe(recs, hide_index=True, use_container_width=True)

st.subheader("For a SKU")
sku = st.selectbox("SKU", skus, key="recommendations_sku")
if sku:
    try:
        together = recs_views.sku_bought_together(sku, k)
        substitutes = recs_views.sku_substitutes(sku, k)
    except InvdashError as err:
        st.error(str(err))
        st.stop()
    st.markdown(f"Stock status of **{sku}**: {recs_views.sku_status(sku)}")
    left, right = st.columns(2)
    left.markdown("**Bought together**")
    left.dataframe(together, hide_index=True, use_container_width=True)
    right.markdown("**Substitutes (in stock)**")
    if substitutes.empty:
        right.info("No in-stock item with a similar title in the same category.")
    else:
        right.dataframe(substitutes, hide_index=True, use_container_width=True)

st.subheader("At-risk SKUs and their best in-stock substitutes")
risky = recs_views.at_risk_table(k=3)
if risky.empty:
    st.info("No SKU is out of stock or projected to stock out before its next delivery.")
else:
    st.dataframe(risky, hide_index=True, use_container_width=True)
