"""Whole-table rewrites for the demo shop.

Design: ``build_demo`` replaces the content of every core table at once. DuckDB commits a
``DELETE`` of hundreds of thousands of primary-keyed rows slowly (13 s for the default shop on a
2-core machine, against 3 s for the inserts), so this module drops each table and recreates it from
its own ``CREATE TABLE`` statement in ``store.schema.CORE_DDL`` instead, inside the caller's
transaction: the rewrite stays atomic and the table definition stays the one place it is written.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from invdash import store
from invdash.store.schema import CORE_DDL, CORE_TABLES, MIGRATIONS

__all__ = ["rebuild_table", "append_rows", "read_sales_since"]


def _core_ddl(table: str) -> str:
    for statement in CORE_DDL:
        if statement.split()[5].split("(")[0] == table:
            return statement
    raise ValueError(f"{table!r} is not a core table; core tables: {list(CORE_TABLES)}")


def _later_columns(table: str) -> list[str]:
    """The ``ALTER TABLE <table> ...`` statements of later migrations (e.g. migration 7's
    purchase-order columns), so a recreated table has the current shape."""
    prefixes = (f"ALTER TABLE {table} ", f"ALTER TABLE IF EXISTS {table} ")
    return [s for _, group in MIGRATIONS for s in group if s.startswith(prefixes)]


def rebuild_table(conn: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> int:
    """Drop a core table, recreate it empty and insert ``frame``. Run inside ``transaction``.

    Only the frame's columns that the table has are written. Turns DuckDB's own progress bar
    off for this connection.

    Args:
        conn: a read-write connection.
        table: one of ``store.schema.CORE_TABLES``.
        frame: the new content (may be empty).

    Returns:
        The number of rows written.
    """
    statement = _core_ddl(table)
    if table not in store.KNOWN_TABLES:
        raise ValueError(f"unknown table {table!r}")
    # DuckDB draws its own progress bar on long inserts, which garbles the CLI's bar.
    conn.execute("SET enable_progress_bar = false")
    conn.execute(f"DROP TABLE IF EXISTS {table}")
    conn.execute(statement)
    for alter in _later_columns(table):
        conn.execute(alter)
    return append_rows(conn, table, frame)


def append_rows(conn: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> int:
    """Insert ``frame``'s rows into ``table`` (a block of a shop written in blocks, after
    ``rebuild_table`` emptied it). Only the frame's columns that the table has are written.

    Returns:
        The number of rows written.
    """
    if table not in store.KNOWN_TABLES:
        raise ValueError(f"unknown table {table!r}")
    columns = [c for c in store.table_columns(conn, table) if c in frame.columns]
    if frame.empty or not columns:
        return 0
    conn.register("_rebuild_src", frame[columns])
    try:
        cols = ", ".join(f'"{c}"' for c in columns)
        conn.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _rebuild_src")
    finally:
        conn.unregister("_rebuild_src")
    return len(frame)


def read_sales_since(conn: duckdb.DuckDBPyConnection, first: pd.Timestamp) -> pd.DataFrame:
    """``sku, date, qty, price`` of the sales rows on or after ``first`` (the demo's order-line
    window, read back after its blocks were written)."""
    return conn.execute(
        "SELECT sku, date, qty, price FROM sales WHERE date >= ? ORDER BY sku, date",
        [pd.Timestamp(first).to_pydatetime()],
    ).df()
