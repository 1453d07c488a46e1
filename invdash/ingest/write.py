"""The store phase of ``ingest_file``: a checked, staged file into the core tables, all or nothing.

Two ways to write, one result (``store.ingest_swap`` has the why):
- a file of fewer than ``IngestLimits.swap_rows`` rows is written straight into the core tables
  inside one transaction, together with its ``ingest_log`` row;
- a larger one goes into committed staging copies of the primary-keyed tables it changes, in
  blocks of ``IngestLimits.block_rows`` rows, and one short transaction swaps them in and writes
  the log row. The core tables are untouched until that transaction commits.

Either way a failure leaves the stored data as it was, and the caller drops the staging tables.
A sales, inventory or purchase-order file that repeats a key is refused by the table's primary
key; only then are the duplicated keys looked up, to name their lines (``checks.check_unique``),
so a clean file pays for no extra grouping pass.

Order lines have no primary key (migration of branch h-pk): their key (order_id, line_no) is
made by the ingest, not read from the file, and is unique by construction
(``store.ingest_orders``), so no index is built or checked for them. A file can still not
repeat a line: a line is its order and its position in that order in the file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import duckdb

from invdash import store
from invdash.config import DEFAULT_INGEST_MEMORY
from invdash.ingest.checks import check_unique
from invdash.ingest.columns import ColumnMapping
from invdash.schema import InvalidDataError
from invdash.store import events as event_sql
from invdash.store import ingest as sql
from invdash.store import ingest_swap

__all__ = ["IngestLimits", "StoreJob", "UNIQUE_KEYS", "NON_PRODUCT_CODES", "store_file"]

#: StockCodes that are charges or adjustments, not products (upper case; ``GIFT_*`` too).
NON_PRODUCT_CODES = (
    "POST", "DOT", "M", "C2", "D", "S", "BANK CHARGES", "AMAZONFEE", "CRUK", "PADS", "B",
    "CARRIAGE", "ADJUST", "ADJUST2",
)
#: The key of each keyed kind, and how to fix a file that repeats it.
UNIQUE_KEYS = {
    "sales": (("sku", "date"), "aggregate to one row per sku and day (sum the units)"),
    "inventory": (("sku", "as_of"), "keep one stock snapshot per sku and day"),
    "purchase_orders": (("po_id", "sku"), "write one line per PO and SKU (sum the quantities)"),
    "products": (("sku",), "keep one row per SKU"),
}

#: Called inside the final transaction with the rows stored per table and the report's extras
#: (the pipeline writes the ``ingest_log`` row there, so it lands with the data).
Finish = Callable[[dict[str, int], dict[str, object]], None]


@dataclass(frozen=True)
class IngestLimits:
    """Memory and block sizes of an ingest.

    Args:
        memory_limit: DuckDB's memory limit during the ingest, e.g. ``"2GB"``
            (``config.Settings.ingest_memory_limit``); bigger work spills to disk.
        swap_rows: files with at least this many rows are written through staging copies
            (below it one transaction is faster: a 10-million-line order export writes in one;
            its uncommitted index stays under a gigabyte).
        block_rows: staged rows written per committed block.
    """

    memory_limit: str = DEFAULT_INGEST_MEMORY
    swap_rows: int = 12_000_000
    block_rows: int = 6_000_000

    def __post_init__(self) -> None:
        if self.swap_rows < 1 or self.block_rows < 1:
            raise ValueError(f"swap_rows and block_rows must be positive integers, got "
                             f"{self.swap_rows} and {self.block_rows}.")


@dataclass(frozen=True)
class StoreJob:
    """What ``store_file`` writes and how.

    Args:
        rows: staged rows.
        limits: when to go through staging copies, and their block size.
        finish: called inside the final transaction (writes the ingest log row).
        file: the file name, for messages.
        where: ``("line", 2)`` for a CSV, ``("row", 1)`` for Parquet (for messages).
        say: progress messages (an order-line file says when its aggregates are done and
            the lines are written).
    """

    rows: int
    limits: IngestLimits
    finish: Finish
    file: str
    where: tuple[str, int]
    say: Callable[[str], None] = lambda _message: None

    @property
    def large(self) -> bool:
        """Whether the file goes through staging copies."""
        return self.rows >= self.limits.swap_rows


@dataclass(frozen=True)
class _Job:
    conn: duckdb.DuckDBPyConnection
    rows: int
    limits: IngestLimits
    finish: Finish
    large: bool
    say: Callable[[str], None]


def _order_lines(job: _Job) -> None:
    conn = job.conn
    products = sql.stage_codes(conn, NON_PRODUCT_CODES)
    adjacent = sql.stage_orders(conn)
    stats = sql.order_line_stats(conn) | {"product_lines": products}
    extra: dict[str, object] = {
        "cancellations": stats["cancelled_lines"], "cancelled_orders": stats["cancelled_orders"],
        "returns": stats["return_lines"],
        "nonpositive_price_lines": stats["nonpositive_price_lines"],
        "excluded_codes": sql.excluded_code_counts(conn),
    }
    days = sql.stage_day_sales(conn)
    job.say(f"writing {stats['product_lines']:,} order lines and {days:,} daily sales rows")
    lines = sql.stage_order_tables(conn, adjacent=adjacent, rows=job.rows,
                                   block_rows=job.limits.block_rows) if job.large else 0
    with store.transaction(conn):
        if job.large:
            ingest_swap.swap_staged(conn, ("order_lines", "sales"))
        else:
            lines = sql.store_order_lines(conn, adjacent=adjacent, rows=job.rows)
        stored = {"order_lines": lines, "sales": days, "products": sql.store_product_names(conn)}
        job.finish(stored, extra)


def _keyed(job: _Job, kind: str) -> None:
    written = sql.stage_kind(job.conn, kind, rows=job.rows,
                             block_rows=job.limits.block_rows) if job.large else 0
    with store.transaction(job.conn):
        if job.large:
            ingest_swap.swap_staged(job.conn, (kind,))
        else:
            written = sql.store_kind(job.conn, kind)
        job.finish({kind: written}, {})


def _small(job: _Job, mapping: ColumnMapping) -> None:
    with store.transaction(job.conn):
        if mapping.kind == "products":
            stored = {"products": sql.store_products(job.conn, tuple(mapping.columns))}
        else:
            stored = {"events": event_sql.store_events(job.conn)}
        job.finish(stored, {})


def _duplicates(conn: duckdb.DuckDBPyConnection, kind: str, err: duckdb.Error, *, file: str,
                where: tuple[str, int]) -> InvalidDataError:
    """The message for a write refused by a primary key: the duplicated keys and their lines."""
    if kind in UNIQUE_KEYS:
        keys, fix = UNIQUE_KEYS[kind]
        check_unique(conn, keys, file=file, where=where, fix=fix)  # raises when keys repeat
    first = str(err).strip().splitlines()[0][:200]
    return InvalidDataError(f"{file}: the {kind} rows could not be stored ({first}); "
                            "check the file's keys. Nothing was stored.")


def store_file(conn: duckdb.DuckDBPyConnection, mapping: ColumnMapping, store_job: StoreJob
               ) -> None:
    """Write the checked ``_ingest_typed`` of ``mapping.kind`` into the store, all or nothing.

    Args:
        conn: the ingest connection (no transaction open).
        mapping: the file's column mapping.
        store_job: rows, limits, the final-transaction callback and the names for messages.

    Raises:
        InvalidDataError: the file repeats a key; nothing was stored.
    """
    job = _Job(conn=conn, rows=store_job.rows, limits=store_job.limits,
               finish=store_job.finish, large=store_job.large, say=store_job.say)
    try:
        if mapping.kind == "order_lines":
            _order_lines(job)
        elif mapping.kind in ingest_swap.SWAPPABLE:
            _keyed(job, mapping.kind)
        else:
            _small(job, mapping)
    except duckdb.ConstraintException as err:
        raise _duplicates(conn, mapping.kind, err, file=store_job.file,
                          where=store_job.where) from err
