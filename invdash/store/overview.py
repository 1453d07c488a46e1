"""Reads behind the Overview page: sales in the last weeks, the stock position, weekly trend.

Design: three small aggregate queries, each computed inside DuckDB and returned as a dict or a
small frame, so the page never loads the whole sales table. The "current" window ends on the last
day with sales in the database (the shop's "today"), not on the wall clock, so a demo shop or an
old export shows meaningful numbers. Revenue is ``qty * price`` where the sales row has a price,
else ``qty * products.unit_price``; stock value is the latest ``on_hand`` per SKU times
``products.unit_cost``. Money totals are summed as exact decimals (each term rounded to 1e-9,
then cast back to a float): DuckDB's parallel float sums depend on the order the threads add
in, and a stored summary must equal the summary computed again, to the last bit.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

from invdash.store import versions

__all__ = [
    "sales_windows", "stock_position", "kpi_summary", "weekly_sales", "stock_window",
    "sales_span", "summary_version", "load_summary", "save_summary", "UNCATEGORISED",
]

UNCATEGORISED = "Uncategorised"


def sales_windows(conn: duckdb.DuckDBPyConnection, *, window_days: int = 28) -> dict[str, Any]:
    """Units and revenue in the last ``window_days`` days and in the ``window_days`` before.

    Args:
        conn: an open connection.
        window_days: window length in days (28 on the Overview page).

    Returns:
        ``last_date`` (the last day with sales, None when there are none), ``skus`` (SKUs in
        products or sales), ``skus_sold`` (SKUs with units in the current window), ``units``,
        ``revenue``, ``units_previous``, ``revenue_previous``.
    """
    row = conn.execute(
        """
        WITH bounds AS (SELECT max(date) AS last_date FROM sales),
        priced AS (
            SELECT s.sku, s.date, s.qty,
                   CAST(s.qty * coalesce(s.price, p.unit_price, 0) AS DECIMAL(38, 9)) AS revenue,
                   (b.last_date - s.date) AS age
            FROM sales s CROSS JOIN bounds b LEFT JOIN products p USING (sku)
            WHERE s.date > b.last_date - 2 * CAST($window AS INTEGER)
        )
        SELECT
            (SELECT last_date FROM bounds),
            (SELECT count(*) FROM products) + (SELECT count(DISTINCT s.sku) FROM sales s
                ANTI JOIN products p ON p.sku = s.sku),
            count(DISTINCT sku) FILTER (WHERE age < $window AND qty > 0),
            coalesce(sum(qty) FILTER (WHERE age < $window), 0),
            CAST(coalesce(sum(revenue) FILTER (WHERE age < $window), 0) AS DOUBLE),
            coalesce(sum(qty) FILTER (WHERE age >= $window), 0),
            CAST(coalesce(sum(revenue) FILTER (WHERE age >= $window), 0) AS DOUBLE)
        FROM priced
        """,
        {"window": int(window_days)},
    ).fetchone()
    keys = (
        "last_date", "skus", "skus_sold", "units", "revenue", "units_previous", "revenue_previous"
    )
    values = dict(zip(keys, row, strict=True))
    if values["last_date"] is not None:
        values["last_date"] = pd.Timestamp(values["last_date"])
    return values


def stock_position(conn: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """The latest stock snapshot per SKU, summed up.

    Returns:
        ``as_of`` (latest snapshot date, None without inventory), ``skus_tracked`` (SKUs with a
        snapshot), ``out_of_stock`` (SKUs whose latest ``on_hand`` is 0 or less), ``stock_units``,
        ``stock_value`` (on hand x unit cost) and ``skus_without_cost`` (stock left out of the
        value because the product has no ``unit_cost``).
    """
    row = conn.execute(
        """
        WITH latest AS (
            SELECT sku, max(as_of) AS as_of, arg_max(on_hand, as_of) AS on_hand
            FROM inventory GROUP BY sku
        )
        SELECT max(l.as_of), count(*),
               count(*) FILTER (WHERE l.on_hand <= 0),
               coalesce(sum(greatest(l.on_hand, 0)), 0),
               CAST(coalesce(sum(CAST(greatest(l.on_hand, 0) * p.unit_cost AS DECIMAL(38, 9))),
                             0) AS DOUBLE),
               count(*) FILTER (WHERE l.on_hand > 0 AND p.unit_cost IS NULL)
        FROM latest l LEFT JOIN products p USING (sku)
        """
    ).fetchone()
    keys = (
        "as_of", "skus_tracked", "out_of_stock", "stock_units", "stock_value", "skus_without_cost"
    )
    values = dict(zip(keys, row, strict=True))
    if values["as_of"] is not None:
        values["as_of"] = pd.Timestamp(values["as_of"])
    return values


def weekly_sales(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Units and revenue per category and week (weeks start on Monday).

    Returns:
        ``week, category, units, revenue, days`` sorted by week and category (``days``: days of
        that week with sales rows, below 7 for a partial first or last week); SKUs without a
        product row or category fall under ``UNCATEGORISED``.
    """
    # Per day first (a few thousand groups), then per week: a count(DISTINCT date) per week
    # and category took twice as long at 100,000 SKUs.
    weekly = conn.execute(
        """
        WITH daily AS (
            SELECT CAST(date_trunc('week', s.date) AS DATE) AS week,
                   coalesce(nullif(trim(p.category), ''), $uncategorised) AS category, s.date,
                   sum(s.qty) AS units,
                   sum(CAST(s.qty * coalesce(s.price, p.unit_price, 0) AS DECIMAL(38, 9)))
                       AS revenue
            FROM sales s LEFT JOIN products p USING (sku) GROUP BY ALL
        )
        SELECT week, category, sum(units) AS units, CAST(sum(revenue) AS DOUBLE) AS revenue,
               count(*) AS days
        FROM daily GROUP BY ALL ORDER BY week, category
        """,
        {"uncategorised": UNCATEGORISED},
    ).df()
    weekly["week"] = pd.to_datetime(weekly["week"])
    return weekly


