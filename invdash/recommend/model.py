"""The fitted shop recommender: every scorer trained once, and their scores for customers.

Design: ``fit_recommender`` trains the scorers on the order lines: repeat purchase (own basket
counts with recency and cycle, ``repeat``), customer neighbours (TIFU-KNN style,
``neighbours``), EASE (``collaborative``), bought-together (``bought_together``: the
association of each item with the customer's recency-weighted history), optionally SASRec
(``sequential``), all-time ``popularity`` and recent ``trend`` (orders of the last weeks, 14-day
half-life); title similarity when the catalogue has names. ``blended_scores`` combines them with
the weights of each customer's segment (``segments.BlendPlan``). With flat ``weights`` (the
older API) every segment gets the same weights.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from invdash.recommend.blend import DEFAULT_DISCOVERY_WEIGHTS, DEFAULT_WEIGHTS, blend_scores
from invdash.recommend.content import TitleSimilarity
from invdash.recommend.cooccur import BoughtTogether
from invdash.recommend.interactions import Interactions, build_interactions, clean_purchases
from invdash.recommend.neighbours import CustomerNeighbours
from invdash.recommend.personal import EASE, popularity_scores
from invdash.recommend.repeat import RepeatModel
from invdash.recommend.segments import SEGMENTS, BlendPlan, default_plan, segment_of
from invdash.recommend.sequential import SASRec
from invdash.recommend.stock import SELLABLE
from invdash.schema import SKU

__all__ = [
    "ShopRecommender",
    "fit_recommender",
    "component_scores",
    "blended_scores",
    "trend_scores",
    "flat_plan",
]

_TREND_HALF_LIFE_DAYS = 14.0


@dataclass
class ShopRecommender:
    """A fitted recommender for one shop (build it with ``fit_recommender``).

    Attributes:
        interactions: the indexed purchases.
        bought_together: item-item association model.
        ease: collaborative model.
        repeat: repeat-purchase model.
        neighbours: customer-neighbourhood model.
        sequential: SASRec model, or None when no weight uses it.
        titles: title similarity, or None without product names.
        plan: repeat settings and per-segment blend weights.
        status: SKU -> stock status (missing SKUs are ``unknown``, i.e. sellable).
        names: SKU -> product name (for reasons).
        overstock_boost: multiplicative boost (1 + b) of overstocked items.
    """

    interactions: Interactions
    bought_together: BoughtTogether
    ease: EASE
    repeat: RepeatModel
    neighbours: CustomerNeighbours
    sequential: SASRec | None
    titles: TitleSimilarity | None
    plan: BlendPlan = field(default_factory=default_plan)
    status: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    overstock_boost: float = 0.0

    @property
    def weights(self) -> dict[str, float]:
        """Full-list weights of regular customers (all segments share them in a flat plan)."""
        return self.plan.full["regular"]

    @weights.setter
    def weights(self, weights: Mapping[str, float]) -> None:
        self.plan = replace(self.plan, full={s: dict(weights) for s in SEGMENTS})

    def sellable(self) -> np.ndarray:
        """Boolean mask over the item index: may be recommended."""
        return np.array([self.status.get(s, "unknown") in SELLABLE for s in self.interactions.skus])

    def name(self, sku: str) -> str:
        """The product name, or the SKU itself."""
        return self.names.get(sku) or sku

    def segments(self, users: np.ndarray) -> np.ndarray:
        """Segment (new / occasional / regular) of each customer index."""
        if not hasattr(self, "_orders"):
            self._orders = self.interactions.orders_per_customer()
        return segment_of(self._orders[np.asarray(users)])


def flat_plan(
    weights: Mapping[str, float] | None, discovery_weights: Mapping[str, float] | None
) -> BlendPlan:
    """A plan giving every segment the same weights (``blend.DEFAULT_*`` when None)."""
    full = dict(weights or DEFAULT_WEIGHTS)
    discover = dict(discovery_weights or DEFAULT_DISCOVERY_WEIGHTS)
    return replace(
        default_plan(),
        full={s: dict(full) for s in SEGMENTS},
        discover={s: dict(discover) for s in SEGMENTS},
    )


def _uses(plan: BlendPlan, component: str) -> bool:
    tables = list(plan.full.values()) + list(plan.discover.values())
    return any(w.get(component, 0.0) > 0 for w in tables)


def _titles(products: pd.DataFrame | None) -> tuple[TitleSimilarity | None, dict[str, str]]:
    if products is None or not len(products) or "name" not in products:
        return None, {}
    names = dict(
        zip(products[SKU].astype(str), products["name"].fillna("").astype(str), strict=True)
    )
    return TitleSimilarity().fit(products), names


def fit_recommender(  # noqa: PLR0913 - options
    order_lines: pd.DataFrame,
    *,
    products: pd.DataFrame | None = None,
    stock: pd.DataFrame | None = None,
    plan: BlendPlan | None = None,
    weights: Mapping[str, float] | None = None,
    discovery_weights: Mapping[str, float] | None = None,
    sequential: SASRec | None = None,
    overstock_boost: float = 0.0,
    seed: int = 0,
) -> ShopRecommender:
    """Train every scorer on a shop's order lines.

    Args:
        order_lines: ``order_id, customer_id, sku, ts, qty`` (returns and ``C`` invoices dropped).
        products: optional catalogue ``sku, name[, category]`` (names enable substitutes).
        stock: optional ``stock.stock_status`` frame; None means every SKU is sellable.
        plan: repeat settings and per-segment weights; default ``segments.default_plan()``, or
            a flat plan from ``weights`` / ``discovery_weights`` when those are given.
        weights: flat full-list weights for every segment (older API).
        discovery_weights: flat discover-list weights for every segment (older API).
        sequential: an unfitted SASRec to train (default ``SASRec(seed=seed)``); skipped when no
            weight uses the sequential component.
        overstock_boost: b in the (1 + b) boost of overstocked items.
        seed: seed of the sequential model when ``sequential`` is None.

    Raises:
        InvalidDataError: missing columns or no purchases at all.
    """
    interactions = build_interactions(clean_purchases(order_lines))
    if plan is None:
        given = weights is not None or discovery_weights is not None
        plan = flat_plan(weights, discovery_weights) if given else default_plan()
    model = None
    if _uses(plan, "sequential"):
        model = (sequential or SASRec(seed=seed)).fit(
            interactions.sequences, n_items=len(interactions.skus)
        )
    titles, names = _titles(products)
    status = (
        {}
        if stock is None or stock.empty
        else dict(zip(stock[SKU].astype(str), stock["status"], strict=True))
    )
    return ShopRecommender(
        interactions=interactions,
        bought_together=BoughtTogether().fit(interactions.basket_items),
        ease=EASE().fit(interactions.user_items),
        repeat=RepeatModel(plan.repeat).fit(interactions),
        neighbours=CustomerNeighbours().fit(interactions),
        sequential=model,
        titles=titles,
        plan=plan,
        status=status,
        names=names,
        overstock_boost=overstock_boost,
    )


def trend_scores(interactions: Interactions) -> np.ndarray:
    """Recent demand per item: orders weighted by exp(-ln2 * age / 14 days), max scaled to 1."""
    buys = interactions.buys
    age = (interactions.end - pd.to_datetime(buys["ts"])).dt.total_seconds() / 86400.0
    weight = np.exp(-np.log(2.0) * age.to_numpy(dtype=float) / _TREND_HALF_LIFE_DAYS)
    trend = np.bincount(buys["item"], weights=weight, minlength=len(interactions.skus))
    return (trend / max(trend.max(), 1e-12)).astype(np.float32)


def component_scores(model: ShopRecommender, users: np.ndarray) -> dict[str, np.ndarray]:
    """Every component's scores for customer indices ``users``, each (len(users), n_items)."""
    inter = model.interactions
    history = inter.recency[users]
    scores = {
        "repeat": model.repeat.score(users),
        "neighbours": model.neighbours.score(users),
        "collaborative": model.ease.score(inter.user_items[users]),
        "bought_together": np.asarray((history @ model.bought_together.scores_).todense()),
        "popularity": np.tile(popularity_scores(inter), (len(users), 1)),
        "trend": np.tile(trend_scores(inter), (len(users), 1)),
    }
    scores["bought_together"] = scores["bought_together"].astype(np.float32)
    if model.sequential is not None:
        scores["sequential"] = model.sequential.score([inter.sequences[u] for u in users])
    return scores


def blended_scores(model: ShopRecommender, users: np.ndarray, *, discover: bool) -> np.ndarray:
    """The blend of every component with each customer's segment weights, (len(users), items)."""
    users = np.asarray(users)
    components = component_scores(model, users)
    segments = model.segments(users)
    out = np.zeros((len(users), len(model.interactions.skus)), dtype=np.float32)
    for segment in SEGMENTS:
        mask = segments == segment
        if mask.any():
            part = {name: scores[mask] for name, scores in components.items()}
            out[mask] = blend_scores(part, model.plan.weights(segment, discover=discover))
    return out
