"""The PO list's per-PO table (``store.po_rollup``, branch h-pages2) stays equal to the live
aggregation of every PO line through draft, send, receipt and a file ingest; the list's counts
and pages read from it equal those of the live aggregation; a write outside a transaction
by a generic writer leaves it stale, and then the list aggregates live (still right)."""

from __future__ import annotations

import pandas as pd

from invdash import auth, store
from invdash.ingest import ingest_file
from invdash.reorder import purchasing as po
from invdash.store import po_rollup, versions
from invdash.store import purchase_orders as po_store

MANAGER = auth.User(name="mia", role="manager")
PLANNER = auth.User(name="pat", role="planner")


def _stored(conn) -> pd.DataFrame:
    return conn.execute("SELECT * FROM po_rollup ORDER BY po_id").df()


def _live(conn) -> pd.DataFrame:
    return conn.execute(f"SELECT * FROM ({po_rollup.ROLLUP_SELECT}) ORDER BY po_id").df()


def _list_views(conn) -> tuple[dict, list[pd.DataFrame]]:
    counts = po_store.po_status_counts(conn)
    pages = [
        po_store.po_summary(conn, currency="EUR", status=status, page=(limit, offset))
        for status in (None, *counts) for limit, offset in ((2, 0), (3, 1), (500, 0))
    ]  # fmt: skip
    return counts, pages


def _assert_same_as_live(conn) -> None:
    assert po_rollup.is_current(conn)
    pd.testing.assert_frame_equal(_stored(conn), _live(conn))
    counts, pages = _list_views(conn)
    conn.execute("UPDATE data_versions SET dirty = true WHERE part = 'po_rollup'")
    assert not po_rollup.is_current(conn)  # now every read aggregates the lines live
    live_counts, live_pages = _list_views(conn)
    with store.transaction(conn):  # an empty write settles the part: the table is rebuilt
        pass
    assert counts == live_counts and po_rollup.is_current(conn)
    for page, live in zip(pages, live_pages, strict=True):
        pd.testing.assert_frame_equal(page, live)


def test_the_rollup_follows_every_po_writer(cycle, tmp_path):
    conn = store.connect(cycle.path)
    try:
        assert po_rollup.is_current(conn)  # the migration filled it
        drafted = po.draft_purchase_orders(conn, PLANNER, currency="EUR")
        assert set(drafted) <= set(_stored(conn)["po_id"])
        _assert_same_as_live(conn)
        po.send_purchase_order(conn, drafted[0], MANAGER)
        document = po.po_document(conn, drafted[0], currency="EUR")
        po.receive_purchase_order(conn, drafted[0], MANAGER, sku=document.at[0, "sku"], qty=1)
        assert _stored(conn).set_index("po_id").at[drafted[0], "status"] == "partly_received"
        _assert_same_as_live(conn)
        file = tmp_path / "pos.csv"
        file.write_text(f"po_id,sku,qty,eta\nEXT-9,{cycle.approved[0]},5,2025-11-20\n",
                        encoding="utf-8")  # fmt: skip
        ingest_file(conn, file, kind="purchase_orders")
        assert _stored(conn).set_index("po_id").at["EXT-9", "status"] == "sent"
        _assert_same_as_live(conn)
        counts = po_store.po_status_counts(conn)
        assert counts["partly_received"] == 1 and counts["draft"] == len(drafted) - 1
    finally:
        conn.close()


def test_a_write_outside_a_transaction_leaves_the_list_right(cycle):
    conn = store.connect(cycle.path)
    try:
        drafted = po.draft_purchase_orders(conn, PLANNER, currency="EUR")
        po_store.mark_sent(conn, drafted[1], user="mia")  # one PO's row, refreshed in place
        assert po_rollup.is_current(conn)
        conn.execute("UPDATE purchase_orders SET status = 'open' WHERE po_id = ?", [drafted[0]])
        versions.touch(conn, "purchase_orders")  # a generic writer, no store.transaction
        assert not po_rollup.is_current(conn)
        counts = po_store.po_status_counts(conn)
        row = po_store.po_summary(conn, currency="EUR", page=(500, 0)).set_index("po_id")
    finally:
        conn.close()
    assert row.at[drafted[0], "status"] == "sent" and row.at[drafted[1], "status"] == "sent"
    assert counts["draft"] == len(drafted) - 2


def test_the_po_tables_feed_only_the_rollup():
    # po_rollup.touch refreshes only this part: a new part fed by these tables needs it too.
    assert versions.TRACKED["purchase_orders"] == ("po_rollup",)
    assert versions.TRACKED["po_headers"] == ("po_rollup",)
