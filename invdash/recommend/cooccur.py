"""Item-to-item "bought together" from baskets.

Design: an orders x items binary matrix ``B`` gives co-occurrence counts ``C = B^T B`` (``n_ab``,
orders holding both a and b) and item counts ``n_a`` on its diagonal. The association measure is
the **shrunk cosine** (Ochiai coefficient with a support shrinkage):

    score(a, b) = n_ab / sqrt(n_a * n_b)  *  n_ab / (n_ab + shrinkage),   0 if n_ab < min_support

Why this one: raw counts favour the best sellers (everything is "bought with" the top seller);
lift ``n_ab * N / (n_a n_b)`` and PMI favour rare pairs (two items bought once, together, get the
highest lift of the shop). Cosine is symmetric and bounded in [0, 1], it asks that each item
explains a fair share of the other's orders, and the shrinkage factor and the minimum support
keep one-off coincidences from ranking high. Lift is still reported for display.

Worked example (the unit test): baskets {A,B}, {A,B}, {A,C}, {B}: n_A = 3, n_B = 3, n_AB = 2,
cosine(A,B) = 2/3, lift(A,B) = 2*4/(3*3) = 0.889; with shrinkage 1, score(A,B) = 2/3 * 2/3 = 0.444.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from invdash.schema import NotFittedError

__all__ = ["BoughtTogether", "association_table"]


def _scores(basket_items: sp.csr_matrix, *, min_support: int, shrinkage: float) -> sp.csr_matrix:
    binary = basket_items.copy().tocsr()
    binary.data[:] = 1.0
    co = (binary.T @ binary).tocsr().astype(np.float64)
    counts = co.diagonal().copy()
    co.setdiag(0.0)
    co.eliminate_zeros()
    co.data[co.data < min_support] = 0.0
    co.eliminate_zeros()
    # Read the pairs from COO: indexing an empty selection would give a sparse matrix (a shop
    # whose orders each hold one item has no pairs at all).
    pairs = co.tocoo()
    rows, cols, both = pairs.row, pairs.col, pairs.data
    cosine = both / np.sqrt(counts[rows] * counts[cols])
    value = cosine * both / (both + shrinkage)
    return sp.csr_matrix((value, (rows, cols)), shape=co.shape), co, counts


class BoughtTogether:
    """Item-to-item association from baskets (shrunk cosine; see the module docstring).

    Args:
        min_support: minimum number of orders holding both items for a pair to count.
        shrinkage: pseudo-count s in the factor n_ab / (n_ab + s).
    """

    def __init__(self, min_support: int = 2, shrinkage: float = 3.0) -> None:
        self.min_support = min_support
        self.shrinkage = shrinkage

    def fit(self, basket_items: sp.csr_matrix) -> BoughtTogether:
        """Learn pair scores from an orders x items matrix (any positive value counts as 1)."""
        self.scores_, _, self.item_counts_ = _scores(
            basket_items, min_support=self.min_support, shrinkage=self.shrinkage
        )
        return self

    def _check(self) -> None:
        if not hasattr(self, "scores_"):
            raise NotFittedError("BoughtTogether is not fitted yet; call fit(basket_items) first.")

    def neighbours(self, item: int, *, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` items most associated with ``item``: ``(indices, scores)``, best first."""
        self._check()
        row = self.scores_.getrow(item)
        order = np.lexsort((row.indices, -row.data))[:k]
        return row.indices[order], row.data[order]

    def score_history(self, items: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Association of every item with a weighted set of items (dense, shape (n_items,))."""
        self._check()
        return np.asarray(self.scores_[items].T @ weights).ravel()


def association_table(
    baskets: pd.DataFrame, *, min_support: int = 1, shrinkage: float = 0.0
) -> pd.DataFrame:
    """Every associated pair of a basket frame with its measures (display and tests).

    Args:
        baskets: frame with ``order_id`` and ``sku`` columns, one row per line.
        min_support: minimum co-occurring orders.
        shrinkage: pseudo-count s of the shrinkage factor.

    Returns:
        Frame ``sku, other_sku, support, lift, cosine, score`` (each unordered pair twice),
        sorted by sku then descending score.
    """
    skus, items = np.unique(baskets["sku"].astype(str).to_numpy(), return_inverse=True)
    orders, order_codes = np.unique(baskets["order_id"].astype(str).to_numpy(), return_inverse=True)
    matrix = sp.csr_matrix(
        (np.ones(len(items)), (order_codes, items)), shape=(len(orders), len(skus))
    )
    scores, co, counts = _scores(matrix, min_support=min_support, shrinkage=shrinkage)
    rows, cols = co.nonzero()
    both = np.asarray(co[rows, cols]).ravel()
    table = pd.DataFrame(
        {
            "sku": skus[rows],
            "other_sku": skus[cols],
            "support": both.astype(int),
            "lift": both * len(orders) / (counts[rows] * counts[cols]),
            "cosine": both / np.sqrt(counts[rows] * counts[cols]),
            "score": np.asarray(scores[rows, cols]).ravel(),
        }
    )
    return table.sort_values(
        ["sku", "score", "other_sku"], ascending=[True, False, True], ignore_index=True
    )
