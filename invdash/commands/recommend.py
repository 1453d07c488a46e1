"""`invdash recommend`: inventory-aware recommendations for customers or a SKU, as CSV.

Usage: ``invdash recommend (--db PATH | --orders FILE) (--customer ID | --sku SKU | --users FILE)
[--k 10] [--out FILE] [--tune]``. Output columns: ``query, rank, sku, score, reason``.

``--orders`` reads an order-line export through the ingest pipeline (same column aliases and
checks) into an in-memory store, so no database is touched; without stock data every item counts
as sellable. With ``--db`` the stock status filters the lists and every run is recorded in
``rec_runs``; ``--tune`` first chooses the blend weights by validation on the last 30 days and
records that choice, which later runs reuse.
"""

from __future__ import annotations

import argparse
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
    store.require_database(path)
    return store.connect(path), True


def _query(built, args: argparse.Namespace) -> pd.DataFrame:
    from invdash.recommend import recommend_for_customer, recommend_for_sku

    if args.sku is not None:
        return recommend_for_sku(built.model, args.sku, k=args.k)
    users = [args.customer] if args.customer is not None else _read_users(args.users)
    return recommend_for_customer(built.model, users, k=args.k)


def _record(conn, built, seconds: float, choice) -> None:
    from invdash.runtime.device import device_name
    from invdash.store import recs as recs_store

    with store.transaction(conn):
        recs_store.save_rec_run(
            conn,
            weights=built.model.weights,
            source="validation" if choice is not None else built.source,
            validation=None if choice is None else choice.candidates,
            data_version=store.data_version(conn),
            n_customers=len(built.model.interactions.customers),
            n_items=len(built.model.interactions.skus),
            duration_s=seconds,
            device=device_name(),
        )


def run(args: argparse.Namespace) -> int:
    """Fit on the source, answer the query, write ``query, rank, sku, score, reason``."""
    from invdash.recommend.pipeline import build_recommender, tune_weights, validation_set

    if args.k < 1:
        raise InvalidDataError(f"--k must be a positive integer, got {args.k}.")
    conn, persistent = _open(args)
    from invdash.store import recs as recs_store

    persistent = persistent and recs_store.has_rec_runs(conn)
    try:
        started = time.perf_counter()
        choice = None
        if args.tune:
            choice = tune_weights(validation_set(store.load_order_lines(conn), seed=args.seed))
            if persistent:
                _record_choice(conn, choice)
        built = build_recommender(conn, seed=args.seed)
        if choice is not None:
            built.model.weights = dict(choice.weights)
        frame = _query(built, args)
        if persistent:
            _record(conn, built, time.perf_counter() - started, choice)
    finally:
        conn.close()
    write_frame(frame[["query", "rank", "sku", "score", "reason"]], args.out)
    return 0


def _record_choice(conn, choice) -> None:
    from invdash.store import recs as recs_store

    with store.transaction(conn):
        recs_store.save_rec_run(
            conn, weights=choice.weights, source="validation", validation=choice.candidates
        )
