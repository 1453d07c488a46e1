"""`invdash master`: edit one SKU's master data, audited.

``invdash master --db D --sku S --set FIELD=VALUE [--set ...]`` with fields ``lead_time_days,
lead_time_sd_days, moq, pack_size, supplier, unit_cost`` and ``on_hand`` (a stock count, stored
as a new inventory snapshot). All changes land together or not at all, each recorded with user,
time, old and new value; the next policy run uses them. ``invdash master --db D --sku S
--history`` prints the SKU's audit trail.
"""

from __future__ import annotations

import argparse

from invdash import store
from invdash.commands._actor import cli_actor
from invdash.commands._common import add_db_argument, write_frame
from invdash.config import load_settings
from invdash.reorder import master_data
from invdash.schema import InvalidDataError
from invdash.store import master_data as md_store

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--db``, ``--sku``, repeated ``--set FIELD=VALUE``, ``--history``."""
    add_db_argument(parser)
    parser.add_argument("--sku", required=True, help="the product to edit")
    parser.add_argument(
        "--set", dest="assignments", action="append", default=[], metavar="FIELD=VALUE",
        help=f"a change (repeatable); fields: {', '.join(master_data.MASTER_FIELDS)}",
    )  # fmt: skip
    parser.add_argument("--history", action="store_true", help="print the SKU's audit trail")


def run(args: argparse.Namespace) -> int:
    """Apply the edits (or print the history)."""
    settings = load_settings(getattr(args, "db", None))
    store.require_database(settings.db_path)
    if not args.history and not args.assignments:
        raise InvalidDataError("give at least one --set FIELD=VALUE, e.g. --set moq=24.")
    changes = master_data.parse_assignments(args.assignments)
    conn = store.connect(settings.db_path)
    try:
        if args.history:
            write_frame(md_store.load_audit(conn, sku=args.sku), None)
            return 0
        done = master_data.edit_master_data(conn, args.sku, changes, cli_actor(settings))
    finally:
        conn.close()
    if done.empty:
        print(f"{args.sku}: nothing changed (the values are already set)")
    for row in done.itertuples(index=False):
        print(f"{row.sku}: {row.field} {row.old_value} -> {row.new_value}")
    return 0
