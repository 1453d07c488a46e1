"""Fixtures for the review workflow: the demo shop with one stored forecast and policy run.

``planned_db`` is built once per module (a moving-average forecast, no backtest folds, so it
takes seconds); ``cycle_db`` is a writable copy for one test, with ``run_id`` of the stored run.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from invdash import reorder, store
from invdash.policy import PolicyParams

MANAGER_NAME = "ann"


@dataclass(frozen=True)
class CycleDb:
    """A writable database with a stored policy run."""

    path: Path
    run_id: str
    forecast_run_id: str


def plan(conn, params: PolicyParams) -> reorder.PolicyRun:
    """The stored policy run for ``params`` on the store's newest forecast."""
    from invdash.forecast.stored import latest_forecast

    forecast = latest_forecast(conn)
    return reorder.ensure_policy_run(
        conn, forecast.forecasts, forecast_run_id=forecast.run_id, params=params
    )


def reforecast(conn) -> str:
    """Forecast the current data (moving average, no backtest) and store it; the run id."""
    from invdash.forecast.engine import run_forecast
    from invdash.forecast.options import ForecastOptions
    from invdash.forecast.stored import save_run

    sales, products = store.load_sales(conn), store.load_products(conn)
    run = run_forecast(sales, ForecastOptions(model="ma", folds=0), products=products)
    return save_run(conn, run, data_version=store.data_version(conn))


@pytest.fixture(scope="module")
def planned_db(demo_db: Path, tmp_path_factory) -> CycleDb:
    path = tmp_path_factory.mktemp("planned") / "planned.duckdb"
    shutil.copy(demo_db, path)
    conn = store.connect(path)
    try:
        forecast_run_id = reforecast(conn)
        policy_run = plan(conn, PolicyParams())
    finally:
        conn.close()
    return CycleDb(path=path, run_id=policy_run.run_id, forecast_run_id=forecast_run_id)


@pytest.fixture
def cycle_db(planned_db: CycleDb, tmp_path: Path) -> CycleDb:
    target = tmp_path / "cycle.duckdb"
    shutil.copy(planned_db.path, target)
    return CycleDb(
        path=target, run_id=planned_db.run_id, forecast_run_id=planned_db.forecast_run_id
    )
