"""Reorder Suggestions: what to order, why this quantity, and the manager's review."""

import streamlit as st

from invdash.schema import InvdashError
from invdash.ui import auth_views, reorder_views, review_views, session

auth_views.gate()  # see app.py: a page can be run without the entry script
st.title("Reorder Suggestions")
st.caption(
    "Every line brings the stock position up to the order-up-to level: demand over the lead "
    "time and review period plus safety stock, minus stock on hand and on order, rounded "
    "to the MOQ and whole packs."
)
LEVELS = [0.8, 0.85, 0.9, 0.95, 0.97, 0.98, 0.99]
service_level = st.select_slider(
    "Target fill rate", LEVELS, value=0.95, key="reorder_service_level", format_func="{:.0%}".format
)
try:
    view = reorder_views.run_view(service_level)
    if view is None:
        st.info("There is no forecast for the current data yet. The suggestions need one.")
        if st.button("Run the forecast now", key="reorder_run_forecast"):
            reorder_views.run_forecast(st.progress(0.0, text="Forecasting ..."))
            st.rerun()
        st.stop()
except InvdashError as err:
    st.error(str(err))
    st.stop()
run, overview = view.run, view.overview

with st.expander("Service-level overrides (per ABC class or SKU)"):
    st.dataframe(view.overrides, hide_index=True)
    if not session.can("set_service_levels"):
        st.caption("Only a manager changes service-level targets.")
    else:
        cols = st.columns(3)
        scope = cols[0].selectbox("Scope", ["abc", "sku"], key="reorder_override_scope")
        key = cols[1].text_input("Class (A, B, C) or SKU", key="reorder_override_key")
        level = cols[2].number_input("Fill rate", 0.5, 0.999, 0.97, key="reorder_override_level")
        if st.button("Save override", key="reorder_override_save"):
            try:
                reorder_views.save_override(scope, key, level)
            except InvdashError as err:
                st.error(str(err))
            else:
                st.rerun()

if not overview.lines:
    st.success(f"Nothing to order on {run.as_of.date()}: every SKU's position covers its target.")
    st.stop()

cols = st.columns(5)
cols[0].metric("Lines to review", overview.lines)
cols[1].metric("Pending", overview.count("pending"))
cols[2].metric("Approved or edited", overview.count("approved", "edited"))
cols[3].metric("Re-confirm", overview.count("reconfirm"))
cols[4].metric("Rejected", overview.count("rejected"))

query = review_views.selection(overview)
window = reorder_views.line_window(run, query, key="reorder_page")
if not window.total:
    st.info("No line matches these filters.")
    st.stop()
page = review_views.render_lines(window, key="reorder_page")
review_views.render_budgets(view.budget, overview.suppliers)
review_views.render_bulk(run, query, window.total, view.budget)

st.subheader("Review a line")
st.caption("Lines of the table's page; search or filter above to reach any other line.")
review_views.render_line(run.run_id, page)
if not session.can("approve_orders"):
    st.info(
        f"You are signed in as planner {session.user_name()}: you can explore the "
        "suggestions and export approved orders; a manager approves, edits or rejects lines."
    )

st.subheader("Purchase orders")
files = reorder_views.export_files(view)
if not files:
    st.caption("Approve or edit lines to export purchase orders (one CSV per supplier).")
for number, (name, data) in enumerate(files.items()):
    st.download_button(
        f"Download {name}", data=data, file_name=name, mime="text/csv",
        key=f"reorder_download_{number}",
    )  # fmt: skip
