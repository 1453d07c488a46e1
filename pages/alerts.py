"""Alerts: stockout risk, overstock, demand shifts and stale data, ranked by money at risk."""

import streamlit as st

from invdash import alerts
from invdash.schema import InvdashError
from invdash.ui import alert_views, auth_views, paging, reorder_views
from invdash.ui.labels import relabel

auth_views.gate()  # see app.py: a page can be run without the entry script
st.title("Alerts")
st.caption(
    "Ranked by money at risk: lost sales for stockout risk and demand shifts, capital tied "
    "up for overstock, a week of revenue for stale or missing data."
)
try:
    start = alert_views.alert_run()  # None: no forecast for the current data
    if start is None:
        st.info("There is no forecast for the current data yet; alerts need one.")
        if st.button("Run the forecast now", key="alerts_run_forecast"):
            reorder_views.run_forecast(st.progress(0.0, text="Forecasting ..."))
            st.rerun()
        st.stop()
except InvdashError as err:
    st.error(str(err))
    st.stop()
run = start.run

cols = st.columns(4)  # the search first: the SKU picker's matches are read with the options
search = cols[3].text_input("Search SKUs", key="alerts_sku_search", placeholder="SKU code")
options = alert_views.alert_options(run, search)
types = cols[0].multiselect("Type", list(options.types), key="alerts_types")
categories = cols[1].multiselect("Category", list(options.categories), key="alerts_categories")
status = cols[2].selectbox("Status", list(alerts.ALERT_STATUSES), key="alerts_status")
sku = cols[3].selectbox(
    "SKU", ["", *options.skus], key="alerts_sku", format_func=lambda s: s or "(all SKUs)"
)
query = alerts.AlertQuery(
    types=tuple(types), categories=tuple(categories), status=status, sku=sku or ""
)
window = alert_views.alert_window(run, query, key="alerts_page")  # one page, filtered in DuckDB
st.metric("Money at risk (shown)", f"{window.money_at_risk:,.0f}")
if not window.total:
    st.success("No alerts match these filters.")
    st.stop()
paging.page_controls(window.total, key="alerts_page")
page = window.alerts
st.dataframe(
    relabel(
        page[["type", "sku", "name", "category", "money_at_risk", "status", "reason"]].rename(
            columns={"reason": "alert_reason"}
        )
    ),
    hide_index=True,
    key="alerts_table",
)

st.subheader("Acknowledge or snooze")
keys = st.multiselect("Alerts (this page)", page["alert_key"].tolist(), key="alerts_selected")
action = st.radio(
    "Action", ["acknowledge", "snooze", "reopen"], horizontal=True, key="alerts_action"
)
until = st.date_input(
    "Snooze until",
    value=start.snooze_until.date(),
    key="alerts_snooze_until",
    disabled=action != "snooze",
)
if st.button("Apply", key="alerts_apply", disabled=not keys):
    new_status = {"acknowledge": "acknowledged", "snooze": "snoozed", "reopen": "open"}[action]
    alert_views.set_alert_status(
        keys, status=new_status, snooze_until=until if action == "snooze" else None
    )
    st.toast(f"{len(keys)} alert(s) {new_status}")
    st.rerun()
