"""Fusion: per SKU, the model or equal-weight combination that wins the rolling-origin backtest.

Design:
- Candidates are every backtested model alone and every combination of two or three of them
  (equal weights: the mean of the members' means; combinations are famously hard to beat and
  need no weight estimation on three short folds). A combination is named ``ens(a+b)``.
- Each candidate is scored per SKU by its out-of-sample RMSSE averaged over the folds.
- Three folds of 28 days are a noisy basis for a per-SKU choice, so each SKU's score is shrunk
  towards its demand class's average score: ``(F * own + K * class) / (F + K)`` with F the
  folds that scored the SKU and K = ``shrinkage`` (0 picks per SKU, large values pick one
  candidate per class). The choice and the reason are recorded for every SKU.
- K = 10 (``SHRINKAGE``), measured: on the design origins of Online Retail daily, Australian
  retail monthly and orange juice weekly (``benchmarks/bench_grain.py`` notes), K = 10 beat
  K = 3 on all three (RMSSE 0.750 vs 0.752, 1.061 vs 1.068, 0.860 vs 0.864) and beat the
  other designs tried on at least two: one candidate per class (K -> infinity), one per panel,
  and blends of each SKU's top 2-4 models (mean of the best by shrunk score).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

from invdash.forecast.metrics import rmsse
from invdash.forecast.results import BacktestResult
from invdash.schema import SKU

__all__ = [
    "SHRINKAGE", "Candidate", "candidate_set", "members_of", "choose_models", "combine_means",
    "combine_by_choice",
]


#: K, the weight (in folds) of the class average in each SKU's shrunk score.
SHRINKAGE = 10.0


@dataclass(frozen=True)
class Candidate:
    """A model or an equal-weight combination of models."""

    name: str
    members: tuple[str, ...]


def members_of(model: str) -> tuple[str, ...]:
    """The member models of a candidate name: ``"ens(ets+sba)"`` -> ``("ets", "sba")``,
    a single model ``"ets"`` -> ``("ets",)``. The inverse of ``candidate_set``'s naming."""
    if model.startswith("ens(") and model.endswith(")"):
        return tuple(model[4:-1].split("+"))
    return (model,)


def candidate_set(models: list[str], *, max_members: int = 3) -> list[Candidate]:
    """Singles plus all combinations of 2..``max_members`` of ``models``."""
    out = [Candidate(m, (m,)) for m in models]
    for size in range(2, max_members + 1):
        out += [Candidate(f"ens({'+'.join(c)})", c) for c in combinations(models, size)]
    return out


def combine_means(means: dict[str, np.ndarray], members: tuple[str, ...]) -> np.ndarray:
    """Equal-weight mean of the members' forecast means."""
    return np.mean([means[m] for m in members], axis=0)


def combine_by_choice(
    means: dict[str, np.ndarray], chosen: np.ndarray, members: dict[str, tuple[str, ...]]
) -> np.ndarray:
    """Row ``i`` is the combination ``members[chosen[i]]`` of the models' means at row ``i``."""
    out = np.zeros_like(next(iter(means.values())))
    for name in np.unique(chosen):
        rows = chosen == name
        out[rows] = np.mean([means[m][rows] for m in members[name]], axis=0)
    return out


def _score_matrix(backtest: BacktestResult, candidates: list[Candidate]) -> pd.DataFrame:
    pieces = []
    for fold in backtest.folds:
        scores = np.column_stack([
            rmsse(fold.actual, combine_means(fold.means, c.members), fold.scale_sq)
            for c in candidates
        ])
        pieces.append(pd.DataFrame(scores, index=pd.Index(fold.skus, name=SKU)))
    stacked = pd.concat(pieces)
    grouped = stacked.groupby(level=0)
    return grouped.mean().assign(n_folds=grouped.size())


def choose_models(
    backtest: BacktestResult, *, models: list[str] | None = None, shrinkage: float = SHRINKAGE,
    max_members: int = 3,
) -> pd.DataFrame:
    """Pick the winning candidate per backtested SKU.

    Args:
        backtest: a ``BacktestResult`` with out-of-sample means.
        models: models that may be used (default: all backtested models).
        shrinkage: K, the weight of the class average in the shrunk score.
        max_members: largest combination size.

    Returns:
        Frame ``sku, model, members, demand_class, reason, score`` (``score``: the SKU's own
        mean backtest RMSSE of the chosen candidate).
    """
    names = list(models or backtest.folds[0].means)
    candidates = candidate_set(names, max_members=max_members)
    scores = _score_matrix(backtest, candidates)
    classes = backtest.classes.set_index(SKU)["demand_class"].reindex(scores.index).fillna("new")
    own = scores.drop(columns="n_folds").to_numpy()
    class_mean = pd.DataFrame(own, index=scores.index).groupby(classes.to_numpy()).transform(
        "mean"
    ).to_numpy()
    n_folds = scores["n_folds"].to_numpy(dtype=float)[:, None]
    filled = np.where(np.isnan(own), class_mean, own)
    shrunk = (n_folds * filled + shrinkage * class_mean) / (n_folds + shrinkage)
    best = np.nanargmin(np.where(np.isnan(shrunk), np.inf, shrunk), axis=1)
    order = np.argsort(np.where(np.isnan(shrunk), np.inf, shrunk), axis=1)
    runner_up = np.where(order[:, 0] == best, order[:, 1], order[:, 0])
    rows = np.arange(len(best))
    chosen = [candidates[i] for i in best]
    reasons = [
        f"{cls} demand: lowest backtest RMSSE shrunk to class average "
        f"({shrunk[r, best[r]]:.3f} vs {candidates[runner_up[r]].name} "
        f"{shrunk[r, runner_up[r]]:.3f}, {int(n_folds[r, 0])} folds)"
        for r, cls in zip(rows, classes.to_numpy(), strict=True)
    ]
    return pd.DataFrame({
        SKU: scores.index.to_numpy(), "model": [c.name for c in chosen],
        "members": [c.members for c in chosen], "demand_class": classes.to_numpy(),
        "reason": reasons, "score": own[rows, best],
    })
