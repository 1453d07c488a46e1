"""The Reorder page's reads and writes: the stored policy run, its reviewed lines, decisions,
service-level targets and purchase-order files.

Every read is a ``ui.cache`` call of a core function; every write one short read-write
connection around one core call. The policy run is derived data: the first view on new data
computes and stores it, later views (and restarts) read the stored run and its decisions. The
calibration (from the stored run's backtest folds, no forecast) is cached per data version, so
decisions do not trigger it again.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from invdash import reorder
from invdash.policy import PolicyParams
from invdash.store import reorder as reorder_store
from invdash.ui import forecast_views, paging, session
from invdash.ui.cache import cached_on_data, cached_read, write_connection

__all__ = [
    "has_forecast", "run_forecast", "policy_run", "reviewed_lines", "save_decisions",
    "overrides", "save_override", "export_files", "PAGE_ROWS", "page_of",
]

#: Lines the Reorder table (and the line picker) shows at once.
PAGE_ROWS = 50


def has_forecast() -> bool:
    """Whether a forecast run exists for the current data."""
    return cached_read(reorder.latest_forecast_run_id) is not None


def run_forecast(progress_bar: Any) -> None:
    """Forecast all SKUs (``auto``) and store the run, driving ``progress_bar``."""
    forecast_views.run_all_forecasts(
        model="auto", horizon=28, use_neural=False,
        progress=forecast_views.progress_reporter(progress_bar),
    )


def policy_run(
    service_level: float = 0.95, review_days: int = 7, progress_bar: Any = None
) -> reorder.PolicyRun | None:
    """The stored policy run for the current data (computed once, driving ``progress_bar``, an
    ``st.progress``, per SKU chunk when given), or None without a forecast."""
    params = PolicyParams(service_level=float(service_level), review_period_days=int(review_days))
    stored = cached_read(reorder.stored_run_for_targets, params)
    if stored is not None:
        return stored
    calibrated = cached_on_data(
        reorder.calibrate_params, params, spinner="Calibrating on past forecasts ..."
    )
    run = cached_read(reorder.current_policy_run, calibrated)
    if run is None and has_forecast():
        with write_connection() as conn:
            progress = None if progress_bar is None else forecast_views.progress_reporter(
                progress_bar
            )
            reorder.ensure_current_policy_run(conn, calibrated, progress=progress)
        run = cached_read(reorder.current_policy_run, calibrated)
    return run


def reviewed_lines(run: reorder.PolicyRun) -> pd.DataFrame:
    """Lines needing an order with their latest decision (status, final quantity, who, when)."""
    return cached_read(reorder.reviewed_lines, run.run_id)


def save_decisions(
    run_id: str,
    skus: list[str],
    *,
    action: str,
    qty: list[float] | None = None,
    reason: str | None = None,
) -> int:
    """Validate and store decisions for ``skus`` as the signed-in user (managers only)."""
    with write_connection() as conn:
        return reorder.record_decisions_as(
            conn, session.actor(), run_id, skus, action=action, qty=qty, reason=reason
        )


def overrides() -> pd.DataFrame:
    """Stored service-level overrides ``scope, key, service_level, user, updated_at``."""
    return cached_read(reorder_store.load_service_level_overrides)


def save_override(scope: str, key: str, service_level: float) -> None:
    """Validate and store a service-level override (per ABC class or per SKU; managers only)."""
    with write_connection() as conn:
        reorder.set_service_level_target(
            conn, session.actor(), scope=scope, key=key, service_level=service_level
        )


def export_files(reviewed: pd.DataFrame, as_of: pd.Timestamp) -> dict[str, bytes]:
    """``{file name: CSV bytes}``: one neutralised purchase order per supplier."""
    return reorder.purchase_order_files(reviewed, as_of=as_of)


def page_of(lines: pd.DataFrame, *, key: str, rows: int | None = None) -> pd.DataFrame:
    """One page of the filtered, sorted ``lines`` (``paging.page_slice``): the table and the line
    picker send one page to the browser, never every line (at 5,000 lines the whole table made
    each rerun wait on the browser). ``rows`` defaults to ``PAGE_ROWS``."""
    return paging.page_slice(lines, key=key, rows=rows or PAGE_ROWS, noun="Lines")
