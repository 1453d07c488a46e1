"""Reads of a short window: the last days of sales and the first days of a forecast run.

Design: checks that look at a few days (the alerts' demand-shift and stale-data checks) read
only those days in SQL, so at 100,000 SKUs x 730 days they move about 1 % of the rows into
pandas instead of all of them. The frames have the columns of ``store.load_sales`` and
``store.forecasts.load_run_forecasts``.

``recent_inputs`` (branch h-fp) is what the Alerts' checks read of sales and stock: each SKU's
units of the last days (one row, dated on its last day in the window) and the SKUs with a stock
count. It still scans both tables, so it is stored in ``page_summaries`` under the stored rows'
fingerprint of sales and stock (``store/versions.py``; a summary of other data is never read):
a policy run stores it (``policy.window.store_window``), a page reads it.
"""

from __future__ import annotations

import io
import json

import duckdb
import pandas as pd

from invdash.store import overview, versions

__all__ = [
    "recent_sales", "first_forecast_days", "recent_inputs", "store_recent_inputs", "top_sellers",
    "TOP_DAYS", "TOP_STORED",
]

#: The pickers' default list: the top sellers of these last days, this many stored.
TOP_DAYS, TOP_STORED = 28, 100
_TOP_SQL = (
    "WITH recent AS (SELECT sku, sum(qty) AS qty FROM sales "
    "WHERE date > (SELECT max(date) FROM sales) - CAST(? AS INTEGER) GROUP BY sku) "
    "SELECT r.sku, p.name, r.qty FROM recent r LEFT JOIN products p ON p.sku = r.sku "
    "ORDER BY r.qty DESC, r.sku LIMIT ?"
)


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


def _inputs_key(conn: duckdb.DuckDBPyConnection) -> str:
    return "|".join(versions.parts(conn, ("sales_rows", "stock_rows")))


def _computed_inputs(conn: duckdb.DuckDBPyConnection, days: int) -> str:
    recent = conn.execute(
        "SELECT sku, max(date) AS date, sum(qty) AS qty FROM sales "
        "WHERE date > (SELECT max(date) FROM sales) - CAST(? AS INTEGER) GROUP BY sku "
        "ORDER BY sku",
        [int(days)],
    ).fetchall()
    counted = conn.execute("SELECT DISTINCT sku FROM inventory ORDER BY sku").fetchall()
    return json.dumps({
        "sku": [r[0] for r in recent], "date": [str(r[1]) for r in recent],
        "qty": [float(r[2]) for r in recent], "counted": [r[0] for r in counted],
    })  # fmt: skip


def recent_inputs(
    conn: duckdb.DuckDBPyConnection, days: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(sales, counted)``: per SKU with sales in the last ``days`` days one row ``sku, date,
    qty`` (its units summed, dated on its last day there), and ``sku`` of every SKU with a
    stock count; stored when ``store_recent_inputs`` ran on this data, else computed."""
    text = overview.load_summary(conn, f"alert_inputs_{int(days)}", _inputs_key(conn))
    found = json.loads(text if text is not None else _computed_inputs(conn, days))
    sales = pd.DataFrame({"sku": found["sku"], "date": pd.to_datetime(pd.Series(
        found["date"], dtype=object)), "qty": found["qty"]})  # fmt: skip
    return sales, pd.DataFrame({"sku": pd.Series(found["counted"], dtype=object)})


def _top_key(conn: duckdb.DuckDBPyConnection) -> str:
    return "|".join(versions.parts(conn, ("sales_rows", "product_rows")))


def top_sellers(conn: duckdb.DuckDBPyConnection, days: int, limit: int) -> pd.DataFrame:
    """The ``limit`` SKUs that sold most units in the last ``days`` days: ``sku, name, qty``
    (stored by ``store_recent_inputs`` for ``TOP_DAYS`` and up to ``TOP_STORED``, else a scan
    of the sales)."""
    text = None
    if int(days) == TOP_DAYS and int(limit) <= TOP_STORED:
        text = overview.load_summary(conn, f"top_sellers_{TOP_DAYS}", _top_key(conn))
    if text is None:
        return conn.execute(_TOP_SQL, [int(days), int(limit)]).df()
    frame = pd.read_json(io.StringIO(text), orient="split", dtype=False)
    return frame.head(int(limit)).astype({"qty": float}).reset_index(drop=True)


def _store(conn: duckdb.DuckDBPyConnection, name: str, key: str, compute) -> None:
    if overview.load_summary(conn, name, key) is None:
        overview.save_summary(conn, name, key, compute())


def store_recent_inputs(conn: duckdb.DuckDBPyConnection, days: int) -> None:
    """Compute and store ``recent_inputs`` and the pickers' ``top_sellers`` for the data now,
    unless stored (inside ``transaction``)."""
    _store(conn, f"alert_inputs_{int(days)}", _inputs_key(conn),
           lambda: _computed_inputs(conn, days))
    _store(conn, f"top_sellers_{TOP_DAYS}", _top_key(conn), lambda: conn.execute(
        _TOP_SQL, [TOP_DAYS, TOP_STORED]).df().to_json(orient="split", index=False))
