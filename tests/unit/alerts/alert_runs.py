"""The alerts tests' set-up: a stored moving-average forecast run and its policy run."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from invdash import store
from invdash.forecast.engine import run_forecast
from invdash.forecast.options import ForecastOptions
from invdash.forecast.results import ForecastRun
from invdash.forecast.stored import save_run
from invdash.policy import PolicyParams
from invdash.reorder.runs import ensure_policy_run


@dataclass(frozen=True)
class StoredRuns:
    """The forecast run, its stored id and the policy run made on it."""

    forecast: ForecastRun
    forecast_id: str
    policy: object


def store_ma_runs(conn: duckdb.DuckDBPyConnection) -> StoredRuns:
    """Forecast every SKU with the moving average (no backtest: seconds), store the run and the
    policy run on it with the default parameters (read-write ``conn``)."""
    sales, products = store.load_sales(conn), store.load_products(conn)
    run = run_forecast(sales, ForecastOptions(model="ma", folds=0), products=products)
    forecast_id = save_run(conn, run, data_version=store.data_version(conn))
    policy = ensure_policy_run(conn, run.forecasts, forecast_run_id=forecast_id,
                               params=PolicyParams())
    return StoredRuns(run, forecast_id, policy)
