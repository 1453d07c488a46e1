"""A policy run's key counts the open purchase orders in one SQL aggregate: the same lines and
units still to arrive as the open lines ``store.open_purchase_orders`` returns, partly received
lines counting only their rest, so runs stored under the former key are found again."""

from __future__ import annotations

from invdash import store
from invdash.reorder.stored import inputs_version
from invdash.store import reorder as reorder_store


def _former_po_part(conn) -> str:
    orders = store.open_purchase_orders(conn)
    return f"po:{len(orders)}:{float(orders['qty'].sum()):g}"


def test_the_open_order_totals_are_those_of_the_open_lines_with_partial_receipts(demo_db_copy):
    conn = store.connect(demo_db_copy)
    try:
        with store.transaction(conn):
            conn.execute(
                "UPDATE purchase_orders SET received_qty = 0.25 WHERE po_id = "
                "(SELECT min(po_id) FROM purchase_orders WHERE status = 'open')"
            )
        orders = store.open_purchase_orders(conn)
        totals = reorder_store.open_order_totals(conn)
        version, former = inputs_version(conn), _former_po_part(conn)
        with store.transaction(conn):
            conn.execute("UPDATE purchase_orders SET status = 'received'")
        none_open = reorder_store.open_order_totals(conn), inputs_version(conn)
        former_none = _former_po_part(conn)
    finally:
        conn.close()
    assert len(orders) > 0 and (orders["qty"] % 1 != 0).any()  # a partly received line
    assert totals[0] == len(orders)
    assert abs(totals[1] - float(orders["qty"].sum())) < 1e-9
    assert f"|{former}|" in version
    assert none_open[0] == (0, 0.0) and f"|{former_none}|" in none_open[1]
