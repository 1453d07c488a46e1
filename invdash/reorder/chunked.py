"""The policy run of a stored forecast in bounded memory: SKU chunks read from DuckDB.

The policy is per SKU given pooled inputs, and the only pooled one is the ABC ranking (by
forecast revenue over the whole shop). So a first pass reads the forecast run chunk by chunk and
keeps one number per SKU (``policy.forecast_revenue``); the second pass computes
``compute_policy`` per chunk with that ranking. Only one chunk of forecast quantiles is in memory
at a time, and the chunked table equals the all-at-once table in every column (tested).

The calibration of a stored run reads its backtest (``policy.stored_level_uncertainty_cv``); the
re-run estimator is the fallback for a run stored without its folds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any, Protocol

import duckdb
import pandas as pd

from invdash import store
from invdash.policy import PolicyParams, compute_policy
from invdash.policy.calibration import stored_level_uncertainty_cv
from invdash.policy.planning import whole_lead_time_days
from invdash.policy.table import forecast_revenue
from invdash.reorder.forecast_overrides import policy_forecasts
from invdash.schema import InvalidDataError
from invdash.store import app_settings
from invdash.store import fold_errors as fold_error_store
from invdash.store import forecasts as forecast_store
from invdash.store import reorder as reorder_store

__all__ = ["CHUNK_SKUS", "ChunkExecutor", "policy_in_chunks", "stored_calibration"]

#: SKUs per chunk: 2,000 SKUs x 28 days x 12 columns is about 5 MB of forecast quantiles.
CHUNK_SKUS = 2_000

Progress = Callable[[int, int, str], None]


class ChunkExecutor(Protocol):
    """Where the policy chunks run (``invdash.distributed``'s ``LocalExecutor`` or
    ``RayExecutor``): ``map`` calls ``fn(*args, **kwargs)`` per call, results in call order."""

    def map(self, fn: Callable, calls: Sequence[tuple[tuple, dict]], *, label: str,
            progress: Progress | None) -> list[Any]: ...

    def workers(self) -> int: ...


def _chunks(skus: list[str], size: int) -> Iterator[list[str]]:
    for first in range(0, len(skus), max(int(size), 1)):
        yield skus[first : first + size]


def _chunk_forecasts(
    conn: duckdb.DuckDBPyConnection, run_id: str, skus: list[str]
) -> pd.DataFrame:
    return policy_forecasts(conn, forecast_store.load_run_forecasts(conn, run_id, skus=skus))


def policy_in_chunks(  # noqa: PLR0913 - the run, its parameters and how to walk it
    conn: duckdb.DuckDBPyConnection,
    forecast_run_id: str,
    *,
    params: PolicyParams,
    seed: int = 0,
    chunk_skus: int = CHUNK_SKUS,
    progress: Progress | None = None,
    executor: ChunkExecutor | None = None,
) -> pd.DataFrame:
    """``reorder.current_policy`` of the stored run ``forecast_run_id``, chunk by chunk.

    Args:
        conn: the store.
        forecast_run_id: a stored forecast run.
        params: the (calibrated) policy parameters.
        seed: passed to ``compute_policy``.
        chunk_skus: SKUs whose forecasts are read and planned at once.
        progress: optional ``callable(done, total, message)``, once per chunk and pass.
        executor: runs the chunks' ``compute_policy`` (e.g. as Ray tasks, a few chunks at a
            time so memory stays bounded); None: here, one after the other.
    """
    skus = forecast_store.run_skus(conn, forecast_run_id)
    first = forecast_store.run_first_date(conn, forecast_run_id)
    if first is None:
        raise InvalidDataError(
            f"forecast run {forecast_run_id!r} has no forecasts; run `invdash forecast --db` again."
        )
    as_of = app_settings.as_of(conn)  # the shop's one as-of day, as ``current_policy`` plans
    products = store.load_products(conn)
    chunks = list(_chunks(skus, chunk_skus))
    revenue = []
    for k, chunk in enumerate(chunks):
        _tick(progress, k, 2 * len(chunks), "policy: ranking SKUs by forecast revenue")
        revenue.append(forecast_revenue(
            _chunk_forecasts(conn, forecast_run_id, chunk), products, as_of=as_of
        ))
    shared = {
        "params": params, "as_of": as_of, "seed": seed, "shop_revenue": pd.concat(revenue),
        "overrides": reorder_store.load_service_level_overrides(conn),
    }
    frames = (products, store.latest_on_hand(conn), store.open_purchase_orders(conn))
    batch = 1 if executor is None else max(1, 2 * executor.workers())
    tables = []
    for start in range(0, len(chunks), batch):
        done = len(chunks) + start
        _tick(progress, done, 2 * len(chunks), f"policy: SKUs {start * chunk_skus + 1}-"
              f"{min((start + batch) * chunk_skus, len(skus))} of {len(skus)}")
        calls = [((_chunk_forecasts(conn, forecast_run_id, chunk), *frames), shared)
                 for chunk in chunks[start : start + batch]]
        if executor is None:
            tables += [compute_policy(*args, **kwargs) for args, kwargs in calls]
        else:
            tables += executor.map(compute_policy, calls, label="policy", progress=None)
    _tick(progress, 2 * len(chunks), 2 * len(chunks), "policy done")
    return pd.concat(tables, ignore_index=True)


def _tick(progress: Progress | None, done: int, total: int, message: str) -> None:
    if progress is not None:
        progress(done, total, message)


def stored_calibration(
    conn: duckdb.DuckDBPyConnection, params: PolicyParams, forecast_run_id: str
) -> PolicyParams | None:
    """``params`` with ``level_uncertainty_cv`` from the stored run's backtest folds (L + R per
    SKU from the products' whole-day lead times), or None when the run has no stored folds."""
    skus = fold_error_store.fold_error_skus(conn, forecast_run_id)
    if not skus:
        return None
    lead = whole_lead_time_days(store.load_products(conn), skus)
    protection = pd.Series(lead + params.review_period_days, index=skus, dtype=float)
    level_cv = stored_level_uncertainty_cv(conn, forecast_run_id, protection_days=protection)
    if level_cv is None:
        return None
    return replace(params, level_uncertainty_cv=round(level_cv, 4))
