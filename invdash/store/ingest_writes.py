"""SQL for the writes of the staged sales, products, inventory and purchase-order files.

Each primary-keyed kind is written one of two ways (``store.ingest_swap`` has the why): straight
into its core table (``DELETE`` of the file's keys, then ``INSERT``) inside the caller's
transaction, or into the table's staging copy in committed blocks of staged rows, for a large
file. Both run the same ``INSERT ... SELECT`` from ``_ingest_typed``; the table's primary key
refuses a file that repeats a key (the caller then names the lines).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import duckdb

from invdash.store import versions
from invdash.store.ingest_swap import copy_kept, create_staged, fill_blocks, staged_name

__all__ = [
    "store_sales", "store_products", "store_inventory", "store_purchase_orders", "store_kind",
    "stage_kind",
]

#: The insert of each kind's staged rows; ``{t}`` is the core table or its staging copy.
_INSERTS = {
    "sales": "INSERT INTO {t} (sku, date, qty, price, promo) "
             "SELECT sku, date, qty, price, coalesce(promo, 0) FROM _ingest_typed",
    "inventory": "INSERT INTO {t} (sku, as_of, on_hand) SELECT sku, as_of, on_hand "
                 "FROM _ingest_typed",
    "purchase_orders": "INSERT INTO {t} (po_id, sku, qty, eta, status) "
                       "SELECT po_id, sku, qty, eta, coalesce(lower(status), 'open') "
                       "FROM _ingest_typed",
}
_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")
_KEYS = {"sales": "(sku, date)", "inventory": "(sku, as_of)", "purchase_orders": "(po_id, sku)"}


def store_kind(conn: duckdb.DuckDBPyConnection, kind: str) -> int:
    """Replace the keys in the staged file of ``kind`` (``sales``, ``inventory`` or
    ``purchase_orders``) with its rows, in the caller's transaction; returns rows written."""
    keys = _KEYS[kind]
    query = f"DELETE FROM {kind} WHERE {keys} IN (SELECT {keys} FROM _ingest_typed)"
    conn.execute(query)
    versions.touch(conn, kind)
    return int(conn.execute(_INSERTS[kind].format(t=kind)).fetchone()[0])


def stage_kind(conn: duckdb.DuckDBPyConnection, kind: str, *, rows: int, block_rows: int) -> int:
    """Write the new content of ``kind``'s table into its staging copy in committed blocks:
    the stored rows the file does not replace, then the file's ``rows`` staged rows. Returns
    the file's rows written (``store.ingest_swap.swap_staged`` puts the copy in place)."""
    create_staged(conn, kind)
    copy_kept(conn, kind, replaced_by="_ingest_typed", block_rows=block_rows)
    query = _INSERTS[kind].format(t=staged_name(kind)) + " WHERE rowid >= ? AND rowid < ?"
    return fill_blocks(conn, query, rows=rows, block_rows=block_rows)


def store_sales(conn: duckdb.DuckDBPyConnection) -> int:
    """Replace the sku-days in the staged sales file; returns rows written."""
    return store_kind(conn, "sales")


def store_inventory(conn: duckdb.DuckDBPyConnection) -> int:
    """Replace the (sku, as_of) snapshots in the staged file; returns rows written."""
    return store_kind(conn, "inventory")


def store_purchase_orders(conn: duckdb.DuckDBPyConnection) -> int:
    """Replace the (po_id, sku) lines in the staged file; status defaults to ``open``."""
    return store_kind(conn, "purchase_orders")


def store_products(conn: duckdb.DuckDBPyConnection, columns: Sequence[str]) -> int:
    """Upsert products: only the given columns are written; other fields keep their values.

    ``columns`` are canonical product columns (checked identifiers), so a file that has only
    ``sku, supplier`` never blanks the names or costs already stored.
    """
    cols = [c for c in columns if c != "sku"]
    unsafe = [c for c in cols if not _IDENT.match(c)]
    if unsafe:
        raise ValueError(f"not a safe identifier: {unsafe[0]!r}")
    names = ", ".join(["sku", *cols])
    updates = ", ".join(f"{c} = excluded.{c}" for c in cols)
    action = f"DO UPDATE SET {updates}" if cols else "DO NOTHING"
    query = f"INSERT INTO products ({names}) SELECT {names} FROM _ingest_typed ON CONFLICT (sku) "
    conn.execute(query + action)
    versions.touch(conn, "products")
    return int(conn.execute("SELECT count(*) FROM _ingest_typed").fetchone()[0])
