"""SQL for order-line exports: product filter, cancellation counts, the line store and the daily
aggregation into ``sales`` (see ``store.ingest`` for the staging design).

Demand rule (documented in ``invdash.ingest``): daily ``sales`` = sum of qty over lines with
qty > 0 and price > 0 outside cancellation invoices; price = qty-weighted mean unit price.

Speed (``benchmarks/bench_ingest.py``): the staged lines are scanned as few times as possible.
``stage_codes`` groups them once by (sku, name) into ``_ingest_codes``, a table of a few
thousand rows that answers the excluded-code counts, the product-line count and the product
names without another scan, and turns the product filter into a probe of the (usually tiny)
set of non-product codes instead of ``upper()`` on every line. ``store_order_lines`` computes
the affected days' sales before it inserts the file's lines, from the lines already stored for
those days plus the staged ones, so a first import never re-reads the table it just wrote.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

__all__ = [
    "stage_codes", "excluded_code_counts", "order_line_stats", "store_order_lines",
    "store_product_names",
]

# A product line: its code is not in the non-product list (passed as the parameter $codes,
# upper case) and is no gift voucher. A cancellation: order id "C" + digits.
_IS_PRODUCT = (
    "NOT (upper(sku) IN (SELECT unnest($codes)) OR upper(sku) LIKE 'GIFT\\_%' ESCAPE '\\')"
)
_PRODUCT = "sku NOT IN (SELECT sku FROM _ingest_codes WHERE NOT is_product)"
_CANCELLED = "regexp_matches(order_id, '^[Cc][0-9]')"
_DEMAND = f"qty > 0 AND price > 0 AND NOT {_CANCELLED}"


def stage_codes(conn: duckdb.DuckDBPyConnection, codes: Sequence[str]) -> int:
    """Group the staged lines by (sku, name) into ``_ingest_codes`` (``n`` lines, ``is_product``).

    ``codes`` are the non-product codes, upper case (``GIFT_*`` is always one). Call it after
    the checks and before the other functions here. Returns the number of product lines.
    """
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE _ingest_codes AS SELECT sku, name, n, "
        + _IS_PRODUCT + " AS is_product FROM "
        "(SELECT sku, name, count(*) AS n FROM _ingest_typed GROUP BY sku, name)",
        {"codes": list(codes)},
    )
    row = conn.execute("SELECT sum(n) FILTER (WHERE is_product) FROM _ingest_codes").fetchone()
    return int(row[0] or 0)


def excluded_code_counts(conn: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Staged order lines per non-product code, most lines first (needs ``stage_codes``)."""
    rows = conn.execute(
        "SELECT sku, sum(n) FROM _ingest_codes WHERE NOT is_product GROUP BY sku ORDER BY 2 DESC, 1"
    ).fetchall()
    return {str(k): int(v) for k, v in rows}


