"""The alerts of a stored policy run, with the acknowledgements and snoozes people set."""

from __future__ import annotations

import duckdb
import pandas as pd

from invdash import store
from invdash.alerts.rules import apply_alert_state, compute_alerts
from invdash.policy.window import RECENT_DAYS, window_for
from invdash.store import app_settings, windows
from invdash.store import forecasts as forecast_store
from invdash.store import reorder as reorder_store

__all__ = ["RECENT_DAYS", "found_alerts", "current_alerts", "set_alert_status"]


def found_alerts(
    conn: duckdb.DuckDBPyConnection, run_id: str, today: pd.Timestamp | None = None
) -> pd.DataFrame:
    """Every alert of policy run ``run_id`` on ``today`` (default: the shop's as-of day,
    ``store.app_settings.as_of``), ranked by money at risk (``compute_alerts``, no status)."""
    today = app_settings.as_of(conn) if today is None else pd.Timestamp(today)
    # ``forecast.stored.latest_forecast_id`` without importing the forecast engine
    forecast_id = forecast_store.latest_run_id(conn, data_version=store.data_version(conn))
    # each SKU's recent units and the counted SKUs: all the checks read of sales and stock
    sales, counted = windows.recent_inputs(conn, RECENT_DAYS)
    return compute_alerts(
        reorder_store.load_suggestions(conn, run_id),
        sales=sales,
        window=None if forecast_id is None else window_for(conn, forecast_id, RECENT_DAYS),
        products=store.load_products(conn),
        on_hand=counted,
        today=today,
        recent_days=RECENT_DAYS,
    )


def current_alerts(
    conn: duckdb.DuckDBPyConnection, run_id: str, today: pd.Timestamp | None = None
) -> pd.DataFrame:
    """Every alert of policy run ``run_id`` on ``today`` (default: the shop's as-of day,
    ``store.app_settings.as_of``), ranked by money at risk, with its stored status (open,
    acknowledged, snoozed until a date)."""
    today = app_settings.as_of(conn) if today is None else pd.Timestamp(today)
    found = found_alerts(conn, run_id, today)
    return apply_alert_state(found, reorder_store.load_alert_state(conn), today=today)


def set_alert_status(
    conn: duckdb.DuckDBPyConnection, keys: list[str], *, status: str, user: str,
    snooze_until: pd.Timestamp | None = None,
) -> int:
    """Acknowledge, snooze (until a date) or reopen alerts in one transaction; returns the count."""
    with store.transaction(conn):
        return reorder_store.set_alert_state(
            conn, keys, status=status, user=user, snooze_until=snooze_until
        )
