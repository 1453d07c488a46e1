"""The Alerts page's reads and writes: the alerts of the current policy run and their status."""

from __future__ import annotations

from typing import Any

import pandas as pd

from invdash import alerts, reorder
from invdash.ui import session
from invdash.ui.cache import cached_read, write_connection

__all__ = ["alert_table", "set_alert_status"]


def alert_table(run: reorder.PolicyRun) -> pd.DataFrame:
    """All alerts for the run, ranked by money at risk, with their stored status."""
    today = pd.Timestamp.now().normalize()
    return cached_read(alerts.current_alerts, run.run_id, today, spinner="Checking alerts ...")


def set_alert_status(keys: list[str], *, status: str, snooze_until: Any = None) -> int:
    """Acknowledge, snooze (until a date) or reopen alerts; stored with user and time."""
    with write_connection() as conn:
        return alerts.set_alert_status(
            conn, keys, status=status, user=session.user_name(), snooze_until=snooze_until
        )
