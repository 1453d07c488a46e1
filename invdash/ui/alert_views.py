"""The Alerts page's reads and writes: the alerts of the current policy run and their status.

The page opens on the stored run (its id and day, not its policy table: ``alert_run``, one read
with the forecast check and the snooze default) and reads the alerts stored with it
(``alerts.stored``) in DuckDB: the filter options in one read, the selection's size, money at
risk and one page of rows in another (``alerts.window``), so at 100,000 SKUs neither the alerts
nor their reasons are built or sent whole. (Each read opens the file once: at 100,000 SKUs an
open costs about 0.1 s, more than these queries.) A run whose stored alerts are not
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

__all__ = ["alert_run", "alert_options", "alert_window", "set_alert_status"]


def _start() -> alerts.AlertRun | None:
    return cached_read(alerts.alert_run, PolicyParams())


def alert_run() -> alerts.AlertRun | None:
    """The stored policy run for the default targets (id and day), its alerts stored for the
    data now and the default end of a snooze, in one read; the run computed and stored first
    when there is none (``reorder_views.policy_run``), its alerts when they are not current
    (computed live while another session writes). None without a forecast."""
    found = _start()
    if found is not None and found.run is None:
        reorder_views.policy_run()
        found = _start()
    if found is None or found.run is None or found.current:
        return found
    try:
        with st.spinner("Checking alerts (once after each data change) ..."):
            with write_connection() as conn:
                alerts.ensure_run_alerts(conn, found.run.run_id)
    except StoreBusyError:
        return found  # another session writes: the reads compute the alerts live
    return _start()


def alert_options(run: reorder.StoredRun, search: str) -> alerts.AlertOptions:
    """The types and categories to filter on and up to ``paging.MATCHES`` alerted SKUs whose
    code contains ``search`` (most money at risk first)."""
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


def set_alert_status(keys: list[str], *, status: str, snooze_until: Any = None) -> int:
    """Acknowledge, snooze (until a date) or reopen alerts; stored with user and time."""
    with write_connection() as conn:
        return alerts.set_alert_status(
            conn, keys, status=status, user=session.user_name(), snooze_until=snooze_until
        )
