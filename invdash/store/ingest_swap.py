"""SQL for large ingests in bounded memory: DuckDB's limits, committed staging tables, one swap.

Design: DuckDB keeps the primary-key index of an uncommitted transaction in memory, while a
committed, checkpointed index is paged by its buffer manager. So a large file is not written into
the core tables inside one long transaction; instead each primary-keyed table it changes gets a
staging copy ``<table>__ingest_new`` (same definition as the core table), filled in blocks of
rows, each block committed and checkpointed: first the stored rows the file does not replace,
then the file's rows. One short transaction then drops the core tables, renames the staging ones
in their place and writes the ingest log. Until that transaction commits the core tables are
untouched, so any failure (a duplicate key found by the staging table's primary key, a crash,
an error in the swap) leaves the stored data as it was; ``drop_staged`` removes the leftovers
(the pipeline calls it after every ingest, and before the next one).

``bounded_memory`` sets DuckDB's ``memory_limit`` (and a spill folder when the connection has
none) for the ingest, so large sorts, joins and aggregates spill to disk instead of growing the
process, turns DuckDB's progress bar off (the pipeline reports its own stages), and restores
the connection's own settings after.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import duckdb

from invdash import store
from invdash.store.ddl import current_ddl

__all__ = [
    "SUFFIX", "SWAPPABLE", "bounded_memory", "create_staged", "copy_kept", "fill_blocks",
    "swap_staged", "drop_staged", "staged_name", "row_span",
]

SUFFIX = "__ingest_new"
#: Core tables a large ingest rewrites through a staging copy (the big ones; all but
#: ``order_lines`` have a primary key, whose uncommitted index is what the blocks bound).
SWAPPABLE = ("sales", "inventory", "purchase_orders", "order_lines")
#: What replaces stored rows: staged table -> the core tables it may replace rows of.
_REPLACED_BY = {
    "_ingest_typed": ("sales", "inventory", "purchase_orders"),
    "_ingest_orders": ("order_lines",),
    "_ingest_days": ("sales",),
}
#: The key columns matched against each replacing table, per core table.
_KEYS = {"sales": ("sku", "date"), "inventory": ("sku", "as_of"),
         "purchase_orders": ("po_id", "sku"), "order_lines": ("order_id",)}


@contextmanager
def bounded_memory(conn: duckdb.DuckDBPyConnection, memory_limit: str) -> Iterator[None]:
    """DuckDB's ``memory_limit`` at ``memory_limit`` (e.g. ``"2GB"``) inside the block, and a
    spill folder when the connection has none (an in-memory database); the connection's own
    values again after.

    Args:
        conn: the ingest connection.
        memory_limit: a DuckDB size, e.g. ``"2GB"`` (``config.Settings.ingest_memory_limit``).
    """
    limit, spill, bar = _settings(conn)
    conn.execute("RESET memory_limit")
    default = limit == _settings(conn)[0]
    conn.execute("SET memory_limit = ?", [memory_limit])
    # DuckDB's own progress bar would garble the caller's messages on stderr
    conn.execute("SET enable_progress_bar = false")
    if not spill or spill == ".tmp":  # in-memory databases spill into the working folder
        conn.execute("SET temp_directory = ?", [str(Path(tempfile.gettempdir()) / "invdash-spill")])
    try:
        yield
    finally:
        # DuckDB shows a limit rounded (e.g. "2.7 GiB"): the default comes back exactly, a
        # limit the caller set comes back to that precision.
        conn.execute("RESET memory_limit" if default else "SET memory_limit = ?",
                     [] if default else [limit])
        conn.execute("SET enable_progress_bar = ?", [bar])


def _settings(conn: duckdb.DuckDBPyConnection) -> tuple[str, str, bool]:
    return conn.execute(
        "SELECT current_setting('memory_limit'), current_setting('temp_directory'), "
        "current_setting('enable_progress_bar')"
    ).fetchone()


def staged_name(table: str) -> str:
    """``<table>__ingest_new`` for a table of ``SWAPPABLE``."""
    if table not in SWAPPABLE:
        raise ValueError(f"{table!r} is not rewritten through staging; use one of {SWAPPABLE}")
    return table + SUFFIX


def create_staged(conn: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """Create the empty, committed staging copy of ``table``; returns the columns to write."""
    with store.transaction(conn):
        t = staged_name(table)
        conn.execute(f"DROP TABLE IF EXISTS {t}")
        for statement in current_ddl(table, t):
            conn.execute(statement)
    return store.table_columns(conn, table)


def row_span(conn: duckdb.DuckDBPyConnection, table: str) -> int:
    """One past the largest ``rowid`` of a core or staging table (0 when empty)."""
    if table not in (*store.KNOWN_TABLES, *_REPLACED_BY, "_ingest_sales"):
        raise ValueError(f"unknown table {table!r}")
    return int(conn.execute(f"SELECT coalesce(max(rowid) + 1, 0) FROM {table}").fetchone()[0])


def fill_blocks(conn: duckdb.DuckDBPyConnection, query: str, *, rows: int, block_rows: int,
                params: Sequence[object] = ()) -> int:
    """Run ``query`` (an ``INSERT`` ending in ``rowid >= ? AND rowid < ?`` over its source) once
    per block of ``block_rows`` source rows, each block committed and checkpointed.

    The query is built in ``store`` from fixed text; ``params`` go before the block bounds.
    Returns the rows written.
    """
    written = 0
    for start in range(0, rows, block_rows):
        with store.transaction(conn):
            found = conn.execute(query, [*params, start, start + block_rows]).fetchone()
            written += int(found[0]) if found else 0
        conn.execute("CHECKPOINT")
    return written


def copy_kept(conn: duckdb.DuckDBPyConnection, table: str, *, replaced_by: str,
              block_rows: int) -> int:
    """Copy the stored rows of ``table`` that ``replaced_by``'s keys do not replace into the
    staging copy, in committed blocks. Returns the rows copied."""
    if table not in _REPLACED_BY.get(replaced_by, ()):
        raise ValueError(f"{replaced_by!r} does not replace rows of {table!r}")
    columns = ", ".join(f"o.{c}" for c in store.table_columns(conn, table))
    keys = " AND ".join(f"o.{k} = r.{k}" for k in _KEYS[table])
    query = (f"INSERT INTO {staged_name(table)} SELECT {columns} FROM {table} o "
             f"ANTI JOIN {replaced_by} r ON {keys} WHERE o.rowid >= ? AND o.rowid < ?")
    return fill_blocks(conn, query, rows=row_span(conn, table), block_rows=block_rows)


def swap_staged(conn: duckdb.DuckDBPyConnection, tables: Sequence[str]) -> None:
    """Replace each core table by its staging copy; run inside the caller's transaction."""
    for table in tables:
        t = staged_name(table)
        conn.execute(f"DROP TABLE {table}")
        conn.execute(f"ALTER TABLE {t} RENAME TO {table}")


def drop_staged(conn: duckdb.DuckDBPyConnection) -> None:
    """Drop every staging copy (safe at any time; a killed ingest leaves them behind)."""
    for t in map(staged_name, SWAPPABLE):
        conn.execute(f"DROP TABLE IF EXISTS {t}")
