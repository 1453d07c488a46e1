"""The ``invdash`` command line: the same jobs as the dashboard, for batch runs and scripts.

Contract (stable names and flags): ``invdash demo | ingest | forecast | backtest | explain |
reorder | decide | replay | recommend``, plus ``invdash user add`` for the dashboard's logins and
``invdash po | override | master`` for purchase orders, forecast overrides and master data.
``invdash simulate`` is the earlier name of ``invdash replay`` and stays as an alias, so scripts
written against it keep working.
Exit 0 on success, 2 on invalid input (a short message on
stderr naming the file, column, rows and fix; no traceback), 1 on an unexpected error.

Each subcommand lives in ``invdash/commands/<name>.py`` with ``add_arguments(parser)`` and
``run(args) -> int``; this module only dispatches and maps errors to exit codes.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from collections.abc import Sequence

from invdash import __version__
from invdash.schema import InvdashError

__all__ = ["main", "build_parser", "COMMANDS"]

COMMANDS = {
    "demo": "build a realistic, seeded demo shop database",
    "ingest": "load a CSV/Parquet file (sales, order lines, products, inventory, purchase orders)",
    "forecast": "forecast demand per SKU (probabilistic, model chosen by backtest)",
    "backtest": "rolling-origin backtest: accuracy per model and demand class",
    "explain": "SHAP explanation of a SKU's forecast",
    "reorder": "reorder suggestions from the stock policy",
    "decide": "approve, edit or reject a SKU's reorder line (managers; carried over to new runs)",
    "replay": "replay the stock policy over history against the textbook policy",
    "simulate": "alias of `replay` (its earlier name)",
    "recommend": "inventory-aware product recommendations",
    "user": "create or update a dashboard user (role planner or manager; password hashed)",
    "po": "purchase orders: list, draft from approved lines, send, receive, export",
    "override": "adjust a SKU's or category's forecast over a date range (audited), FVA report",
    "master": "edit a SKU's master data (lead time, MOQ, pack, supplier, cost, on hand), audited",
}


#: Subcommands served by another command's module (old names kept for scripts).
ALIASES = {"simulate": "replay"}


def _command_module(name: str):
    return importlib.import_module(f"invdash.commands.{ALIASES.get(name, name)}")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(prog="invdash", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"invdash {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, help_text in COMMANDS.items():
        command_parser = sub.add_parser(name, help=help_text, description=help_text)
        _command_module(name).add_arguments(command_parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 2 invalid input, 1 unexpected error)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(_command_module(args.command).run(args) or 0)
    except InvdashError as err:
        print(f"invdash {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"invdash {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as err:
        print(
            f"invdash {args.command}: unexpected error: {type(err).__name__}: {err}\n"
            "This is a bug; please report it with the command you ran.",
            file=sys.stderr,
        )
        if "--debug" in sys.argv or __import__("os").environ.get("INVDASH_DEBUG"):
            traceback.print_exc()
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
