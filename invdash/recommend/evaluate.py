"""Offline evaluation of recommendations: a time split and HR@k, recall@k, NDCG@k.

Design: the past predicts the future, never the reverse. ``time_split`` holds out the last
``holdout_days`` of purchases; models train on the rest and are scored on customers who bought in
both periods. Targets are the distinct items a customer bought in the held-out period.

Metrics, per customer with ranked list r_1..r_k and target set T, then averaged over customers:
- HR@k (hit rate): 1 if any r_i is in T.
- recall@k: |{r_i in T}| / |T| (the plain definition; a customer with 30 new items can't reach 1).
- NDCG@k: DCG / IDCG with binary gain, DCG = sum_i [r_i in T] / log2(i + 1) and IDCG the DCG of
  min(|T|, k) hits at the top.

Worked example (the unit test): r = (a, b, c), T = {b, d}: HR = 1, recall = 1/2,
NDCG = (1/log2 3) / (1 + 1/log2 3) = 0.3869.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from invdash.recommend.interactions import CUSTOMER_ID, TS
from invdash.schema import SKU, InvalidDataError

__all__ = [
    "TimeSplit",
    "time_split",
    "ranking_metrics",
    "metrics_frame",
    "target_matrix",
    "top_metrics",
]


@dataclass(frozen=True)
class TimeSplit:
    """Purchases before ``cutoff`` (train) and from it on (test), and the per-customer targets.

    Attributes:
        train: purchases before the cutoff.
        test: purchases at or after the cutoff.
        cutoff: the first held-out timestamp.
        targets: customer id -> set of SKUs bought in the test period, for customers who bought
            in both periods.
    """

    train: pd.DataFrame
    test: pd.DataFrame
    cutoff: pd.Timestamp
    targets: dict[str, set[str]]


def time_split(purchases: pd.DataFrame, *, holdout_days: float = 30.0) -> TimeSplit:
    """Hold out the last ``holdout_days`` of cleaned purchases (``interactions.clean_purchases``).

    Raises:
        InvalidDataError: no customer bought in both periods.
    """
    cutoff = pd.Timestamp(purchases[TS].max()) - pd.Timedelta(days=holdout_days)
    train = purchases[purchases[TS] < cutoff]
    test = purchases[purchases[TS] >= cutoff]
    known = set(train[CUSTOMER_ID].dropna())
    test_known = test[test[CUSTOMER_ID].isin(known)]
    targets = {str(c): set(g) for c, g in test_known.groupby(CUSTOMER_ID)[SKU]}
    if not targets:
        raise InvalidDataError(
            f"no customer bought both before and after {cutoff.date()}; the holdout of "
            f"{holdout_days:g} days leaves nothing to evaluate. Use more history."
        )
    return TimeSplit(train=train, test=test, cutoff=cutoff, targets=targets)


def ranking_metrics(
    recommended: Sequence[Sequence[str]], targets: Sequence[set[str]], *, k: int = 10
) -> dict[str, float]:
    """Mean HR@k, recall@k and NDCG@k over customers (see the module docstring).

    Args:
        recommended: per customer, the ranked SKUs (only the first ``k`` count).
        targets: per customer (same order), the SKUs bought in the held-out period.
        k: list length.

    Returns:
        ``{"hr": ..., "recall": ..., "ndcg": ..., "users": n}``.
    """
    if len(recommended) != len(targets):
        raise InvalidDataError(
            f"recommended has {len(recommended)} customers but targets has {len(targets)}."
        )
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    hits, recalls, ndcgs = [], [], []
    for ranked, truth in zip(recommended, targets, strict=True):
        if not truth:
            continue
        gains = np.array([sku in truth for sku in list(ranked)[:k]], dtype=float)
        ideal = discounts[: min(len(truth), k)].sum()
        hits.append(float(gains.any()))
        recalls.append(gains.sum() / len(truth))
        ndcgs.append(float(gains @ discounts[: len(gains)]) / ideal)
    if not hits:
        return {"hr": 0.0, "recall": 0.0, "ndcg": 0.0, "users": 0}
    return {
        "hr": float(np.mean(hits)),
        "recall": float(np.mean(recalls)),
        "ndcg": float(np.mean(ndcgs)),
        "users": len(hits),
    }


def metrics_frame(
    recommendations: pd.DataFrame, targets: dict[str, set[str]], *, k: int = 10
) -> dict[str, float]:
    """``ranking_metrics`` for a recommendation frame ``query, rank, sku`` (query = customer)."""
    ranked = recommendations.sort_values(["query", "rank"]).groupby("query")["sku"].agg(list)
    users = list(targets)
    return ranking_metrics([ranked.get(u, []) for u in users], [targets[u] for u in users], k=k)


def target_matrix(targets: Sequence[set[str]], skus: np.ndarray) -> sp.csr_matrix:
    """Boolean (customers, items) CSR of the targets; SKUs outside ``skus`` are counted in the
    row totals but can never be hit (``top_metrics`` reads the totals from ``n_targets``)."""
    index = {sku: i for i, sku in enumerate(skus)}
    rows, cols = [], []
    for row, truth in enumerate(targets):
        hits = [index[s] for s in truth if s in index]
        rows += [row] * len(hits)
        cols += hits
    data = np.ones(len(rows), dtype=bool)
    return sp.csr_matrix((data, (rows, cols)), shape=(len(targets), len(skus)))


def top_metrics(
    top: np.ndarray, truth: sp.csr_matrix, n_targets: np.ndarray, *, k: int = 10
) -> dict[str, float]:
    """``ranking_metrics`` for item-index lists (``blend.top_k`` output, -1 = empty), vectorised.

    Args:
        top: (customers, >= k) item indices, best first.
        truth: ``target_matrix`` of the same customers.
        n_targets: per customer, the number of target SKUs (including unknown ones).
        k: list length.
    """
    top = top[:, :k]
    rows = np.repeat(np.arange(top.shape[0]), top.shape[1]).reshape(top.shape)
    hits = np.asarray(truth[rows.ravel(), np.maximum(top, 0).ravel()]).reshape(top.shape)
    hits &= top >= 0
    keep = np.asarray(n_targets) > 0
    if not keep.any():
        return {"hr": 0.0, "recall": 0.0, "ndcg": 0.0, "users": 0}
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    ideal = np.cumsum(discounts)[np.minimum(n_targets[keep], k) - 1]
    hits = hits[keep].astype(float)
    return {
        "hr": float(hits.any(axis=1).mean()),
        "recall": float((hits.sum(axis=1) / n_targets[keep]).mean()),
        "ndcg": float((hits @ discounts[: hits.shape[1]] / ideal).mean()),
        "users": int(keep.sum()),
    }
