"""Customer neighbourhood over time-weighted purchase vectors (TIFU-KNN style).

Design (after Hu et al. 2020, "Modeling Personalized Item Frequency Information for Next-basket
Recommendation"): each customer is a vector over items, the time-weighted mean of their basket
vectors,

    v_u = sum_b w_b x_b / sum_b w_b,   w_b = exp(-ln2 * age_b / half_life_days),

so recent baskets count more and a customer with many orders is not "bigger" than one with few.
The neighbours of u are the ``n_neighbours`` other customers with the highest cosine similarity
of their vectors, and the neighbourhood score is their mean vector. TIFU-KNN's final score is
alpha * v_u + (1 - alpha) * neighbours; here alpha is the blend weight between this component
and the repeat component (``blend``), chosen on validation, so ``score`` returns the
neighbourhood part only. Similarities are computed in chunks of customers, so memory stays at
chunk x customers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from invdash.recommend.interactions import Interactions
from invdash.schema import ConfigError, NotFittedError

__all__ = ["CustomerNeighbours"]

_CHUNK = 1024


class CustomerNeighbours:
    """Mean time-weighted purchase vector of a customer's most similar customers.

    Args:
        half_life_days: half-life of a basket's weight in the customer vector, in days.
        n_neighbours: neighbours per customer.
    """

    def __init__(self, half_life_days: float = 120.0, n_neighbours: int = 100) -> None:
        self.half_life_days = half_life_days
        self.n_neighbours = n_neighbours

    def fit(self, interactions: Interactions) -> CustomerNeighbours:
        """Build every customer's vector (module docstring)."""
        if self.half_life_days <= 0 or self.n_neighbours < 1:
            raise ConfigError(
                "CustomerNeighbours needs half_life_days > 0 and n_neighbours >= 1, got "
                f"{self.half_life_days} and {self.n_neighbours}."
            )
        buys = interactions.buys
        age = (interactions.end - pd.to_datetime(buys["ts"])).dt.total_seconds() / 86400.0
        weight = np.exp(-np.log(2.0) * age.to_numpy(dtype=float) / self.half_life_days)
        shape = (len(interactions.customers), len(interactions.skus))
        vectors = sp.csr_matrix((weight, (buys["customer"], buys["item"])), shape=shape)
        vectors.sum_duplicates()
        order_weight = pd.Series(weight).groupby([buys["customer"], buys["order"]]).first()
        total = order_weight.groupby(level=0).sum().reindex(range(shape[0]), fill_value=0.0)
        scale = np.divide(1.0, total.to_numpy(), out=np.zeros(shape[0]), where=total > 0)
        self.vectors_ = sp.diags(scale) @ vectors
        norms = np.sqrt(np.asarray(self.vectors_.multiply(self.vectors_).sum(axis=1)).ravel())
        inverse = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
        self.unit_ = (sp.diags(inverse) @ self.vectors_).tocsr().astype(np.float32)
        self.vectors_ = self.vectors_.tocsr().astype(np.float32)
        return self

    def score(self, users: np.ndarray) -> np.ndarray:
        """Neighbourhood scores of every item for the customer indices ``users``: (users, items)."""
        if not hasattr(self, "unit_"):
            raise NotFittedError("CustomerNeighbours is not fitted yet; call fit(...) first.")
        users = np.asarray(users)
        out = np.zeros((len(users), self.vectors_.shape[1]), dtype=np.float32)
        for start in range(0, len(users), _CHUNK):
            part = users[start : start + _CHUNK]
            out[start : start + len(part)] = self._chunk(part)
        return out

    def _chunk(self, users: np.ndarray) -> np.ndarray:
        similarity = np.asarray((self.unit_[users] @ self.unit_.T).todense())
        similarity[np.arange(len(users)), users] = -np.inf
        n = min(self.n_neighbours, similarity.shape[1] - 1)
        if n < 1:
            return np.zeros((len(users), self.vectors_.shape[1]), dtype=np.float32)
        top = np.argpartition(-similarity, n - 1, axis=1)[:, :n]
        keep = np.take_along_axis(similarity, top, axis=1) > 0
        rows = np.repeat(np.arange(len(users)), n)[keep.ravel()]
        picks = sp.csr_matrix(
            (np.full(len(rows), 1.0 / n, dtype=np.float32), (rows, top.ravel()[keep.ravel()])),
            shape=(len(users), similarity.shape[1]),
        )
        return np.asarray((picks @ self.vectors_).todense(), dtype=np.float32)
