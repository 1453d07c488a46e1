"""The SKU Explorer's one-SKU reads (branch h-pages2) equal the whole-shop reads they replace:
the policy line of one SKU from the stored run, and that SKU's open PO lines."""

from __future__ import annotations

import pandas as pd

from invdash import auth, reorder, store
from invdash.policy import PolicyParams
from invdash.reorder import purchasing as po
from invdash.store import purchase_orders as po_store

MANAGER = auth.User(name="mia", role="manager")


def test_one_skus_policy_line_is_its_row_of_the_stored_run(cycle):
    conn = store.connect(cycle.path)
    try:
        whole = reorder.stored_run_for_targets(conn, PolicyParams()).table
        for sku in [*cycle.approved, cycle.edited, whole["sku"].iloc[-1]]:
            row = reorder.sku_policy_line(conn, PolicyParams(), sku)
            expected = whole[whole["sku"] == sku].reset_index(drop=True)
            assert len(row) == 1
            pd.testing.assert_frame_equal(row, expected)
        assert reorder.sku_policy_line(conn, PolicyParams(), "NO-SUCH-SKU").empty
        assert reorder.sku_policy_line(conn, PolicyParams(service_level=0.5), sku) is None
    finally:
        conn.close()


def test_one_skus_open_lines_are_its_rows_of_every_open_line(cycle):
    conn = store.connect(cycle.path)
    try:
        drafted = po.draft_purchase_orders(conn, MANAGER, currency="EUR")
        for po_id in drafted:
            po.send_purchase_order(conn, po_id, MANAGER)
        po.receive_purchase_order(conn, drafted[0], MANAGER,
                                  sku=po.po_document(conn, drafted[0], currency="EUR").at[0, "sku"],
                                  qty=1)  # fmt: skip
        every = store.open_purchase_orders(conn)
        checked = 0
        for sku in every["sku"].unique():
            expected = every[every["sku"] == sku].reset_index(drop=True)
            pd.testing.assert_frame_equal(po_store.open_lines_of(conn, sku), expected)
            checked += len(expected)
        assert po_store.open_lines_of(conn, "NO-SUCH-SKU").empty
    finally:
        conn.close()
    assert checked == len(every) >= len(cycle.approved)
