"""The chunked run over the store equals the whole-panel run, and stores itself as it goes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from invdash import store
from invdash.demo import build_demo
from invdash.forecast.backtest import backtest_panel
from invdash.forecast.chunked import backtest_store_chunked, forecast_store_chunked
from invdash.forecast.engine import run_forecast
from invdash.forecast.options import ForecastOptions
from invdash.forecast.panel import to_panel
from invdash.forecast.registry import auto_model_factories
from invdash.forecast.sampled import SAMPLE_SKUS, sample_positions
from invdash.forecast.stored import forecast_and_store_chunked, load_latest_run
from invdash.ingest import ingest_file
from invdash.schema import QUANTILE_COLUMNS, ConfigError
from invdash.store.events import load_events

SLICE = Path(__file__).parents[2] / "data" / "online_retail_slice.csv.gz"
COLUMNS = ["mean", *QUANTILE_COLUMNS]


def _both(conn, chunk_skus: int, options: ForecastOptions | None = None):
    events = load_events(conn)
    options = options or ForecastOptions(seed=0)
    whole = run_forecast(store.load_sales(conn), options, products=store.load_products(conn),
                         events=None if events.empty else events)
    parts: list[pd.DataFrame] = []
    run = forecast_store_chunked(conn, options, on_forecasts=parts.append,
                                 chunk_skus=chunk_skus)
    return whole, run, pd.concat(parts, ignore_index=True)


def _assert_equal(whole, run, chunked: pd.DataFrame) -> None:
    expected = whole.forecasts.sort_values(["sku", "date"], ignore_index=True)
    got = chunked.sort_values(["sku", "date"], ignore_index=True)
    assert len(got) == len(expected)
    assert (got["sku"] == expected["sku"]).all() and (got["date"] == expected["date"]).all()
    np.testing.assert_allclose(got[COLUMNS], expected[COLUMNS], rtol=0, atol=1e-6)
    assert (got["model"] == expected["model"]).all()
    choices = run.choices.set_index("sku")
    wanted = whole.choices.set_index("sku")
    assert choices["model"].reindex(wanted.index).equals(wanted["model"])
    assert choices["demand_class"].reindex(wanted.index).equals(wanted["demand_class"])
    table = run.backtest.sort_values(["model", "demand_class"], ignore_index=True)
    reference = whole.backtest.sort_values(["model", "demand_class"], ignore_index=True)
    pd.testing.assert_frame_equal(table, reference, check_exact=False, atol=1e-9)
    # The folds the reorder calibration reads are the whole run's too.
    assert whole.fold_errors is not None and run.fold_errors is not None
    want, got_rows = _fold_frame(whole.fold_errors), _fold_frame(run.fold_errors)
    pd.testing.assert_frame_equal(got_rows, want, check_exact=False, atol=1e-6)


def _fold_frame(rows) -> pd.DataFrame:
    frame = pd.DataFrame({
        "sku": np.asarray(rows.sku).astype(str), "fold": np.asarray(rows.fold),
        "mean": [float(np.nansum(m)) for m in rows.mean],
        "variance": [float(np.nansum(v)) for v in rows.variance],
        "actual": [float(np.nansum(a)) for a in rows.actual],
    })
    return frame.sort_values(["sku", "fold"], ignore_index=True)


@pytest.fixture(scope="module")
def retail():
    conn = store.connect(":memory:")
    ingest_file(conn, SLICE, kind="auto")
    yield conn
    conn.close()


def test_chunks_of_a_real_shop_with_closed_saturdays_give_the_whole_panels_forecasts(retail):
    whole, run, chunked = _both(retail, chunk_skus=9)
    assert run.chunks == 7 and run.n_skus == 60
    _assert_equal(whole, run, chunked)
    assert "lgbm" in set(whole.backtest["model"])  # the global booster took part


def test_chunks_of_a_demo_shop_with_a_yearly_season_and_stockouts_equal_the_whole(tmp_path):
    conn = store.connect(tmp_path / "shop.duckdb")
    build_demo(conn, n_skus=20, n_days=480, seed=5)
    whole, run, chunked = _both(conn, chunk_skus=7)
    assert run.chunks == 3
    _assert_equal(whole, run, chunked)
    conn.close()


def test_chunks_pool_prices_and_the_countrys_public_holidays_as_the_whole_panel(tmp_path):
    conn = store.connect(tmp_path / "shop.duckdb")
    build_demo(conn, n_skus=20, n_days=480, seed=5)  # prices with promotions, categories
    whole, run, chunked = _both(conn, chunk_skus=7, options=ForecastOptions(seed=0, country="GB"))
    _assert_equal(whole, run, chunked)
    plain = run_forecast(store.load_sales(conn), ForecastOptions(seed=0),
                         products=store.load_products(conn))
    assert not np.allclose(plain.forecasts["mean"], whole.forecasts["mean"])  # holidays moved it
    conn.close()


def test_a_stored_chunked_run_is_the_latest_run_and_a_failed_one_leaves_nothing(retail):
    options = ForecastOptions(seed=0, model="ets")
    run_id, run = forecast_and_store_chunked(retail, options, chunk_skus=25)
    stored = load_latest_run(retail, data_version=store.data_version(retail))
    assert stored is not None and stored.run_id == run_id
    folds = retail.execute(
        "SELECT count(DISTINCT sku) FROM backtest_fold_errors WHERE run_id = ?", [run_id]
    ).fetchone()[0]
    assert folds == 60  # kept for the reorder calibration, as a whole run keeps them
    assert stored.forecasts["sku"].nunique() == run.n_skus == 60
    assert set(stored.choices["model"]) == {"ets"}
    assert set(run.backtest["model"]) <= {"ets", "auto"}  # only the model asked for
    runs_before = retail.execute("SELECT count(*) FROM forecast_runs").fetchone()[0]

    def fail(frame: pd.DataFrame) -> None:
        raise RuntimeError(f"disk full after {len(frame)} rows")

    with pytest.raises(RuntimeError, match="disk full"):
        forecast_and_store_chunked(retail, options, on_forecasts=fail, chunk_skus=25)
    assert retail.execute("SELECT count(*) FROM forecast_runs").fetchone()[0] == runs_before
    orphans = retail.execute(
        "SELECT count(*) FROM forecasts WHERE run_id NOT IN (SELECT run_id FROM forecast_runs)"
    ).fetchone()[0]
    assert orphans == 0


def test_the_chunked_run_refuses_what_it_cannot_stream(retail):
    with pytest.raises(ConfigError, match="chunk_skus must be a positive"):
        forecast_store_chunked(retail, on_forecasts=print, chunk_skus=0)
    with pytest.raises(ConfigError, match="use run_forecast for --sku"):
        forecast_store_chunked(retail, ForecastOptions(use_neural=True), on_forecasts=print)
    with pytest.raises(ConfigError, match="panel models only"):
        forecast_store_chunked(retail, ForecastOptions(model="coldstart"), on_forecasts=print)


def test_the_booster_sample_is_bounded_evenly_spread_and_fixed():
    assert np.array_equal(sample_positions(50), np.arange(50))
    positions = sample_positions(100_000)
    assert len(positions) == SAMPLE_SKUS and positions[0] == 0 and positions[-1] == 99_999
    assert np.all(np.diff(positions) >= 49) and np.array_equal(positions, sample_positions(100_000))


def test_new_and_never_sold_skus_get_the_whole_runs_cold_start_in_chunks(tmp_path):
    conn = store.connect(tmp_path / "shop.duckdb")
    build_demo(conn, n_skus=20, n_days=480, seed=5)
    # KIT-00004 launched 20 days before the end; two catalogue SKUs never sold.
    conn.execute("DELETE FROM sales WHERE sku = 'KIT-00004' AND date < DATE '2025-10-12'")
    conn.execute(
        "INSERT INTO products (sku, name, category, supplier, unit_cost) "
        "SELECT 'NEW-' || sku, name || ' Deluxe', category, supplier, unit_cost FROM products "
        "WHERE sku IN ('BTH-00001', 'GAR-00002')"
    )
    whole, run, chunked = _both(conn, chunk_skus=7)
    by_sku = run.choices.set_index("sku")
    assert by_sku.loc["KIT-00004", "model"] == "coldstart"
    assert by_sku.loc[["NEW-BTH-00001", "NEW-GAR-00002"], "model"].eq("coldstart").all()
    assert by_sku.loc["NEW-BTH-00001", "demand_class"] == "new"
    _assert_equal(whole, run, chunked)
    new = chunked[chunked["sku"].str.startswith("NEW-")]
    assert len(new) == 2 * 28 and (new["mean"] > 0).all()  # borrowed demand, not zero
    conn.close()


def test_with_reopen_the_file_is_free_while_chunks_are_forecast_and_the_run_lands_whole(tmp_path):
    path = tmp_path / "shop.duckdb"
    conn = store.connect(path)
    ingest_file(conn, SLICE, kind="auto")
    seen: list[int] = []

    def peek(frame: pd.DataFrame) -> None:  # noqa: ARG001 - the callback's signature
        # Another reader (the dashboard) opens the file mid-run and sees no half-written run.
        reader = store.connect_read_only(path)
        seen.append(reader.execute("SELECT count(*) FROM forecast_runs").fetchone()[0])
        reader.close()

    run_id, run = forecast_and_store_chunked(
        conn, ForecastOptions(seed=0, model="ets"), on_forecasts=peek, chunk_skus=25,
        reopen=lambda: store.connect(path),
    )
    assert seen == [0, 0, 0]  # three chunks, no run visible until the end
    after = store.connect_read_only(path)
    stored = load_latest_run(after, data_version=store.data_version(after))
    assert stored is not None and stored.run_id == run_id
    assert stored.forecasts["sku"].nunique() == run.n_skus == 60
    after.close()


def test_user_events_reach_every_chunk_with_the_shops_pooled_lifts(tmp_path):
    conn = store.connect(tmp_path / "shop.duckdb")
    build_demo(conn, n_skus=20, n_days=480, seed=5)
    # Three past flash sales lift five SKUs fourfold; one more is planned after the data.
    days = ["2025-03-14", "2025-06-13", "2025-09-12"]
    conn.execute(
        "UPDATE sales SET qty = qty * 4 WHERE strftime(date, '%Y-%m-%d') IN (SELECT unnest(?)) "
        "AND sku IN (SELECT sku FROM products ORDER BY sku LIMIT 5)", [days],
    )
    conn.execute(
        "INSERT INTO events (date, event) SELECT CAST(d AS DATE), 'flash sale' "
        "FROM unnest(?) AS t(d)", [[*days, "2025-11-14"]],
    )
    conn.execute(
        "INSERT INTO events (date, event, category) VALUES (DATE '2025-11-20', 'garden show', "
        "(SELECT min(category) FROM products))"
    )
    whole, run, chunked = _both(conn, chunk_skus=7)
    assert run.chunks == 3
    _assert_equal(whole, run, chunked)
    # The planned sale moves the forecast on its day (the lift was learnt, not ignored).
    plain = run_forecast(store.load_sales(conn), ForecastOptions(seed=0),
                         products=store.load_products(conn))
    on_sale = chunked[chunked["date"] == pd.Timestamp("2025-11-14")]["mean"].sum()
    plain_day = plain.forecasts[plain.forecasts["date"] == pd.Timestamp("2025-11-14")]
    assert on_sale > 1.2 * plain_day["mean"].sum()
    conn.close()


def test_the_chunked_backtest_of_a_store_equals_the_whole_panels(tmp_path):
    conn = store.connect(tmp_path / "shop.duckdb")
    build_demo(conn, n_skus=20, n_days=480, seed=5)
    conn.execute("INSERT INTO events (date, event) VALUES (DATE '2025-06-13', 'flash sale')")
    options = ForecastOptions(seed=0, folds=2, horizon=14)
    chunked = backtest_store_chunked(conn, options, chunk_skus=6)
    panel = to_panel(store.load_sales(conn), products=store.load_products(conn),
                     events=load_events(conn))
    whole = backtest_panel(panel, auto_model_factories(seed=0), folds=2, horizon=14)
    pd.testing.assert_frame_equal(chunked.summary, whole.summary, check_exact=False, atol=1e-9)
    assert set(chunked.summary["model"]) >= {"ets", "lgbm"}
    with pytest.raises(ConfigError, match="too few for 40 folds"):
        backtest_store_chunked(conn, ForecastOptions(folds=40, horizon=14), chunk_skus=6)
    conn.close()
