"""`invdash reorder`: reorder suggestions from the stock policy, as CSV.

``invdash reorder --db PATH [--service-level 0.95] [--review-days 7] [--out FILE]`` writes one row
per SKU (those to order first): ``sku, name, supplier, on_hand, on_order, lead_time_days,
safety_stock, reorder_point, order_up_to, suggested_qty, order_by_date, stockout_date,
stockout_probability, days_of_cover, reason, status, decided_qty, decided_by, decided_at``
(``status``: pending / approved / edited / rejected / reconfirm, or ``no order`` when nothing is
suggested and no approval is open; decisions carry over from earlier runs). Units are whole,
money in cents, and days of cover is empty for a SKU without demand. It uses the newest stored
forecast run for the current data, or runs the forecast (progress bar on stderr) and stores
it. The policy run is stored too, so the dashboard's Reorder Suggestions page shows the same
numbers. ``--engine ray [--ray-address HOST:PORT]`` runs the policy's SKU chunks as Ray tasks
(the result equals ``--engine local``); the forecast run, when one is needed, stays local (use
``invdash forecast --db --engine ray`` for it).
"""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from invdash import store
from invdash.commands._common import add_db_argument, db_path, write_frame
from invdash.policy import PolicyParams

__all__ = ["add_arguments", "run", "DECISION_COLUMNS", "with_decisions"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--db``, ``--service-level``, ``--review-days``, ``--model``, ``--out``, ``--quiet``,
    ``--engine``, ``--ray-address``."""
    add_db_argument(parser)
    parser.add_argument(
        "--service-level",
        type=float,
        default=0.95,
        help="target fill rate, a fraction in (0, 1) (default 0.95)",
    )
    parser.add_argument(
        "--review-days",
        type=int,
        default=7,
        help="review period R in days: orders are placed every R days (default 7)",
    )
    parser.add_argument(
        "--model",
        default="auto",
        help="forecast model when no stored forecast exists (default auto)",
    )
    parser.add_argument("--out", metavar="FILE", help="output CSV (default: stdout)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--engine", choices=("local", "ray"), default="local",
                        help="where the policy's SKU chunks run: here (local) or as Ray tasks")
    parser.add_argument("--ray-address", metavar="HOST:PORT",
                        help="head of the Ray cluster for --engine ray (default: Ray's own)")


def run(args: argparse.Namespace) -> int:
    """Compute (or reuse) the policy run and write the reorder table."""
    from invdash import alerts, reorder
    from invdash.commands.forecast import ProgressBar
    from invdash.distributed import make_runner

    runner = make_runner(args.engine, ray_address=args.ray_address)
    params = PolicyParams(service_level=args.service_level, review_period_days=args.review_days)
    path = db_path(args)
    store.require_database(path)
    conn = store.connect(path)
    try:
        if not args.quiet:
            print("forecast (when the data changed), calibration, policy", file=sys.stderr)
        policy_run = reorder.prepare_reorder_run(
            conn, params, model=args.model, progress=ProgressBar(enabled=not args.quiet),
            executor=None if runner is None else runner.executor,
        )
        alerts.ensure_run_alerts(conn, policy_run.run_id)  # what the Alerts page reads
        report = reorder.reorder_report(policy_run.table, store.load_products(conn))
        reviewed = reorder.reviewed_run(conn, policy_run.run_id)
    finally:
        conn.close()
    write_frame(reorder.tidy_numbers(with_decisions(report, reviewed)), args.out)
    return 0


DECISION_COLUMNS = ("status", "decided_qty", "decided_by", "decided_at")


def with_decisions(report: pd.DataFrame, reviewed: pd.DataFrame) -> pd.DataFrame:
    """The report with ``DECISION_COLUMNS`` from the reviewed lines, dates as days, times to
    the second."""
    decided = reviewed[["sku", *DECISION_COLUMNS]]
    merged = report.merge(decided, on="sku", how="left")
    merged["status"] = merged["status"].fillna("no order")
    for column in ("order_by_date", "stockout_date"):
        merged[column] = pd.to_datetime(merged[column]).dt.date
    merged["decided_at"] = pd.to_datetime(merged["decided_at"]).dt.floor("s")
    return merged
