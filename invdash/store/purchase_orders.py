"""SQL for purchase orders from draft to receipt: headers, lines, events, receipts.

Design:
- ``purchase_orders`` (core table, also filled by CSV ingest) holds the lines: ``po_id, sku, qty,
  eta, status``. Migration 7 adds ``unit_cost`` (the price agreed on the PO), ``received_qty``
  (default 0), ``line_no`` and ``source_run_id`` (the policy run the line was drafted from).
  Ingest writes only the original five columns, so ingest keeps working and its rows get the
  defaults.
- Line status: ``draft`` (not on order yet), ``open`` (sent: on order, counts in the policy),
  ``received`` (fully received). Ingested files may write other words (``closed`` ...); only
  ``open`` counts as on order, as before.
- ``po_headers``: one row per PO that invdash drafted (supplier, currency, dates, who and when).
  Ingested POs have no header; their supplier and costs come from ``products``.
- ``po_events``: append-only log of every transition (draft, send, receive) with user and time.
The tables are defined in ``store/schema.py`` (``PURCHASING_DDL``, migration 7).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import duckdb
import pandas as pd

from invdash.store import po_rollup, versions

__all__ = [
    "next_po_number",
    "insert_purchase_order",
    "record_po_event",
    "load_po_lines",
    "load_po_header",
    "po_summary",
    "po_status_counts",
    "open_lines_of",
    "drafted_skus",
    "mark_sent",
    "receive_line",
    "add_on_hand",
]

_SUMMARY_SQL = (  # {where}: all POs or only the POs ``$ids`` (a filter DuckDB pushes down)
    "SELECT * FROM (SELECT l.po_id, "
    "coalesce(any_value(h.supplier), min(p.supplier), '(no supplier)') "
    f"AS supplier, {po_rollup.STATUS_SQL} AS status, count(*) AS lines, sum(l.qty) AS units, "
    "sum(coalesce(l.received_qty, 0)) AS received_units, "
    "round(sum(l.qty * coalesce(l.unit_cost, p.unit_cost)), 2) AS value, "
    "coalesce(any_value(h.currency), $currency) AS currency, "
    "any_value(h.order_date) AS order_date, "
    "coalesce(any_value(h.expected_date), max(l.eta)) AS expected_date, "
    "any_value(h.created_by) AS created_by, any_value(h.sent_by) AS sent_by, "
    "any_value(h.sent_at) AS sent_at, "
    "CASE WHEN any_value(h.po_id) IS NULL THEN 'file' ELSE 'invdash' END AS source, "
    "any_value(h.created_at) AS _created, max(l.eta) AS _eta "
    "FROM purchase_orders l LEFT JOIN po_headers h ON h.po_id = l.po_id "
    "LEFT JOIN products p ON p.sku = l.sku "
    "{where} GROUP BY l.po_id) "
    "WHERE $status IS NULL OR status = $status "
    "ORDER BY _created DESC NULLS LAST, _eta DESC NULLS LAST, po_id LIMIT $limit OFFSET $offset"
)


#: A page's POs first (no products join, only what the filter and the order need); then
#: ``_SUMMARY_SQL`` for those POs. ``{source}``: ``po_rollup`` when current, else its SELECT.
_PAGE_IDS_SQL = (
    "SELECT po_id FROM {source} WHERE $status IS NULL OR status = $status "
    "ORDER BY _created DESC NULLS LAST, _eta DESC NULLS LAST, po_id LIMIT $limit OFFSET $offset"
)

_STATUS_COUNTS_SQL = "SELECT status, count(*) FROM {source} GROUP BY status ORDER BY status"


def _per_po(conn: duckdb.DuckDBPyConnection) -> str:
    """The per-PO rows: the stored table when current, else the same rows aggregated live."""
    return "po_rollup" if po_rollup.is_current(conn) else f"({po_rollup.ROLLUP_SELECT})"


def _now() -> object:
    return pd.Timestamp.now(tz="UTC").tz_localize(None).to_pydatetime()


def next_po_number(conn: duckdb.DuckDBPyConnection, order_date: pd.Timestamp) -> str:
    """The next free PO number of the day: ``PO-YYYYMMDD-NNN`` (001, 002, ...)."""
    prefix = f"PO-{pd.Timestamp(order_date):%Y%m%d}-"
    row = conn.execute(
        "SELECT count(DISTINCT po_id) FROM purchase_orders WHERE starts_with(po_id, ?)", [prefix]
    ).fetchone()
    number = int(row[0]) + 1
    while conn.execute(
        "SELECT count(*) FROM purchase_orders WHERE po_id = ?", [f"{prefix}{number:03d}"]
    ).fetchone()[0]:
        number += 1
    return f"{prefix}{number:03d}"


def insert_purchase_order(
    conn: duckdb.DuckDBPyConnection, header: dict[str, object], lines: pd.DataFrame
) -> None:
    """Insert a draft PO: ``header`` (po_id, supplier, currency, order_date, expected_date,
    created_by) and ``lines`` (sku, qty, eta, unit_cost, line_no, source_run_id). In a
    transaction."""
    conn.execute(
        "INSERT INTO po_headers (po_id, supplier, currency, order_date, expected_date, "
        "created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            header["po_id"], header["supplier"], header["currency"], header["order_date"],
            header["expected_date"], header["created_by"], _now(),
        ],
    )  # fmt: skip
    for line in lines.itertuples(index=False):
        conn.execute(
            "INSERT INTO purchase_orders (po_id, sku, qty, eta, status, unit_cost, received_qty, "
            "line_no, source_run_id) VALUES (?, ?, ?, ?, 'draft', ?, 0, ?, ?)",
            [
                header["po_id"], str(line.sku), float(line.qty), pd.Timestamp(line.eta).date(),
                None if pd.isna(line.unit_cost) else float(line.unit_cost), int(line.line_no),
                line.source_run_id,
            ],
        )  # fmt: skip
    po_rollup.touch(conn, header["po_id"])  # the only part these tables feed


def record_po_event(  # noqa: PLR0913 - one event has these parts
    conn: duckdb.DuckDBPyConnection,
    po_id: str,
    event: str,
    *,
    user: str,
    sku: str | None = None,
    qty: float | None = None,
) -> None:
    """Append one event (``draft``, ``send`` or ``receive``) to ``po_events``."""
    conn.execute(
        'INSERT INTO po_events (event_id, po_id, event, sku, qty, "user", event_at) '
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [uuid.uuid4().hex, po_id, event, sku, qty, user, _now()],
    )


def load_po_lines(conn: duckdb.DuckDBPyConnection, po_ids: Sequence[str]) -> pd.DataFrame:
    """Lines of the given POs with product name and the effective unit cost:
    ``po_id, line_no, sku, name, qty, received_qty, unit_cost, eta, status``."""
    return conn.execute(
        "SELECT l.po_id, coalesce(l.line_no, row_number() OVER (PARTITION BY l.po_id "
        "ORDER BY l.sku)) AS line_no, l.sku, p.name, l.qty, coalesce(l.received_qty, 0) "
        "AS received_qty, coalesce(l.unit_cost, p.unit_cost) AS unit_cost, l.eta, l.status "
        "FROM purchase_orders l LEFT JOIN products p ON p.sku = l.sku "
        "WHERE l.po_id IN (SELECT unnest(?)) ORDER BY l.po_id, line_no, l.sku",
        [list(po_ids)],
    ).df()


def load_po_header(
    conn: duckdb.DuckDBPyConnection, po_id: str, *, currency: str = ""
) -> pd.DataFrame:
    """The summary row of one PO (empty frame when there is no such PO)."""
    return po_summary(conn, currency=currency, po_ids=[po_id])


def po_summary(
    conn: duckdb.DuckDBPyConnection, *, currency: str, status: str | None = None,
    po_ids: Sequence[str] | None = None, page: tuple[int, int] | None = None,
) -> pd.DataFrame:
    """One row per PO, newest first: ``po_id, supplier, status, lines, units, received_units,
    value, currency, order_date, expected_date, created_by, sent_by, sent_at, source``.

    ``currency`` is shown for ingested POs, which have no header; ``source`` is ``invdash``
    for a PO drafted here (it has a header) and ``file`` for one loaded from a file. The
    filters, the order and the page run in DuckDB, so a page
    of a shop with millions of POs is a page of rows, not the whole list.

    Args:
        status: only POs of this status (``draft``, ``sent``, ``partly_received``,
            ``received``, ``closed``).
        po_ids: only these POs.
        page: ``(limit, offset)``: ``limit`` rows after the first ``offset`` (None: all rows;
            ``ui.paging.page_controls`` returns this pair).
    """
    limit, offset = (None, 0) if page is None else page
    if po_ids is None and limit is not None:
        po_ids = [r[0] for r in conn.execute(_PAGE_IDS_SQL.format(source=_per_po(conn)), {
            "status": status, "limit": limit, "offset": int(offset)}).fetchall()]  # fmt: skip
        limit, offset = None, 0
    where, params = "", {"currency": currency, "status": status, "limit": limit,
                         "offset": int(offset)}  # fmt: skip
    if po_ids is not None:
        where, params["ids"] = "WHERE l.po_id IN (SELECT unnest($ids))", list(po_ids)
    frame = conn.execute(_SUMMARY_SQL.format(where=where), params).df()
    return frame.drop(columns=["_created", "_eta"])


def po_status_counts(conn: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """How many POs have each status (the PO list's filter and page count)."""
    rows = conn.execute(_STATUS_COUNTS_SQL.format(source=_per_po(conn))).fetchall()
    return {str(status): int(n) for status, n in rows}


def open_lines_of(conn: duckdb.DuckDBPyConnection, sku: str) -> pd.DataFrame:
    """``store.open_purchase_orders`` of one SKU (same columns, order and rest-to-arrive qty),
    read alone: the SKU Explorer's chart, not every open line of the shop."""
    return conn.execute(
        "SELECT po_id, sku, qty - coalesce(received_qty, 0) AS qty, eta, status "
        "FROM purchase_orders WHERE status = 'open' AND sku = ? ORDER BY eta, po_id, sku",
        [str(sku)],
    ).df()


def drafted_skus(conn: duckdb.DuckDBPyConnection, run_id: str) -> set[str]:
    """SKUs already put on a PO from policy run ``run_id``, plus SKUs on any draft PO."""
    rows = conn.execute(
        "SELECT DISTINCT sku FROM purchase_orders WHERE source_run_id = ? OR status = 'draft'",
        [run_id],
    ).fetchall()
    return {str(r[0]) for r in rows}


def mark_sent(conn: duckdb.DuckDBPyConnection, po_id: str, *, user: str) -> None:
    """Draft lines of ``po_id`` become ``open`` (on order); the header records who sent it."""
    conn.execute(
        "UPDATE purchase_orders SET status = 'open' WHERE po_id = ? AND status = 'draft'", [po_id]
    )
    conn.execute(
        "UPDATE po_headers SET sent_by = ?, sent_at = ? WHERE po_id = ?", [user, _now(), po_id]
    )
    po_rollup.touch(conn, po_id)  # the only part these tables feed


def receive_line(conn: duckdb.DuckDBPyConnection, po_id: str, sku: str, qty: float) -> None:
    """Add ``qty`` to the line's received units; a line received in full becomes ``received``,
    and the header is closed when no line is open any more."""
    conn.execute(
        "UPDATE purchase_orders SET received_qty = coalesce(received_qty, 0) + ?, "
        "status = CASE WHEN coalesce(received_qty, 0) + ? >= qty - 1e-9 THEN 'received' "
        "ELSE status END WHERE po_id = ? AND sku = ?",
        [float(qty), float(qty), po_id, sku],
    )
    conn.execute(
        "UPDATE po_headers SET closed_at = ? WHERE po_id = ? AND closed_at IS NULL AND NOT EXISTS "
        "(SELECT 1 FROM purchase_orders WHERE po_id = ? AND status = 'open')",
        [_now(), po_id, po_id],
    )
    po_rollup.touch(conn, po_id)  # the only part these tables feed


def add_on_hand(
    conn: duckdb.DuckDBPyConnection, sku: str, qty: float, *, on: pd.Timestamp
) -> float:
    """A new stock snapshot on day ``on``: the SKU's latest on hand (at or before ``on``) plus
    ``qty``; replaces a snapshot of that day. Returns the new on hand."""
    day = pd.Timestamp(on).date()
    row = conn.execute(
        "SELECT on_hand FROM inventory WHERE sku = ? AND as_of <= ? ORDER BY as_of DESC LIMIT 1",
        [sku, day],
    ).fetchone()
    on_hand = (0.0 if row is None else float(row[0])) + float(qty)
    conn.execute(
        "INSERT OR REPLACE INTO inventory (sku, as_of, on_hand) VALUES (?, ?, ?)",
        [sku, day, on_hand],
    )
    versions.touch(conn, "inventory")
    return on_hand
