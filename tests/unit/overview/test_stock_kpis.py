"""Stock KPIs and the projected-stock chart builder."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from invdash.overview.stock import stock_kpis


def test_kpis_of_one_steady_seller():
    """10 a day at cost 2 for 90 days, 300 on hand: stock value 600, 30 days of supply,
    turns 365 / 30 = 12.2; no stockout days, so the fill rate is 100 %."""
    days = pd.date_range("2024-01-01", periods=90)
    sales = pd.DataFrame({"sku": "A", "date": days, "qty": 10.0, "stockout": False})
    inventory = pd.DataFrame({"sku": ["A"], "as_of": [days[-1]], "on_hand": [300.0]})
    products = pd.DataFrame({"sku": ["A"], "unit_cost": [2.0]})
    result = stock_kpis(sales, inventory, products)
    assert result.stock_value == 600
    assert result.days_of_supply == pytest.approx(30)
    assert result.turns == pytest.approx(365 / 30)
    assert result.fill_rate == 1.0 and result.stockout_rate == 0.0


def test_stockout_days_lower_the_estimated_fill_rate():
    """9 in-stock days selling 10, one stockout day selling 0: lost about 10 of 100 demanded."""
    days = pd.date_range("2024-01-01", periods=10)
    qty = np.r_[np.full(9, 10.0), 0.0]
    sales = pd.DataFrame({"sku": "A", "date": days, "qty": qty, "stockout": [False] * 9 + [True]})
    inventory = pd.DataFrame({"sku": ["A"], "as_of": [days[-1]], "on_hand": [0.0]})
    result = stock_kpis(sales, inventory, pd.DataFrame({"sku": ["A"], "unit_cost": [1.0]}))
    assert result.fill_rate == pytest.approx(0.9)
    assert result.stockout_rate == pytest.approx(0.1)
    assert np.isnan(result.turns) and result.days_of_supply == 0


def test_projected_stock_chart_has_bands_levels_and_arriving_orders():
    from invdash.ui.charts.stock import StockLevels, projected_stock_chart

    days = pd.date_range("2024-01-02", periods=5)
    bands = pd.DataFrame({"date": days, "p10": [5.0] * 5, "p50": [8.0] * 5, "p90": [12.0] * 5})
    orders = pd.DataFrame({"eta": [days[2]], "qty": [24.0]})
    figure = projected_stock_chart(
        bands,
        levels=StockLevels(reorder_point=9, order_up_to=20, safety_stock=3),
        purchase_orders=orders,
    )
    names = [trace.name for trace in figure.data]
    assert {"P10-P90", "P50 on hand", "PO arriving"} <= set(names)
    assert len(figure.layout.shapes) == 3


def test_the_shops_kpis_in_duckdb_equal_the_frame_computation(tmp_path):
    """The Overview reads one row from DuckDB instead of every sales row; the numbers are the
    same as ``stock_kpis`` over ``store.load_sales`` (a demo shop with stockouts, plus a SKU with
    gaps, no cost and a negative count)."""
    from invdash import store
    from invdash.demo import build_demo
    from invdash.overview.stock import shop_stock_kpis

    conn = store.connect(tmp_path / "shop.duckdb")
    try:
        build_demo(conn, n_skus=30, n_days=200, seed=5)
        conn.execute(
            "INSERT INTO sales (sku, date, qty) SELECT 'GAPPY', max(date) - 40, 7 FROM sales "
            "UNION ALL SELECT 'GAPPY', max(date) - 3, 2 FROM sales"
        )
        conn.execute(
            "INSERT INTO inventory (sku, as_of, on_hand) SELECT 'GAPPY', max(date), -3 FROM sales"
        )
        sales = store.load_sales(conn)
        assert sales["stockout"].any(), "the demo shop should have stockout days"
        expected = stock_kpis(sales, store.load_inventory(conn), store.load_products(conn))
        got = shop_stock_kpis(conn)
    finally:
        conn.close()
    for field in ("fill_rate", "stockout_rate", "stock_value", "turns", "days_of_supply"):
        assert getattr(got, field) == pytest.approx(getattr(expected, field), rel=1e-9), field


def test_the_shops_kpis_before_any_sales_are_none(tmp_path):
    from invdash import store
    from invdash.overview.stock import shop_stock_kpis

    conn = store.connect(tmp_path / "shop.duckdb")
    try:
        assert shop_stock_kpis(conn) is None
    finally:
        conn.close()
