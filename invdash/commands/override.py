"""`invdash override`: adjust a SKU's or a category's forecast over a date range, with a reason.

``invdash override --db D (--sku S | --category C) --from DATE --to DATE (--factor F |
--units N | --set N) --reason TEXT`` stores the override (who, when, why); every later policy run
plans on the overridden forecast. ``--units`` and ``--set`` are units per forecast period (a day
at daily grain). ``invdash override --db D --report [--out F]`` writes the forecast-value-added
report instead (MAE and bias of the system and the overridden forecast on the actuals).
"""

from __future__ import annotations

import argparse

from invdash import store
from invdash.commands._actor import cli_actor
from invdash.commands._common import add_db_argument, write_frame
from invdash.config import load_settings
from invdash.reorder import forecast_overrides as overrides
from invdash.schema import InvalidDataError

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Scope, dates, one adjustment, the reason; or ``--report``."""
    add_db_argument(parser)
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument("--sku", help="override this SKU's forecast")
    scope.add_argument("--category", help="override every SKU of this category")
    parser.add_argument("--from", dest="start", metavar="DATE", help="first day (YYYY-MM-DD)")
    parser.add_argument("--to", dest="end", metavar="DATE", help="last day (YYYY-MM-DD)")
    change = parser.add_mutually_exclusive_group()
    change.add_argument("--factor", type=float, help="multiply the forecast, e.g. 1.3")
    change.add_argument("--units", type=float, help="add N units per period (may be negative)")
    change.add_argument("--set", dest="set_units", type=float, help="set N units per period")
    parser.add_argument("--reason", help="why (required), e.g. 'promo in week 12'")
    parser.add_argument("--report", action="store_true", help="write the FVA report instead")
    parser.add_argument("--out", metavar="FILE", help="report CSV (default: stdout)")


def _adjustment(args: argparse.Namespace) -> tuple[str, float]:
    for kind, value in (("factor", args.factor), ("units", args.units), ("set", args.set_units)):
        if value is not None:
            return kind, value
    raise InvalidDataError("say how to change the forecast: --factor F, --units N or --set N.")


def run(args: argparse.Namespace) -> int:
    """Store one override, or write the FVA report."""
    settings = load_settings(getattr(args, "db", None))
    store.require_database(settings.db_path)
    if not args.report and (args.start is None or args.end is None):
        raise InvalidDataError("an override needs its date range: --from DATE --to DATE.")
    kind, value = (None, None) if args.report else _adjustment(args)
    conn = store.connect(settings.db_path)
    try:
        if args.report:
            write_frame(overrides.fva_report(conn).round(3), args.out)
            return 0
        override_id = overrides.add_forecast_override(
            conn, cli_actor(settings), start=args.start, end=args.end, kind=kind, value=value,
            reason=args.reason or "", sku=args.sku, category=args.category,
        )  # fmt: skip
    finally:
        conn.close()
    target = f"SKU {args.sku}" if args.sku else f"category {args.category}"
    print(f"override {override_id}: {target} {args.start}..{args.end} {kind} {value:g}")
    return 0
