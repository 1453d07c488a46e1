"""`invdash demo`: build the seeded demo shop into a database (replacing its core tables).

    invdash demo [--db PATH] [--skus 500] [--days 730] [--seed 7]

Progress goes to stderr, the summary to stdout. The default shop builds in well under 30 s.
"""

from __future__ import annotations

import argparse
import sys

from invdash import store
from invdash.commands._common import add_db_argument, db_path
from invdash.demo import MAX_DAYS, MAX_SKUS, build_demo
from invdash.schema import ConfigError

__all__ = ["add_arguments", "run"]

_BAR_WIDTH = 24


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--db``, ``--skus``, ``--days``, ``--seed``."""
    add_db_argument(parser)
    parser.add_argument("--skus", type=int, default=500, help="number of products (default 500)")
    parser.add_argument("--days", type=int, default=730, help="days of history (default 730)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")


def _check(args: argparse.Namespace) -> None:
    if not 1 <= args.skus <= MAX_SKUS:
        raise ConfigError(f"--skus must be from 1 to {MAX_SKUS:,}, got {args.skus}.")
    if not 28 <= args.days <= MAX_DAYS:
        raise ConfigError(f"--days must be from 28 to {MAX_DAYS:,}, got {args.days}.")
    if args.seed < 0:
        raise ConfigError(f"--seed must be a whole number >= 0, got {args.seed}.")


def _show_progress(step: int, total: int, label: str) -> None:
    filled = round(_BAR_WIDTH * (step - 1 if step < total else total) / total)
    bar = "#" * filled + "-" * (_BAR_WIDTH - filled)
    end = "\n" if step >= total else ""
    print(f"\r[{bar}] {label:<40}", end=end, file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    """Build the demo shop; returns 0."""
    _check(args)
    path = db_path(args)
    conn = store.connect(path)
    try:
        existing = store.table_counts(conn)
        if existing["sales"] or existing["products"]:
            print(
                f"replacing the existing data in {path} ({existing['products']:,} products, "
                f"{existing['sales']:,} sales rows)",
                file=sys.stderr,
            )
        summary = build_demo(
            conn, n_skus=args.skus, n_days=args.days, seed=args.seed, progress=_show_progress
        )
    finally:
        conn.close()
    print(summary.describe())
    print(f"database: {path}")
    return 0
