"""DuckDB store: connections, migrations and the core reads and writes. All SQL lives in ``store``.

Design:
- One DuckDB file. ``connect(path)`` opens it read-write and migrates it; ``connect_read_only``
  serves the dashboard pages. DuckDB allows one read-write process at a time: a second writer
  gets ``StoreBusyError`` ("busy, retry") after a short bounded wait, never a corrupt file.
- Every write runs inside ``transaction(conn)``: it lands completely or not at all.
- Table names come from the fixed set in ``schema.py``; values always travel as parameters or as
  registered frames, never as formatted text.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from invdash.schema import (
    DATE,
    PRICE,
    PROMO,
    QTY,
    SKU,
    STOCKOUT,
    InvalidDataError,
    StoreBusyError,
)
from invdash.store import versions
from invdash.store.schema import CORE_TABLES, MIGRATIONS, SCHEMA_VERSION

__all__ = [
    "connect",
    "sku_catalog",
    "require_database",
    "connect_read_only",
    "transaction",
    "migrate",
    "schema_version",
    "KNOWN_TABLES",
    "table_columns",
    "upsert_frame",
    "replace_frame",
    "read_table",
    "load_sales",
    "fill_missing_days",
    "load_products",
    "load_inventory",
    "latest_on_hand",
    "open_purchase_orders",
    "load_order_lines",
    "data_version",
    "table_counts",
]

_BUSY_WAIT_S = 10.0


def _is_lock_error(err: Exception) -> bool:
    text = str(err).lower()
    return any(
        word in text for word in ("lock", "conflicting", "already open", "different configuration")
    )


def _open(path: Path, read_only: bool, wait_s: float) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + wait_s
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except (duckdb.IOException, duckdb.ConnectionException) as err:
            if not _is_lock_error(err) or time.monotonic() > deadline:
                if _is_lock_error(err):
                    raise StoreBusyError(
                        f"database {path} is busy (another invdash process is writing); "
                        "retry in a moment."
                    ) from err
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


def connect(path: str | Path, *, wait_s: float = _BUSY_WAIT_S) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the database read-write and bring its schema up to date.

    Args:
        path: the DuckDB file.
        wait_s: how long to wait for another writer before raising ``StoreBusyError``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = _open(path, read_only=False, wait_s=wait_s)
    migrate(conn)
    return conn


def require_database(path: str | Path) -> Path:
    """``path`` when the database file exists (the CLI and the pages check this first).

    Raises:
        InvalidDataError: no such file, with how to create one.
    """
    path = Path(path)
    if not path.exists():
        raise InvalidDataError(
            f"database {path} does not exist; build it with `invdash demo --db {path}` "
            "or load data with `invdash ingest FILE --db PATH`."
        )
    return path


def connect_read_only(
    path: str | Path, *, wait_s: float = _BUSY_WAIT_S
) -> duckdb.DuckDBPyConnection:
    """Open an existing database read-only (dashboard pages)."""
    path = require_database(path)
    conn = _open(path, read_only=True, wait_s=wait_s)
    found = schema_version(conn)
    if found < SCHEMA_VERSION:
        conn.close()
        # An older file: open read-write once to migrate, then reopen read-only.
        connect(path, wait_s=wait_s).close()
        conn = _open(path, read_only=True, wait_s=wait_s)
    return conn


@contextmanager
def transaction(conn: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """Run a block atomically: commit on success, roll back on any error (and re-raise).

    The data fingerprints its writes marked dirty (``versions.touch``) are recomputed just
    before the commit, so they land with the writes."""
    conn.execute("BEGIN TRANSACTION")
    try:
        yield conn
        versions.settle(conn)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def schema_version(conn: duckdb.DuckDBPyConnection) -> int:
    """The file's schema version (0 for a new file)."""
    exists = conn.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
    ).fetchone()[0]
    if not exists:
        return 0
    row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def migrate(conn: duckdb.DuckDBPyConnection) -> int:
    """Apply pending migrations in one transaction; return the resulting version."""
    current = schema_version(conn)
    if current > SCHEMA_VERSION:
        raise InvalidDataError(
            f"database schema version {current} is newer than this invdash ({SCHEMA_VERSION}); "
            "upgrade invdash."
        )
    if current == SCHEMA_VERSION:
        return current
    with transaction(conn):
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version "
            "(version INTEGER PRIMARY KEY, applied_at TIMESTAMP DEFAULT current_timestamp)"
        )
        for version, statements in MIGRATIONS:
            if version <= current:
                continue
            for statement in statements:
                conn.execute(statement)
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", [version])
    return SCHEMA_VERSION


