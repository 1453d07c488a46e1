"""Forecast runs in the store: run and store, load the latest, as one function each.

The CLI (``invdash forecast --db``, ``invdash reorder``), the pages (Run forecasts) and the reorder
workflow all call these, so "forecast every SKU and keep the run" is written once. The SQL lives
in ``invdash.store.forecasts``; this module turns its rows and frames into ``ForecastRun`` records.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from invdash import store
from invdash.config import load_settings
from invdash.forecast.grain import resolve_grain
from invdash.forecast.results import ForecastRun
from invdash.runtime.embeddings import embeddings_stored_in
from invdash.schema import SKU, InvalidDataError
from invdash.store import forecasts as forecast_store
from invdash.store.events import load_events

if TYPE_CHECKING:
    from invdash.forecast.chunked import ChunkedRun
    from invdash.forecast.engine import Progress
    from invdash.forecast.options import ForecastOptions

# The engine (models, panel, scipy) is imported by the functions that forecast: reading a stored
# run (the SKU Explorer's and Model Quality's first open) needs none of it.

__all__ = [
    "StoreInputs", "save_run", "load_run", "load_latest_run", "latest_forecast", "run_history",
    "latest_forecast_id", "latest_forecast_for", "load_run_facts", "load_run_summary",
    "newest_run_summary",
    "load_inputs", "forecast_inputs", "forecast_and_store", "forecast_one_sku", "forecast_upload",
    "is_daily_store", "forecast_and_store_chunked",
]


@dataclass(frozen=True)
class StoreInputs:
    """What a whole-shop forecast run reads from the store, and the data version it was read at."""

    sales: pd.DataFrame
    products: pd.DataFrame
    data_version: str
    #: User events ``date, event, sku, category`` (``invdash ingest --kind events``).
    events: pd.DataFrame | None = None


def save_run(conn: duckdb.DuckDBPyConnection, run: ForecastRun, *, data_version: str) -> str:
    """Store ``run`` atomically (read-write ``conn``); returns its new ``run_id``."""
    return forecast_store.save_run(conn, run, data_version=data_version)


def load_run(
    conn: duckdb.DuckDBPyConnection, run_id: str, *, skus: list[str] | None = None
) -> ForecastRun | None:
    """The stored run ``run_id`` (None when there is no such run).

    Args:
        conn: the store.
        run_id: the run.
        skus: only these SKUs' forecasts and choices (the backtest table stays whole): what a
            page about a few SKUs needs of a run over 100,000 (default: every SKU).
    """
    facts = forecast_store.load_run_facts(conn, run_id)
    if facts is None:
        return None
    return ForecastRun(
        forecasts=forecast_store.load_run_forecasts(conn, run_id, skus=skus),
        choices=forecast_store.load_run_choices(conn, run_id, skus=skus),
        backtest=forecast_store.load_backtest_metrics(conn, run_id),
        device=facts["device"] or "cpu",
        duration_s=float(facts["duration_s"] or 0.0),
        horizon=int(facts["horizon"]),
        model_param=facts["model_param"],
        run_id=facts["run_id"],
        created_at=pd.Timestamp(facts["created_at"]),
        data_version=facts["data_version"],
        country=facts["country"],  # the calendar the run learned, whatever the setting now
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


def latest_forecast_id(conn: duckdb.DuckDBPyConnection) -> str | None:
    """Id of the newest stored run made on the data now in the store, or None (reads no
    forecasts)."""
    return forecast_store.latest_run_id(conn, data_version=store.data_version(conn))


def latest_forecast_for(
    conn: duckdb.DuckDBPyConnection, skus: list[str]
) -> ForecastRun | None:
    """``latest_forecast`` holding only ``skus``' forecasts and choices, or None."""
    run_id = latest_forecast_id(conn)
    return None if run_id is None else load_run(conn, run_id, skus=list(skus))


def load_run_summary(conn: duckdb.DuckDBPyConnection, run_id: str) -> ForecastRun | None:
    """The stored run ``run_id`` without its forecast rows: facts, every SKU's choice and the
    backtest table (what Model Quality shows), or None."""
    run = load_run(conn, run_id, skus=[])
    if run is None:
        return None
    return replace(run, choices=forecast_store.load_run_choices(conn, run_id))


