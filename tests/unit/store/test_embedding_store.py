"""Title embeddings are encoded once per (text, model) and read back from DuckDB afterwards.

The encoder is the real offline MiniLM; a spy around ``runtime.embeddings._encode`` counts the
titles it is given.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from invdash import store
from invdash.runtime import embeddings
from invdash.store.embeddings import cached_embeddings


@pytest.fixture
def encoded(monkeypatch) -> list[str]:
    seen: list[str] = []
    real = embeddings._encode

    def spy(texts, *, batch_size):
        seen.extend(texts)
        return real(texts, batch_size=batch_size)

    monkeypatch.setattr(embeddings, "_encode", spy)
    return seen


def test_the_second_call_encodes_no_title(tmp_path, encoded):
    titles = ["Red wool scarf", "Blue cotton scarf", "Red wool scarf", "", "Garden hose 20 m"]
    conn = store.connect(tmp_path / "shop.duckdb")
    try:
        with embeddings.embeddings_stored_in(conn):
            first = embeddings.embed_texts(titles)
            assert sorted(encoded) == sorted(["Red wool scarf", "Blue cotton scarf", "",
                                              "Garden hose 20 m"]), "each distinct title once"
            encoded.clear()
            second = embeddings.embed_texts(list(reversed(titles)))
        stored = conn.execute("SELECT count(*) FROM text_embeddings").fetchall()[0][0]
    finally:
        conn.close()
    assert encoded == []
    np.testing.assert_allclose(second, first[::-1], atol=1e-6)
    assert stored == 4
    assert np.allclose(first[3], 0.0), "an empty title stays the zero vector"
    np.testing.assert_allclose(np.linalg.norm(first[0]), 1.0, rtol=1e-5)


def test_another_model_name_never_reuses_a_vector(tmp_path):
    calls: list[list[str]] = []

    def encode(texts):
        calls.append(list(texts))
        return np.ones((len(texts), 3), dtype=np.float32) * len(calls)

    conn = store.connect(tmp_path / "shop.duckdb")
    try:
        a = cached_embeddings(conn, ["x", "y"], model="m1", encode=encode)
        b = cached_embeddings(conn, ["y", "x"], model="m2", encode=encode)
        again = cached_embeddings(conn, ["y"], model="m1", encode=encode)
    finally:
        conn.close()
    assert calls == [["x", "y"], ["y", "x"]]
    assert (a == 1).all() and (b == 2).all() and (again == 1).all()


def test_a_read_only_store_reads_vectors_but_keeps_no_new_ones(tmp_path, encoded):
    path = tmp_path / "shop.duckdb"
    conn = store.connect(path)
    try:
        with embeddings.embeddings_stored_in(conn):
            embeddings.embed_texts(["Kept title"])
    finally:
        conn.close()
    encoded.clear()
    reader = store.connect_read_only(path)
    try:
        with embeddings.embeddings_stored_in(reader):
            embeddings.embed_texts(["Kept title", "New title"])
        count = reader.execute("SELECT count(*) FROM text_embeddings").fetchall()[0][0]
    finally:
        reader.close()
    assert encoded == ["New title"]
    assert count == 1


def test_a_second_forecast_run_encodes_no_product_title(tmp_path: Path, encoded):
    from invdash.demo import build_demo
    from invdash.forecast.stored import forecast_and_store

    conn = store.connect(tmp_path / "shop.duckdb")
    try:
        build_demo(conn, n_skus=12, n_days=120, seed=3)
        # Three catalogue SKUs that never sold: the cold start embeds every title.
        conn.execute(
            "INSERT INTO products (sku, name, category) VALUES ('NEW-1', 'Red wool scarf', 'x'), "
            "('NEW-2', 'Garden hose 20 m', 'y'), ('NEW-3', 'Blue cotton scarf', 'x')"
        )
        forecast_and_store(conn, model="auto")
        first = len(encoded)
        encoded.clear()
        forecast_and_store(conn, model="auto")
    finally:
        conn.close()
    assert first >= 12
    assert encoded == []
