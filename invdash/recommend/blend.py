"""Blend the personal scorers, with weights chosen by offline evaluation and recorded.

Design: each component scores every item for a customer: ``repeat`` (own purchases),
``neighbours`` (similar customers), ``collaborative`` (EASE), ``bought_together``, ``sequential``
(SASRec next-item probabilities), ``popularity`` and ``trend`` (recent demand). Scales differ
wildly, so each component is divided by its per-customer maximum (a customer's best item scores
1 in each component) and the blend is the weighted sum

    score(u, i) = sum_c w_c * s_c(u, i) / max_j s_c(u, j).

``choose_blend`` picks ``w`` on a grid by NDCG@k on a validation split (the last days of the
*training* period, so the test period is never looked at), and returns every candidate's metrics
as a ``BlendChoice`` that can be stored (``store.recs.save_rec_run``). The per-segment plan that
fits today's models (seven components, new / occasional / regular customers) is chosen by
``segments.choose_segment_weights`` through ``tuning.choose_plan``; ``choose_blend`` and the flat
weights below remain for the older API (``pipeline.tune_weights``). ``DEFAULT_WEIGHTS`` are the
weights ``choose_blend`` picked on the UCI Online Retail training period (before issue 14),
except the sequential weight: validation chose 0.1 there, which moved NDCG@10 by +0.001 at 13x the
fit time (79 s instead of 6 s on 2 cores), so SASRec is off by default and enabled when a shop's
own validation (``invdash recommend --tune``) picks it. ``DEFAULT_DISCOVERY_WEIGHTS`` serve the
lists that leave out already-bought items; they are chosen the same way, on new-item targets.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from invdash.recommend.evaluate import ranking_metrics
from invdash.schema import ConfigError

__all__ = [
    "COMPONENTS",
    "DEFAULT_WEIGHTS",
    "DEFAULT_DISCOVERY_WEIGHTS",
    "BlendChoice",
    "blend_scores",
    "top_k",
    "choose_blend",
]

COMPONENTS = (
    "repeat",
    "neighbours",
    "collaborative",
    "bought_together",
    "sequential",
    "popularity",
    "trend",
)
DEFAULT_WEIGHTS: dict[str, float] = {
    "repeat": 1.0,
    "collaborative": 0.25,
    "sequential": 0.0,
    "popularity": 0.2,
}
#: Weights for discovery lists (already-bought items left out), where repeat plays no part.
DEFAULT_DISCOVERY_WEIGHTS: dict[str, float] = {
    "collaborative": 1.0,
    "sequential": 0.0,
    "popularity": 0.02,
}


@dataclass(frozen=True)
class BlendChoice:
    """The chosen weights and the validation metrics of every candidate.

    Attributes:
        weights: component -> weight of the best candidate.
        candidates: one row per candidate: the weights, ``hr``, ``recall``, ``ndcg``, ``users``.
        k: list length the metrics were computed at.
    """

    weights: dict[str, float]
    candidates: pd.DataFrame = field(repr=False)
    k: int = 10


def _check_weights(weights: Mapping[str, float]) -> None:
    unknown = sorted(set(weights) - set(COMPONENTS))
    if unknown:
        raise ConfigError(f"unknown blend component(s) {unknown}; known: {list(COMPONENTS)}.")
    if any(w < 0 for w in weights.values()):
        raise ConfigError(f"blend weights must be >= 0, got {dict(weights)}.")


def blend_scores(components: Mapping[str, np.ndarray], weights: Mapping[str, float]) -> np.ndarray:
    """The weighted sum of per-row max-normalised component scores (module docstring).

    Args:
        components: component name -> scores, shape (customers, items); missing ones count 0.
        weights: component name -> weight >= 0.
    """
    _check_weights(weights)
    total: np.ndarray | None = None
    for name, scores in components.items():
        weight = float(weights.get(name, 0.0))
        if weight == 0.0:
            continue
        peak = scores.max(axis=1, keepdims=True)
        part = weight * np.divide(scores, peak, out=np.zeros_like(scores), where=peak > 0)
        total = part if total is None else total + part
    if total is None:
        shape = next(iter(components.values())).shape
        return np.zeros(shape, dtype=np.float32)
    return total


def top_k(scores: np.ndarray, *, k: int, allowed: np.ndarray | None = None) -> np.ndarray:
    """Item indices of the ``k`` best scores per row, best first (ties: lower index first).

    Args:
        scores: (rows, items).
        k: list length.
        allowed: boolean (items,) mask; items outside it are never returned.
    """
    work = scores.astype(np.float64, copy=True)
    if allowed is not None:
        work[:, ~allowed] = -np.inf
    k = min(k, work.shape[1])
    top = np.argpartition(-work, k - 1, axis=1)[:, :k]
    picked = np.take_along_axis(work, top, axis=1)
    order = np.lexsort((top, -picked), axis=1)
    top = np.take_along_axis(top, order, axis=1)
    ok = np.isfinite(np.take_along_axis(work, top, axis=1))
    return np.where(ok, top, -1)


def choose_blend(  # noqa: PLR0913 - data, grid and options
    components: Mapping[str, np.ndarray],
    targets: Sequence[set[str]],
    skus: np.ndarray,
    *,
    grid: Mapping[str, Sequence[float]] | None = None,
    k: int = 10,
    exclude: np.ndarray | None = None,
) -> BlendChoice:
    """Pick blend weights by validation NDCG@k over a grid (repeat weight fixed to 1).

    Args:
        components: component scores on the validation customers, (customers, items).
        targets: per validation customer, the SKUs bought in the validation period.
        skus: item index -> SKU.
        grid: component -> candidate weights; default a small grid around ``DEFAULT_WEIGHTS``.
        k: list length.
        exclude: optional boolean (customers, items) mask of items never listed (e.g. the
            items already bought, for discovery lists).
    """
    grid = dict(
        grid
        or {
            "repeat": [1.0],
            "collaborative": [0.0, 0.1, 0.25, 0.5],
            "sequential": [0.0, 0.1, 0.25, 0.5],
            "popularity": [0.0, 0.05, 0.2],
        }
    )
    names = [n for n in COMPONENTS if n in grid and n in components]
    rows = []
    for values in itertools.product(*(grid[n] for n in names)):
        weights = dict(zip(names, (float(v) for v in values), strict=True))
        scores = blend_scores(components, weights)
        if exclude is not None:
            scores = np.where(exclude, -np.inf, scores)
        top = top_k(scores, k=k)
        ranked = [[skus[i] for i in row if i >= 0] for row in top]
        rows.append({**weights, **ranking_metrics(ranked, targets, k=k)})
    candidates = pd.DataFrame(rows).sort_values(["ndcg", "hr"], ascending=False, kind="stable")
    best = candidates.iloc[0]
    return BlendChoice(
        weights={n: float(best[n]) for n in names},
        candidates=candidates.reset_index(drop=True),
        k=k,
    )
