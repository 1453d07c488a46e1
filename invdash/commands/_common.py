"""Arguments and helpers shared by the subcommands."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from invdash.config import load_settings

__all__ = ["add_db_argument", "db_path", "write_frame"]


def add_db_argument(parser: argparse.ArgumentParser, *, required: bool = False) -> None:
    """``--db PATH``: the DuckDB file (default ``$INVDASH_DB`` or ``data/invdash.duckdb``)."""
    parser.add_argument(
        "--db", metavar="PATH", required=required,
        help="DuckDB file (default: $INVDASH_DB or data/invdash.duckdb)",
    )


def db_path(args: argparse.Namespace) -> Path:
    """The database path from ``--db`` or the settings."""
    return load_settings(getattr(args, "db", None)).db_path


def write_frame(frame: pd.DataFrame, out: str | None) -> None:
    """Write ``frame`` as CSV to ``out``, or to stdout when ``out`` is None or ``-``."""
    if out and out != "-":
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(out, index=False)
    else:
        frame.to_csv(sys.stdout, index=False)
