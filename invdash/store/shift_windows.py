"""SQL for the stored demand-shift windows (``policy.window``; migration of branch h-fp).

Design: ``shift_windows`` holds, per forecast run and window length, each SKU's expected units
over its first days of forecast and the half-width of their central 90 % interval; the header
row in ``shift_window_runs`` says a run's window is stored (also when it has no SKU).
"""

from __future__ import annotations

import uuid

import duckdb
import pandas as pd

__all__ = ["has_shift_windows", "load_shift_window", "save_shift_window"]


def has_shift_windows(conn: duckdb.DuckDBPyConnection) -> bool:
    """Whether the file has the tables (a file an older invdash migrated has not)."""
    row = conn.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'shift_window_runs' "
        "AND schema_name = current_schema()"
    ).fetchone()
    return bool(row[0])


def load_shift_window(
    conn: duckdb.DuckDBPyConnection, run_id: str, days: int
) -> pd.DataFrame | None:
    """``sku, expected, spread`` stored for forecast run ``run_id``, or None when not stored."""
    if not has_shift_windows(conn):
        return None
    found = conn.execute(
        "SELECT count(*) FROM shift_window_runs WHERE run_id = ? AND days = ?", [run_id, days]
    ).fetchone()[0]
    if not found:
        return None
    return conn.execute(
        "SELECT sku, expected, spread FROM shift_windows WHERE run_id = ? AND days = ? "
        "ORDER BY sku",
        [run_id, days],
    ).df()


def save_shift_window(
    conn: duckdb.DuckDBPyConnection, run_id: str, days: int, window: pd.DataFrame
) -> None:
    """Store (replace) the window of forecast run ``run_id``; run inside ``transaction``."""
    conn.execute("DELETE FROM shift_windows WHERE run_id = ? AND days = ?", [run_id, days])
    conn.execute("DELETE FROM shift_window_runs WHERE run_id = ? AND days = ?", [run_id, days])
    view = f"_shift_{uuid.uuid4().hex}"
    conn.register(view, window[["sku", "expected", "spread"]])
    try:
        conn.execute(
            f"INSERT INTO shift_windows SELECT ?, ?, sku, expected, spread FROM {view}",
            [run_id, days],
        )
    finally:
        conn.unregister(view)
    conn.execute("INSERT INTO shift_window_runs VALUES (?, ?, current_timestamp)", [run_id, days])
