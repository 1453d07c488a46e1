"""The dashboard's pooled read connection (``ui.cache._ReadPool``, branch h-pages3): reads that
come close together share one read-only connection, their results equal those of a connection
of their own, a write of this process closes it first, and a replaced file is opened anew."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from invdash import store
from invdash.ui import cache


@pytest.fixture
def shop(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("INVDASH_DB", str(demo_db_copy))
    cache._LOCK.pool.close()
    yield demo_db_copy
    cache._LOCK.pool.close()


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every file the pool opens (it opens through ``store.connect_read_only``)."""
    calls: list[Path] = []
    real = store.connect_read_only

    def spy(path, **kwargs):
        calls.append(Path(path))
        return real(path, **kwargs)

    monkeypatch.setattr(cache.store, "connect_read_only", spy)
    return calls


def _sales_of(sku: str) -> pd.DataFrame:
    with cache.read_connection() as conn:
        return store.load_sales(conn, skus=[sku])


def test_reads_in_a_row_share_one_connection_and_read_what_their_own_would(shop, opened):
    own = duckdb.connect(str(shop), read_only=True)  # not through the spied opener
    try:
        skus = own.execute("SELECT sku FROM products ORDER BY sku LIMIT 5").fetchall()
        pooled = [_sales_of(sku) for (sku,) in skus]
        assert opened == [shop]  # one open for five reads (beside this test's own)
        for (sku,), frame in zip(skus, pooled, strict=True):
            pd.testing.assert_frame_equal(frame, store.load_sales(own, skus=[sku]))
            assert len(frame) > 0
    finally:
        own.close()


def test_a_write_of_this_process_closes_the_pool_first_and_the_next_read_sees_it(shop, opened):
    with cache.read_connection() as conn:
        before = store.table_counts(conn)["products"]
    with cache.write_connection() as conn:  # would wait and fail beside an open read-only one
        conn.execute("DELETE FROM products WHERE sku = (SELECT min(sku) FROM products)")
    with cache.read_connection() as conn:
        assert store.table_counts(conn)["products"] == before - 1
    assert opened == [shop, shop]


def test_a_replaced_file_is_opened_anew(shop, opened, demo_db, tmp_path):
    with cache.read_connection() as conn:
        assert store.table_counts(conn)["products"] > 0
    emptied = tmp_path / "emptied.duckdb"
    shutil.copy(demo_db, emptied)
    writer = store.connect(emptied)
    writer.execute("DELETE FROM purchase_orders")
    writer.close()
    with cache.read_connection() as conn:
        assert store.table_counts(conn)["purchase_orders"] > 0
    shutil.copy(emptied, shop)  # another file at the same path: its stamp differs
    with cache.read_connection() as conn:
        assert store.table_counts(conn)["purchase_orders"] == 0
    assert opened == [shop, shop]  # the first two reads shared one


def test_an_old_pool_is_closed_when_its_last_read_ends(shop, opened, monkeypatch):
    monkeypatch.setattr(cache._ReadPool, "MAX_OPEN_S", 0.0)
    _sales_of("no-such-sku")
    writer = store.connect(shop, wait_s=0)  # no read-only connection left in this process
    writer.close()
    _sales_of("no-such-sku")
    assert opened == [shop, shop]
