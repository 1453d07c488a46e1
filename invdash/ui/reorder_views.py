"""The Reorder page's reads and writes: the stored policy run, its reviewed lines, decisions,
service-level targets and purchase-order files.

The page opens on a stored run without loading its lines: ``run_view`` finds the run (id and
day), counts its lines per status in one aggregate and reads its approved lines, overrides and
budget; ``line_window`` reads one sorted page of a selection and the selection's size
(``reorder.worklist``, filtered, sorted and paged in DuckDB). Each is one cached read on one
connection: opening the DuckDB file costs more CPU than most of these queries.
Nothing on that path imports the policy maths or the forecast engine (``forecast_views`` is
imported where a forecast or a policy is computed), so a server's first view of the page does
not wait seconds for scipy.

Every read is a ``ui.cache`` call of a core function; every write one short read-write
connection around one core call. The policy run is derived data: the first view on new data
computes and stores it, later views (and restarts) read the stored run and its decisions. The
calibration (from the stored run's backtest folds, no forecast) is cached per data version, so
decisions do not trigger it again.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from invdash import reorder
from invdash.policy.params import PolicyParams
from invdash.store import reorder as reorder_store
from invdash.ui import paging, session
from invdash.ui.cache import cached_on_data, cached_read, write_connection

__all__ = [
    "has_forecast", "run_forecast", "policy_run", "run_view", "line_window", "save_decisions",
    "overrides", "save_override", "export_files", "PAGE_ROWS",
]

#: Lines the Reorder table (and the line picker) shows at once.
PAGE_ROWS = 50


def has_forecast() -> bool:
    """Whether a forecast run exists for the current data."""
    return cached_read(reorder.latest_forecast_run_id) is not None


def run_forecast(progress_bar: Any) -> None:
    """Forecast all SKUs (``auto``) and store the run, driving ``progress_bar``."""
    from invdash.ui import forecast_views  # the forecast engine, only when forecasting

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
        from invdash.ui import forecast_views  # the progress reporter, only when computing

        with write_connection() as conn:
            progress = None if progress_bar is None else forecast_views.progress_reporter(
                progress_bar
            )
            reorder.ensure_current_policy_run(conn, calibrated, progress=progress)
        run = cached_read(reorder.current_policy_run, calibrated)
    return run


def run_view(
    service_level: float = 0.95, review_days: int = 7, progress_bar: Any = None
) -> reorder.RunView | None:
    """What the Reorder page shows around the stored run for these targets (``reorder.run_view``,
    no lines), the run computed first (``policy_run``) only when none is stored; None without a
    forecast."""
    params = PolicyParams(service_level=float(service_level), review_period_days=int(review_days))
    view = cached_read(reorder.run_view, params)
    if view is not None or not has_forecast():
        return view
    policy_run(service_level, review_days, progress_bar=progress_bar)
    return cached_read(reorder.run_view, params)


def line_window(
    run: reorder.StoredRun, query: reorder.LineQuery, *, key: str
) -> reorder.LineWindow:
    """The page of ``query``'s lines that the page controls under ``key`` show (``PAGE_ROWS``
    lines, never every line) and the selection's size, in one read."""
    page = int(st.session_state.get(key, 1) or 1)
    return cached_read(reorder.line_window, run.run_id, query, page=page, rows=PAGE_ROWS)


def render_page_controls(window: reorder.LineWindow, *, key: str) -> None:
    """The page controls of ``window`` (they clamp a page past the end to 1, as the read did)."""
    paging.page_controls(window.total, key=key, rows=PAGE_ROWS, noun="Lines")


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


def export_files(view: reorder.RunView) -> dict[str, bytes]:
    """``{file name: CSV bytes}``: one neutralised purchase order per supplier, from the run's
    approved and edited lines."""
    return reorder.purchase_order_files(view.decided, as_of=view.run.as_of)

