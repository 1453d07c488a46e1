"""Cached model and frames for the Recommendations page.

The fitted recommender is a ``ui.cache.cached_model``, refitted when the data change; frames
derived from it are cheap and computed per call. Display frames get product names, stock status
and display labels here so the page stays free of logic.
"""

from __future__ import annotations

import pandas as pd

from invdash import store
from invdash.recommend import (
    at_risk_with_substitutes,
    recommend_for_customer,
    recommend_for_sku,
    substitutes_for,
)
from invdash.recommend.pipeline import BuiltRecommender, build_recommender
from invdash.ui.cache import cached_model, cached_read
from invdash.ui.labels import relabel

__all__ = [
    "STATUS_LABELS",
    "model",
    "customer_options",
    "sku_options",
    "customer_history",
    "customer_recommendations",
    "sku_bought_together",
    "sku_substitutes",
    "at_risk_table",
    "sku_status",
]

STATUS_LABELS = {
    "in_stock": "In stock",
    "overstocked": "Overstocked",
    "at_risk": "At risk",
    "out_of_stock": "Out of stock",
    "unknown": "Unknown",
}


def model() -> BuiltRecommender:
    """The fitted recommender for the current database."""
    return cached_model(build_recommender, spinner="Training the recommender...")


def customer_options(limit: int = 300) -> list[str]:
    """Customers with the most orders first (at most ``limit``)."""
    counts = model().model.interactions.user_items.sum(axis=1).A1
    customers = model().model.interactions.customers
    order = sorted(range(len(customers)), key=lambda i: (-counts[i], customers[i]))
    return [str(customers[i]) for i in order[:limit]]


def sku_options() -> list[str]:
    """Every SKU with a name or a purchase, sorted."""
    built = model().model
    return sorted(set(built.names) | set(built.interactions.skus))


def sku_status(sku: str) -> str:
    """Display label of a SKU's stock status."""
    return STATUS_LABELS[model().model.status.get(sku, "unknown")]


def _display(frame: pd.DataFrame) -> pd.DataFrame:
    built = model().model
    shown = frame.assign(
        name=[built.name(s) for s in frame["sku"]],
        status=[STATUS_LABELS[built.status.get(s, "unknown")] for s in frame["sku"]],
    )
    columns = [
        c
        for c in ("rank", "sku", "name", "status", "score", "reason", "orders", "last_bought")
        if c in shown
    ]
    return relabel(shown[columns])


def customer_history(customer: str) -> pd.DataFrame:
    """The customer's purchases: SKU, name, status, orders and last purchase."""
    lines = cached_read(store.load_order_lines)
    mine = lines[(lines["customer_id"] == customer) & (lines["qty"] > 0)]
    history = mine.groupby("sku").agg(orders=("order_id", "nunique"), last_bought=("ts", "max"))
    history = history.reset_index().sort_values(["last_bought", "sku"], ascending=[False, True])
    return _display(history)


def customer_recommendations(customer: str, k: int) -> pd.DataFrame:
    """Top-``k`` recommendations for the customer, for display."""
    return _display(recommend_for_customer(model().model, customer, k=k))


def sku_bought_together(sku: str, k: int) -> pd.DataFrame:
    """Items bought together with ``sku``, for display."""
    return _display(recommend_for_sku(model().model, sku, k=k))


def sku_substitutes(sku: str, k: int) -> pd.DataFrame:
    """In-stock substitutes of ``sku``, for display."""
    return _display(substitutes_for(model().model, sku, k=k))


def at_risk_table(k: int = 3) -> pd.DataFrame:
    """At-risk and out-of-stock SKUs with their best in-stock substitutes, for display."""
    built = model().model
    table = at_risk_with_substitutes(built, k=k)
    shown = table.assign(
        at_risk_sku=table["query"],
        at_risk_name=[built.name(s) for s in table["query"]],
        at_risk_status=[STATUS_LABELS[built.status.get(s, "unknown")] for s in table["query"]],
        substitute=table["sku"],
        substitute_name=[built.name(s) for s in table["sku"]],
        similarity=table["score"],
    )
    return relabel(
        shown[
            [
                "at_risk_sku",
                "at_risk_name",
                "at_risk_status",
                "rank",
                "substitute",
                "substitute_name",
                "similarity",
            ]
        ]
    )
