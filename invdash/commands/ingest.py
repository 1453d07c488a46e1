"""`invdash ingest FILE [--kind ...] [--db PATH]`: load a CSV/Parquet file into the store.

Prints the ingest summary on stdout and stage messages (with elapsed seconds) on stderr. Invalid
files raise ``InvalidDataError`` (exit 2, the message names file, column, lines and fix) and
leave the database unchanged.
"""

from __future__ import annotations

import argparse
import sys
import time

from invdash import store
from invdash.commands._common import add_db_argument, db_path
from invdash.ingest import KIND_CHOICES, ingest_file

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``FILE``, ``--kind``, ``--db``, ``--quiet``."""
    parser.add_argument("file", metavar="FILE", help="CSV (plain or .gz) or Parquet file")
    parser.add_argument(
        "--kind", choices=KIND_CHOICES, default="auto",
        help="what the file holds (default: detected from the header)",
    )
    add_db_argument(parser)
    parser.add_argument("--quiet", action="store_true", help="no progress messages on stderr")


def _progress(quiet: bool):
    started = time.perf_counter()

    def say(message: str) -> None:
        if not quiet:
            print(f"[{time.perf_counter() - started:6.1f} s] {message}", file=sys.stderr,
                  flush=True)

    return say


def run(args: argparse.Namespace) -> int:
    """Ingest the file and print the report summary."""
    conn = store.connect(db_path(args))
    try:
        report = ingest_file(conn, args.file, kind=args.kind, progress=_progress(args.quiet))
    finally:
        conn.close()
    print(report.summary())
    return 0
