"""SQL for the forecasts area: forecast runs, their forecasts, per-SKU choices, backtest table.

Design:
- A run is derived data keyed by ``run_id``; ``forecast_runs`` holds its facts (time, data
  version, horizon, model parameter, device, duration, SKU count, status).
- ``load_latest_run(conn, data_version=...)`` finds the newest run made on the given data, so the
  dashboard reuses results until the data change.
- Writes go through ``store.upsert_frame`` inside one ``store.transaction`` (all or nothing).
The tables are migration 2 in ``store/schema.py``. This module knows tables and frames only: the
``ForecastRun`` record is assembled from them in ``invdash.forecast.stored`` (the data layer
does not depend on the forecast engine).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Protocol

import duckdb
import pandas as pd

from invdash.store import transaction, upsert_frame
from invdash.store.fold_errors import FoldErrorRows, save_fold_errors

__all__ = [
    "RunRecord", "save_run", "save_run_in_parts",
    "load_run_facts", "latest_run_id", "load_run_forecasts", "load_run_choices",
    "load_backtest_metrics", "list_runs", "run_skus", "run_first_date", "sales_skus",
    "daily_totals",
]


class RunRecord(Protocol):
    """What ``save_run`` stores of a run (``invdash.forecast.results.ForecastRun`` has it)."""

    forecasts: pd.DataFrame
    choices: pd.DataFrame
    backtest: pd.DataFrame
    device: str
    duration_s: float
    horizon: int
    model_param: str
    fold_errors: FoldErrorRows | None



def save_run(conn: duckdb.DuckDBPyConnection, run: RunRecord, *, data_version: str) -> str:
    """Store a forecast run atomically; returns its new ``run_id``.

    Args:
        conn: a read-write connection.
        run: the run from ``engine.run_forecast``.
        data_version: ``store.data_version(conn)`` of the data the run was made on.
    """
    run_id = uuid.uuid4().hex[:16]
    facts = pd.DataFrame([{
        "run_id": run_id, "created_at": pd.Timestamp.now(tz="UTC").tz_localize(None),
        "data_version": data_version, "horizon": int(run.horizon),
        "model_param": run.model_param, "device": run.device,
        "duration_s": float(run.duration_s), "n_skus": int(run.forecasts["sku"].nunique()),
        "status": "done", "country": getattr(run, "country", None),
    }])
    with transaction(conn):
        upsert_frame(conn, "forecast_runs", facts)
        upsert_frame(conn, "forecasts", run.forecasts.assign(run_id=run_id))
        upsert_frame(conn, "forecast_choices", run.choices.assign(run_id=run_id))
        upsert_frame(conn, "backtest_metrics", run.backtest.assign(run_id=run_id))
        fold_errors = getattr(run, "fold_errors", None)  # records made before they existed
        if fold_errors is not None:
            save_fold_errors(conn, run_id, fold_errors)
    return run_id


def save_run_in_parts(  # noqa: PLR0913 - the run's facts and parts
    conn: duckdb.DuckDBPyConnection, parts: Iterable[pd.DataFrame], *, horizon: int,
    model_param: str, data_version: str, choices: pd.DataFrame, backtest: pd.DataFrame,
    device: str, duration_s: float, fold_errors: FoldErrorRows | None = None,
    country: str | None = None,
) -> str:
    """Store a run whose forecasts come in parts (a chunked run's spool, read one part at a
    time) in one transaction, so no half-written run is ever seen; returns its ``run_id``."""
    run_id = uuid.uuid4().hex[:16]
    facts = pd.DataFrame([{
        "run_id": run_id, "created_at": pd.Timestamp.now(tz="UTC").tz_localize(None),
        "data_version": data_version, "horizon": int(horizon), "model_param": model_param,
        "device": device, "duration_s": float(duration_s), "status": "done", "country": country,
    }])
    with transaction(conn):
        upsert_frame(conn, "forecast_runs", facts)
        for part in parts:
            upsert_frame(conn, "forecasts", part.assign(run_id=run_id))
        upsert_frame(conn, "forecast_choices", choices.assign(run_id=run_id))
        upsert_frame(conn, "backtest_metrics", backtest.assign(run_id=run_id))
        if fold_errors is not None:
            save_fold_errors(conn, run_id, fold_errors)
        conn.execute(
            "UPDATE forecast_runs SET n_skus = (SELECT count(DISTINCT sku) FROM forecasts "
            "WHERE run_id = ?) WHERE run_id = ?", [run_id, run_id],
        )
    return run_id


def list_runs(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """All runs, newest first: ``run_id, created_at, data_version, horizon, model_param, device,
    duration_s, n_skus, status``."""
    return conn.execute(
        "SELECT run_id, created_at, data_version, horizon, model_param, device, duration_s, "
        "n_skus, status FROM forecast_runs ORDER BY created_at DESC, run_id"
    ).df()


def load_run_forecasts(
    conn: duckdb.DuckDBPyConnection, run_id: str, *, skus: list[str] | None = None
) -> pd.DataFrame:
    """Forecasts of a run (optionally some SKUs): ``sku, date, model, mean, p05 .. p99``."""
    if skus is None:
        frame = conn.execute(
            "SELECT sku, date, model, mean, p05, p10, p25, p50, p75, p90, p95, p99 "
            "FROM forecasts WHERE run_id = ? ORDER BY sku, date", [run_id],
        ).df()
    else:
        frame = conn.execute(
            "SELECT sku, date, model, mean, p05, p10, p25, p50, p75, p90, p95, p99 "
            "FROM forecasts WHERE run_id = ? AND sku IN (SELECT unnest(?)) ORDER BY sku, date",
            [run_id, [str(s) for s in skus]],
        ).df()
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


def load_run_choices(
    conn: duckdb.DuckDBPyConnection, run_id: str, *, skus: list[str] | None = None
) -> pd.DataFrame:
    """Per-SKU choices of a run (optionally some SKUs): ``sku, model, demand_class, reason,
    score``."""
    if skus is None:
        return conn.execute(
            "SELECT sku, model, demand_class, reason, score FROM forecast_choices "
            "WHERE run_id = ? ORDER BY sku", [run_id],
        ).df()
    return conn.execute(
        "SELECT sku, model, demand_class, reason, score FROM forecast_choices "
        "WHERE run_id = ? AND sku IN (SELECT unnest(?)) ORDER BY sku",
        [run_id, [str(s) for s in skus]],
    ).df()


def load_backtest_metrics(conn: duckdb.DuckDBPyConnection, run_id: str) -> pd.DataFrame:
    """Backtest table of a run: ``model, demand_class, n_skus, mase, rmsse, wape, bias, spl,
    coverage80``."""
    return conn.execute(
        "SELECT model, demand_class, n_skus, mase, rmsse, wape, bias, spl, coverage80 "
        "FROM backtest_metrics WHERE run_id = ? ORDER BY demand_class, model", [run_id],
    ).df()


def load_run_facts(conn: duckdb.DuckDBPyConnection, run_id: str) -> dict | None:
    """The ``forecast_runs`` row of ``run_id`` as a dict (None when there is no such run);
    ``country`` is None for a run made without public holidays (or stored before migration 14)."""
    row = conn.execute(
        "SELECT run_id, created_at, data_version, horizon, model_param, device, duration_s, "
        "n_skus, country FROM forecast_runs WHERE run_id = ?", [run_id],
    ).fetchone()
    if row is None:
        return None
    names = ("run_id", "created_at", "data_version", "horizon", "model_param", "device",
             "duration_s", "n_skus", "country")
    return dict(zip(names, row, strict=True))


def latest_run_id(
    conn: duckdb.DuckDBPyConnection, *, data_version: str | None = None
) -> str | None:
    """Id of the newest finished run (only runs made on ``data_version`` when given), or None."""
    if data_version is None:
        row = conn.execute(
            "SELECT run_id FROM forecast_runs WHERE status = 'done' "
            "ORDER BY created_at DESC, run_id LIMIT 1"
        ).fetchone()
    else:
        row = conn.execute(
            "SELECT run_id FROM forecast_runs WHERE status = 'done' AND data_version = ? "
            "ORDER BY created_at DESC, run_id LIMIT 1", [data_version],
        ).fetchone()
    return None if row is None else row[0]


def run_skus(conn: duckdb.DuckDBPyConnection, run_id: str) -> list[str]:
    """The SKUs forecast in run ``run_id``, sorted (to read its forecasts in chunks)."""
    rows = conn.execute(
        "SELECT DISTINCT sku FROM forecasts WHERE run_id = ? ORDER BY sku", [run_id]
    ).fetchall()
    return [str(row[0]) for row in rows]


def run_first_date(conn: duckdb.DuckDBPyConnection, run_id: str) -> pd.Timestamp | None:
    """The first forecast date of run ``run_id`` (None for an empty or unknown run)."""
    rows = conn.execute("SELECT min(date) FROM forecasts WHERE run_id = ?", [run_id]).fetchall()
    return None if not rows or rows[0][0] is None else pd.Timestamp(rows[0][0])


def sales_skus(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """Every SKU with a sales row, sorted (the chunked run's SKU list)."""
    rows = conn.execute("SELECT DISTINCT CAST(sku AS VARCHAR) FROM sales ORDER BY 1").fetchall()
    return [row[0] for row in rows]


def daily_totals(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """``date, qty``: units sold per date over every SKU (the chunked run's grain and span)."""
    frame = conn.execute(
        "SELECT date, sum(qty) AS qty FROM sales GROUP BY date ORDER BY date"
    ).df()
    frame["date"] = pd.to_datetime(frame["date"])
    return frame
