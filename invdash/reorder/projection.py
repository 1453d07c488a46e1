"""One SKU's projected stock from the latest forecast, with the open orders that feed it."""

from __future__ import annotations

import duckdb
import pandas as pd

from invdash.forecast.stored import latest_forecast_for
from invdash.policy import PolicyParams, project_stock
from invdash.reorder.forecast_overrides import policy_forecasts
from invdash.reorder.stored import run_for_targets
from invdash.schema import SKU
from invdash.store import app_settings, catalog
from invdash.store import purchase_orders as po_store
from invdash.store import reorder as reorder_store

__all__ = ["sku_projection", "sku_policy_line"]


def sku_projection(
    conn: duckdb.DuckDBPyConnection, sku: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(bands, open orders)`` of ``sku``: ``project_stock`` rows ``date, p10, p50, p90`` from
    the latest forecast for the current data (with the forecast overrides, as in the policy), and
    that SKU's open orders (both empty without a forecast); stock is counted on the shop's
    as-of day (``store.app_settings.as_of``), as in the policy."""
    forecast = latest_forecast_for(conn, [sku])  # one SKU's rows, not the whole run
    if forecast is None:
        return pd.DataFrame(), pd.DataFrame()
    orders = po_store.open_lines_of(conn, sku)  # that SKU's open lines only
    forecasts = forecast.forecasts[forecast.forecasts[SKU].astype(str) == sku]
    forecasts = policy_forecasts(conn, forecasts)
    day = app_settings.as_of(conn)
    return project_stock(forecasts, catalog.sku_on_hand(conn, sku), orders, as_of=day), orders


def sku_policy_line(
    conn: duckdb.DuckDBPyConnection, params: PolicyParams, sku: str
) -> pd.DataFrame | None:
    """``sku``'s row (zero or one row) of the stored policy run for the targets ``params``
    (``run_for_targets``), read alone instead of the run's every SKU; None when no run is
    stored for them (the caller computes one)."""
    found = run_for_targets(conn, params)
    return None if found is None else reorder_store.load_suggestions(conn, found.run_id, sku=sku)
