"""The alerts of a policy run, computed once per run and data (branch h-alerts3, issue 13).

``found_alerts`` at 100,000 SKUs (about 70,000 alerts, each with a reason text) takes seconds in
pandas; the Alerts page would pay them on every first open. ``ensure_run_alerts`` computes and
stores them in ``run_alerts`` (``store/run_alerts.py``): ``invdash reorder`` right after it
stores (or finds) the run, the Alerts page on its first view of a run without them. (The calls
sit in the front ends: ``alerts`` uses ``reorder.numbers``, so ``reorder.runs`` importing
``alerts`` would make a package cycle.)

They are stored under ``alert_inputs``, a fingerprint of what the alerts read besides the run:
the newest forecast run on the data (its demand-shift window), the as-of day, and the rows of
sales, stock counts and products (prices), through the stored fingerprints of
``store/versions.py``. ``has_current_alerts`` says whether the stored alerts are those of the
data now; when not (data written after the run, or a run stored by an older invdash), a reader
computes them live (``alerts.window``) and ``ensure_run_alerts`` stores them again. Names and
categories are joined from ``products`` when read and the status from ``alert_state``, so
neither is stored.
"""

from __future__ import annotations

import duckdb

from invdash import store
from invdash.alerts.current import found_alerts
from invdash.policy.window import RECENT_DAYS
from invdash.store import app_settings, versions
from invdash.store import forecasts as forecast_store
from invdash.store import run_alerts as sql

__all__ = ["alert_inputs", "has_current_alerts", "store_run_alerts", "ensure_run_alerts"]

_ROWS = ("sales_rows", "stock_rows", "product_rows")


def alert_inputs(conn: duckdb.DuckDBPyConnection) -> str:
    """The fingerprint of what a run's alerts read besides the run: the newest forecast run on
    the current data, the as-of day, the window length and the sales, stock and product rows."""
    forecast_id = forecast_store.latest_run_id(conn, data_version=store.data_version(conn))
    day = app_settings.as_of(conn).date()
    return "|".join([str(forecast_id), str(day), str(RECENT_DAYS), *versions.parts(conn, _ROWS)])


def has_current_alerts(conn: duckdb.DuckDBPyConnection, run_id: str) -> bool:
    """Whether the alerts of ``run_id`` are stored for the data now in the store."""
    stored = sql.stored_inputs(conn, run_id)
    return stored is not None and stored == alert_inputs(conn)


def store_run_alerts(conn: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Compute and store the alerts of ``run_id`` unless they are current (inside
    ``transaction``; a file without the tables is left as it is)."""
    if not sql.has_run_alerts(conn) or has_current_alerts(conn, run_id):
        return
    sql.save_run_alerts(conn, run_id, alert_inputs(conn), found_alerts(conn, run_id))


def ensure_run_alerts(conn: duckdb.DuckDBPyConnection, run_id: str) -> bool:
    """``store_run_alerts`` in its own transaction when they are not current (read-write
    ``conn``); returns whether it stored them."""
    if not sql.has_run_alerts(conn) or has_current_alerts(conn, run_id):
        return False
    with store.transaction(conn):
        store_run_alerts(conn, run_id)
    return True
