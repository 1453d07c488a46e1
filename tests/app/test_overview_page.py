"""Overview page: KPI cards and the weekly sales trend on the demo shop; a first-run guide for a
missing or empty database; a clear error for a file that is not a database."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from invdash import store

APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture(autouse=True)
def _fresh_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def demo_env(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # A copy: the Overview stores its summary on its first open, and the session's demo_db is
    # shared by every test (a summary left in it was read by the next test's "nothing stored").
    monkeypatch.setenv("INVDASH_DB", str(demo_db_copy))
    return demo_db_copy


@pytest.fixture(scope="module")
def demo_sales(demo_db: Path) -> pd.DataFrame:
    conn = store.connect_read_only(demo_db)
    try:
        sales = store.load_sales(conn)
        products = store.load_products(conn)
    finally:
        conn.close()
    return sales.merge(products[["sku", "category"]], on="sku")


def _open() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    assert not at.exception
    return at


def _metrics(at: AppTest) -> dict[str, tuple[str, str]]:
    return {metric.label: (metric.value, metric.delta) for metric in at.metric}


def _chart(at: AppTest) -> dict:
    charts = at.get("plotly_chart")
    assert len(charts) == 1
    return json.loads(charts[0].proto.spec)


def _values(trace: dict) -> np.ndarray:
    y = trace["y"]
    if isinstance(y, dict):  # plotly's binary encoding of numeric arrays
        return np.frombuffer(base64.b64decode(y["bdata"]), dtype=np.dtype(y["dtype"]))
    return np.asarray(y, dtype=float)


def _total(spec: dict) -> float:
    return float(sum(_values(trace).sum() for trace in spec["data"]))


@pytest.mark.usefixtures("demo_env")
def test_kpi_cards_show_the_last_28_days_against_the_28_before(demo_sales):
    at = _open()
    metrics = _metrics(at)
    last = demo_sales["date"].max()
    age = (last - demo_sales["date"]).dt.days
    current, previous = demo_sales[age < 28], demo_sales[(age >= 28) & (age < 56)]
    change = current["qty"].sum() / previous["qty"].sum() - 1
    assert metrics["SKUs"][0] == "60"
    assert metrics["Units, last 28 days"] == (
        f"{current['qty'].sum():,.0f}", f"{change:+.1%} vs previous 28 days"
    )
    revenue = (current["qty"] * current["price"]).sum()
    assert metrics["Revenue, last 28 days"][0] == f"{revenue:,.0f}"
    assert {"Stock value", "Out of stock"} <= set(metrics)
    assert not at.info


def test_stock_cards_use_the_latest_snapshot(demo_env):
    conn = store.connect_read_only(demo_env)
    try:
        latest = store.latest_on_hand(conn).merge(store.load_products(conn), on="sku")
    finally:
        conn.close()
    metrics = _metrics(_open())
    assert metrics["Stock value"][0] == f"{(latest['on_hand'] * latest['unit_cost']).sum():,.0f}"
    assert metrics["Out of stock"][0] == f"{int((latest['on_hand'] <= 0).sum()):,}"


@pytest.mark.usefixtures("demo_env")
def test_the_trend_chart_shows_weekly_units_of_all_categories(demo_sales):
    spec = _chart(_open())
    assert spec["layout"]["title"]["text"] == "Weekly units, all categories"
    assert _total(spec) == pytest.approx(demo_sales["qty"].sum())


@pytest.mark.usefixtures("demo_env")
def test_the_category_filter_narrows_the_trend(demo_sales):
    at = _open()
    at.multiselect(key="overview_categories").set_value(["Garden", "Toys"]).run()
    assert not at.exception
    spec = _chart(at)
    assert spec["layout"]["title"]["text"] == "Weekly units, Garden, Toys"
    chosen = demo_sales[demo_sales["category"].isin(["Garden", "Toys"])]
    assert _total(spec) == pytest.approx(chosen["qty"].sum())


@pytest.mark.usefixtures("demo_env")
def test_the_measure_switches_the_trend_to_revenue(demo_sales):
    at = _open()
    at.radio(key="overview_measure").set_value("Revenue").run()
    assert not at.exception
    spec = _chart(at)
    assert spec["layout"]["title"]["text"] == "Weekly revenue, all categories"
    assert _total(spec) == pytest.approx((demo_sales["qty"] * demo_sales["price"]).sum())


def test_a_missing_database_gets_the_first_run_guide_and_is_not_created(tmp_path, monkeypatch):
    path = tmp_path / "nowhere" / "invdash.duckdb"
    monkeypatch.setenv("INVDASH_DB", str(path))
    at = _open()
    assert "There is no database" in at.info[0].value
    commands = [block.value for block in at.code]
    assert f"invdash demo --db {path}" in commands
    assert any(command.startswith("invdash ingest") for command in commands)
    assert not at.metric
    assert not path.exists()


def test_a_database_without_sales_gets_the_first_run_guide(tmp_path, monkeypatch):
    path = tmp_path / "empty.duckdb"
    store.connect(path).close()
    monkeypatch.setenv("INVDASH_DB", str(path))
    at = _open()
    assert "has no sales yet" in at.info[0].value
    assert any(block.value.startswith("invdash demo") for block in at.code)


def test_a_file_that_is_not_a_database_gets_an_error_message(tmp_path, monkeypatch):
    path = tmp_path / "notes.duckdb"
    path.write_text("date,sku,qty\n2024-01-01,A,1\n" * 50)
    monkeypatch.setenv("INVDASH_DB", str(path))
    at = _open()
    assert "could not open the database" in at.error[0].value
