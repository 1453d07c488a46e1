"""Reads of a short window: the last days of sales and the first days of a forecast run.

Design: checks that look at a few days (the alerts' demand-shift and stale-data checks) read
only those days in SQL, so at 100,000 SKUs x 730 days they move about 1 % of the rows into
pandas instead of all of them. The frames have the columns of ``store.load_sales`` and
``store.forecasts.load_run_forecasts``.
"""

from __future__ import annotations

import duckdb
import pandas as pd

__all__ = ["recent_sales", "first_forecast_days"]


def recent_sales(conn: duckdb.DuckDBPyConnection, days: int) -> pd.DataFrame:
    """Sales ``sku, date, qty, price, promo`` of the last ``days`` days up to the last sales day
    (dates ``> last day - days``), ordered by SKU and date."""
    frame = conn.execute(
        "SELECT sku, date, qty, price, promo FROM sales "
        "WHERE date > (SELECT max(date) FROM sales) - CAST(? AS INTEGER) ORDER BY sku, date",
        [int(days)],
    ).df()
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


def first_forecast_days(conn: duckdb.DuckDBPyConnection, run_id: str, days: int) -> pd.DataFrame:
    """The forecasts of run ``run_id`` for each SKU's first ``days`` forecast days: ``sku, date,
    model, mean, p05 .. p99``, ordered by SKU and date."""
    frame = conn.execute(
        "SELECT sku, date, model, mean, p05, p10, p25, p50, p75, p90, p95, p99 FROM forecasts "
        "WHERE run_id = ? QUALIFY row_number() OVER (PARTITION BY sku ORDER BY date) <= ? "
        "ORDER BY sku, date",
        [run_id, int(days)],
    ).df()
    frame["date"] = pd.to_datetime(frame["date"])
    return frame
