"""SQL for order-line exports: product filter, cancellation counts, the line store and the daily
aggregation into ``sales`` (see ``store.ingest`` for the staging design).

Demand rule (documented in ``invdash.ingest``): daily ``sales`` = sum of qty over lines with
qty > 0 and price > 0 outside cancellation invoices; price = qty-weighted mean unit price.

Speed (``benchmarks/bench_ingest.py``): the staged lines are scanned as few times as possible,
four times in all after the checks.
1. ``stage_codes`` groups them by (sku, name) into ``_ingest_codes``, a table of a few thousand
   rows that answers the excluded-code counts, the product names and the product filter (a
   probe of the usually tiny set of non-product codes instead of ``upper()`` on every line).
2. ``stage_orders`` groups them by order into ``_ingest_orders``: first row, adjacency, whether
   the order is a cancellation (tested once per order, not per line) and its product-line
   counts, from which ``order_line_stats`` sums the report's counts without another scan.
3. ``stage_day_sales`` groups them by (sku, day) into ``_ingest_days`` (the file's days with
   their demand partial sums) and adds the stored lines of other orders on those days into
   ``_ingest_sales``, the new sales rows, before anything is written.
4. The lines themselves are inserted (``insert_lines_sql``), into ``order_lines`` directly or
   into its staging copy in committed blocks (``store.ingest_swap``).

Keys without an index: ``order_lines`` has no primary key (its ART index was 43 of 96 s of a
10-million-line ingest, and DuckDB holds an uncommitted one in memory). (order_id, line_no) is
unique by construction instead, on both write paths:
- within the file, ``line_no`` is a line's position in its order: ``rowid - first_row + 1``
  when every order's lines are adjacent (``stage_orders`` checks that per order: max - min + 1
  = count), else ``row_number()`` over the order's rows in file order;
- against the store, the file replaces whole orders: every stored line of an order in the file
  is deleted (one transaction) or left out of the staging copy (``ANTI JOIN`` on order_id)
  before the file's lines go in.
So a key can only repeat if something else writes ``order_lines`` (the demo writes a fresh,
numbered shop); ``tests/unit/ingest/test_order_line_keys.py`` tries every way an ingest could.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from invdash.store import ingest_swap as swap

__all__ = [
    "stage_codes", "excluded_code_counts", "stage_orders", "order_line_stats",
    "stage_day_sales", "insert_lines_sql", "store_order_lines", "store_product_names",
    "stage_order_tables",
]

# A product line: its code is not in the non-product list (passed as the parameter $codes,
# upper case) and is no gift voucher. A cancellation: order id "C" + digits.
_IS_PRODUCT = (
    "NOT (upper(sku) IN (SELECT unnest($codes)) OR upper(sku) LIKE 'GIFT\\_%' ESCAPE '\\')"
)
_PRODUCT = "sku NOT IN (SELECT sku FROM _ingest_codes WHERE NOT is_product)"
# (the same test as the regex ``^[Cc][0-9]``, without a regex call or a substring per line)
_CANCELLED = "(order_id[1] IN ('C', 'c') AND order_id[2] BETWEEN '0' AND '9')"
_DEMAND = "qty > 0 AND price > 0 AND NOT cancelled"


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


def stage_orders(conn: duckdb.DuckDBPyConnection) -> bool:
    """The file's orders in ``_ingest_orders`` (first row, cancellation, product-line counts);
    whether every order's lines are adjacent in the file (needs ``stage_codes``)."""
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE _ingest_orders AS SELECT *, " + _CANCELLED + " AS cancelled "
        "FROM (SELECT order_id, min(rowid) AS first_row, "
        "max(rowid) - min(rowid) + 1 = count(*) AS adjacent, "
        "count(*) FILTER (WHERE product) AS lines, "
        "coalesce(sum(qty) FILTER (WHERE product), 0) AS units, "
        "count(*) FILTER (WHERE product AND qty < 0) AS negative_lines, "
        "coalesce(sum(-qty) FILTER (WHERE product AND qty < 0), 0) AS negative_units, "
        "count(*) FILTER (WHERE product AND price <= 0) AS nonpositive_price_lines, "
        "count(*) FILTER (WHERE product AND qty = 0) AS zero_qty_lines "
        "FROM (SELECT rowid, order_id, qty, price, " + _PRODUCT + " AS product FROM _ingest_typed) "
        "GROUP BY order_id)"
    )
    adjacent = bool(conn.execute("SELECT coalesce(bool_and(adjacent), true) FROM _ingest_orders")
                    .fetchone()[0])
    if not adjacent:  # number the lines once, so a block of rows needs no window of its own
        conn.execute(
            "CREATE OR REPLACE TEMP TABLE _ingest_line_nos AS SELECT rowid AS row_id, "
            "row_number() OVER (PARTITION BY order_id ORDER BY rowid) AS line_no FROM _ingest_typed"
        )
    return adjacent


