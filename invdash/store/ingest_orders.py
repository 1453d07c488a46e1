"""SQL for order-line exports: product filter, cancellation counts, the line store and the daily
aggregation into ``sales`` (see ``store.ingest`` for the staging design).

Demand rule (documented in ``invdash.ingest``): daily ``sales`` = sum of qty over lines with
qty > 0 and price > 0 outside cancellation invoices; price = qty-weighted mean unit price.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

__all__ = [
    "excluded_code_counts", "order_line_stats", "store_order_lines", "rebuild_sales_from_orders",
    "store_product_names",
]

# Order-line exports. A product line: its code is not in the non-product list (passed as the
# parameter $codes, upper case) and is no gift voucher. A cancellation: order id "C" + digits.
_PRODUCT = "NOT (upper(sku) IN (SELECT unnest($codes)) OR upper(sku) LIKE 'GIFT\\_%' ESCAPE '\\')"
_CANCELLED = "regexp_matches(order_id, '^[Cc][0-9]')"


def excluded_code_counts(
    conn: duckdb.DuckDBPyConnection, codes: Sequence[str]
) -> dict[str, int]:
    """Staged order lines per non-product code (``codes`` upper-case, plus ``GIFT_*``)."""
    rows = conn.execute(
        "SELECT sku, count(*) FROM _ingest_typed WHERE NOT (" + _PRODUCT + ") "
        "GROUP BY sku ORDER BY 2 DESC, 1",
        {"codes": list(codes)},
    ).fetchall()
    return {str(k): int(v) for k, v in rows}


def order_line_stats(conn: duckdb.DuckDBPyConnection, codes: Sequence[str]) -> dict[str, int]:
    """Counts over the staged product lines: cancellations, returns, zero/negative prices."""
    row = conn.execute(
        "SELECT count(*) FILTER (WHERE cancelled), "
        "count(DISTINCT order_id) FILTER (WHERE cancelled), "
        "coalesce(sum(-qty) FILTER (WHERE cancelled), 0), "
        "count(*) FILTER (WHERE NOT cancelled AND qty < 0), "
        "coalesce(sum(-qty) FILTER (WHERE NOT cancelled AND qty < 0), 0), "
        "count(*) FILTER (WHERE price <= 0), count(*) FILTER (WHERE qty = 0) "
        "FROM (SELECT order_id, qty, price, " + _CANCELLED + " AS cancelled "
        "FROM _ingest_typed WHERE " + _PRODUCT + ")",
        {"codes": list(codes)},
    ).fetchone()
    keys = (
        "cancelled_lines", "cancelled_orders", "cancelled_units", "return_lines", "returned_units",
        "nonpositive_price_lines", "zero_qty_lines",
    )
    return {k: int(v) for k, v in zip(keys, row, strict=True)}


def store_order_lines(conn: duckdb.DuckDBPyConnection, codes: Sequence[str]) -> int:
    """Replace every order in the staged file with its product lines.

    ``line_no`` is the line's position within its order in the file (1-based, counted over all
    of the order's lines, so it does not move when codes are excluded): re-ingesting the same
    file writes the same keys. Non-product codes are not stored; cancellations and returns are,
    with their negative quantities. Returns rows written.
    """
    conn.execute(
        "DELETE FROM order_lines WHERE order_id IN (SELECT DISTINCT order_id FROM _ingest_typed)"
    )
    conn.execute(
        "INSERT INTO order_lines (order_id, line_no, customer_id, sku, ts, qty, price) "
        "SELECT order_id, line_no, "
        # spreadsheet exports write ids as 17850.0; only those pay for the regex
        "CASE WHEN ends_with(customer_id, '.0') THEN regexp_replace(customer_id, '\\.0+$', '') "
        "ELSE customer_id END, sku, ts, qty, price FROM "
        "(SELECT *, row_number() OVER (PARTITION BY order_id ORDER BY rowid) AS line_no "
        "FROM _ingest_typed) WHERE " + _PRODUCT,
        {"codes": list(codes)},
    )
    return int(conn.execute(
        "SELECT count(*) FROM _ingest_typed WHERE " + _PRODUCT, {"codes": list(codes)}
    ).fetchone()[0])


def rebuild_sales_from_orders(conn: duckdb.DuckDBPyConnection) -> int:
    """Recompute daily sales for every (sku, day) in the staged file from all stored order lines.

    Demand = sum of qty over lines with qty > 0 and price > 0 of orders that are not
    cancellations; price = the qty-weighted mean unit price. Returns rows written.
    """
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE _ingest_days AS "
        "SELECT DISTINCT sku, CAST(ts AS DATE) AS date FROM _ingest_typed"
    )
    conn.execute("DELETE FROM sales WHERE (sku, date) IN (SELECT (sku, date) FROM _ingest_days)")
    conn.execute(
        "INSERT INTO sales (sku, date, qty, price, promo) "
        "SELECT o.sku, CAST(o.ts AS DATE) AS day, sum(o.qty), "
        # exact decimal sums: the same file gives the same price bits whatever the thread order
        "CAST(sum(CAST(o.qty * o.price AS DECIMAL(38, 6))) AS DOUBLE) / sum(o.qty), 0 "
        "FROM order_lines o SEMI JOIN _ingest_days d ON o.sku = d.sku "
        "AND CAST(o.ts AS DATE) = d.date "
        "WHERE o.qty > 0 AND o.price > 0 AND NOT regexp_matches(o.order_id, '^[Cc][0-9]') "
        "GROUP BY o.sku, day"
    )
    written = conn.execute(
        "SELECT count(*) FROM sales s SEMI JOIN _ingest_days d ON s.sku = d.sku AND s.date = d.date"
    ).fetchone()[0]
    conn.execute("DROP TABLE _ingest_days")
    return int(written)


def store_product_names(conn: duckdb.DuckDBPyConnection, codes: Sequence[str]) -> int:
    """Give products their most frequent description; never overwrite a name already set.

    Returns the number of products created or named.
    """
    before = conn.execute("SELECT count(*) FROM products WHERE name IS NOT NULL").fetchone()[0]
    conn.execute(
        "INSERT INTO products (sku, name) "
        "SELECT sku, first(name ORDER BY n DESC, name) FROM "
        "(SELECT sku, name, count(*) AS n FROM _ingest_typed WHERE name IS NOT NULL "
        "AND " + _PRODUCT + " GROUP BY sku, name) GROUP BY sku "
        "ON CONFLICT (sku) DO UPDATE SET name = coalesce(products.name, excluded.name)",
        {"codes": list(codes)},
    )
    after = conn.execute("SELECT count(*) FROM products WHERE name IS NOT NULL").fetchone()[0]
    return int(after - before)
