"""Repeat purchase: each customer's own basket counts, a recency weight and the item's cycle.

Design: for customer u and item i with orders o_1..o_n holding i (one count per order, however
many lines), at ages a_1..a_n days before the end of the data,

    repeat(u, i) = sum_j exp(-ln2 * a_j / half_life_days) * (1 - g + g * due(u, i))

- ``half_life_days = None`` is no decay: plain basket counts ("own basket frequency").
- ``due`` says whether the next purchase falls in the coming ``horizon_days``. The cycle c is the
  customer's own mean gap between orders of the item (span / (n - 1)) when bought at least twice,
  else the median of the other customers' cycles of the item, else the shop's median cycle. With
  e = days since the last purchase and the next purchase expected c - e days from now:
  due = 1 when 0 <= c - e <= horizon_days (due in the window); (e + horizon_days) / c when it
  comes later (just bought: not due yet); exp(-ln(e / c)^2 / (2 * 0.75^2)) when overdue, which
  fades as the item seems dropped (twice the cycle late: 0.65; four times: 0.18).
- g = ``cycle_weight`` in [0, 1]: 0 ignores the cycle. Both the half-life and g are chosen on a
  validation split inside the training period (``choose_repeat_params``); no decay and g = 0 are
  among the candidates, so the learned score can only match or beat plain counts on validation.

Worked example (the unit test): item A bought on days 0, 30, 60, 90 and item B on days 30, 60,
90, 118, data ending on day 120, horizon 7 days. Both have 4 orders and a 30-day cycle; A was
last bought 30 days ago (due now, due = 1), B two days ago (due = (2 + 7) / 28.67 = 0.31). With
g = 1, A ranks first; with g = 0 and no decay they tie.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from invdash.recommend.blend import top_k
from invdash.recommend.evaluate import target_matrix, top_metrics
from invdash.recommend.interactions import Interactions
from invdash.schema import ConfigError, NotFittedError

__all__ = ["RepeatParams", "RepeatModel", "due_weight", "choose_repeat_params"]

_OVERDUE_SPREAD = 0.75
_DAY_S = 86400.0


@dataclass(frozen=True)
class RepeatParams:
    """Settings of the repeat score (module docstring).

    Attributes:
        half_life_days: half-life of the recency weight, in days; None for no decay.
        cycle_weight: g in [0, 1], how much the repurchase cycle re-weights the counts.
        horizon_days: the window ahead in which a due purchase counts, in days.
    """

    half_life_days: float | None = None
    cycle_weight: float = 0.0
    horizon_days: float = 30.0

    def __post_init__(self) -> None:
        if self.half_life_days is not None and self.half_life_days <= 0:
            raise ConfigError(f"half_life_days must be > 0 or None, got {self.half_life_days}.")
        if not 0.0 <= self.cycle_weight <= 1.0:
            raise ConfigError(f"cycle_weight must be in [0, 1], got {self.cycle_weight}.")
        if self.horizon_days <= 0:
            raise ConfigError(f"horizon_days must be > 0, got {self.horizon_days}.")


def due_weight(elapsed_days: np.ndarray, cycle_days: np.ndarray, horizon_days: float) -> np.ndarray:
    """How due the next purchase is in the coming window (module docstring), in [0, 1].

    Example: a 30-day cycle last bought 30 days ago is due (1.0); bought 2 days ago with a
    7-day window, (2 + 7) / 30 = 0.3; bought 120 days ago, exp(-ln(4)^2 / 1.125) = 0.18.
    """
    cycle = np.maximum(np.asarray(cycle_days, dtype=float), 1.0)
    elapsed = np.maximum(np.asarray(elapsed_days, dtype=float), 0.0)
    ahead = cycle - elapsed
    later = np.minimum((elapsed + horizon_days) / cycle, 1.0)
    ratio = np.maximum(elapsed / cycle, 1.0)
    overdue = np.exp(-(np.log(ratio) ** 2) / (2 * _OVERDUE_SPREAD**2))
    return np.where(ahead > horizon_days, later, np.where(ahead >= 0, 1.0, overdue))


def _pair_stats(interactions: Interactions) -> pd.DataFrame:
    """Per (customer, item): orders, first and last age in days, and the purchase cycle."""
    buys = interactions.buys
    age = (interactions.end - pd.to_datetime(buys["ts"])).dt.total_seconds() / _DAY_S
    frame = pd.DataFrame({"customer": buys["customer"], "item": buys["item"], "age": age})
    pairs = frame.groupby(["customer", "item"], sort=True)["age"].agg(
        orders="size", oldest="max", newest="min"
    )
    pairs = pairs.reset_index()
    own = (pairs["oldest"] - pairs["newest"]) / (pairs["orders"] - 1).where(pairs["orders"] > 1)
    own = own.where(own > 0)
    item_cycle = own.groupby(pairs["item"]).median()
    shop_cycle = float(own.median()) if own.notna().any() else 30.0
    fallback = pairs["item"].map(item_cycle).fillna(shop_cycle)
    pairs["cycle_days"] = own.fillna(fallback).to_numpy()
    return pairs


class RepeatModel:
    """Repeat-purchase scores from a customer's own baskets (module docstring).

    Args:
        params: the recency, cycle and horizon settings.
    """

    def __init__(self, params: RepeatParams | None = None) -> None:
        self.params = params

    def fit(self, interactions: Interactions) -> RepeatModel:
        """Learn the per-(customer, item) counts, recency and cycles."""
        params = self.params or RepeatParams()
        buys = interactions.buys
        age = (interactions.end - pd.to_datetime(buys["ts"])).dt.total_seconds() / _DAY_S
        self.ages_ = age.to_numpy(dtype=float)
        self.rows_ = buys["customer"].to_numpy()
        self.cols_ = buys["item"].to_numpy()
        self.pairs_ = _pair_stats(interactions)
        self.shape_ = (len(interactions.customers), len(interactions.skus))
        self.matrix_ = self._matrix(params)
        return self

    def _matrix(self, params: RepeatParams) -> sp.csr_matrix:
        if params.half_life_days is None:
            weight = np.ones(len(self.ages_))
        else:
            weight = np.exp(-np.log(2.0) * self.ages_ / params.half_life_days)
        counts = sp.csr_matrix((weight, (self.rows_, self.cols_)), shape=self.shape_)
        counts.sum_duplicates()
        pairs = self.pairs_
        due = due_weight(pairs["newest"], pairs["cycle_days"], params.horizon_days)
        factor = 1.0 - params.cycle_weight + params.cycle_weight * due
        scale = sp.csr_matrix((factor, (pairs["customer"], pairs["item"])), shape=self.shape_)
        return counts.multiply(scale).tocsr().astype(np.float32)

    def with_params(self, params: RepeatParams) -> RepeatModel:
        """A copy scored with other settings, reusing the fitted counts and cycles."""
        if not hasattr(self, "pairs_"):
            raise NotFittedError("RepeatModel is not fitted yet; call fit(interactions) first.")
        other = RepeatModel(params)
        other.__dict__.update({k: v for k, v in self.__dict__.items() if k.endswith("_")})
        other.matrix_ = other._matrix(params)
        return other

    def score(self, users: np.ndarray) -> np.ndarray:
        """Repeat scores of every item for the customer indices ``users``, (len(users), items)."""
        if not hasattr(self, "matrix_"):
            raise NotFittedError("RepeatModel is not fitted yet; call fit(interactions) first.")
        return np.asarray(self.matrix_[users].todense(), dtype=np.float32)

    def cycle_days(self) -> pd.DataFrame:
        """Per (customer, item): ``customer, item, orders, newest, cycle_days`` (for reasons)."""
        if not hasattr(self, "pairs_"):
            raise NotFittedError("RepeatModel is not fitted yet; call fit(interactions) first.")
        return self.pairs_


def choose_repeat_params(  # noqa: PLR0913 - data, candidates and list length
    model: RepeatModel,
    users: np.ndarray,
    targets: Sequence[set[str]],
    skus: np.ndarray,
    *,
    half_lives: Sequence[float | None] = (None, 30.0, 60.0, 120.0, 240.0, 480.0),
    cycle_weights: Sequence[float] = (0.0, 0.25, 0.5, 0.75, 1.0),
    k: int = 10,
) -> tuple[RepeatParams, pd.DataFrame]:
    """The recency half-life and cycle weight with the best validation NDCG@k.

    Args:
        model: a ``RepeatModel`` fitted on the data before the validation period.
        users: validation customer indices.
        targets: per validation customer, the SKUs bought in the validation period.
        skus: item index -> SKU.
        half_lives: candidate half-lives in days (None: no decay).
        cycle_weights: candidate cycle weights g.
        k: list length.

    Returns:
        The best settings and one row per candidate with ``hr, recall, ndcg``, best first.
    """
    horizon = (model.params or RepeatParams()).horizon_days
    truth, n_targets = target_matrix(targets, skus), np.array([len(t) for t in targets])
    rows = []
    for half_life, weight in itertools.product(half_lives, cycle_weights):
        params = RepeatParams(half_life, weight, horizon)
        top = top_k(model.with_params(params).score(users), k=k)
        metrics = top_metrics(top, truth, n_targets, k=k)
        rows.append({"half_life_days": half_life, "cycle_weight": weight, **metrics})
    table = pd.DataFrame(rows).sort_values(["ndcg", "hr"], ascending=False, kind="stable")
    best = table.iloc[0]
    half_life = None if pd.isna(best["half_life_days"]) else float(best["half_life_days"])
    return RepeatParams(half_life, float(best["cycle_weight"]), horizon), table.reset_index(
        drop=True
    )