def order_line_stats(conn: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Counts over the staged product lines: cancellations, returns, zero/negative prices
    (from ``_ingest_orders``, so after ``stage_orders``)."""
    row = conn.execute(
        "SELECT coalesce(sum(lines) FILTER (WHERE cancelled), 0), "
        "count(*) FILTER (WHERE cancelled AND lines > 0), "
        "coalesce(sum(-units) FILTER (WHERE cancelled), 0), "
        "coalesce(sum(negative_lines) FILTER (WHERE NOT cancelled), 0), "
        "coalesce(sum(negative_units) FILTER (WHERE NOT cancelled), 0), "
        "coalesce(sum(nonpositive_price_lines), 0), coalesce(sum(zero_qty_lines), 0) "
        "FROM _ingest_orders"
    ).fetchone()
    keys = (
        "cancelled_lines", "cancelled_orders", "cancelled_units", "return_lines", "returned_units",
        "nonpositive_price_lines", "zero_qty_lines",
    )
    return {k: int(v) for k, v in zip(keys, row, strict=True)}


# Exact decimal sums: the same file gives the same price bits whatever the thread order.
_VALUE = "CAST(qty * price AS DECIMAL(38, 6))"


def stage_day_sales(conn: duckdb.DuckDBPyConnection) -> int:
    """The file's (sku, day)s in ``_ingest_days`` and their new daily sales in ``_ingest_sales``:
    the staged product lines plus the stored lines of other orders on those days (needs
    ``stage_orders``). Returns the number of sales rows."""
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE _ingest_days AS SELECT sku, CAST(ts AS DATE) AS date, "
        f"sum(qty) FILTER (WHERE demand) AS qty, sum({_VALUE}) FILTER (WHERE demand) AS value "
        # the product filter runs once per (sku, day) below, not once per line
        "FROM (SELECT sku, ts, qty, price, qty > 0 AND price > 0 AND NOT " + _CANCELLED
        + " AS demand FROM _ingest_typed) GROUP BY sku, CAST(ts AS DATE)"
    )
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE _ingest_sales AS "
        "SELECT sku, date, sum(qty) AS qty, CAST(sum(value) AS DOUBLE) / sum(qty) AS price, "
        "0.0 AS promo FROM (SELECT sku, date, qty, value FROM _ingest_days WHERE qty IS NOT NULL "
        "AND " + _PRODUCT + " UNION ALL "
        "SELECT o.sku, CAST(o.ts AS DATE), o.qty, " + _VALUE + " FROM ("
        "SELECT *, " + _CANCELLED + " AS cancelled FROM order_lines o "
        "SEMI JOIN _ingest_days d ON o.sku = d.sku AND CAST(o.ts AS DATE) = d.date "
        "ANTI JOIN _ingest_orders f ON o.order_id = f.order_id) o WHERE " + _DEMAND + ") "
        "GROUP BY sku, date"
    )
    return int(conn.execute("SELECT count(*) FROM _ingest_sales").fetchone()[0])


# When every order's lines are adjacent in the file (as exports write them), a line's position
# in its order is its row minus the order's first row: a hash join instead of a sort.
_LINES_BY_OFFSET = (
    "SELECT t.*, t.rowid - o.first_row + 1 AS line_no FROM _ingest_typed t "
    "JOIN _ingest_orders o USING (order_id) WHERE t.rowid >= ? AND t.rowid < ?"
)
_LINES_BY_WINDOW = (
    "SELECT t.*, n.line_no FROM _ingest_typed t JOIN _ingest_line_nos n ON t.rowid = n.row_id "
    "WHERE t.rowid >= ? AND t.rowid < ?"
)


def insert_lines_sql(target: str, *, adjacent: bool) -> str:
    """The ``INSERT`` of the staged product lines with staged rows ``[?, ?)`` into ``target``
    (``order_lines`` or its staging copy, a fixed name from ``store``).

    ``line_no`` is the line's position within its order in the file (1-based, counted over all
    of the order's lines, so it does not move when codes are excluded): re-ingesting the same
    file writes the same keys. Non-product codes are not stored; cancellations and returns are,
    with their negative quantities.
    """
    numbered = _LINES_BY_OFFSET if adjacent else _LINES_BY_WINDOW
    return (
        f"INSERT INTO {target} (order_id, line_no, customer_id, sku, ts, qty, price) "
        "SELECT order_id, line_no, "
        # spreadsheet exports write ids as 17850.0; only those pay for the regex
        "CASE WHEN ends_with(customer_id, '.0') THEN regexp_replace(customer_id, '\\.0+$', '') "
        "ELSE customer_id END, sku, ts, qty, price FROM (" + numbered + ") WHERE " + _PRODUCT
    )


def store_order_lines(conn: duckdb.DuckDBPyConnection, *, adjacent: bool, rows: int) -> int:
    """Replace every order in the staged file with its product lines and the daily ``sales`` of
    the file's (sku, day)s with ``_ingest_sales``, in the caller's transaction (needs
    ``stage_day_sales``). Returns the order lines written."""
    conn.execute(
        "DELETE FROM order_lines WHERE order_id IN (SELECT order_id FROM _ingest_orders)"
    )
    conn.execute(
        "DELETE FROM sales USING _ingest_days d WHERE sales.sku = d.sku AND sales.date = d.date"
    )
    conn.execute("INSERT INTO sales (sku, date, qty, price, promo) "
                 "SELECT sku, date, qty, price, promo FROM _ingest_sales")
    written = conn.execute(insert_lines_sql("order_lines", adjacent=adjacent), [0, rows])
    return int(written.fetchone()[0])


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


def stage_order_tables(conn: duckdb.DuckDBPyConnection, *, adjacent: bool, rows: int,
                       block_rows: int) -> int:
    """Write the new ``order_lines`` and ``sales`` into their staging copies in committed blocks
    (a large file; ``store.ingest_swap``): the stored lines of other orders and the stored
    sales of other (sku, day)s, then the file's product lines and ``_ingest_sales``. Returns
    the order lines written (needs ``stage_day_sales``)."""
    swap.create_staged(conn, "order_lines")
    swap.copy_kept(conn, "order_lines", replaced_by="_ingest_orders", block_rows=block_rows)
    lines = swap.fill_blocks(conn, insert_lines_sql(swap.staged_name("order_lines"),
                                                    adjacent=adjacent),
                             rows=rows, block_rows=block_rows)
    swap.create_staged(conn, "sales")
    swap.copy_kept(conn, "sales", replaced_by="_ingest_days", block_rows=block_rows)
    query = (f"INSERT INTO {swap.staged_name('sales')} (sku, date, qty, price, promo) "
             "SELECT sku, date, qty, price, promo FROM _ingest_sales "
             "WHERE rowid >= ? AND rowid < ?")
    swap.fill_blocks(conn, query, rows=swap.row_span(conn, "_ingest_sales"),
                     block_rows=block_rows)
    return lines
