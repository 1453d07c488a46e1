"""`invdash po`: purchase orders from draft to receipt.

- ``invdash po --db D list [--out F]``: every PO, newest first (``po_id, supplier, status, lines,
  units, received_units, value, currency, order_date, expected_date, created_by, sent_by,
  sent_at``).
- ``invdash po --db D draft``: one draft PO per supplier from the approved reorder lines.
- ``invdash po --db D send PO_ID [--out F]``: send a draft (managers); writes its document.
- ``invdash po --db D receive PO_ID [--sku S --qty N]``: receive everything outstanding, or N
  units of one line (managers); on hand rises.
- ``invdash po --db D export [--out F] [--status S ...]``: the documents of many POs as one CSV.
CSV files are spreadsheet-safe (``reorder.to_spreadsheet_csv``): whole units, money to cents.
The user is ``$INVDASH_USER`` (see ``commands._actor``); the currency is ``$INVDASH_CURRENCY``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

from invdash import store
from invdash.commands._actor import cli_actor
from invdash.commands._common import add_db_argument
from invdash.config import Settings, load_settings
from invdash.reorder import purchasing as po
from invdash.schema import InvalidDataError

__all__ = ["add_arguments", "run"]

_STATUSES = ("draft", "sent", "partly_received", "received", "closed")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--db`` and the ``list | draft | send | receive | export`` actions."""
    add_db_argument(parser)
    actions = parser.add_subparsers(dest="po_action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="every purchase order, newest first")
    listing.add_argument("--out", metavar="FILE", help="output CSV (default: stdout)")
    actions.add_parser("draft", help="one draft PO per supplier from the approved lines")
    send = actions.add_parser("send", help="send a draft PO (managers); writes its document")
    send.add_argument("po_id", metavar="PO_ID")
    send.add_argument("--out", metavar="FILE", help="the PO document as CSV (default: stdout)")
    receive = actions.add_parser("receive", help="receive a sent PO, fully or one line partly")
    receive.add_argument("po_id", metavar="PO_ID")
    receive.add_argument("--sku", help="receive only this line")
    receive.add_argument("--qty", type=float, help="units received of --sku (default: all open)")
    export = actions.add_parser("export", help="the documents of many POs as one CSV")
    export.add_argument("--out", metavar="FILE", help="output CSV (default: stdout)")
    export.add_argument(
        "--status", action="append", choices=_STATUSES,
        help="only POs with this status (repeatable; default: every PO)",
    )  # fmt: skip


def _write(data: bytes, out: str | None) -> None:
    if out and out != "-":
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_bytes(data)
    else:
        sys.stdout.write(data.decode("utf-8-sig"))


def run(args: argparse.Namespace) -> int:
    """Run one PO action on the database."""
    settings = load_settings(getattr(args, "db", None))
    store.require_database(settings.db_path)
    conn = store.connect(settings.db_path)
    try:
        return _ACTIONS[args.po_action](conn, args, settings)
    finally:
        conn.close()


def _list(conn: duckdb.DuckDBPyConnection, args: argparse.Namespace, settings: Settings) -> int:
    _write(po.document_csv(po.list_purchase_orders(conn, currency=settings.currency)), args.out)
    return 0


def _draft(
    conn: duckdb.DuckDBPyConnection,
    args: argparse.Namespace,  # noqa: ARG001 - one signature for every action
    settings: Settings,
) -> int:
    po_ids = po.draft_purchase_orders(conn, cli_actor(settings), currency=settings.currency)
    summary = po.list_purchase_orders(conn, currency=settings.currency)
    for row in summary[summary["po_id"].isin(po_ids)].itertuples(index=False):
        print(f"{row.po_id}  {row.supplier}: {row.lines} lines, {row.units} units, "
              f"{row.value:.2f} {row.currency}, expected {row.expected_date}")  # fmt: skip
    return 0


def _send(conn: duckdb.DuckDBPyConnection, args: argparse.Namespace, settings: Settings) -> int:
    po.send_purchase_order(conn, args.po_id, cli_actor(settings))
    document = po.po_document(conn, args.po_id, currency=settings.currency)
    _write(po.document_csv(document), args.out)
    print(f"{args.po_id} sent: {len(document)} lines now count as on order", file=sys.stderr)
    return 0


def _receive(conn: duckdb.DuckDBPyConnection, args: argparse.Namespace, settings: Settings) -> int:
    if args.qty is not None and args.sku is None:
        raise InvalidDataError("--qty needs --sku: say which line the units are for.")
    received = po.receive_purchase_order(
        conn, args.po_id, cli_actor(settings), sku=args.sku, qty=args.qty
    )
    status = po.list_purchase_orders(conn, currency=settings.currency)
    state = status.loc[status["po_id"] == args.po_id, "status"].iloc[0]
    for row in received.itertuples(index=False):
        print(f"{row.sku}: received {row.received:g}, on hand now {row.on_hand:g}")
    print(f"{args.po_id} is {state}")
    return 0


def _export(conn: duckdb.DuckDBPyConnection, args: argparse.Namespace, settings: Settings) -> int:
    summary = po.list_purchase_orders(conn, currency=settings.currency)
    if args.status:
        summary = summary[summary["status"].isin(args.status)]
    export = po.combined_export(conn, summary["po_id"].tolist(), currency=settings.currency)
    _write(po.document_csv(export), args.out)
    return 0


_ACTIONS = {"list": _list, "draft": _draft, "send": _send, "receive": _receive, "export": _export}
