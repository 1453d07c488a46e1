"""`invdash recommend`: inventory-aware recommendations for customers or a SKU, as CSV.

Usage: ``invdash recommend (--db PATH | --orders FILE) (--customer ID | --sku SKU | --users FILE
| --store-run) [--list all|buy-again|discover] [--k 10] [--out FILE] [--tune]``. Output columns:
``query, rank, sku, score, reason``.

``--orders`` reads an order-line export through the ingest pipeline (same column aliases and
checks) into an in-memory store, so no database is touched; without stock data every item counts
as sellable. With ``--db`` the stock status filters the lists and every run is recorded in
``rec_runs``; ``--tune`` first chooses the blend plan (repeat recency and cycle, weights per
customer segment) by validation on the last 30 days and records it, and later runs reuse it.
``--list`` picks the customer list: ``all`` (rebuys and new items mixed, the default),
``buy-again`` (only items bought before) or ``discover`` (only items never bought).
``--store-run`` (with ``--db``) builds and stores every list of a run, so the Recommendations
page opens without fitting; it prints the run id.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

from invdash import store
from invdash.commands._common import write_frame
from invdash.config import load_settings
from invdash.schema import InvalidDataError

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the source, the query and the output options."""
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--db", metavar="PATH", help="DuckDB file (default: $INVDASH_DB or data/invdash.duckdb)"
    )
    source.add_argument(
        "--orders",
        metavar="FILE",
        help="order-line CSV/Parquet: order_id, customer_id, sku, ts, qty, price",
    )
    query = parser.add_mutually_exclusive_group(required=True)
    query.add_argument("--customer", metavar="ID", help="recommend for this customer")
    query.add_argument("--sku", metavar="SKU", help="items bought together with this SKU")
    query.add_argument("--users", metavar="FILE", help="CSV with a customer_id column")
    query.add_argument(
        "--store-run",
        action="store_true",
        help="build and store every list for the Recommendations page (needs --db)",
    )
    parser.add_argument(
        "--list",
        choices=("all", "buy-again", "discover"),
        default="all",
        help="customer list: all (default), buy-again (bought before) or discover (never bought)",
    )
    parser.add_argument("--k", type=int, default=10, help="items per query (default 10)")
    parser.add_argument("--out", metavar="FILE", help="output CSV (default: stdout)")
    parser.add_argument(
        "--tune",
        action="store_true",
        help="choose blend weights by validation first and record the choice",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")


def _read_users(path: str) -> list[str]:
    file = Path(path)
    if not file.exists():
        raise InvalidDataError(f"--users file {file} does not exist.")
    users = pd.read_csv(file, dtype=str)
    if "customer_id" not in users.columns:
        raise InvalidDataError(
            f"--users file {file} has no customer_id column (found: {', '.join(users.columns)}); "
            "add a header line 'customer_id'."
        )
    ids = users["customer_id"].dropna().str.strip()
    return list(dict.fromkeys(ids[ids != ""]))


def _open(args: argparse.Namespace):
    if args.orders:
        from invdash.ingest import ingest_file

        conn = store.connect(":memory:")
        ingest_file(conn, args.orders, kind="order_lines")
        return conn, False
    path = load_settings(args.db).db_path
    if not path.exists():
        raise InvalidDataError(
            f"database {path} does not exist; build it with `invdash demo "
            f"--db {path}` or pass --orders FILE."
        )
    return store.connect(path), True


def _query(built, args: argparse.Namespace) -> pd.DataFrame:
    from invdash.recommend import recommend_for_customer, recommend_for_sku
    from invdash.recommend.lists import buy_again, discover

    if args.sku is not None:
        return recommend_for_sku(built.model, args.sku, k=args.k)
    users = [args.customer] if args.customer is not None else _read_users(args.users)
    if args.list == "buy-again":
        return buy_again(built.model, users, k=args.k)
    if args.list == "discover":
        return discover(built.model, users, k=args.k)
    return recommend_for_customer(built.model, users, k=args.k)


def _record(conn, built, seconds: float, tuned: bool) -> None:
    from invdash.runtime.device import device_name
    from invdash.store import recs as recs_store

    plan = built.model.plan
    with store.transaction(conn):
        recs_store.save_rec_run(
            conn,
            weights=built.model.weights,
            source="validation" if tuned else built.source,
            validation=plan.validation if tuned else None,
            data_version=recs_store.rec_data_version(conn),
            n_customers=len(built.model.interactions.customers),
            n_items=len(built.model.interactions.skus),
            duration_s=seconds,
            device=device_name(),
            plan=plan.to_json(),
        )


def _store_run(conn, persistent: bool, k: int) -> int:
    from invdash.recommend.runs import build_rec_run

    if not persistent:
        raise InvalidDataError("--store-run needs a database (--db PATH), not --orders.")
    sys.stdout.write(build_rec_run(conn, k=max(k, 20)) + "\n")
    return 0


def run(args: argparse.Namespace) -> int:
    """Fit on the source, answer the query, write ``query, rank, sku, score, reason``."""
    from invdash.recommend.pipeline import build_recommender
    from invdash.recommend.tuning import choose_plan

    if args.k < 1:
        raise InvalidDataError(f"--k must be a positive integer, got {args.k}.")
    conn, persistent = _open(args)
    from invdash.store import recs as recs_store

    persistent = persistent and recs_store.has_rec_runs(conn)
    try:
        if args.store_run:
            return _store_run(conn, persistent, args.k)
        started = time.perf_counter()
        plan = choose_plan(store.load_order_lines(conn)) if args.tune else None
        built = build_recommender(conn, seed=args.seed, plan=plan)
        frame = _query(built, args)
        if persistent:
            _record(conn, built, time.perf_counter() - started, plan is not None)
    finally:
        conn.close()
    write_frame(frame[["query", "rank", "sku", "score", "reason"]], args.out)
    return 0
