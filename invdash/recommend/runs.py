"""Stored recommendation runs: fit once, store every list, read them back in milliseconds.

Design: fitting takes seconds to minutes, reading a stored list takes milliseconds, so the
Recommendations page and ``invdash recommend --store-run`` share one workflow step:
``build_rec_run(conn)`` chooses the blend plan on a validation split of the shop's own history
(``tuning.choose_plan``; the default plan when the history is too short), fits on everything,
computes "buy again" and "discover" for every customer, "bought together" and "substitutes" for
every SKU and the at-risk substitutes, and stores them with the plan in one transaction
(``store.recs``). ``ensure_rec_run(conn)`` returns the run built on the current data
(``store.recs.rec_data_version``: order lines, sales, stock, products) and builds one only when
the data changed.
"""

from __future__ import annotations

import time

import duckdb
import pandas as pd

from invdash import store
from invdash.recommend.lists import buy_again, discover
from invdash.recommend.model import ShopRecommender, fit_recommender
from invdash.recommend.segments import BlendPlan, default_plan
from invdash.recommend.service import (
    at_risk_with_substitutes,
    recommend_for_sku,
    substitutes_for,
)
from invdash.recommend.stock import stock_status
from invdash.recommend.tuning import choose_plan
from invdash.runtime.embeddings import embeddings_stored_in
from invdash.schema import InvalidDataError
from invdash.store import recs as recs_store

__all__ = ["run_lists", "build_rec_run", "ensure_rec_run"]


def _shop_plan(order_lines: pd.DataFrame) -> BlendPlan:
    try:
        return choose_plan(order_lines)
    except InvalidDataError:
        # Too little history for a validation month: the Online Retail defaults.
        return default_plan()


def _labelled(model: ShopRecommender, frame: pd.DataFrame, name: str) -> pd.DataFrame:
    return frame.assign(
        list=name,
        name=[model.name(s) for s in frame["sku"]],
        status=[model.status.get(s, "unknown") for s in frame["sku"]],
    )


def run_lists(model: ShopRecommender, *, k: int = 20) -> pd.DataFrame:
    """Every list a run stores: ``list, query, rank, sku, name, status, score, reason``."""
    customers = list(model.interactions.customers)
    skus = sorted(set(model.names) | set(model.interactions.skus))
    frames = [
        _labelled(model, buy_again(model, customers, k=k), "buy_again"),
        _labelled(model, discover(model, customers, k=k), "discover"),
        _labelled(model, at_risk_with_substitutes(model, k=3), "at_risk"),
    ]
    for sku in skus:
        frames.append(_labelled(model, recommend_for_sku(model, sku, k=k), "bought_together"))
        frames.append(_labelled(model, substitutes_for(model, sku, k=k), "substitutes"))
    return pd.concat([f for f in frames if len(f)], ignore_index=True)


def _customers(model: ShopRecommender) -> pd.DataFrame:
    users = range(len(model.interactions.customers))
    return pd.DataFrame(
        {
            "customer_id": model.interactions.customers.astype(str),
            "orders": model.interactions.orders_per_customer(),
            "segment": model.segments(list(users)),
        }
    )


def build_rec_run(conn: duckdb.DuckDBPyConnection, *, k: int = 20, seed: int = 0) -> str:
    """Choose the plan, fit, compute and store every list (module docstring); the run id.

    Args:
        conn: read-write store connection.
        k: stored list length (the page shows at most this many).
        seed: seed of the models that use one.

    Raises:
        InvalidDataError: the store holds no order lines.
    """
    started = time.perf_counter()
    lines = store.load_order_lines(conn)
    if lines.empty:
        raise InvalidDataError(
            "the database has no order lines; load an order export with `invdash ingest FILE` "
            "or build the demo shop with `invdash demo`."
        )
    version = recs_store.rec_data_version(conn)
    plan = _shop_plan(lines)
    with embeddings_stored_in(conn):  # titles encoded once, then read from the store
        model = fit_recommender(
            lines, products=store.load_products(conn), stock=stock_status(conn), plan=plan,
            seed=seed,
        )
    lists = run_lists(model, k=k)
    with store.transaction(conn):
        run_id = recs_store.save_rec_run(
            conn,
            weights=plan.full["regular"],
            source=plan.source,
            validation=plan.validation,
            data_version=version,
            n_customers=len(model.interactions.customers),
            n_items=len(model.interactions.skus),
            duration_s=time.perf_counter() - started,
            plan=plan.to_json(),
        )
        recs_store.save_run_lists(conn, run_id, lists=lists, customers=_customers(model))
    return run_id


def ensure_rec_run(conn: duckdb.DuckDBPyConnection, *, k: int = 20) -> str:
    """The id of the run built on the current data, building it first when there is none."""
    fresh = recs_store.fresh_run(conn)
    return fresh["run_id"] if fresh else build_rec_run(conn, k=k)
