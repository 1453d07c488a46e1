"""Recommendations: buy again and discover per customer, per SKU, and at-risk substitutes."""

import streamlit as st

from invdash.schema import InvdashError
from invdash.ui import auth_views, paging, recs_views

auth_views.gate()  # see app.py: a page can be run without the entry script
st.title("Recommendations")
st.caption(
    "Only items in stock (and not projected to run out before the next delivery) are "
    "recommended; items at risk are replaced by in-stock substitutes. Each row says why."
)
try:
    run = recs_views.rec_run()
    customers = recs_views.customer_options(run)
except InvdashError as err:
    st.error(str(err))
    st.stop()

st.caption(recs_views.run_caption(run))
k = st.slider("Items per list", 3, 20, 10, key="recommendations_k")

st.subheader("For a customer")
customer = st.selectbox("Customer", customers, key="recommendations_customer")
if customer:
    recs_views.show_customer(run, customer, k)

st.subheader("For a SKU")
sku = paging.sku_picker("SKU", key="recommendations_sku", shared=False)
if sku:
    recs_views.show_sku(run, sku, k)

st.subheader("At-risk SKUs and their best in-stock substitutes")
recs_views.show_at_risk(run)
