"""Content similarity from product titles: substitutes and cold-start items.

Design: titles are embedded once with the offline MiniLM encoder
(``invdash.runtime.embeddings.embed_texts``,
unit vectors, so a dot product is the cosine similarity). A **substitute** for SKU a is a SKU b
with cosine(title_a, title_b) >= ``min_similarity`` and, when the catalogue has categories, the
same category: a shopper who wanted a red lunch bag takes a pink lunch bag, not a doormat. A
**cold-start** item (no purchases yet) reaches customers through the same similarity to items they
did buy. Titles that are empty embed as zero vectors and are similar to nothing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from invdash.schema import SKU, InvalidDataError, NotFittedError

__all__ = ["TitleSimilarity"]


class TitleSimilarity:
    """Title-embedding neighbours of each SKU.

    Args:
        min_similarity: minimum cosine similarity for a substitute.
        same_category: require the same ``category`` (when the catalogue has one).
    """

    def __init__(self, min_similarity: float = 0.5, same_category: bool = True) -> None:
        self.min_similarity = min_similarity
        self.same_category = same_category

    def fit(self, products: pd.DataFrame) -> TitleSimilarity:
        """Embed the titles of ``products`` (``sku, name[, category]``)."""
        from invdash.runtime.embeddings import embed_texts

        if SKU not in products or "name" not in products:
            raise InvalidDataError("products need sku and name columns for title similarity.")
        catalogue = products.drop_duplicates(SKU).reset_index(drop=True)
        self.skus_ = catalogue[SKU].astype(str).to_numpy()
        self.names_ = catalogue["name"].fillna("").astype(str).to_numpy()
        if "category" in catalogue and catalogue["category"].notna().any():
            self.categories_ = catalogue["category"].fillna("").astype(str).to_numpy()
        else:
            self.categories_ = np.full(len(catalogue), "", dtype=object)
        self.vectors_ = embed_texts(list(self.names_))
        self.index_ = {sku: i for i, sku in enumerate(self.skus_)}
        return self

    def _check(self) -> None:
        if not hasattr(self, "vectors_"):
            raise NotFittedError("TitleSimilarity is not fitted yet; call fit(products) first.")

    def similarity(self, sku: str) -> np.ndarray:
        """Cosine similarity of ``sku``'s title to every SKU's (self -inf; zeros if unknown)."""
        self._check()
        row = self.index_.get(str(sku))
        if row is None:
            return np.zeros(len(self.skus_), dtype=np.float32)
        scores = self.vectors_ @ self.vectors_[row]
        scores[row] = -np.inf
        return scores

    def substitutes(self, sku: str, *, k: int, sellable: np.ndarray | None = None) -> pd.DataFrame:
        """The ``k`` best substitutes of ``sku``: ``sku, name, similarity``, best first.

        Args:
            sku: the SKU to replace.
            k: at most this many.
            sellable: optional boolean mask over ``skus_``; others are never offered.
        """
        scores = self.similarity(sku).astype(np.float64)
        keep = scores >= self.min_similarity
        row = self.index_.get(str(sku))
        if self.same_category and row is not None and self.categories_[row]:
            keep &= self.categories_ == self.categories_[row]
        if sellable is not None:
            keep &= sellable
        picked = np.flatnonzero(keep)
        order = picked[np.lexsort((picked, -scores[picked]))][:k]
        return pd.DataFrame(
            {SKU: self.skus_[order], "name": self.names_[order], "similarity": scores[order]}
        )
