"""SKU Explorer page: pick a SKU, forecast it on demand, run and store forecasts for all SKUs.

Runs on a copy of the small demo shop (``demo_db_copy``, 60 SKUs x 400 days); the auto pipeline
forecasts one SKU in well under a second and all 60 in a few seconds.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit.testing.v1 import AppTest

from invdash import store
from invdash.forecast.stored import load_latest_run
from invdash.store import forecasts as run_store
from invdash.ui import state

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGE = "pages/sku_explorer.py"
FAST_MODEL = "naive"


def _sell_one_more(db: Path) -> None:
    """Change the data: one more unit sold on the first sales row."""
    conn = store.connect(db)
    try:
        row = store.read_table(conn, "sales").head(1)
        with store.transaction(conn):
            store.upsert_frame(conn, "sales", row.assign(qty=row["qty"] + 1))
    finally:
        conn.close()


def _open(selected: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if selected is not None:
        at.session_state[state.SELECTED_SKU] = selected
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def _recent_top_seller(db: Path) -> str:
    """The SKU that sold most units in the last 28 days of sales (the picker's first choice)."""
    conn = store.connect_read_only(db)
    try:
        sales = store.read_table(conn, "sales")
    finally:
        conn.close()
    dates = pd.to_datetime(sales["date"])
    recent = sales[dates > dates.max() - pd.Timedelta(days=28)]
    totals = recent.groupby("sku")["qty"].sum().reset_index()
    return str(totals.sort_values(["qty", "sku"], ascending=[False, True])["sku"].iloc[0])


def _product_name(db: Path, sku: str) -> str:
    conn = store.connect_read_only(db)
    try:
        products = store.load_products(conn)
    finally:
        conn.close()
    return str(products.set_index("sku").loc[sku, "name"])


def _table(at: AppTest, column: str):
    """The first table on the page with a ``column`` (display label)."""
    return next(df.value for df in at.dataframe if column in df.value.columns)


def _trace_names(at: AppTest) -> list[str]:
    import json

    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    return [trace.get("name") for trace in figure["data"]]


def test_opens_on_the_top_seller_with_its_history_and_no_forecast_yet(db):
    at = _open()

    picker = at.selectbox(key="sku_explorer_sku")
    assert picker.value == _recent_top_seller(db)
    assert picker.options[0] == f"{picker.value} — {_product_name(db, picker.value)}"
    assert _trace_names(at) == ["History"]
    assert "No forecast for this SKU yet" in at.info[0].value
    assert at.session_state[state.SELECTED_SKU] == picker.value


def test_preselects_the_sku_chosen_on_another_page(db):
    conn = store.connect_read_only(db)
    try:
        skus = sorted(store.read_table(conn, "sales")["sku"].astype(str).unique())
    finally:
        conn.close()
    at = _open(selected=skus[-1])

    assert at.selectbox(key="sku_explorer_sku").value == skus[-1]


def test_forecast_this_sku_draws_the_fan_and_compares_models_on_it(db):
    at = _open()
    sku = at.selectbox(key="sku_explorer_sku").value

    at.button(key="sku_explorer_forecast_one").click().run()  # model: auto

    assert not at.exception
    assert _trace_names(at) == ["History", "P10", "P10-P90", "P50", "Forecast (mean)"]
    chosen = at.metric[0].value
    accuracy = _table(at, "Chosen")
    assert len(accuracy) >= 5  # every model of the auto set, on this SKU
    members = chosen.removeprefix("ens(").removesuffix(")").split("+")  # "ens(ets+sba)" or "ets"
    assert sorted(accuracy.loc[accuracy["Chosen"], "Model"]) == sorted(members)
    assert any("Backtest accuracy of every model on this SKU" in m.value for m in at.markdown)
    conn = store.connect_read_only(db)
    try:
        assert run_store.list_runs(conn).empty  # on demand: shown, not stored
    finally:
        conn.close()
    assert at.selectbox(key="sku_explorer_sku").value == sku


def test_run_forecasts_for_all_skus_stores_a_run_that_is_reused_until_data_change(db):
    at = _open()
    at.selectbox(key="sku_explorer_model").set_value(FAST_MODEL)
    at.button(key="sku_explorer_run_all").click().run()

    assert not at.exception
    assert "stored and reused until the data change" in at.success[0].value
    assert at.metric[0].value == FAST_MODEL
    accuracy = _table(at, "Chosen")
    assert accuracy.loc[accuracy["Chosen"], "Model"].tolist() == [FAST_MODEL]
    conn = store.connect_read_only(db)
    try:
        assert len(run_store.list_runs(conn)) == 1
        n_skus = store.read_table(conn, "sales")["sku"].nunique()
        assert load_latest_run(conn).forecasts["sku"].nunique() == n_skus
    finally:
        conn.close()

    reopened = _open()  # a new session finds the stored run without clicking
    assert _trace_names(reopened)[-1] == "Forecast (mean)"

    _sell_one_more(db)
    st.cache_data.clear()
    changed = _open()  # the data changed: the stored run is not shown as current
    assert _trace_names(changed) == ["History"]