def kpi_summary(conn: duckdb.DuckDBPyConnection, window_days: int) -> dict[str, Any]:
    """``sales_windows`` and ``stock_position`` in one mapping (the Overview's KPI cards)."""
    return {
        **sales_windows(conn, window_days=window_days),
        **stock_position(conn),
    }


# The last ``?`` sales days as ``store.load_sales`` fills them (every SKU daily from its first
# sale to the shop's last day), aggregated without building that grid: a SKU's window has
# ``n_days`` days; a stockout day is a zero-stock snapshot on a day without units sold. Sales
# are scanned once (first day and window units per SKU); the stockout days are the window's
# zero-stock snapshots less those with a sale (an anti join on the window's sales): units sold
# on a stockout day are 0, since ``sales.qty >= 0`` (a CHECK), so the in-stock mean is the
# window's units over its in-stock days. (Joining every snapshot to all sales took 34 s of a
# 117 s Overview open at 100,000 SKUs under load.)
_STOCK_WINDOW = """
WITH bounds AS (SELECT max(date) AS last, max(date) - CAST(? AS INTEGER) AS before FROM sales),
per AS (
    SELECT s.sku, min(s.date) AS first, sum(s.qty) FILTER (WHERE s.date > b.before) AS sold
    FROM sales s, bounds b GROUP BY s.sku
),
skus AS (
    SELECT f.sku, greatest(f.first, b.before + 1) AS start, b.last, coalesce(f.sold, 0) AS sold,
           date_diff('day', greatest(f.first, b.before + 1), b.last) + 1 AS n_days
    FROM per f, bounds b
),
zero AS (
    SELECT i.sku, i.as_of FROM inventory i JOIN skus k ON k.sku = i.sku
    WHERE i.on_hand <= 0 AND i.as_of BETWEEN k.start AND k.last
),
outs AS (
    SELECT z.sku, count(*) AS n_out FROM zero z
    ANTI JOIN (SELECT s.sku, s.date FROM sales s, bounds b WHERE s.date > b.before AND s.qty > 0) s
    ON s.sku = z.sku AND s.date = z.as_of
    GROUP BY z.sku
),
per_sku AS (
    SELECT k.sku, k.n_days, k.sold, coalesce(o.n_out, 0) AS n_out,
           CASE WHEN k.n_days > coalesce(o.n_out, 0)
                THEN k.sold / (k.n_days - coalesce(o.n_out, 0))
                ELSE 0 END AS in_stock_mean,
           coalesce(p.unit_cost, 0) AS cost
    FROM skus k LEFT JOIN outs o ON o.sku = k.sku LEFT JOIN products p ON p.sku = k.sku
)
SELECT sum(sold) AS sold,
       CAST(sum(CAST(n_out * in_stock_mean AS DECIMAL(38, 9))) AS DOUBLE) AS lost,
       sum(n_days) AS sku_days, sum(n_out) AS out_days,
       CAST(sum(CAST(sold * cost AS DECIMAL(38, 9))) AS DOUBLE) AS cogs,
       (SELECT date_diff('day', min(start), max(last)) + 1 FROM skus) AS window_days_seen
FROM per_sku
"""


