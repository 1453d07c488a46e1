"""From a store (or frames) to a fitted recommender, and the recorded blend choice.

Design: ``build_recommender(conn)`` reads order lines, the catalogue and the stock status
(``stock.stock_status``) and reuses the newest blend plan a run recorded for this shop
(``store.recs.latest_plan``: per-segment weights chosen by ``tuning.choose_plan``), else the
newest flat weights chosen by validation (``store.recs.latest_chosen_weights``), else
``segments.default_plan()``.
``validation_set`` holds out the last ``holdout_days`` of purchases and scores the validation
customers with every component trained on the earlier ones; ``tune_weights`` then picks the
weights by validation NDCG@10 (``choose_blend``), for full lists or for discovery lists, and
returns the ``BlendChoice`` for ``store.recs.save_rec_run`` to record.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from invdash import store
from invdash.recommend.blend import BlendChoice, choose_blend
from invdash.recommend.evaluate import time_split
from invdash.recommend.interactions import clean_purchases
from invdash.recommend.model import flat_plan
from invdash.recommend.segments import BlendPlan, default_plan
from invdash.recommend.sequential import SASRec
from invdash.recommend.service import ShopRecommender, component_scores, fit_recommender
from invdash.recommend.stock import stock_status
from invdash.schema import InvalidDataError
from invdash.store import recs as recs_store

__all__ = [
    "BuiltRecommender",
    "ValidationSet",
    "build_recommender",
    "validation_set",
    "tune_weights",
]


@dataclass(frozen=True)
class BuiltRecommender:
    """A fitted recommender and where its blend weights came from.

    Attributes:
        model: the fitted recommender.
        source: ``validation`` (plan passed in, just chosen), ``stored`` (reused) or ``default``.
        stock: the stock status frame it filters with.
    """

    model: ShopRecommender
    source: str
    stock: pd.DataFrame


def build_recommender(
    conn: duckdb.DuckDBPyConnection,
    *,
    seed: int = 0,
    sequential: SASRec | None = None,
    plan: BlendPlan | None = None,
) -> BuiltRecommender:
    """Fit a recommender on everything in the store.

    Args:
        conn: store connection.
        seed: seed of the models that use one.
        sequential: an unfitted SASRec, used when the plan weights the sequential component.
        plan: the blend plan to use (e.g. just chosen by ``tuning.choose_plan``); default the
            newest stored one.

    Raises:
        InvalidDataError: the store holds no order lines.
    """
    lines = store.load_order_lines(conn)
    if lines.empty:
        raise InvalidDataError(
            "the database has no order lines; load an order export with `invdash ingest FILE` "
            "or build the demo shop with `invdash demo`."
        )
    source = "validation" if plan is not None else "stored"
    plan = plan or _stored_plan(conn)
    stock = stock_status(conn)
    model = fit_recommender(
        lines,
        products=store.load_products(conn),
        stock=stock,
        plan=plan or default_plan(),
        sequential=sequential,
        seed=seed,
    )
    return BuiltRecommender(model=model, source=source if plan else "default", stock=stock)


def _stored_plan(conn: duckdb.DuckDBPyConnection) -> BlendPlan | None:
    text = recs_store.latest_plan(conn)
    if text is not None:
        return BlendPlan.from_json(text)
    weights = recs_store.latest_chosen_weights(conn)
    return None if weights is None else flat_plan(weights, None)


@dataclass(frozen=True)
class ValidationSet:
    """Component scores of the validation customers, for ``choose_blend``.

    Attributes:
        components: component -> scores (customers, items).
        targets: per customer, the SKUs bought in the validation period.
        purchased: boolean (customers, items), items bought before the validation period.
        skus: item index -> SKU.
    """

    components: dict[str, np.ndarray]
    targets: list[set[str]]
    purchased: np.ndarray
    skus: np.ndarray


def validation_set(
    order_lines: pd.DataFrame,
    *,
    holdout_days: float = 30.0,
    seed: int = 0,
    sequential: SASRec | None = None,
) -> ValidationSet:
    """Train every component on all but the last ``holdout_days`` and score the customers who
    bought in both periods."""
    split = time_split(clean_purchases(order_lines), holdout_days=holdout_days)
    every = {"repeat": 1.0, "collaborative": 1.0, "sequential": 1.0, "popularity": 1.0}
    model = fit_recommender(split.train, weights=every, sequential=sequential, seed=seed)
    index = model.interactions.customer_index()
    users = [u for u in split.targets if u in index]
    if not users:
        raise InvalidDataError("no validation customer was seen in training; use more history.")
    rows = np.array([index[u] for u in users])
    return ValidationSet(
        components=component_scores(model, rows),
        targets=[split.targets[u] for u in users],
        purchased=model.interactions.user_items[rows].toarray() > 0,
        skus=model.interactions.skus,
    )


def tune_weights(validation: ValidationSet, *, discovery: bool = False) -> BlendChoice:
    """Choose blend weights by validation NDCG@10.

    Args:
        validation: from ``validation_set``.
        discovery: choose for discovery lists: already-bought items are neither listed nor
            counted as targets (the repeat weight then plays no part).
    """
    if not discovery:
        return choose_blend(validation.components, validation.targets, validation.skus)
    bought = [set(validation.skus[row]) for row in validation.purchased]
    targets = [t - b for t, b in zip(validation.targets, bought, strict=True)]
    grid = {
        "collaborative": [1.0],
        "sequential": [0.0, 0.1, 0.25, 0.5],
        "popularity": [0.0, 0.02, 0.05, 0.2],
    }
    return choose_blend(
        validation.components, targets, validation.skus, grid=grid, exclude=validation.purchased
    )
