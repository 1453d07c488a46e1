"""The Overview's DuckDB aggregates, rewritten for 100,000 SKUs, equal the first versions.

The reference queries below are the ones the Overview ran before (a window function per SKU, a
UNION of every sales SKU, a distinct count per week): 117 s of page open at 100,000 SKUs under
load. The rewrites must give the same numbers on the demo shop (a season, stockouts, partial
weeks), plus a SKU with sales but no product row.
"""

from __future__ import annotations

import pandas as pd
import pytest

from invdash import store
from invdash.store import overview, versions

OLD_WEEKLY = """
SELECT CAST(date_trunc('week', s.date) AS DATE) AS week,
       coalesce(nullif(trim(p.category), ''), 'Uncategorised') AS category,
       sum(s.qty) AS units, sum(s.qty * coalesce(s.price, p.unit_price, 0)) AS revenue,
       count(DISTINCT s.date) AS days
FROM sales s LEFT JOIN products p USING (sku) GROUP BY ALL ORDER BY week, category
"""
OLD_LATEST = """
SELECT sku, as_of, on_hand FROM inventory
QUALIFY row_number() OVER (PARTITION BY sku ORDER BY as_of DESC) = 1
"""
OLD_SKUS = "SELECT count(*) FROM (SELECT sku FROM products UNION SELECT sku FROM sales)"


@pytest.fixture
def conn(demo_db_copy):
    connection = store.connect(demo_db_copy)
    connection.execute(  # sales of a SKU without a product row (it counts, uncategorised)
        "INSERT INTO sales SELECT 'NO-PRODUCT', date, qty, price, promo FROM sales "
        "WHERE sku = (SELECT min(sku) FROM sales)"
    )
    yield connection
    connection.close()


def test_weekly_sales_equal_the_distinct_count_query(conn):
    old = conn.execute(OLD_WEEKLY).df()
    new = overview.weekly_sales(conn)
    assert len(new) > 50 and (new["days"] < 7).any()  # partial weeks are in the test
    pd.testing.assert_frame_equal(
        new.assign(week=new["week"].dt.date).reset_index(drop=True),
        old.assign(week=pd.to_datetime(old["week"]).dt.date), check_dtype=False, rtol=1e-9,
    )


def test_stock_position_and_sku_count_equal_the_window_function_query(conn):
    latest = conn.execute(OLD_LATEST).df().merge(store.load_products(conn), on="sku", how="left")
    position = overview.stock_position(conn)
    assert position["skus_tracked"] == len(latest)
    assert position["out_of_stock"] == int((latest["on_hand"] <= 0).sum()) > 0
    value = (latest["on_hand"].clip(lower=0) * latest["unit_cost"]).sum()
    assert position["stock_value"] == pytest.approx(value, rel=1e-9)
    assert position["as_of"] == pd.Timestamp(latest["as_of"].max())
    windows = overview.sales_windows(conn, window_days=28)
    assert windows["skus"] == conn.execute(OLD_SKUS).fetchone()[0]


def test_the_stored_overview_equals_the_computed_one_until_the_data_change(conn):
    from invdash.overview import compute_overview, store_overview, stored_overview

    assert stored_overview(conn, 28) is None
    fresh = compute_overview(conn, 28)
    stored = store_overview(conn, 28)
    again = stored_overview(conn, 28)
    for figures in (stored, again):
        assert figures["kpis"] == fresh["kpis"]
        assert figures["stock"] == fresh["stock"]
        pd.testing.assert_frame_equal(figures["weekly"], fresh["weekly"], check_dtype=False)
    conn.execute("UPDATE inventory SET on_hand = on_hand + 1 WHERE as_of = (SELECT max(as_of) "
                 "FROM inventory)")  # a stock count: the stock figures change
    versions.touch(conn, "inventory")  # what every writer does (store/versions.py)
    assert stored_overview(conn, 28) is None


def test_the_summary_version_is_the_same_on_every_read(conn):
    # A sum of doubles in parallel differs in its last digits between runs (it did at 100,000
    # SKUs), and then a stored summary is never read again.
    conn.execute("SET threads = 4")
    versions = {overview.summary_version(conn) for _ in range(5)}
    assert len(versions) == 1