def stock_window(conn: duckdb.DuckDBPyConnection, *, window_days: int = 90) -> dict[str, Any]:
    """Totals of the last ``window_days`` sales days, computed in DuckDB: ``sold``, ``lost``
    (stockout days at the SKU's mean in-stock sales of the window), ``sku_days``, ``out_days``,
    ``cogs`` (units sold x unit cost), ``window_days_seen`` (distinct days), and ``stock_value``
    (latest on hand, at least 0, x unit cost). Empty dict before any sales are loaded."""
    if conn.execute("SELECT count(*) FROM sales").fetchone()[0] == 0:
        return {}
    row = conn.execute(_STOCK_WINDOW, [int(window_days)]).fetchone()
    names = ("sold", "lost", "sku_days", "out_days", "cogs", "window_days_seen")
    totals = {name: float(value or 0) for name, value in zip(names, row, strict=True)}
    totals["stock_value"] = float(conn.execute(
        "SELECT coalesce(sum(CAST(greatest(l.on_hand, 0) * coalesce(p.unit_cost, 0) "
        "AS DECIMAL(38, 9))), 0) FROM "
        "(SELECT sku, arg_max(on_hand, as_of) AS on_hand FROM inventory GROUP BY sku) l "
        "LEFT JOIN products p ON p.sku = l.sku"
    ).fetchone()[0])
    return totals


def sales_span(conn: duckdb.DuckDBPyConnection) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """The first and last day with a sales row, or None without sales (one DuckDB aggregate:
    the Policy Replay page's date bounds, which loaded every sales row before)."""
    first, last = conn.execute("SELECT min(date), max(date) FROM sales").fetchone()
    return None if first is None else (pd.Timestamp(first), pd.Timestamp(last))


def summary_version(conn: duckdb.DuckDBPyConnection) -> str:
    """A fingerprint of everything the Overview's aggregates read: sales, stock snapshots,
    products and ingested files (one scan of each; a stored summary of another version is
    never read)."""
    # The stored parts of ``store/versions.py`` (the same text as that scan), not a scan.
    return "|".join(versions.parts(conn, ("sales_rows", "stock_rows", "product_rows", "ingest")))


def load_summary(conn: duckdb.DuckDBPyConnection, name: str, version: str) -> str | None:
    """The stored summary ``name`` of data version ``version`` (JSON text), or None."""
    row = conn.execute(
        "SELECT value FROM page_summaries WHERE name = ? AND version = ?", [name, version]
    ).fetchone()
    return None if row is None else str(row[0])


def save_summary(conn: duckdb.DuckDBPyConnection, name: str, version: str, value: str) -> None:
    """Store summary ``name`` of ``version``, dropping its other versions."""
    conn.execute("DELETE FROM page_summaries WHERE name = ? AND version <> ?", [name, version])
    conn.execute(
        "INSERT OR REPLACE INTO page_summaries VALUES (?, ?, ?, ?)",
        [name, version, value, pd.Timestamp.now(tz="UTC").tz_localize(None).to_pydatetime()],
    )
