"""Reorder Suggestions: what to order, why this quantity, and the manager's review."""

import streamlit as st

from invdash.schema import InvdashError
from invdash.ui import auth_views, reorder_views, session
from invdash.ui.labels import relabel

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
    if not reorder_views.has_forecast():
        st.info("There is no forecast for the current data yet. The suggestions need one.")
        if st.button("Run the forecast now", key="reorder_run_forecast"):
            reorder_views.run_forecast(st.progress(0.0, text="Forecasting ..."))
            st.rerun()
        st.stop()
    run = reorder_views.policy_run(service_level)
    reviewed = reorder_views.reviewed_lines(run)
except InvdashError as err:
    st.error(str(err))
    st.stop()

with st.expander("Service-level overrides (per ABC class or SKU)"):
    st.dataframe(reorder_views.overrides(), hide_index=True)
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

if reviewed.empty:
    st.success(f"Nothing to order on {run.as_of.date()}: every SKU's position covers its target.")
    st.stop()

pending = reviewed[reviewed["status"] == "pending"]
cols = st.columns(4)
cols[0].metric("Lines to review", len(reviewed))
cols[1].metric("Pending", len(pending))
cols[2].metric("Approved or edited", int(reviewed["status"].isin(["approved", "edited"]).sum()))
cols[3].metric("Rejected", int((reviewed["status"] == "rejected").sum()))

shown = ["status", "sku", "name", "supplier", "abc", "xyz", "on_hand", "on_order", "safety_stock"]
shown += ["order_up_to", "suggested_qty", "final_qty", "order_by_date", "stockout_probability"]
st.dataframe(
    relabel(reviewed[[*shown, "decided_by", "why"]]),
    hide_index=True,
    column_config={
        "Stockout probability": st.column_config.ProgressColumn(
            "Stockout risk", min_value=0.0, max_value=1.0, format="percent"
        )
    },
)

st.subheader("Review a line")
names = reviewed.set_index("sku")["name"]
sku = st.selectbox(
    "SKU", names.index.tolist(), key="reorder_sku", format_func=lambda s: f"{s} - {names[s]}"
)
line = reviewed.set_index("sku").loc[sku]
st.markdown(f"**Why this quantity:** {line['why']}")
decided = f" by {line['decided_by']} at {line['decided_at']}" if line["status"] != "pending" else ""
st.caption(f"{line['reason']}. Status: {line['status']}{decided}")
if session.can("approve_orders"):
    action = st.radio(
        "Decision", ["approve", "edit", "reject"], horizontal=True, key="reorder_action"
    )
    qty = st.number_input(
        "Quantity", min_value=0.0, value=float(line["final_qty"]), step=1.0, key="reorder_qty",
        disabled=action != "edit",
    )  # fmt: skip
    reason = st.text_input("Reason (required to reject)", key="reorder_reason")
    if st.button("Save decision", key="reorder_save", type="primary"):
        quantities = {"edit": [qty], "approve": [line["suggested_qty"]], "reject": None}[action]
        try:
            reorder_views.save_decisions(
                run.run_id, [sku], action=action, qty=quantities, reason=reason or None
            )
        except InvdashError as err:
            st.error(str(err))
        else:
            st.toast(f"{sku}: {action} saved")
            st.rerun()

    if not pending.empty and st.button(
        f"Approve all {len(pending)} pending lines", key="reorder_bulk_approve"
    ):
        reorder_views.save_decisions(
            run.run_id, pending["sku"].tolist(), action="approve",
            qty=pending["suggested_qty"].tolist(),
        )  # fmt: skip
        st.rerun()
else:
    st.info(
        f"You are signed in as planner {session.user_name()}: you can explore the "
        "suggestions and export approved orders; a manager approves, edits or rejects lines."
    )

st.subheader("Purchase orders")
files = reorder_views.export_files(reviewed, run.as_of)
if not files:
    st.caption("Approve or edit lines to export purchase orders (one CSV per supplier).")
for number, (name, data) in enumerate(files.items()):
    st.download_button(
        f"Download {name}", data=data, file_name=name, mime="text/csv",
        key=f"reorder_download_{number}",
    )  # fmt: skip
