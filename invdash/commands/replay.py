"""`invdash replay` (alias `invdash simulate`): replay the invdash stock policy over history
against the textbook policy.

Usage::

    invdash replay (--db PATH | --csv FILE) --start DATE [--days 84] [--service-level 0.95]
        [--lead-time-days N] [--review-days 7] [--model auto] [--seed 0]
        [--calibration-origins 6] [--out FILE]

From START, every review day (START, START + R, ...) each policy is set from the sales recorded
before that day only and orders up to its order-up-to level when the inventory position is at or
below its reorder point; orders arrive after the lead time; demand is the recorded sales of the
day and unmet demand is lost. Both policies start with their own order-up-to level at START.
The invdash policy is the forecast engine plus ``policy.compute_policy`` with the demand-level
uncertainty estimated from its own past forecast errors (``--calibration-origins``); the
textbook policy is ``policy.textbook_policy`` (normal, z x sigma x sqrt(L + R), 28-day average).

Lead time: ``--lead-time-days N`` makes every SKU's lead time exactly N days. Without it, ``--db``
uses each product's ``lead_time_days`` (7 where unknown) and ``--csv`` uses 7.

``--out FILE`` writes the invdash policy's replay, one row per SKU and day:
``sku, date, demand, on_hand_start, received, sold, lost, on_hand_end, ordered``. The fill rate,
stockout days and mean on-hand of both policies are printed (to stderr when ``--out -`` sends the
rows to stdout). A progress bar is drawn on stderr.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from invdash.commands._common import add_db_argument, db_path, write_frame
from invdash.schema import DATE, QTY, SKU, ConfigError, InvalidDataError

__all__ = ["add_arguments", "run", "read_sales_csv", "format_summary"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the ``replay`` flags."""
    source = parser.add_mutually_exclusive_group()
    add_db_argument(source)  # type: ignore[arg-type]  # a group has add_argument too
    source.add_argument("--csv", metavar="FILE", help="sales CSV with columns date, sku, qty")
    parser.add_argument("--start", required=True, help="first replayed day (YYYY-MM-DD)")
    parser.add_argument("--days", type=int, default=84, help="days to replay (default 84)")
    parser.add_argument(
        "--service-level", type=float, default=0.95,
        help="target service level, a fraction in (0, 1) (default 0.95)",
    )
    parser.add_argument(
        "--lead-time-days", type=int, default=None,
        help="lead time for every SKU in days (default: each product's with --db, 7 with --csv)",
    )
    parser.add_argument("--review-days", type=int, default=7, help="review period (default 7)")
    parser.add_argument(
        "--model", default="auto", help="forecast model of the invdash policy (default auto)"
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--calibration-origins", type=int, default=6,
        help="past weekly forecast origins used to estimate the demand-level uncertainty of the "
        "invdash policy (default 6; 0 turns it off)",
    )
    parser.add_argument("--out", metavar="FILE", help="write the invdash replay rows here")


def read_sales_csv(path: str | Path) -> pd.DataFrame:
    """Read a sales CSV ``date, sku, qty`` (more columns are ignored).

    Raises:
        InvalidDataError: the file is missing or unreadable, a column is missing, a date or
            quantity does not parse.
    """
    path = Path(path)
    try:
        raw = pd.read_csv(path, dtype={SKU: str})
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise InvalidDataError(f"cannot read sales CSV {path}: {err}") from err
    missing = [c for c in (DATE, SKU, QTY) if c not in raw.columns]
    if missing:
        raise InvalidDataError(
            f"{path} is missing column(s) {', '.join(missing)}; a sales CSV needs date, sku, qty."
        )
    dates = pd.to_datetime(raw[DATE], errors="coerce")
    qty = pd.to_numeric(raw[QTY], errors="coerce")
    for name, parsed in ((DATE, dates), (QTY, qty)):
        bad = raw.index[parsed.isna()]
        if len(bad):
            row = int(bad[0]) + 2  # 1-based, after the header line
            raise InvalidDataError(
                f"{path}: column {name} has {len(bad)} value(s) that do not parse "
                f"(first: line {row}, {raw.at[bad[0], name]!r}); use YYYY-MM-DD dates and numbers."
            )
    return pd.DataFrame({SKU: raw[SKU].astype(str), DATE: dates.dt.normalize(), QTY: qty})


def _load_inputs(args: argparse.Namespace) -> tuple[pd.DataFrame, pd.DataFrame | None, Any]:
    """Sales, products and the invdash policy's options: a database replay forecasts with the
    calendar of the store's runs (``replay.store_policy_options``), a CSV one without."""
    from invdash.replay import InvdashPolicyOptions, store_policy_options

    chosen = {"seed": args.seed, "calibration_origins": args.calibration_origins}
    if args.csv:
        return read_sales_csv(args.csv), None, InvdashPolicyOptions(model=args.model, **chosen)
    from invdash import store

    conn = store.connect_read_only(db_path(args))
    try:
        options = store_policy_options(conn, args.model, **chosen)
        return store.load_sales(conn), store.load_products(conn), options
    finally:
        conn.close()


def _progress_bar(fraction: float, message: str) -> None:
    width = 30
    filled = int(round(width * min(max(fraction, 0.0), 1.0)))
    bar = "#" * filled + "." * (width - filled)
    end = "\n" if fraction >= 1.0 else ""
    print(f"\r[{bar}] {fraction:4.0%} {message[:60]:<60}", end=end, file=sys.stderr, flush=True)


def format_summary(summary: pd.DataFrame) -> str:
    """The metrics table printed by the command, one line per policy."""
    lines = [f"{'policy':<10} {'fill rate':>9} {'stockout days':>14} {'mean on-hand':>13}"]
    for row in summary.itertuples(index=False):
        lines.append(
            f"{row.policy:<10} {row.fill_rate:>9.1%} {row.stockout_days:>14d} "
            f"{row.mean_on_hand:>13.2f}"
        )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Replay both policies, write ``--out`` and print their metrics."""
    from invdash.replay import ReplayParams, compare_policies

    try:
        start = pd.Timestamp(args.start)
    except ValueError as err:
        raise InvalidDataError(f"--start {args.start!r} is not a date; use YYYY-MM-DD.") from err
    if not 0.0 < args.service_level < 1.0:
        raise ConfigError(
            f"--service-level must be a fraction in (0, 1), e.g. 0.95, got {args.service_level}."
        )
    params = ReplayParams(
        start=start, days=args.days, review_period_days=args.review_days,
        lead_time_days=args.lead_time_days,
    )
    sales, products, options = _load_inputs(args)
    result = compare_policies(
        sales, params=params, service_level=args.service_level, products=products,
        options=options, progress=_progress_bar,
    )
    rows = result.for_policy("invdash")
    rows[DATE] = rows[DATE].dt.strftime("%Y-%m-%d")
    if args.out:
        write_frame(rows, args.out)
    stream = sys.stderr if args.out == "-" else sys.stdout
    print(
        f"replay {start.date()} + {args.days} days, service target {args.service_level:.0%}, "
        f"review every {args.review_days} days, {int(result.summary['skus'].iloc[0])} SKUs",
        file=stream,
    )
    print(format_summary(result.summary), file=stream)
    return 0
