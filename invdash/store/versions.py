"""Stored data fingerprints: what ``store.data_version``, ``recs.rec_data_version`` and
``overview.summary_version`` return, read from one small table instead of scanning sales,
stock and order lines on every page open.

Design (branch h-fp, issue 13):
- ``data_versions`` holds one row per *part* of a fingerprint: ``sales`` (count, units, last
  day), ``stockouts`` (the past stockout days: count and a hash), ``products`` (count),
  ``ingest`` (the last ingest time), ``order_lines`` (count, units, first and last time,
  customers), ``stock`` (count, units, last day: ``master_data.edits_version``) and, for the
  stored page summaries, ``sales_rows``, ``stock_rows`` and ``product_rows`` (a hash of every
  row). A part's text is exactly what the former full scan
  printed for those values, so a version read here equals the one the full scan gave: runs
  and summaries stored under it stay current.
- A writer calls ``touch(conn, table)`` next to its SQL, in the same transaction: that marks
  the parts computed from ``table`` dirty (one ``UPDATE`` of a few rows). ``store.transaction``
  calls ``settle`` just before ``COMMIT``: it recomputes the dirty parts (each scans only its
  own table) and clears the marks, so the new versions commit with the write or not at all.
- A reader (``parts``) takes stored parts that are not dirty and computes the others live (a
  write outside ``transaction`` left them dirty); a file without the table (before this
  migration, e.g. opened by an older invdash) gets every part computed live. A forgotten
  ``touch`` would show stale pages: tests/unit/store/test_versions_writers.py runs every writer
  against the full scan, and test_versions_scan.py fails on SQL that writes a tracked table in
  a function that does not call ``touch``.
- Semantics kept from the full scan: the stock *now* (a snapshot on or after the last sales
  day, which stock counts and receipts write) is not part of ``stockouts``; such a write marks
  the part dirty and the recompute gives the same text, so the demand version does not move
  (``stock_rows`` does move: the Overview shows the stock).
- Cost: a write pays the scans of the parts it touched, in its transaction (at 100,000 SKUs x
  730 days on a loaded 2-core machine: ``stockouts`` 4 s, ``sales`` 1.5 s, ``order_lines``
  44 s for its distinct customers); a page pays one small read.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from invdash.store import po_rollup

__all__ = ["PARTS", "TRACKED", "touch", "settle", "parts", "compute_part", "has_versions"]

#: SQL of each part; the text stored is ``"|".join(str(v) for v in row)``.
PARTS: dict[str, str] = {
    "sales": "SELECT count(*), coalesce(sum(qty), 0), max(date) FROM sales",
    "stockouts": (
        "WITH past_stockouts AS (SELECT sku, as_of FROM inventory WHERE on_hand <= 0 "
        "AND as_of < (SELECT max(date) FROM sales)) "
        "SELECT count(*), coalesce(sum(hash(sku, as_of)), 0) FROM past_stockouts"
    ),
    "products": "SELECT count(*) FROM products",
    "ingest": "SELECT max(ingested_at) FROM ingest_log",
    "order_lines": (
        "SELECT count(*), coalesce(sum(qty), 0), min(ts), max(ts), "
        "count(DISTINCT customer_id) FROM order_lines"
    ),
    # Every row (integer sums of hashes: a parallel float sum is not stable): the stored page
    # summaries' key (``store.overview.summary_version``, ``store.windows.recent_inputs``).
    "sales_rows": (
        "SELECT count(*), coalesce(sum(hash(sku, date, qty, price)), 0), max(date) FROM sales"
    ),
    "stock_rows": (
        "SELECT count(*), coalesce(sum(hash(sku, as_of, on_hand)), 0), max(as_of) FROM inventory"
    ),
    "stock": "SELECT count(*), coalesce(sum(on_hand), 0), max(as_of) FROM inventory",
    "product_rows": (
        "SELECT count(*), coalesce(sum(hash(sku, category, unit_cost, unit_price)), 0) "
        "FROM products"
    ),
    # Branch h-pages2: the per-PO table of the PO list; ``REBUILDS`` refills it first.
    "po_rollup": "SELECT count(*) FROM po_rollup",
}

#: Statements run before a dirty part is computed (the part is a derived table).
REBUILDS: dict[str, tuple[str, ...]] = {"po_rollup": po_rollup.REBUILD_SQL}

#: The parts each table's content feeds (past stockouts are dated against the last sales day).
TRACKED: dict[str, tuple[str, ...]] = {
    "sales": ("sales", "stockouts", "sales_rows"),
    "inventory": ("stockouts", "stock_rows", "stock"),
    "products": ("products", "product_rows"),
    "ingest_log": ("ingest",),
    "order_lines": ("order_lines",),
    "purchase_orders": ("po_rollup",),
    "po_headers": ("po_rollup",),
}


def has_versions(conn: duckdb.DuckDBPyConnection) -> bool:
    """Whether the file has the ``data_versions`` table (migrated by this invdash)."""
    row = conn.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'data_versions' "
        "AND schema_name = current_schema()"
    ).fetchone()
    return bool(row[0])


def touch(conn: duckdb.DuckDBPyConnection, *tables: str) -> None:
    """Mark the parts fed by ``tables`` dirty; call it with every write to a tracked table, in
    the write's transaction (untracked names are ignored, so generic writers pass theirs)."""
    names = sorted({part for table in tables for part in TRACKED.get(table, ())})
    if names and has_versions(conn):
        conn.execute(
            "UPDATE data_versions SET dirty = true WHERE part IN (SELECT unnest(?))", [names]
        )


def compute_part(conn: duckdb.DuckDBPyConnection, name: str) -> str:
    """One part computed from its table (a full scan of that table)."""
    return "|".join(str(v) for v in conn.execute(PARTS[name]).fetchone())


def _sources(name: str) -> set[str]:
    return {table for table, fed in TRACKED.items() if name in fed}


def _needs(name: str) -> set[str]:
    return _sources(name) | ({name} if name in REBUILDS else set())  # a derived table: itself


def settle(conn: duckdb.DuckDBPyConnection) -> None:
    """Recompute the dirty parts and clear their marks (``store.transaction`` calls it before
    ``COMMIT``; cheap when nothing is dirty). A part whose table is missing (a file migrated
    part way) stays dirty: a reader computes it, as the full scan did."""
    if not has_versions(conn):
        return
    dirty = [r[0] for r in conn.execute("SELECT part FROM data_versions WHERE dirty").fetchall()]
    tables = {r[0] for r in conn.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = current_schema()"
    ).fetchall()}  # fmt: skip
    for name in (n for n in dirty if _needs(n) <= tables):
        for statement in REBUILDS.get(name, ()):
            conn.execute(statement)
        conn.execute(
            "UPDATE data_versions SET value = ?, dirty = false WHERE part = ?",
            [compute_part(conn, name), name],
        )


def parts(conn: duckdb.DuckDBPyConnection, names: Sequence[str]) -> list[str]:
    """The texts of ``names``: stored where clean, computed live where dirty or missing."""
    stored: dict[str, str] = {}
    if has_versions(conn):
        rows = conn.execute(
            "SELECT part, value FROM data_versions WHERE NOT dirty AND value IS NOT NULL "
            "AND part IN (SELECT unnest(?))",
            [list(names)],
        ).fetchall()
        stored = dict(rows)
    return [stored[name] if name in stored else compute_part(conn, name) for name in names]
