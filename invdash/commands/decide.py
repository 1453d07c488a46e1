"""`invdash decide`: approve, edit or reject one SKU's reorder line (managers only).

``invdash decide --db PATH --sku S (--approve | --qty N | --reject REASON | --reopen)
[--override-reason TEXT] [--until DATE]`` decides on the SKU's line of the newest stored policy
run (``invdash reorder`` makes one). The decision joins the SKU's open proposal, so it carries
over to later runs. The user is ``$INVDASH_USER`` (``config.load_settings``). Roles as on the
dashboard: without a users file this is local single-user mode and the user acts as manager;
with one, the user must be in it with the manager role. An edit that breaks the MOQ, whole
packs, the maximum order or the supplier minimum exits 2 naming the rule and the nearest valid
quantities, unless ``--override-reason`` says why.
"""

from __future__ import annotations

import argparse

from invdash import store
from invdash.commands._actor import cli_actor
from invdash.commands._common import add_db_argument, db_path
from invdash.config import load_settings
from invdash.schema import InvalidDataError

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--db``, ``--sku``, one of ``--approve/--qty/--reject/--reopen``, ``--override-reason``,
    ``--until``."""
    add_db_argument(parser)
    parser.add_argument("--sku", required=True, help="the SKU whose line is decided")
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--approve", action="store_true", help="approve the suggested quantity")
    action.add_argument("--qty", type=float, metavar="N", help="edit: order N units instead")
    action.add_argument("--reject", metavar="REASON", help="reject the line, saying why")
    action.add_argument("--reopen", action="store_true", help="drop the current decision")
    parser.add_argument(
        "--override-reason", metavar="TEXT",
        help="accept a quantity that breaks MOQ / packs / maximum / supplier minimum, and why",
    )  # fmt: skip
    parser.add_argument("--until", metavar="DATE", help="a rejection holds until this date")


def _latest_run_id(conn: object) -> str:
    from invdash.store import reorder as reorder_store

    latest = reorder_store.latest_policy_run(conn)
    if latest.empty:
        raise InvalidDataError(
            "there is no stored policy run to decide on; run `invdash reorder --db PATH` first."
        )
    return str(latest.at[0, "run_id"])


def run(args: argparse.Namespace) -> int:
    """Record the decision (or reopen) and print what the line says now."""
    from invdash import reorder

    actor = cli_actor(load_settings(getattr(args, "db", None)))
    path = store.require_database(db_path(args))
    conn = store.connect(path)
    try:
        run_id = _latest_run_id(conn)
        if args.reopen:
            closed = reorder.reopen(conn, actor, [args.sku])
            print(f"{args.sku}: reopened ({closed} open proposal closed); the line is pending.")
            return 0
        action = "approve" if args.approve else "reject" if args.reject else "edit"
        reorder.decide(
            conn, actor, run_id, [args.sku], action=action,
            qty=None if args.qty is None else [args.qty], reason=args.reject,
            override_reason=args.override_reason, valid_until=args.until,
        )  # fmt: skip
        line = reorder.reviewed_run(conn, run_id).set_index("sku").loc[[args.sku]].iloc[0]
    finally:
        conn.close()
    print(f"{args.sku}: {line['status']} - {line['carry_note']}")
    return 0
