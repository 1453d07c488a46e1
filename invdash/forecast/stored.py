"""Forecast runs in the store: run and store, load the latest, as one function each.

The CLI (``invdash forecast --db``, ``invdash reorder``), the pages (Run forecasts) and the reorder
workflow all call these, so "forecast every SKU and keep the run" is written once. The SQL lives
in ``invdash.store.forecasts``; this module turns its rows and frames into ``ForecastRun`` records.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from invdash import store
from invdash.forecast.engine import Progress, run_forecast
from invdash.forecast.results import ForecastRun
from invdash.schema import InvalidDataError
from invdash.store import forecasts as forecast_store

__all__ = ["save_run", "load_run", "load_latest_run", "latest_forecast", "forecast_and_store"]


def save_run(conn: duckdb.DuckDBPyConnection, run: ForecastRun, *, data_version: str) -> str:
    """Store ``run`` atomically (read-write ``conn``); returns its new ``run_id``."""
    return forecast_store.save_run(conn, run, data_version=data_version)


def load_run(conn: duckdb.DuckDBPyConnection, run_id: str) -> ForecastRun | None:
    """The stored run ``run_id`` (None when there is no such run)."""
    facts = forecast_store.load_run_facts(conn, run_id)
    if facts is None:
        return None
    return ForecastRun(
        forecasts=forecast_store.load_run_forecasts(conn, run_id),
        choices=forecast_store.load_run_choices(conn, run_id),
        backtest=forecast_store.load_backtest_metrics(conn, run_id),
        device=facts["device"] or "cpu",
        duration_s=float(facts["duration_s"] or 0.0),
        horizon=int(facts["horizon"]),
        model_param=facts["model_param"],
        run_id=facts["run_id"],
        created_at=pd.Timestamp(facts["created_at"]),
        data_version=facts["data_version"],
    )


def load_latest_run(
    conn: duckdb.DuckDBPyConnection, *, data_version: str | None = None
) -> ForecastRun | None:
    """The newest stored run (only runs made on ``data_version`` when given), or None."""
    run_id = forecast_store.latest_run_id(conn, data_version=data_version)
    return None if run_id is None else load_run(conn, run_id)


def latest_forecast(conn: duckdb.DuckDBPyConnection) -> ForecastRun | None:
    """The newest stored run made on the data now in the store, or None."""
    return load_latest_run(conn, data_version=store.data_version(conn))


def forecast_and_store(
    conn: duckdb.DuckDBPyConnection,
    *,
    model: str = "auto",
    seed: int = 0,
    progress: Progress | None = None,
) -> ForecastRun:
    """Forecast every SKU with the engine and store the run (read-write ``conn``).

    Args:
        conn: the store.
        model: ``auto`` or an engine model name.
        seed: the engine's seed.
        progress: optional ``callable(done, total, message)``.

    Returns:
        The stored ``ForecastRun`` (with its ``run_id``).

    Raises:
        InvalidDataError: no sales in the database.
    """
    sales = store.load_sales(conn)
    if sales.empty:
        raise InvalidDataError(
            "the database has no sales; load a sales file (`invdash ingest`) or build the demo "
            "shop (`invdash demo`) first."
        )
    run = run_forecast(
        sales, products=store.load_products(conn), model=model, seed=seed, progress=progress
    )
    run_id = save_run(conn, run, data_version=store.data_version(conn))
    stored = load_run(conn, run_id)
    assert stored is not None  # just written in this connection
    return stored
