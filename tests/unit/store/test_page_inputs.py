"""The Alerts' recent sales and stock counts and the pickers' top sellers, stored under the
data's fingerprint (``store.windows``): the stored answer equals the scan, and after a write
the stored one of the older data is not read."""

from __future__ import annotations

import pandas as pd

from invdash import store
from invdash.store import catalog, windows
from invdash.store import master_data as md_store


def _live_inputs(conn) -> tuple[pd.DataFrame, set[str]]:
    sales = windows.recent_sales(conn, 7)
    summed = sales.groupby("sku", as_index=False).agg(date=("date", "max"), qty=("qty", "sum"))
    return summed, set(store.latest_on_hand(conn)["sku"])


def _check(conn) -> None:
    sales, counted = windows.recent_inputs(conn, 7)
    summed, skus = _live_inputs(conn)
    pd.testing.assert_frame_equal(sales, summed, check_dtype=False)
    assert set(counted["sku"]) == skus
    top = catalog.top_sellers(conn, days=28, limit=15)
    scanned = conn.execute(windows._TOP_SQL, [28, 15]).df()
    pd.testing.assert_frame_equal(top, scanned, check_dtype=False)


def test_stored_inputs_equal_the_scan_before_and_after_a_write(demo_db_copy):
    conn = store.connect(demo_db_copy)
    try:
        _check(conn)  # nothing stored: computed
        with store.transaction(conn):
            windows.store_recent_inputs(conn, 7)
        names = set(conn.execute("SELECT name FROM page_summaries").df()["name"])
        assert {"alert_inputs_7", "top_sellers_28"} <= names
        _check(conn)  # stored
        sku = catalog.top_sellers(conn, days=28, limit=1)["sku"].iloc[0]
        last = pd.Timestamp(conn.execute("SELECT max(date) FROM sales").fetchone()[0])
        with store.transaction(conn):
            conn.execute("UPDATE sales SET qty = 0 WHERE sku = ? AND date > ?",
                         [sku, (last - pd.Timedelta(days=30)).date()])
            store.versions.touch(conn, "sales")
            md_store.set_on_hand(conn, "NEVER-COUNTED", 3.0, on=last)
        _check(conn)  # the stored answers of the older data are not read
        assert catalog.top_sellers(conn, days=28, limit=1)["sku"].iloc[0] != sku
    finally:
        conn.close()
