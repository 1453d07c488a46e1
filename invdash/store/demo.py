"""Whole-table rewrites for the demo shop, written in blocks into staging tables.

Design: ``build_demo`` replaces the content of every core table at once. DuckDB commits a
``DELETE`` of hundreds of thousands of primary-keyed rows slowly (13 s for the default shop on a
2-core machine, against 3 s for the inserts), so tables are recreated from their own ``CREATE
TABLE`` statement in ``store.schema`` instead (the table definition stays the one place
it is written).

Memory: the primary keys of ``sales`` and ``inventory`` are ART indexes, and DuckDB keeps an
uncommitted transaction's index in memory (about 36 bytes a row: 5 GB for a 100,000-SKU shop's
146 million rows), while a committed, checkpointed index is paged by the buffer manager. So the
new shop goes into staging tables (``<table>__demo_new``), one committed block at a time under a
DuckDB ``memory_limit`` (``STAGING_MEMORY``), and one last transaction drops the old tables and
renames the staging ones: the database still holds either the old data or the whole new shop
(a failed build leaves only staging tables, which the next build drops).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import duckdb
import pandas as pd

from invdash import store
from invdash.store.ddl import current_ddl
from invdash.store.schema import CORE_TABLES

__all__ = [
    "STAGING_MEMORY", "rebuild_table", "append_rows", "read_sales_since", "stage_tables",
    "append_staged", "commit_staged", "drop_staged", "staging_memory",
]

#: DuckDB's memory limit while a shop is written in blocks (its buffer pool, not Python's;
#: ``staging_memory`` sets this value).
STAGING_MEMORY = "1GB"
_SUFFIX = "__demo_new"


def _create(conn: duckdb.DuckDBPyConnection, core: str, table: str) -> None:
    """Create ``table`` (``core`` or its staging name) with the current shape of ``core``
    (``store.ddl.current_ddl``: its last definition and later added columns)."""
    if core not in CORE_TABLES:
        raise ValueError(f"{core!r} is not a core table; core tables: {list(CORE_TABLES)}")
    conn.execute(f"DROP TABLE IF EXISTS {table}")
    for statement in current_ddl(core, table):
        conn.execute(statement)


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
    if table not in store.KNOWN_TABLES:
        raise ValueError(f"unknown table {table!r}")
    # DuckDB draws its own progress bar on long inserts, which garbles the CLI's bar.
    conn.execute("SET enable_progress_bar = false")
    _create(conn, table, table)
    return append_rows(conn, table, frame)


def _insert(conn: duckdb.DuckDBPyConnection, table: str, columns: Sequence[str],
            frame: pd.DataFrame) -> int:
    if frame.empty or not columns:
        return 0
    conn.register("_rebuild_src", frame[list(columns)])
    try:
        cols = ", ".join(f'"{c}"' for c in columns)
        conn.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _rebuild_src")
    finally:
        conn.unregister("_rebuild_src")
    return len(frame)


def append_rows(conn: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> int:
    """Insert ``frame``'s rows into core table ``table`` (only the columns it has).

    Returns:
        The number of rows written.
    """
    if table not in store.KNOWN_TABLES:
        raise ValueError(f"unknown table {table!r}")
    columns = [c for c in store.table_columns(conn, table) if c in frame.columns]
    return _insert(conn, table, columns, frame)


def _staged(table: str) -> str:
    if table not in CORE_TABLES:
        raise ValueError(f"{table!r} is not a core table; core tables: {list(CORE_TABLES)}")
    return table + _SUFFIX


def stage_tables(conn: duckdb.DuckDBPyConnection, tables: Sequence[str]) -> None:
    """Create an empty staging table for each core table (dropping leftovers of a failed build)."""
    conn.execute("SET enable_progress_bar = false")
    with store.transaction(conn):
        for table in tables:
            _create(conn, table, _staged(table))


def append_staged(conn: duckdb.DuckDBPyConnection, frames: dict[str, pd.DataFrame]) -> int:
    """Append one block (``{core table: rows}``) to the staging tables, commit and checkpoint
    (so the block's index pages can leave memory). Returns the rows written."""
    written = 0
    with store.transaction(conn):
        for table, frame in frames.items():
            columns = [c for c in store.table_columns(conn, table) if c in frame.columns]
            written += _insert(conn, _staged(table), columns, frame)
    conn.execute("CHECKPOINT")
    return written


def commit_staged(conn: duckdb.DuckDBPyConnection, tables: Sequence[str],
                  emptied: Sequence[str] = ()) -> None:
    """In one transaction: replace each core table by its staging table and empty ``emptied``."""
    with store.transaction(conn):
        for table, t in ((core, _staged(core)) for core in tables):
            conn.execute(f"DROP TABLE IF EXISTS {table}")
            conn.execute(f"ALTER TABLE {t} RENAME TO {table}")
        for table in emptied:
            rebuild_table(conn, table, pd.DataFrame())


def drop_staged(conn: duckdb.DuckDBPyConnection, tables: Sequence[str]) -> None:
    """Drop the staging tables (after a failed build)."""
    with store.transaction(conn):
        for t in map(_staged, tables):
            conn.execute(f"DROP TABLE IF EXISTS {t}")


@contextmanager
def staging_memory(conn: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """DuckDB's ``memory_limit`` at ``STAGING_MEMORY`` inside the block, the default after
    (``store.connect`` sets none)."""
    conn.execute("SET memory_limit = '1GB'")
    try:
        yield
    finally:
        conn.execute("RESET memory_limit")


def read_sales_since(conn: duckdb.DuckDBPyConnection, first: pd.Timestamp) -> pd.DataFrame:
    """``sku, date, qty, price`` of the staged sales rows on or after ``first`` (the demo's
    order-line window, read back after its blocks were written)."""
    t = _staged("sales")
    return conn.execute(
        f"SELECT sku, date, qty, price FROM {t} WHERE date >= ? ORDER BY sku, date",
        [pd.Timestamp(first).to_pydatetime()],
    ).df()
