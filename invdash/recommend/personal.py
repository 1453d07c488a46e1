"""Personal recommendations from purchase history: EASE, repeat purchase and popularity.

Design:
- **EASE** (Steck 2019, "Embarrassingly Shallow Autoencoders") is the collaborative model: an
  item-item weight matrix ``W`` with zero diagonal that reconstructs the customers x items matrix
  ``X`` in closed form, ``P = (X^T X + lambda I)^-1``, ``W = -P / diag(P)`` (column-wise),
  ``diag(W) = 0``. A customer's scores are ``x_u W``. It is a better-regularised item-kNN: one
  matrix inverse (seconds for a few thousand items with numpy) and no neighbourhood size to tune.
  Only the ``max_items`` most-bought items enter the inverse (memory grows with items^2); the
  others are reached through bought-together and title similarity.
  ``X`` uses log1p of the number of orders with the item, so one heavy buyer doesn't dominate.
- **Repeat purchase**: retail customers rebuy. The repeat score of (customer, item) is the sum over
  the customer's orders holding the item of exp(-ln2 * age_days / half_life_days) (built in
  ``interactions.build_interactions``): frequent and recent rebuys rank first.
- **Popularity**: all-time orders plus recency-weighted purchases, the fallback for customers
  without history.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from invdash.recommend.interactions import Interactions
from invdash.schema import NotFittedError

__all__ = ["EASE", "popularity_scores", "repeat_scores"]


class EASE:
    """Closed-form item-item autoencoder (see the module docstring).

    Args:
        l2: ridge penalty lambda on the item-item weights.
        max_items: at most this many (most-bought) items enter the model.
    """

    def __init__(self, l2: float = 200.0, max_items: int = 6000) -> None:
        self.l2 = l2
        self.max_items = max_items

    def fit(self, user_items: sp.csr_matrix) -> EASE:
        """Learn ``W`` from a customers x items matrix of purchase counts."""
        counts = np.asarray((user_items > 0).sum(axis=0)).ravel()
        order = np.lexsort((np.arange(len(counts)), -counts))
        self.items_ = np.sort(order[: min(self.max_items, int((counts > 0).sum()))])
        x = user_items[:, self.items_].astype(np.float64)
        x.data = np.log1p(x.data)
        gram = np.asarray((x.T @ x).todense())
        gram[np.diag_indices_from(gram)] += self.l2
        inverse = np.linalg.inv(gram)
        weights = -inverse / np.diag(inverse)[None, :]
        np.fill_diagonal(weights, 0.0)
        self.weights_ = weights.astype(np.float32)
        self.n_items_ = user_items.shape[1]
        return self

    def score(self, user_items: sp.csr_matrix) -> np.ndarray:
        """Scores of every item for each row of ``user_items``, shape (rows, n_items)."""
        if not hasattr(self, "weights_"):
            raise NotFittedError("EASE is not fitted yet; call fit(user_items) first.")
        x = user_items[:, self.items_].astype(np.float32)
        x.data = np.log1p(x.data)
        out = np.zeros((user_items.shape[0], self.n_items_), dtype=np.float32)
        out[:, self.items_] = np.asarray(x @ self.weights_)
        return out


def repeat_scores(interactions: Interactions, users: np.ndarray) -> np.ndarray:
    """Recency-weighted purchase frequency of each item for each customer index in ``users``."""
    return np.asarray(interactions.recency[users].todense(), dtype=np.float32)


def popularity_scores(interactions: Interactions) -> np.ndarray:
    """Item popularity: share of all orders plus share of recency-weighted customer purchases.

    The first term is all-time demand (guest orders included), the second its recent trend (the
    same half-life as the repeat score), each scaled to a maximum of 1.
    """
    orders = np.asarray(interactions.basket_items.sum(axis=0)).ravel()
    recent = np.asarray(interactions.recency.sum(axis=0)).ravel()
    total = orders / max(orders.max(), 1.0) + recent / max(recent.max(), 1e-9)
    return total.astype(np.float32)
