"""One row per purchase order (status, created time, latest ETA): the PO list's status counts
and its page order read this small table instead of aggregating every PO line.

Design (branch h-pages2, issue 13: at 100,000 SKUs the shop has 5.5 M PO lines and 2.9 M POs):
- ``po_rollup`` (migration in ``store/schema_scale.py``) is derived from ``purchase_orders``
  and ``po_headers``. Its freshness is the ``po_rollup`` part of ``data_versions``: every writer
  of those tables calls ``versions.touch`` (tests/unit/store/test_versions_scan.py), which marks
  the part dirty, and ``versions.settle`` rebuilds the table just before the write's ``COMMIT``.
- A writer of one PO (draft, send, receipt: ``store.purchase_orders``) calls ``touch(conn,
  po_id)`` instead: it recomputes that PO's row in place (milliseconds, where a rebuild at
  100,000 SKUs takes seconds). ``purchase_orders`` and ``po_headers`` feed no other part
  (tests/unit/purchasing/test_po_rollup.py checks it), so that is all their fingerprint needs.
- A reader uses the table only while the part is clean (``is_current``); otherwise (a write
  outside ``store.transaction``, a file without the table) it aggregates the lines live, with
  the same SQL (``STATUS_SQL``), so both give the same rows.
"""

from __future__ import annotations

import duckdb

__all__ = ["STATUS_SQL", "ROLLUP_SELECT", "REBUILD_SQL", "is_current", "touch"]

#: A PO's status from its lines (aliases: ``l`` the lines, grouped by ``po_id``).
STATUS_SQL = (
    "CASE WHEN bool_and(l.status = 'draft') THEN 'draft' "
    "WHEN bool_or(l.status = 'open') AND sum(coalesce(l.received_qty, 0)) > 0 "
    "THEN 'partly_received' "
    "WHEN bool_or(l.status = 'open') THEN 'sent' "
    "WHEN bool_and(l.status = 'received') THEN 'received' ELSE 'closed' END"
)

#: Per PO: the status, the header's creation time (None for a PO loaded from a file) and the
#: latest line ETA: what the list filters and orders on.
ROLLUP_SELECT = (
    f"SELECT l.po_id, {STATUS_SQL} AS status, any_value(h.created_at) AS _created, "
    "max(l.eta) AS _eta FROM purchase_orders l LEFT JOIN po_headers h ON h.po_id = l.po_id "
    "GROUP BY l.po_id"
)
_REFRESH_ONE = "INSERT INTO po_rollup " + ROLLUP_SELECT.replace(
    "GROUP BY", "WHERE l.po_id = ? GROUP BY"
)

#: Run by ``versions.settle`` when the part is dirty, before it stores the part's value.
REBUILD_SQL = ("DELETE FROM po_rollup", f"INSERT INTO po_rollup {ROLLUP_SELECT}")


def is_current(conn: duckdb.DuckDBPyConnection) -> bool:
    """Whether ``po_rollup`` matches the PO tables (its ``data_versions`` part is clean)."""
    exists = conn.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = current_schema() "
        "AND table_name IN ('po_rollup', 'data_versions')"
    ).fetchone()[0]
    if exists < 2:  # both tables
        return False
    row = conn.execute(
        "SELECT count(*) FROM data_versions WHERE part = 'po_rollup' AND NOT dirty"
    ).fetchone()
    return bool(row[0])


def touch(conn: duckdb.DuckDBPyConnection, po_id: str) -> None:
    """After a write to PO ``po_id``'s lines or header, in the write's transaction: its row
    recomputed in place while the table is current; a stale table stays stale (its part is
    dirty, so ``versions.settle`` rebuilds it whole)."""
    if not is_current(conn):
        return
    conn.execute("DELETE FROM po_rollup WHERE po_id = ?", [po_id])
    conn.execute(_REFRESH_ONE, [po_id])
