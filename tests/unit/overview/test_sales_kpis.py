"""Overview KPIs: the store's window sums and stock position, and the pure trend helpers."""

from __future__ import annotations

import pandas as pd
import pytest

from invdash import overview, store
from invdash.store import overview as overview_store


@pytest.fixture
def conn(tmp_path, tiny_sales):
    """``tiny_sales`` (see conftest) with products for A-1 and C-3 only and a few snapshots."""
    connection = store.connect(tmp_path / "kpis.duckdb")
    products = pd.DataFrame({
        "sku": ["A-1", "C-3"], "name": ["Mug", "Candle"], "category": ["Kitchen", "Home"],
        "unit_cost": [4.0, 2.5], "unit_price": [10.0, 6.0],
    })
    inventory = pd.DataFrame({
        "sku": ["A-1", "A-1", "B-2", "C-3", "C-3"],
        "as_of": pd.to_datetime(["2024-03-13", "2024-03-14", "2024-03-14", "2024-03-10",
                                 "2024-03-12"]),
        "on_hand": [7.0, 12.0, 5.0, 3.0, 0.0],
    })
    with store.transaction(connection):
        store.upsert_frame(connection, "sales", tiny_sales)
        store.upsert_frame(connection, "products", products)
        store.upsert_frame(connection, "inventory", inventory)
    yield connection
    connection.close()


def test_sales_windows_sum_the_last_days_and_the_days_before(conn):
    # Mar 8-14: A-1 7 x 5 = 35, C-3 6 x 2 + 20 = 32; Mar 1-7: A-1 6 x 5 (Mar 5 missing), C-3 14.
    windows = overview_store.sales_windows(conn, window_days=7)
    assert windows == {
        "last_date": pd.Timestamp("2024-03-14"), "skus": 3, "skus_sold": 2,
        "units": 67.0, "revenue": 35 * 10.0 + 32 * 6.0,
        "units_previous": 44.0, "revenue_previous": 30 * 10.0 + 14 * 6.0,
    }


def test_sales_windows_of_an_empty_database_are_zero(tmp_path):
    connection = store.connect(tmp_path / "empty.duckdb")
    try:
        windows = overview_store.sales_windows(connection)
    finally:
        connection.close()
    assert windows["last_date"] is None
    assert windows["units"] == windows["revenue"] == 0


def test_stock_position_values_the_latest_snapshot_at_unit_cost(conn):
    position = overview_store.stock_position(conn)
    # Latest: A-1 12 (cost 4), B-2 5 (no product row, so no cost), C-3 0 (out of stock).
    assert position == {
        "as_of": pd.Timestamp("2024-03-14"), "skus_tracked": 3, "out_of_stock": 1,
        "stock_units": 17.0, "stock_value": 48.0, "skus_without_cost": 1,
    }


def test_weekly_sales_group_by_monday_weeks_and_category(conn, tiny_sales):
    weekly = overview_store.weekly_sales(conn)
    assert list(weekly.columns) == ["week", "category", "units", "revenue", "days"]
    assert set(weekly["category"]) == {"Kitchen", "Home", overview_store.UNCATEGORISED}
    assert weekly["units"].sum() == tiny_sales["qty"].sum()
    # 2024-03-01 is a Friday: weeks start Feb 26 (3 days), Mar 4 (7 days), Mar 11 (4 days).
    days = weekly.groupby("week")["days"].max()
    assert days.to_dict() == {
        pd.Timestamp("2024-02-26"): 3, pd.Timestamp("2024-03-04"): 7, pd.Timestamp("2024-03-11"): 4
    }


@pytest.mark.parametrize(
    ("current", "previous", "expected"),
    [(110, 100, 0.10), (50, 100, -0.5), (0, 100, -1.0), (5, 0, None), (0, 0, None)],
)
def test_percent_change(current, previous, expected):
    assert overview.percent_change(current, previous) == (
        None if expected is None else pytest.approx(expected)
    )


def test_weekly_trend_filters_categories_and_marks_partial_weeks():
    weekly = pd.DataFrame({
        "week": pd.to_datetime(["2024-03-04", "2024-03-04", "2024-03-11"]),
        "category": ["Kitchen", "Home", "Home"],
        "units": [10.0, 4.0, 3.0], "revenue": [100.0, 24.0, 18.0], "days": [7, 7, 2],
    })
    before = weekly.copy()
    every = overview.weekly_trend(weekly)
    kitchen = overview.weekly_trend(weekly, categories=["Kitchen"])
    pd.testing.assert_frame_equal(weekly, before)
    assert every["units"].tolist() == [14.0, 3.0]
    assert every["complete"].tolist() == [True, False]
    assert kitchen["units"].tolist() == [10.0, 0.0]
    assert overview.categories_of(weekly) == ["Home", "Kitchen"]
