"""Reorder on a stored forecast run: calibration from the stored backtest, policy in SKU chunks.

The shop is the session demo (60 SKUs x 400 days) with every lead time set to 7 days, so
L + R = 14 days fits inside the 28-day backtest folds and both calibration paths compare the
same windows; the forecast is the moving average (no model choice, seconds to run).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from invdash import reorder, store
from invdash.distributed import LocalExecutor
from invdash.forecast import engine
from invdash.forecast.stored import forecast_and_store
from invdash.policy import PolicyParams, calibration
from invdash.store import fold_errors as fold_error_store
from invdash.store import forecasts as forecast_store


@pytest.fixture(scope="module")
def stored_run_db(demo_db: Path, tmp_path_factory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("stored_run") / "shop.duckdb"
    shutil.copy(demo_db, path)
    conn = store.connect(path)
    try:
        conn.execute("UPDATE products SET lead_time_days = 7")
        run_id = forecast_and_store(conn, model="ma").run_id
    finally:
        conn.close()
    return path, run_id


@pytest.fixture
def shop(stored_run_db: tuple[Path, str], tmp_path: Path) -> tuple[Path, str]:
    target = tmp_path / "shop.duckdb"
    shutil.copy(stored_run_db[0], target)
    return target, stored_run_db[1]


def test_the_forecast_run_stores_its_folds_aligned_with_the_sales(shop):
    path, run_id = shop
    conn = store.connect_read_only(path)
    try:
        rows = conn.execute(
            "SELECT sku, fold, origin, mean, variance, actual FROM backtest_fold_errors "
            "WHERE run_id = ? ORDER BY fold, sku", [run_id],
        ).df()
        sales = store.load_sales(conn)
    finally:
        conn.close()
    assert set(rows["fold"]) == {0, 1, 2}
    assert rows.groupby("fold")["sku"].nunique().min() >= 50
    row = rows[rows["actual"].map(lambda a: not np.isnan(a).any())].iloc[0]
    window = pd.date_range(row["origin"], periods=len(row["actual"]), freq="D")
    sold = sales[(sales["sku"] == row["sku"]) & sales["date"].isin(window)]
    sold = sold.set_index("date")["qty"].reindex(window, fill_value=0.0)
    # The actual list is what was sold on the fold's test days, from its origin on.
    np.testing.assert_allclose(row["actual"], sold.to_numpy(), rtol=1e-6)
    variance, mean = np.asarray(row["variance"]), np.asarray(row["mean"])
    assert (variance >= mean - 1e-6).all(), "floored at the Poisson variance"
    assert len(mean) == 28


def _count_engine_calls(monkeypatch) -> list[int]:
    calls: list[int] = []
    real = engine.run_forecast

    def spy(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    # forecast.stored imports the engine's run_forecast when it forecasts, so the engine's
    # attribute covers it; calibration imported it at the top.
    for module in (engine, calibration):
        monkeypatch.setattr(module, "run_forecast", spy)
    return calls


def test_reorder_on_a_stored_run_calls_the_engine_zero_times(shop, monkeypatch):
    path, run_id = shop
    calls = _count_engine_calls(monkeypatch)
    conn = store.connect(path)
    try:
        policy_run = reorder.prepare_reorder_run(conn, PolicyParams(), model="ma")
        params = conn.execute(
            "SELECT params, forecast_run_id FROM policy_runs WHERE run_id = ?",
            [policy_run.run_id],
        ).fetchall()[0]
    finally:
        conn.close()
    assert calls == []
    assert params[1] == run_id
    assert '"level_uncertainty_cv": 0.0,' not in params[0]
    assert len(policy_run.table) == 60


def test_the_stored_calibration_is_close_to_re_running_the_forecasts(shop):
    """Both are the same moment estimator on different past origins (the run's three 28-day
    folds vs six weekly re-run origins), so they differ by sampling noise: resampling the 60
    SKUs gives the stored estimate a standard deviation of about 0.04 here. The tolerance is
    0.05 (about 20 % of c ~ 0.26); a biased path (e.g. in-sample model choice, or variance
    not floored) misses it."""
    path, _ = shop
    conn = store.connect_read_only(path)
    try:
        from_store = reorder.calibrate_params(conn, PolicyParams(), model="ma")
        re_run = reorder.rerun_calibration(conn, PolicyParams(), model="ma")
    finally:
        conn.close()
    assert from_store.level_uncertainty_cv > 0.1
    assert from_store.level_uncertainty_cv == pytest.approx(re_run.level_uncertainty_cv, abs=0.05)


def test_error_sums_cut_windows_and_leave_censored_folds_out(tmp_path):
    conn = store.connect(tmp_path / "sums.duckdb")

    class Rows:
        sku = np.array(["a", "b", "c"])
        fold = np.array([0, 0, 0])
        origin = np.array(["2024-01-01"] * 3, dtype="datetime64[D]")
        mean = np.array([[1.0, 1.0, 1.0], [2.0, 2.0, 2.0], [1.0, 1.0, 1.0]])
        variance = np.array([[1.0, 1.0, 1.0], [2.0, 2.0, 2.0], [1.0, 1.0, 1.0]])
        actual = np.array([[2.0, 0.0, np.nan], [1.0, 3.0, 5.0], [np.nan, 1.0, 1.0]])

    try:
        with store.transaction(conn):
            fold_error_store.save_fold_errors(conn, "r1", Rows())
        days = pd.DataFrame({"sku": ["a", "b", "c"], "days": [2, 9, 2]})
        sums = fold_error_store.level_error_sums(conn, "r1", days)
    finally:
        conn.close()
    # a: m=2, v=2, D=2 over 2 days; b: cut to 3 days, m=6, v=6, D=9; c: censored day 1, out.
    assert sums.n_rows == 2
    assert sums.squared_error == pytest.approx(0.0 + 9.0)
    assert sums.model_variance == pytest.approx(8.0)
    assert sums.scale == pytest.approx(4.0 + 36.0)
    assert calibration.level_cv_from_sums(130.0, 30.0, 10_000.0) == pytest.approx(0.1)


def test_the_policy_in_chunks_equals_the_policy_at_once(shop):
    path, run_id = shop
    conn = store.connect_read_only(path)
    try:
        params = PolicyParams(level_uncertainty_cv=0.2, abc_service_levels=(0.98, 0.95, 0.9))
        chunked = reorder.policy_in_chunks(conn, run_id, params=params, chunk_skus=7)
        whole = reorder.policy_in_chunks(conn, run_id, params=params, chunk_skus=10_000)
        mapped = reorder.policy_in_chunks(
            conn, run_id, params=params, chunk_skus=7, executor=LocalExecutor()
        )
        forecasts = forecast_store.load_run_forecasts(conn, run_id)
        at_once = reorder.current_policy(conn, forecasts, params=params)
    finally:
        conn.close()
    assert set(chunked["abc"]) == {"A", "B", "C"}
    pd.testing.assert_frame_equal(chunked, whole, check_exact=True)
    pd.testing.assert_frame_equal(mapped, whole, check_exact=True)
    pd.testing.assert_frame_equal(chunked, at_once, check_exact=True)


def test_the_reorder_cli_reports_progress_and_nothing_else_on_stderr(shop, tmp_path, capsys):
    from invdash.cli import main

    path, _ = shop
    out = tmp_path / "reorder.csv"
    assert main(["reorder", "--db", str(path), "--out", str(out)]) == 0
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("forecast (when the data changed)")
    assert all(line.startswith("[") for line in lines[1:]), lines
    assert any("calibrat" in line for line in lines)
    assert any("policy: SKUs" in line for line in lines)
    assert len(pd.read_csv(out)) == 60
