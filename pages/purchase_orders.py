"""Purchase Orders: approved lines -> draft PO per supplier -> sent -> received."""

import streamlit as st

from invdash.schema import InvdashError
from invdash.ui import auth_views, paging, purchasing_views, session
from invdash.ui.labels import relabel

auth_views.gate()  # sign-in, local single-user mode or refusal; stops if needed
st.title("Purchase Orders")
st.caption(
    "Approved reorder lines become one draft per supplier. A sent PO counts as on order at "
    "once; receiving it raises stock on hand. Sending and receiving need a manager."
)


def _act(action, *args, done: str, **kwargs) -> None:
    try:
        action(*args, **kwargs)
    except InvdashError as err:
        st.error(str(err))
    else:
        st.toast(done)
        st.rerun()


try:
    approved = purchasing_views.approved()
    counts = purchasing_views.po_status_counts()  # the list is filtered and paged in DuckDB
except InvdashError as err:
    st.error(str(err))
    st.stop()

st.subheader("Approved lines not yet on a PO")
if approved.empty:
    st.caption("No approved lines waiting. Approve or edit lines on Reorder Suggestions.")
else:
    st.dataframe(relabel(approved.drop(columns="run_id")), hide_index=True)
    if st.button(f"Draft purchase orders for {len(approved)} lines", key="po_draft"):
        try:
            drafted = purchasing_views.draft()
        except InvdashError as err:
            st.error(str(err))
        else:
            st.session_state["po_selected"] = drafted[0]
            st.toast(f"{len(drafted)} draft purchase orders created")
            st.rerun()

st.subheader("Purchase orders")
if not counts:
    st.info("No purchase orders yet.")
    st.stop()
statuses = ["all", *counts]
status = st.selectbox(
    "Status", statuses, key="po_status",
    format_func=lambda s: f"{s} ({sum(counts.values()) if s == 'all' else counts[s]:,})",
)  # fmt: skip
chosen_status = None if status == "all" else status
total = sum(counts.values()) if chosen_status is None else counts[chosen_status]
page = paging.page_controls(total, key="po_page", noun="Purchase orders")
view = purchasing_views.po_page(status=chosen_status, page=page)  # with its POs' lines
shown = view.orders
st.dataframe(
    relabel(purchasing_views.po_table(shown)), hide_index=True,
    column_config=purchasing_views.money_columns(),
)
st.caption(purchasing_views.PO_TABLE_NOTE)
st.download_button(
    f"Download these {len(shown)} purchase orders as one CSV",
    data=purchasing_views.lines_csv(view.documents),
    file_name="purchase_orders.csv",
    mime="text/csv",
    key="po_download_all",
    disabled=shown.empty,
)

if shown.empty:
    st.stop()
options = shown["po_id"].tolist()
if st.session_state.get("po_selected") not in options:
    st.session_state["po_selected"] = options[0]  # a PO of another page or status
po_id = st.selectbox("Purchase order", options, key="po_selected")
header = purchasing_views.po_table(shown).set_index("po_id").loc[po_id]
lines = view.lines_of(po_id)
st.markdown(
    f"**{po_id}** for {header['supplier']}: {header['status']}, {header['lines']} lines, "
    f"{header['units']} units, {header['value']:,.2f} {header['currency']}; "
    f"ordered {header['order_date']}, expected {header['expected_date']}"
)
st.dataframe(relabel(lines), hide_index=True, column_config=purchasing_views.money_columns())
st.download_button(
    f"Download {po_id}",
    data=purchasing_views.lines_csv(lines),
    file_name=f"{po_id}.csv",
    mime="text/csv",
    key="po_download_one",
)

if header["status"] == "draft":
    if session.can("send_orders"):
        if st.button(f"Send {po_id}", key="po_send", type="primary"):
            _act(purchasing_views.send, po_id, done=f"{po_id} sent: its lines are on order")
    else:
        st.caption("A manager sends purchase orders.")
elif header["status"] in ("sent", "partly_received"):
    if not session.can("receive_orders"):
        st.caption("A manager books receipts.")
    else:
        if st.button(f"Receive everything still open on {po_id}", key="po_receive_all"):
            _act(purchasing_views.receive, po_id, done=f"{po_id} received")
        with st.form("po_receive_form"):
            sku = st.selectbox("Line (SKU)", lines["sku"].tolist(), key="po_receive_sku")
            qty = st.number_input("Units received", min_value=1, step=1, key="po_receive_qty")
            if st.form_submit_button("Receive part of a line"):
                _act(
                    purchasing_views.receive, po_id, sku=sku, qty=float(qty),
                    done=f"{sku}: {qty} units received",
                )  # fmt: skip
