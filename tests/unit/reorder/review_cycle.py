"""Helpers of the review-workflow tests (a plain module, so tests import it by a unique name:
several test folders have a conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

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