def newest_run_summary(conn: duckdb.DuckDBPyConnection) -> ForecastRun | None:
    """``load_run_summary`` of the newest stored run whatever data it was made on, or None."""
    run_id = forecast_store.latest_run_id(conn)
    return None if run_id is None else load_run_summary(conn, run_id)


def load_run_facts(conn: duckdb.DuckDBPyConnection, run_id: str) -> dict | None:
    """A stored run's facts (``run_id, created_at, data_version, horizon, model_param, device,
    duration_s, n_skus, country``) without its rows, or None."""
    return forecast_store.load_run_facts(conn, run_id)


def run_history(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Stored forecast runs, newest first; ``current`` marks runs made on the current data."""
    runs = forecast_store.list_runs(conn)
    version = store.data_version(conn)
    if "data_version" in runs:
        runs.insert(1, "current", runs.pop("data_version") == version)
    return runs


def load_inputs(conn: duckdb.DuckDBPyConnection) -> StoreInputs:
    """Sales, products and the data version, read in one go (a run then needs no connection, so
    the dashboard holds no write lock while it forecasts).

    Raises:
        InvalidDataError: no sales in the database.
    """
    sales = store.load_sales(conn)
    if sales.empty:
        raise InvalidDataError(
            "the database has no sales; load a sales file (`invdash ingest`) or build the demo "
            "shop (`invdash demo`) first."
        )
    return StoreInputs(sales, store.load_products(conn), store.data_version(conn),
                       load_events(conn))


def forecast_inputs(
    inputs: StoreInputs, *, model: str = "auto", horizon: int = 28, use_neural: bool = False,
    progress: Progress | None = None,
) -> ForecastRun:
    """``run_forecast`` over every SKU of ``inputs`` (products without sales get the cold start)."""
    from invdash.forecast.engine import run_forecast
    from invdash.forecast.options import ForecastOptions, planning_days

    return run_forecast(
        inputs.sales,
        ForecastOptions(model=model, horizon=horizon, use_neural=use_neural,
                        country=load_settings().country,
                        plan_days=planning_days(inputs.products)),
        products=inputs.products,
        progress=progress,
        events=inputs.events,
    )


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
    from invdash.forecast.engine import run_forecast
    from invdash.forecast.options import ForecastOptions, planning_days

    inputs = load_inputs(conn)
    with embeddings_stored_in(conn):  # product titles are encoded once, then read back
        run = run_forecast(
            inputs.sales,
            ForecastOptions(model=model, seed=seed, country=load_settings().country,
                            plan_days=planning_days(inputs.products)),
            products=inputs.products,
            progress=progress,
            events=inputs.events,
        )
    run_id = save_run(conn, run, data_version=inputs.data_version)
    stored = load_run(conn, run_id)
    assert stored is not None  # just written in this connection
    return stored


def forecast_one_sku(
    conn: duckdb.DuckDBPyConnection, sku: str, model: str, horizon: int
) -> ForecastRun:
    """Forecast one SKU now from its own sales (its backtest compares every model on it); the
    run is not stored (the stored run stays the whole-shop one)."""
    from invdash.forecast.engine import run_forecast
    from invdash.forecast.options import ForecastOptions

    sales = store.load_sales(conn, skus=[sku])
    return run_forecast(
        sales,
        ForecastOptions(horizon=horizon, model=model, skus=[sku],
                        country=load_settings().country),
        products=store.load_products(conn),
        events=load_events(conn),
    )


def forecast_upload(
    sales: pd.DataFrame, *, products: pd.DataFrame | None, model: str, horizon: int,
    progress: Progress | None = None,
) -> ForecastRun:
    """Forecast an uploaded sales frame (nothing is stored); only products with sales are passed,
    so an uploaded product list cannot add cold-start SKUs to an ad-hoc forecast."""
    from invdash.forecast.engine import run_forecast
    from invdash.forecast.options import ForecastOptions

    if products is not None and len(products):
        products = products[products[SKU].astype(str).isin(set(sales[SKU].astype(str)))]
    return run_forecast(
        sales,
        ForecastOptions(horizon=horizon, model=model, country=load_settings().country),
        products=products if products is not None and len(products) else None,
        progress=progress,
    )


def is_daily_store(conn: duckdb.DuckDBPyConnection, freq: str = "auto") -> bool:
    """True when the store's sales are daily (``freq`` auto or D), the chunked run's grain."""
    if freq == "D":
        return True
    if freq != "auto":
        return False
    totals = forecast_store.daily_totals(conn)
    if totals.empty:
        return False  # the whole-panel run says what to load
    try:
        return resolve_grain(totals.assign(sku="all"), "auto").kind == "D"
    except InvalidDataError:
        return False  # a file mixing grains: the whole-panel run names the rows


def forecast_and_store_chunked(  # noqa: PLR0913 - the run's inputs
    conn: duckdb.DuckDBPyConnection, options: ForecastOptions, *,
    on_forecasts: Callable[[pd.DataFrame], None] | None = None, chunk_skus: int | None = None,
    executor: object = None, progress: Progress | None = None,
    reopen: Callable[[], duckdb.DuckDBPyConnection] | None = None,
) -> tuple[str, ChunkedRun]:
    """Forecast every SKU chunk by chunk (``forecast.chunked``) and store the run.

    Each chunk's forecasts are spooled to a Parquet file in a temporary folder as they come;
    at the end the whole run (forecasts part by part, choices, backtest table, folds) is
    written in one transaction, so a failed run leaves nothing and no reader ever sees half a
    run. With ``reopen``, ``conn`` is closed as soon as the sales are read and the run is
    written through ``reopen()`` (closed after): the file is free for other processes (the
    dashboard, another CLI job) during the long part of the run, which is what the CLI does.

    Args:
        conn: the store, read-write (titles of new SKUs are encoded once and stored).
        options: as for ``forecast.chunked.forecast_store_chunked`` (without a country, the
            shop's ``Settings.country``).
        on_forecasts: also receives each chunk's forecasts (e.g. the CLI's CSV).
        chunk_skus: SKUs per chunk (None: ``forecast.chunked.CHUNK_SKUS``).
        executor: runs the per-chunk steps (None: here).
        progress: optional ``callable(done, total, message)``.
        reopen: opens a read-write connection for the final write (None: ``conn`` stays open).

    Returns:
        The new ``run_id`` and the ``ChunkedRun``.

    Raises:
        InvalidDataError: no sales in the database.
    """
    from invdash.forecast.chunked import CHUNK_SKUS, forecast_store_chunked
    from invdash.forecast.options import planning_days

    chunk_skus = CHUNK_SKUS if chunk_skus is None else chunk_skus
    if not forecast_store.sales_skus(conn):
        raise InvalidDataError(
            "the database has no sales; load a sales file (`invdash ingest`) or build the demo "
            "shop (`invdash demo`) first."
        )
    data_version = store.data_version(conn)
    if options.country is None:  # a stored run knows the shop's holidays (see ``load_run``)
        options = replace(options, country=load_settings().country)
    if options.plan_days == 0:  # a stored run reaches past the longest lead time (``options``)
        options = replace(options, plan_days=planning_days(store.load_products(conn)))
    with tempfile.TemporaryDirectory(prefix="invdash-run-") as tmp:
        spool: list[Path] = []

        def keep(frame: pd.DataFrame) -> None:
            spool.append(Path(tmp) / f"part{len(spool):05d}.parquet")
            frame.to_parquet(spool[-1], index=False)
            if on_forecasts is not None:
                on_forecasts(frame)

        with embeddings_stored_in(conn):  # the cold start's titles, encoded once
            run = forecast_store_chunked(
                conn, options, on_forecasts=keep, chunk_skus=chunk_skus, executor=executor,
                progress=progress, after_reading=None if reopen is None else conn.close,
            )
        if progress is not None:
            progress(0, 1, "storing the run")
        target = conn if reopen is None else reopen()
        try:
            run_id = forecast_store.save_run_in_parts(
                target, (pd.read_parquet(path) for path in spool), horizon=run.horizon,
                model_param=options.model, data_version=data_version,
                choices=run.choices.drop(columns="members"), backtest=run.backtest,
                device="cpu", duration_s=run.duration_s, fold_errors=run.fold_errors,
                country=options.country,
            )
        finally:
            if reopen is not None:
                target.close()
    return run_id, run
