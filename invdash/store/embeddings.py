"""SQL for stored text embeddings (``text_embeddings``): each title is encoded once per model.

Rows are keyed by (SHA-256 of the text, model name), so a renamed product gets a new row and an
unchanged title is never encoded again, whichever run (forecast cold start, recommendations)
asks for it. ``cached_embeddings`` is the one function every caller goes through: it reads the
vectors it has, encodes only the missing texts with the caller's encoder and stores them (on a
read-only connection it encodes and stores nothing, so a dashboard page still works). The
table is migration 9 (branch h-reorder).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Sequence

import duckdb
import numpy as np
import pyarrow as pa

__all__ = ["text_hash", "cached_embeddings"]

Encode = Callable[[list[str]], np.ndarray]


def text_hash(text: str) -> str:
    """Hex SHA-256 of the UTF-8 text (the row key with the model name)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _is_read_only(conn: duckdb.DuckDBPyConnection) -> bool:
    rows = conn.execute("SELECT current_setting('access_mode')").fetchall()
    return str(rows[0][0]).lower() == "read_only"


def _load(conn: duckdb.DuckDBPyConnection, hashes: list[str], model: str) -> dict[str, np.ndarray]:
    found = conn.execute(
        "SELECT text_hash, vector FROM text_embeddings WHERE model = ? "
        "AND text_hash IN (SELECT unnest(?))", [model, hashes],
    ).fetchnumpy()
    return {
        str(key): np.asarray(vector, dtype=np.float32)
        for key, vector in zip(found["text_hash"], found["vector"], strict=True)
    }


def _save(
    conn: duckdb.DuckDBPyConnection, hashes: list[str], model: str, vectors: np.ndarray
) -> None:
    values = np.ascontiguousarray(vectors, dtype=np.float32)
    offsets = np.arange(0, values.size + 1, max(values.shape[1], 1), dtype=np.int32)
    table = pa.table({
        "text_hash": pa.array(hashes), "model": pa.array([model] * len(hashes)),
        "vector": pa.ListArray.from_arrays(pa.array(offsets), pa.array(values.ravel())),
    })
    view = f"_embeddings_{uuid.uuid4().hex}"
    conn.register(view, table)
    try:
        conn.execute(
            "INSERT OR REPLACE INTO text_embeddings (text_hash, model, vector) "
            f"SELECT text_hash, model, vector FROM {view}"
        )
    finally:
        conn.unregister(view)


def cached_embeddings(
    conn: duckdb.DuckDBPyConnection, texts: Sequence[str], *, model: str, encode: Encode
) -> np.ndarray:
    """Vectors of ``texts`` (rows in order), encoding only texts not yet stored for ``model``.

    Args:
        conn: the store (read-write to keep new vectors; read-only only reads).
        texts: the texts, already cleaned by the caller.
        model: the encoder's name (part of the key: another model never reuses a vector).
        encode: ``callable(list of texts) -> (n, d) float32`` for the missing texts.
    """
    keys = [text_hash(t) for t in texts]
    unique = list(dict.fromkeys(keys))
    known = _load(conn, unique, model)
    missing = [k for k in unique if k not in known]
    if missing:
        text_of = dict(zip(keys, texts, strict=True))
        fresh = np.asarray(encode([text_of[k] for k in missing]), dtype=np.float32)
        known.update(zip(missing, fresh, strict=True))
        if not _is_read_only(conn):
            _save(conn, missing, model, fresh)
    if not keys:
        return np.zeros((0, 0), dtype=np.float32)
    return np.stack([known[k] for k in keys]).astype(np.float32)