def order_line_stats(conn: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Counts over the staged product lines: cancellations, returns, zero/negative prices."""
    row = conn.execute(
        "SELECT count(*) FILTER (WHERE cancelled), "
        "count(DISTINCT order_id) FILTER (WHERE cancelled), "
        "coalesce(sum(-qty) FILTER (WHERE cancelled), 0), "
        "count(*) FILTER (WHERE NOT cancelled AND qty < 0), "
        "coalesce(sum(-qty) FILTER (WHERE NOT cancelled AND qty < 0), 0), "
        "count(*) FILTER (WHERE price <= 0), count(*) FILTER (WHERE qty = 0) "
        "FROM (SELECT order_id, qty, price, " + _CANCELLED + " AS cancelled "
        "FROM _ingest_typed WHERE " + _PRODUCT + ")"
    ).fetchone()
    keys = (
        "cancelled_lines", "cancelled_orders", "cancelled_units", "return_lines", "returned_units",
        "nonpositive_price_lines", "zero_qty_lines",
    )
    return {k: int(v) for k, v in zip(keys, row, strict=True)}


def _rebuild_sales(conn: duckdb.DuckDBPyConnection) -> int:
    """Daily sales of every (sku, day) in the file, from the stored lines of other orders on
    those days plus the staged product lines (the file's orders are deleted already)."""
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE _ingest_days AS "
        "SELECT DISTINCT sku, CAST(ts AS DATE) AS date FROM _ingest_typed"
    )
    conn.execute(
        "DELETE FROM sales USING _ingest_days d WHERE sales.sku = d.sku AND sales.date = d.date"
    )
    written = conn.execute(
        "INSERT INTO sales (sku, date, qty, price, promo) "
        # exact decimal sums: the same file gives the same price bits whatever the thread order
        "SELECT sku, day, sum(qty), "
        "CAST(sum(CAST(qty * price AS DECIMAL(38, 6))) AS DOUBLE) / sum(qty), 0 FROM ("
        "SELECT o.sku, CAST(o.ts AS DATE) AS day, o.qty, o.price FROM order_lines o "
        "SEMI JOIN _ingest_days d ON o.sku = d.sku AND CAST(o.ts AS DATE) = d.date "
        "WHERE " + _DEMAND + " UNION ALL "
        "SELECT sku, CAST(ts AS DATE), qty, price FROM _ingest_typed "
        "WHERE " + _DEMAND + " AND " + _PRODUCT + ") GROUP BY sku, day"
    ).fetchone()[0]
    conn.execute("DROP TABLE _ingest_days")
    return int(written)


_LINES_BY_WINDOW = (
    "SELECT *, row_number() OVER (PARTITION BY order_id ORDER BY rowid) AS line_no "
    "FROM _ingest_typed"
)
# When every order's lines are adjacent in the file (as exports write them), a line's position
# in its order is its row minus the order's first row: a hash join instead of a sort.
_LINES_BY_OFFSET = (
    "SELECT t.*, t.rowid - o.first_row + 1 AS line_no FROM _ingest_typed t "
    "JOIN _ingest_orders o USING (order_id)"
)


def _stage_orders(conn: duckdb.DuckDBPyConnection) -> bool:
    """The file's orders with their first row and line count in ``_ingest_orders``; whether
    every order's lines are adjacent in the file."""
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE _ingest_orders AS SELECT order_id, min(rowid) AS first_row, "
        "max(rowid) - min(rowid) + 1 = count(*) AS adjacent FROM _ingest_typed GROUP BY order_id"
    )
    return bool(conn.execute("SELECT coalesce(bool_and(adjacent), true) FROM _ingest_orders")
                .fetchone()[0])


def store_order_lines(conn: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """Replace every order in the staged file with its product lines, and rebuild the daily
    ``sales`` of every (sku, day) in the file from all stored lines (needs ``stage_codes``).

    ``line_no`` is the line's position within its order in the file (1-based, counted over all
    of the order's lines, so it does not move when codes are excluded): re-ingesting the same
    file writes the same keys. Non-product codes are not stored; cancellations and returns are,
    with their negative quantities. Demand = sum of qty over lines with qty > 0 and price > 0 of
    orders that are not cancellations; price = the qty-weighted mean unit price.

    Returns:
        ``(order lines written, sales rows written)``.
    """
    adjacent = _stage_orders(conn)
    conn.execute(
        "DELETE FROM order_lines WHERE order_id IN (SELECT order_id FROM _ingest_orders)"
    )
    sales_rows = _rebuild_sales(conn)
    numbered = _LINES_BY_OFFSET if adjacent else _LINES_BY_WINDOW
    lines = conn.execute(
        "INSERT INTO order_lines (order_id, line_no, customer_id, sku, ts, qty, price) "
        "SELECT order_id, line_no, "
        # spreadsheet exports write ids as 17850.0; only those pay for the regex
        "CASE WHEN ends_with(customer_id, '.0') THEN regexp_replace(customer_id, '\\.0+$', '') "
        "ELSE customer_id END, sku, ts, qty, price FROM (" + numbered + ") WHERE " + _PRODUCT
    ).fetchone()[0]
    conn.execute("DROP TABLE _ingest_orders")
    return int(lines), sales_rows


def store_product_names(conn: duckdb.DuckDBPyConnection) -> int:
    """Give products their most frequent description; never overwrite a name already set
    (needs ``stage_codes``). Returns the number of products created or named."""
    before = conn.execute("SELECT count(*) FROM products WHERE name IS NOT NULL").fetchone()[0]
    conn.execute(
        "INSERT INTO products (sku, name) "
        "SELECT sku, first(name ORDER BY n DESC, name) FROM _ingest_codes "
        "WHERE name IS NOT NULL AND is_product GROUP BY sku "
        "ON CONFLICT (sku) DO UPDATE SET name = coalesce(products.name, excluded.name)"
    )
    after = conn.execute("SELECT count(*) FROM products WHERE name IS NOT NULL").fetchone()[0]
    return int(after - before)
