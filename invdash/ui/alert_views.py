"""The Alerts page's reads and writes: the alerts of the current policy run and their status.

The page opens on the stored run (its id and day, not its policy table) and reads the alerts
stored with it (``alerts.stored``) in DuckDB: the filter options in one read, the selection's
size, money at risk and one page of rows in another (``alerts.window``), so at 100,000 SKUs
neither the alerts nor their reasons are built or sent whole. A run whose stored alerts are not
those of the data now (stored by an older invdash, or data written since) gets them computed
and stored once, on the first view (read live while another session writes).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from invdash import alerts, reorder
from invdash.policy.params import PolicyParams
from invdash.schema import StoreBusyError
from invdash.ui import paging, reorder_views, session
from invdash.ui.cache import cached_read, write_connection

__all__ = ["alert_run", "alert_options", "alert_window", "set_alert_status",
           "default_snooze_until"]  # fmt: skip


def alert_run() -> reorder.StoredRun | None:
    """The stored policy run for the default targets (id and day only), computed and stored
    first when there is none (``reorder_views.policy_run``); None without a forecast."""
    found = cached_read(reorder.run_for_targets, PolicyParams())
    if found is not None:
        return found
    run = reorder_views.policy_run()
    return None if run is None else reorder.StoredRun(run_id=run.run_id, as_of=run.as_of)


def _ensure_stored(run_id: str) -> None:
    if cached_read(alerts.has_current_alerts, run_id):
        return
    try:
        with st.spinner("Checking alerts (once after each data change) ..."):
            with write_connection() as conn:
                alerts.ensure_run_alerts(conn, run_id)
    except StoreBusyError:
        pass  # another session writes: the reads below compute the alerts live


def alert_options(run: reorder.StoredRun, search: str) -> alerts.AlertOptions:
    """The types and categories to filter on and up to ``paging.MATCHES`` alerted SKUs whose
    code contains ``search`` (most money at risk first; the alerts stored first if need be)."""
    _ensure_stored(run.run_id)
    return cached_read(
        alerts.alert_options, run.run_id, search=search.strip(), limit=paging.MATCHES
    )


def alert_window(
    run: reorder.StoredRun, query: alerts.AlertQuery, *, key: str
) -> alerts.AlertWindow:
    """The page of ``query``'s alerts that the page controls under ``key`` show
    (``paging.PAGE_ROWS`` rows), with the selection's size and money at risk, in one read."""
    page = int(st.session_state.get(key, 1) or 1)
    return cached_read(
        alerts.alert_window, run.run_id, query, page=page, rows=paging.PAGE_ROWS,
        spinner="Checking alerts ...",
    )  # fmt: skip


def default_snooze_until() -> Any:
    """A week after the shop's as-of day (the date input's default)."""
    return cached_read(alerts.snooze_until).date()


def set_alert_status(keys: list[str], *, status: str, snooze_until: Any = None) -> int:
    """Acknowledge, snooze (until a date) or reopen alerts; stored with user and time."""
    with write_connection() as conn:
        return alerts.set_alert_status(
            conn, keys, status=status, user=session.user_name(), snooze_until=snooze_until
        )