def _known_tables() -> frozenset[str]:
    names: set[str] = {"schema_version"}
    for _, statements in MIGRATIONS:
        for statement in statements:
            words = statement.split()
            if words[:2] == ["CREATE", "TABLE"]:
                names.add(words[5] if words[2:5] == ["IF", "NOT", "EXISTS"] else words[2])
    return frozenset(name.split("(")[0] for name in names)


KNOWN_TABLES = _known_tables()


def _check_table(table: str) -> str:
    if table not in KNOWN_TABLES:
        raise ValueError(f"unknown table {table!r}; known: {sorted(KNOWN_TABLES)}")
    return table


def table_columns(conn: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """Column names of ``table`` in schema order."""
    rows = conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
        "ORDER BY ordinal_position",
        [_check_table(table)],
    ).fetchall()
    return [r[0] for r in rows]


def upsert_frame(conn: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> int:
    """Insert rows, replacing rows with the same primary key. Run inside ``transaction``.

    Only the frame's columns that the table has are written; returns the number of rows.
    """
    _check_table(table)
    columns = [c for c in table_columns(conn, table) if c in frame.columns]
    if frame.empty:
        return 0
    versions.touch(conn, table)
    view = f"_upsert_{uuid.uuid4().hex}"
    conn.register(view, frame[columns])
    try:
        cols = ", ".join(f'"{c}"' for c in columns)
        conn.execute(f"INSERT OR REPLACE INTO {table} ({cols}) SELECT {cols} FROM {view}")
    finally:
        # In an aborted transaction the view cannot be dropped until ROLLBACK; its unique name
        # keeps it harmless, and it disappears with the connection.
        with suppress(duckdb.Error):
            conn.unregister(view)
    return len(frame)


def replace_frame(conn: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> int:
    """Replace the whole content of ``table`` with ``frame``. Run inside ``transaction``."""
    conn.execute(f"DELETE FROM {_check_table(table)}")
    versions.touch(conn, table)
    return upsert_frame(conn, table, frame)


def read_table(
    conn: duckdb.DuckDBPyConnection, table: str, *, skus: Sequence[str] | None = None
) -> pd.DataFrame:
    """Read a whole table (optionally only some SKUs, for tables with a ``sku`` column)."""
    _check_table(table)
    if skus is None:
        return conn.execute(f"SELECT * FROM {table}").df()
    return conn.execute(f"SELECT * FROM {table} WHERE sku IN (SELECT unnest(?))", [list(skus)]).df()


def fill_missing_days(sales: pd.DataFrame, *, end: pd.Timestamp | None = None) -> pd.DataFrame:
    """Make every SKU's series daily and gap-free from its first row to ``end`` (or the panel's
    last date). Missing days get ``qty = 0``, ``promo = 0`` and the SKU's last known price.

    This is the one place where missing days are filled. Vectorised: one merge for all SKUs.
    """
    if sales.empty:
        return sales.copy()
    frame = sales.copy()
    frame[DATE] = pd.to_datetime(frame[DATE]).dt.normalize()
    last = pd.Timestamp(end) if end is not None else frame[DATE].max()
    first = frame.groupby(SKU, sort=True)[DATE].min()
    lengths = ((last - first).dt.days + 1).clip(lower=0).to_numpy()
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    grid = pd.DataFrame(
        {
            SKU: np.repeat(first.index.to_numpy(), lengths),
            DATE: np.repeat(first.to_numpy(), lengths) + pd.to_timedelta(offsets, unit="D"),
        }
    )
    full = grid.merge(frame, on=[SKU, DATE], how="left")
    full[QTY] = full[QTY].fillna(0.0)
    if PROMO in full:
        full[PROMO] = full[PROMO].fillna(0.0)
    if PRICE in full:
        # Each SKU's gaps take its last known price (its first known before any).
        full[PRICE] = full.groupby(SKU, sort=False)[PRICE].ffill()
        full[PRICE] = full.groupby(SKU, sort=False)[PRICE].bfill()
    return full


def load_sales(
    conn: duckdb.DuckDBPyConnection, *, skus: Sequence[str] | None = None,
    end: pd.Timestamp | None = None, sku_range: tuple[str, str] | None = None,
) -> pd.DataFrame:
    """Daily sales in the long format ``sku, date, qty, price, promo, stockout``, gap-free.

    ``stockout`` is True where inventory history records zero on hand for that SKU and day (so a
    zero sale is censored demand). Without inventory history it is False. Rows are filled up to
    ``end`` (default: the last date of the rows read; a chunk of SKUs passes the shop's).
    ``sku_range=(first, last)`` reads the SKUs from ``first`` to ``last`` (inclusive, in
    DuckDB's order): a chunk of the sorted SKUs, read through the tables' zone maps instead of a
    scan of every row.
    """
    params: list[object] = []
    where = ""
    if skus is not None:
        where = "WHERE s.sku IN (SELECT unnest(?))"
        params.append(list(skus))
    elif sku_range is not None:
        where = "WHERE s.sku BETWEEN ? AND ?"
        params.extend(sku_range)
    sales = conn.execute(
        "SELECT s.sku, s.date, s.qty, s.price, coalesce(s.promo, 0) AS promo "
        f"FROM sales s {where} ORDER BY s.sku, s.date",
        params,
    ).df()
    sales[SKU] = sales[SKU].astype(str)
    filled = fill_missing_days(sales, end=end)
    if filled.empty:
        filled[STOCKOUT] = pd.Series(dtype=bool)
        return filled[[SKU, DATE, QTY, PRICE, PROMO, STOCKOUT]]
    zero_stock = conn.execute(
        "SELECT sku, as_of AS date FROM inventory WHERE on_hand <= 0"
        + (" AND sku IN (SELECT unnest(?))" if skus is not None else "")
        + (" AND sku BETWEEN ? AND ?" if skus is None and sku_range is not None else ""),
        params,
    ).df()
    zero_stock[DATE] = pd.to_datetime(zero_stock[DATE])
    zero_stock[STOCKOUT] = True
    filled = filled.merge(zero_stock, on=[SKU, DATE], how="left")
    filled[STOCKOUT] = filled[STOCKOUT].notna()
    # A day with sales is not a stockout day for demand purposes even if a snapshot says 0.
    filled.loc[filled[QTY] > 0, STOCKOUT] = False
    return filled[[SKU, DATE, QTY, PRICE, PROMO, STOCKOUT]].reset_index(drop=True)


def load_products(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The products table."""
    return conn.execute("SELECT * FROM products ORDER BY sku").df()


def load_inventory(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """All inventory snapshots ``sku, as_of, on_hand``."""
    return conn.execute("SELECT * FROM inventory ORDER BY sku, as_of").df()


def latest_on_hand(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The latest snapshot per SKU: ``sku, as_of, on_hand``."""
    # arg_max is a hash aggregate: at 100,000 SKUs x 730 days far cheaper than ranking every
    # snapshot with a window; (sku, as_of) is the key, so there are no ties.
    return conn.execute(
        "SELECT sku, max(as_of) AS as_of, arg_max(on_hand, as_of) AS on_hand FROM inventory "
        "GROUP BY sku ORDER BY sku"
    ).df()


def open_purchase_orders(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Open purchase-order lines ``po_id, sku, qty, eta, status``; ``qty`` is what is still to
    arrive (ordered minus received), so a partly received line counts only its rest."""
    return conn.execute(
        "SELECT po_id, sku, qty - coalesce(received_qty, 0) AS qty, eta, status "
        "FROM purchase_orders WHERE status = 'open' ORDER BY eta, po_id, sku"
    ).df()


def load_order_lines(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """All order lines ``order_id, line_no, customer_id, sku, ts, qty, price``."""
    return conn.execute("SELECT * FROM order_lines ORDER BY ts, order_id, line_no").df()


def table_counts(conn: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Row count of every core table."""

    return {t: int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in CORE_TABLES}


def data_version(conn: duckdb.DuckDBPyConnection) -> str:
    """A fingerprint of the demand data: changes whenever sales, past stockout days (snapshots
    at or below 0 before the last sales day, which censor demand), products or ingested files
    change.

    Used to cache forecast runs until data change. The stock now (the last day's snapshot, which
    a receipt or a stock count updates) does not change the forecast, so it is keyed into the
    policy run instead (``reorder.runs.inputs_version``); any ingested file still counts here.

    Read from the stored fingerprint parts (``store/versions.py``: one small row per part, the
    same text the full scan of the tables gives).
    """
    return "|".join(versions.parts(conn, ("sales", "stockouts", "products", "ingest")))


def sku_catalog(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """SKUs with sales: ``sku, qty`` (units sold in total), ``name``; top sellers first."""
    return conn.execute(
        "SELECT s.sku, sum(s.qty) AS qty, any_value(p.name) AS name FROM sales s "
        "LEFT JOIN products p ON p.sku = s.sku GROUP BY s.sku ORDER BY qty DESC, s.sku"
    ).df()
