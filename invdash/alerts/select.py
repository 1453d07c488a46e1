"""Alerts for a stored run on the shop's "as of" day, filtered the way the Alerts page asks.

- ``alerts_for_run``: ``compute_alerts`` + ``apply_alert_state`` with ``today`` = the one
  as-of day (``store.app_settings.as_of``), so the stale-data check and snoozes use the same
  day as the purchase orders (not the clock).
- ``filter_alerts``: types, categories, a status (``all`` keeps every status) and one SKU
  (exact match: choosing a SKU shows that SKU's alerts only). No criterion keeps all alerts.
- ``snooze_until``: the default end of a snooze, ``days`` after as-of.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import numpy as np
import pandas as pd

from invdash import store
from invdash.alerts.rules import apply_alert_state, compute_alerts
from invdash.schema import SKU, InvalidDataError
from invdash.store import app_settings
from invdash.store import reorder as reorder_store

__all__ = ["ALERT_STATUSES", "alerts_for_run", "filter_alerts", "snooze_until"]

ALERT_STATUSES = ("open", "acknowledged", "snoozed", "all")


def alerts_for_run(
    conn: duckdb.DuckDBPyConnection, policy_table: pd.DataFrame, forecasts: pd.DataFrame
) -> pd.DataFrame:
    """Every alert of ``policy_table`` with its stored status, as of ``as_of(conn)``."""
    today = app_settings.as_of(conn)
    found = compute_alerts(
        policy_table,
        sales=store.load_sales(conn),
        forecasts=forecasts,
        products=store.load_products(conn),
        on_hand=store.latest_on_hand(conn),
        today=today,
    )
    return apply_alert_state(found, reorder_store.load_alert_state(conn), today=today)


def filter_alerts(
    alerts: pd.DataFrame,
    *,
    types: Sequence[str] = (),
    categories: Sequence[str] = (),
    status: str = "all",
    sku: str | None = None,
) -> pd.DataFrame:
    """The alerts matching every given criterion (empty ones keep all).

    Raises:
        InvalidDataError: a status outside ``ALERT_STATUSES``.
    """
    if status not in ALERT_STATUSES:
        raise InvalidDataError(
            f"status must be one of {', '.join(ALERT_STATUSES)}, got {status!r}."
        )
    keep = np.ones(len(alerts), dtype=bool)
    if types:
        keep &= alerts["type"].isin(list(types)).to_numpy()
    if categories:
        keep &= alerts["category"].isin(list(categories)).to_numpy()
    if status != "all":
        keep &= (alerts["status"] == status).to_numpy()
    if sku:
        keep &= (alerts[SKU].astype(str) == str(sku).strip()).to_numpy()
    return alerts[keep].reset_index(drop=True)


def snooze_until(conn: duckdb.DuckDBPyConnection, *, days: int = 7) -> pd.Timestamp:
    """The default end of a snooze: ``days`` after the as-of day."""
    if days < 1:
        raise InvalidDataError(f"a snooze lasts at least 1 day, got {days!r}.")
    return app_settings.as_of(conn) + pd.Timedelta(days=days)
