"""The Purchase Orders page's one read of a list page (``purchasing.purchase_order_page``, branch
h-pages3) equals the reads it replaces: the page of ``list_purchase_orders``, the combined
export of its POs, and each PO's own document and summary row."""

from __future__ import annotations

import pandas as pd

from invdash import auth, store
from invdash.reorder import purchasing as po

MANAGER = auth.User(name="mia", role="manager")


def _shop_with_every_status(conn) -> None:
    drafted = po.draft_purchase_orders(conn, MANAGER, currency="EUR")
    assert len(drafted) >= 2  # the approved lines have two suppliers or more
    po.send_purchase_order(conn, drafted[0], MANAGER)
    first_line = po.po_document(conn, drafted[0], currency="EUR").at[0, "sku"]
    po.receive_purchase_order(conn, drafted[0], MANAGER, sku=first_line, qty=1)


def test_a_page_and_its_documents_equal_the_separate_reads(cycle):
    conn = store.connect(cycle.path)
    try:
        _shop_with_every_status(conn)
        counts = store.purchase_orders.po_status_counts(conn)
        assert {"draft", "partly_received"} <= set(counts)
        checked = 0
        for status in (None, *counts):
            for page in ((5, 0), (5, 5), (50, 0)):
                view = po.purchase_order_page(conn, currency="EUR", status=status, page=page)
                old = po.list_purchase_orders(conn, currency="EUR", status=status, page=page)
                pd.testing.assert_frame_equal(view.orders, old)
                ids = old["po_id"].tolist()
                pd.testing.assert_frame_equal(
                    view.documents, po.combined_export(conn, ids, currency="EUR")
                )
                for po_id in ids:
                    pd.testing.assert_frame_equal(
                        view.lines_of(po_id), po.po_document(conn, po_id, currency="EUR")
                    )
                    one = po.list_purchase_orders(conn, currency="EUR", po_ids=(po_id,))
                    row = old[old["po_id"] == po_id].reset_index(drop=True)
                    pd.testing.assert_frame_equal(row, one)
                    checked += 1
    finally:
        conn.close()
    assert checked > 10


def test_a_page_past_the_last_po_is_empty(cycle):
    conn = store.connect_read_only(cycle.path)
    try:
        total = sum(store.purchase_orders.po_status_counts(conn).values())
        view = po.purchase_order_page(conn, currency="EUR", page=(50, total))
    finally:
        conn.close()
    assert view.orders.empty and view.documents.empty
    assert list(view.documents.columns) == list(po.DOCUMENT_COLUMNS)
