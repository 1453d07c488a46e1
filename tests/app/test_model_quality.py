"""Model Quality page: backtest by model and demand class, device used, last runs.

Runs on a copy of the small demo shop; the stored runs are made with the engine directly and the
auto pipeline on a few SKUs, as ``invdash forecast`` or the SKU Explorer button would store them.
"""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from invdash import store
from invdash.forecast.engine import run_forecast
from invdash.forecast.options import ForecastOptions
from invdash.store import forecasts as run_store

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGE = "pages/model_quality.py"


def _store_run(db: Path, *, n_skus: int = 12) -> None:
    conn = store.connect(db)
    try:
        skus = sorted(store.read_table(conn, "sales")["sku"].astype(str).unique())[:n_skus]
        sales = store.load_sales(conn, skus=skus)
        run = run_forecast(
            sales,
            ForecastOptions(horizon=14, model="auto", skus=skus),
            products=store.load_products(conn),
        )
        run_store.save_run(conn, run, data_version=store.data_version(conn))
    finally:
        conn.close()


def _sell_one_more(db: Path) -> None:
    """Change the data: one more unit sold on the first sales row."""
    conn = store.connect(db)
    try:
        row = store.read_table(conn, "sales").head(1)
        with store.transaction(conn):
            store.upsert_frame(conn, "sales", row.assign(qty=row["qty"] + 1))
    finally:
        conn.close()


def _table(at: AppTest, column: str):
    """The first table on the page with a ``column`` (display label)."""
    return next(df.value for df in at.dataframe if column in df.value.columns)


def _open() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def test_without_a_run_says_how_to_make_one(db):  # noqa: ARG001 - sets INVDASH_DB
    at = _open()

    assert "No forecast run yet" in at.info[0].value
    assert not at.dataframe


def test_shows_the_device_the_backtest_by_class_and_the_last_runs(db):
    _store_run(db)
    _store_run(db, n_skus=6)

    at = _open()

    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Device"].startswith(("cpu", "cuda"))
    assert metrics["SKUs"] == "6"  # the newest run
    assert metrics["Horizon (days)"] == "14"
    backtest = _table(at, "RMSSE")
    assert {"Model", "Demand class", "MASE", "Scaled pinball loss"} <= set(backtest.columns)
    assert {"naive", "ets", "tsb"} <= set(backtest["Model"])
    assert "all" in set(backtest["Demand class"])
    runs = _table(at, "Run")
    assert len(runs) == 2 and runs["On current data"].all()
    assert not at.warning  # the run is current


def test_switching_the_metric_redraws_the_chart(db):
    _store_run(db)
    at = _open()

    at.selectbox(key="model_quality_metric").set_value("wape").run()

    assert not at.exception
    assert '"WAPE"' in at.get("plotly_chart")[0].proto.spec


def test_warns_when_the_data_changed_since_the_run(db):
    _store_run(db)
    _sell_one_more(db)

    at = _open()

    assert "data changed" in at.warning[0].value
