"""The Alerts page's reads and writes: the alerts of the current policy run and their status."""

from __future__ import annotations

from typing import Any

import pandas as pd

from invdash import alerts, reorder
from invdash.ui import session
from invdash.ui.cache import cached_read, write_connection

__all__ = ["alert_table", "sku_options", "set_alert_status", "default_snooze_until"]


def alert_table(run: reorder.PolicyRun) -> pd.DataFrame:
    """All alerts for the run on the shop's as-of day, ranked by money at risk, with their
    stored status (snoozes run out by the as-of day, not the clock)."""
    return cached_read(alerts.current_alerts, run.run_id, spinner="Checking alerts ...")


def sku_options(table: pd.DataFrame, search: str, *, limit: int = 20) -> list[str]:
    """The SKU filter's options: up to ``limit`` alerted SKUs whose code contains ``search``
    (case-insensitive), most money at risk first (a list of every alerted SKU would be sent to
    the browser on each run)."""
    skus = table["sku"].astype(str)
    text = search.strip()
    if text:
        skus = skus[skus.str.contains(text, case=False, regex=False)]
    return skus.drop_duplicates().head(limit).tolist()


def default_snooze_until() -> Any:
    """A week after the shop's as-of day (the date input's default)."""
    return cached_read(alerts.snooze_until).date()


def set_alert_status(keys: list[str], *, status: str, snooze_until: Any = None) -> int:
    """Acknowledge, snooze (until a date) or reopen alerts; stored with user and time."""
    with write_connection() as conn:
        return alerts.set_alert_status(
            conn, keys, status=status, user=session.user_name(), snooze_until=snooze_until
        )
