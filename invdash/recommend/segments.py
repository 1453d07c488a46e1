"""Blend weights per customer segment, chosen on validation, and the plan a run records.

Design: what predicts a customer's next purchases depends on how much we know about them. A new
customer (one order) has little own history, so neighbours, bought-together and popularity carry
the list; a regular (``REGULAR_ORDERS`` orders or more) mostly rebuys. So the blend weights
(``blend.blend_scores``) are chosen separately for ``new``, ``occasional`` and ``regular``
customers, and separately for the full list ("buy again" and new items mixed) and the
"discover" list (items never bought).

``choose_segment_weights`` searches by coordinate ascent on validation NDCG@k (the grid
product of seven components would be 8^7 blends): starting from ``start``, each component in
turn tries every value in ``values`` with the others fixed and keeps the best; two passes. It runs
once on all validation customers, then per segment starting from that pooled choice; a segment
with fewer than ``min_customers`` validation customers keeps the pooled weights. A ``BlendPlan``
holds the repeat settings and both weight tables, with the source and the validation metrics,
and round-trips through JSON for ``store.recs``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from invdash.recommend.blend import blend_scores, top_k
from invdash.recommend.evaluate import target_matrix, top_metrics
from invdash.recommend.repeat import RepeatParams

__all__ = [
    "SEGMENTS",
    "REGULAR_ORDERS",
    "segment_of",
    "BlendPlan",
    "default_plan",
    "choose_segment_weights",
]

SEGMENTS = ("new", "occasional", "regular")
REGULAR_ORDERS = 5
_VALUES = (0.0, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0)

#: Weights ``choose_plan`` picked on the UCI Online Retail training period (bench_recs.py, the
#: validation month inside training), used until a shop's own history has chosen its plan.
_DEFAULT_FULL = {
    "new": {"repeat": 0.5, "neighbours": 0.05, "collaborative": 0.35, "trend": 0.5},
    "occasional": {
        "repeat": 1.0,
        "neighbours": 0.05,
        "collaborative": 0.1,
        "bought_together": 0.05,
        "trend": 0.5,
    },
    "regular": {"repeat": 1.0, "collaborative": 0.35, "trend": 0.5},
}
_DEFAULT_DISCOVER = {
    "new": {"collaborative": 1.0, "neighbours": 0.1, "trend": 0.35},
    "occasional": {"collaborative": 1.0, "bought_together": 0.05, "trend": 0.35},
    "regular": {"collaborative": 1.0, "trend": 0.35},
}


def segment_of(orders: np.ndarray) -> np.ndarray:
    """Segment per customer from their number of orders: new (<= 1), occasional, regular."""
    orders = np.asarray(orders)
    return np.where(orders <= 1, "new", np.where(orders < REGULAR_ORDERS, "occasional", "regular"))


@dataclass(frozen=True)
class BlendPlan:
    """Everything a run needs to score: repeat settings and per-segment weights.

    Attributes:
        repeat: the repeat-score settings.
        full: segment -> component weights of the full list.
        discover: segment -> component weights of the discover list.
        source: ``default`` or ``validation``.
        validation: the validation metrics behind the choice (one row per list and segment).
    """

    repeat: RepeatParams
    full: dict[str, dict[str, float]]
    discover: dict[str, dict[str, float]]
    source: str = "default"
    validation: pd.DataFrame | None = field(default=None, repr=False, compare=False)

    def weights(self, segment: str, *, discover: bool) -> dict[str, float]:
        """The weights of one segment for one list."""
        return (self.discover if discover else self.full)[segment]

    def to_json(self) -> str:
        """JSON of the settings and weights (the validation table is stored separately)."""
        repeat = {
            "half_life_days": self.repeat.half_life_days,
            "cycle_weight": self.repeat.cycle_weight,
            "horizon_days": self.repeat.horizon_days,
        }
        body = {"repeat": repeat, "full": self.full, "discover": self.discover}
        return json.dumps({**body, "source": self.source}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> BlendPlan:
        """The plan ``to_json`` wrote."""
        body = json.loads(text)
        return cls(
            repeat=RepeatParams(**body["repeat"]),
            full=body["full"],
            discover=body["discover"],
            source=body["source"],
        )


def default_plan() -> BlendPlan:
    """The plan used before a shop's own validation has chosen one."""
    return BlendPlan(
        repeat=RepeatParams(half_life_days=240.0, cycle_weight=0.0),
        full={s: dict(_DEFAULT_FULL[s]) for s in SEGMENTS},
        discover={s: dict(_DEFAULT_DISCOVER[s]) for s in SEGMENTS},
    )


def _context(targets: Sequence[set[str]], skus: np.ndarray, exclude: np.ndarray | None):
    n_targets = np.array([len(t) for t in targets])
    return target_matrix(targets, skus), n_targets, exclude


def _ndcg(
    components: Mapping[str, np.ndarray],
    weights: Mapping[str, float],
    context: tuple,
    k: int,
) -> dict[str, float]:
    truth, n_targets, exclude = context
    scores = blend_scores(components, weights)
    if exclude is not None:
        scores = np.where(exclude, -np.inf, scores)
    return top_metrics(top_k(scores, k=k), truth, n_targets, k=k)


def _objective(metrics: Mapping[str, float]) -> tuple[float, float]:
    return (metrics["ndcg"], metrics["hr"])


def _ascend(components, start, context, k):
    weights = dict(start)
    best = _ndcg(components, weights, context, k)
    for _ in range(2):
        for name in components:
            for value in _VALUES:
                trial = {**weights, name: value}
                if not any(trial.values()):
                    continue
                metrics = _ndcg(components, trial, context, k)
                if _objective(metrics) > _objective(best):
                    weights, best = trial, metrics
    return {n: float(w) for n, w in weights.items() if w > 0}, best


def choose_segment_weights(  # noqa: PLR0913 - data and search options
    components: Mapping[str, np.ndarray],
    targets: Sequence[set[str]],
    skus: np.ndarray,
    segments: np.ndarray,
    *,
    start: Mapping[str, float],
    exclude: np.ndarray | None = None,
    min_customers: int = 50,
    k: int = 10,
) -> tuple[dict[str, dict[str, float]], pd.DataFrame]:
    """Weights per segment by validation NDCG@k (module docstring).

    Args:
        components: component -> validation scores (customers, items).
        targets: per validation customer, the SKUs bought in the validation period.
        skus: item index -> SKU.
        segments: per validation customer, its segment (``segment_of``).
        start: the weights the search starts from.
        exclude: boolean (customers, items) of items never listed (discover lists).
        min_customers: a smaller segment keeps the pooled choice.
        k: list length.

    Returns:
        segment -> weights, and one row per segment (and ``all``) with its weights and metrics.
    """
    targets = list(targets)
    pooled, metrics = _ascend(components, start, _context(targets, skus, exclude), k)
    chosen, rows = {}, [{"segment": "all", "weights": json.dumps(pooled), **metrics}]
    for segment in SEGMENTS:
        mask = segments == segment
        if mask.sum() < min_customers:
            chosen[segment] = dict(pooled)
            continue
        part = {n: s[mask] for n, s in components.items()}
        context = _context(
            [t for t, m in zip(targets, mask, strict=True) if m],
            skus,
            None if exclude is None else exclude[mask],
        )
        chosen[segment], metrics = _ascend(part, pooled, context, k)
        rows.append({"segment": segment, "weights": json.dumps(chosen[segment]), **metrics})
    return chosen, pd.DataFrame(rows)
