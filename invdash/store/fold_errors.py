"""SQL for the backtest's stored forecasts per SKU and fold (``backtest_fold_errors``).

One row per (run, SKU, fold) with the daily lists ``mean``, ``variance`` and ``actual`` over the
fold's test days (``actual`` is NaN on censored days). The reorder calibration sums them over each
SKU's protection window in DuckDB (``level_error_sums``), so only three numbers come back to
Python however many SKUs the shop has. The table is migration 9 (branch h-reorder).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Protocol

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

__all__ = ["FoldErrorRows", "ErrorSums", "save_fold_errors", "has_fold_errors", "fold_error_skus",
           "level_error_sums", "level_windows"]


class FoldErrorRows(Protocol):
    """What ``save_fold_errors`` stores (``invdash.forecast.results.FoldErrors`` has it)."""

    sku: np.ndarray
    fold: np.ndarray
    origin: np.ndarray
    mean: np.ndarray
    variance: np.ndarray
    actual: np.ndarray


@dataclass(frozen=True)
class ErrorSums:
    """Pooled sums over SKU-folds: sum (D - m)^2, sum v, sum m^2 and the SKU-folds counted."""

    squared_error: float
    model_variance: float
    scale: float
    n_rows: int


def _lists(matrix: np.ndarray) -> pa.ListArray:
    values = np.ascontiguousarray(matrix, dtype=np.float32)
    width = values.shape[1] if values.ndim == 2 else 0
    offsets = np.arange(0, values.size + 1, max(width, 1), dtype=np.int32)[: len(values) + 1]
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(values.ravel()))


def save_fold_errors(conn: duckdb.DuckDBPyConnection, run_id: str, rows: FoldErrorRows) -> int:
    """Insert the fold rows of ``run_id`` (run inside ``store.transaction``); returns the count."""
    table = pa.table({
        "run_id": pa.array(np.full(len(rows.sku), run_id)),
        "sku": pa.array(np.asarray(rows.sku).astype(str)),
        "fold": pa.array(np.asarray(rows.fold, dtype=np.int32)),
        "origin": pa.array(np.asarray(rows.origin, dtype="datetime64[D]")),
        "mean": _lists(rows.mean), "variance": _lists(rows.variance),
        "actual": _lists(rows.actual),
    })
    view = f"_fold_errors_{uuid.uuid4().hex}"
    conn.register(view, table)
    try:
        conn.execute(
            "INSERT OR REPLACE INTO backtest_fold_errors "
            "(run_id, sku, fold, origin, mean, variance, actual) "
            f"SELECT run_id, sku, fold, origin, mean, variance, actual FROM {view}"
        )
    finally:
        conn.unregister(view)
    return len(rows.sku)


def has_fold_errors(conn: duckdb.DuckDBPyConnection, run_id: str) -> bool:
    """Whether the run ``run_id`` has stored fold rows."""
    rows = conn.execute(
        "SELECT 1 FROM backtest_fold_errors WHERE run_id = ? LIMIT 1", [run_id]
    ).fetchall()
    return bool(rows)


def fold_error_skus(conn: duckdb.DuckDBPyConnection, run_id: str) -> list[str]:
    """The SKUs with stored fold rows in run ``run_id``, sorted."""
    rows = conn.execute(
        "SELECT DISTINCT sku FROM backtest_fold_errors WHERE run_id = ? ORDER BY sku", [run_id]
    ).fetchall()
    return [str(row[0]) for row in rows]


def level_error_sums(
    conn: duckdb.DuckDBPyConnection, run_id: str, protection_days: pd.DataFrame
) -> ErrorSums:
    """Sums over every stored SKU-fold of ``run_id`` whose first ``days`` test days are all
    observed (a stock-out day censors demand, so that SKU-fold is left out).

    Args:
        conn: the store.
        run_id: the forecast run.
        protection_days: ``sku, days`` (L + R in whole days; windows longer than the fold's
            test days are cut to them).
    """
    row = _query_windows(
        conn, run_id, protection_days,
        "SELECT coalesce(sum((d - m) * (d - m)), 0), coalesce(sum(v), 0), "
        "coalesce(sum(m * m), 0), count(*) FROM windows WHERE NOT isnan(d)",
    )[0]
    return ErrorSums(float(row[0]), float(row[1]), float(row[2]), int(row[3]))


def level_windows(
    conn: duckdb.DuckDBPyConnection, run_id: str, protection_days: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The windows ``level_error_sums`` adds up, one per SKU-fold: (D, m, v) arrays, for a fit
    that needs each window (``policy.calibration.fitted_level_cv``)."""
    rows = _query_windows(conn, run_id, protection_days,
                          "SELECT d, m, v FROM windows WHERE NOT isnan(d)")
    values = np.asarray(rows, dtype=float).reshape(-1, 3)
    return values[:, 0], values[:, 1], values[:, 2]


def _query_windows(
    conn: duckdb.DuckDBPyConnection, run_id: str, protection_days: pd.DataFrame, select: str
) -> list[tuple]:
    view = f"_protection_{uuid.uuid4().hex}"
    conn.register(view, protection_days[["sku", "days"]])
    try:
        return conn.execute(
            "WITH windows AS (SELECT list_sum(list_slice(e.mean, 1, p.days)) AS m, "
            "list_sum(list_slice(e.variance, 1, p.days)) AS v, "
            "list_sum(list_slice(e.actual, 1, p.days)) AS d "
            f"FROM backtest_fold_errors e JOIN {view} p ON p.sku = e.sku "
            "WHERE e.run_id = ? AND p.days >= 1) " + select,
            [run_id],
        ).fetchall()
    finally:
        conn.unregister(view)
