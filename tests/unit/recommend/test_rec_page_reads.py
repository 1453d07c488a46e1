"""The Recommendations page's one read per section (branch h-pages3) equals the reads it
replaces: ``store.recs.customer_lists``, ``load_lists`` and ``run_start`` against
``load_customer``, ``load_list``, ``top_customers`` and ``count_queries`` on a stored run."""

from __future__ import annotations

import pandas as pd
import pytest

from invdash import store
from invdash.recommend.runs import ensure_rec_run
from invdash.store import recs as recs_store


@pytest.fixture(scope="module")
def stored_run(demo_db, tmp_path_factory):
    path = tmp_path_factory.mktemp("recs") / "recs.duckdb"
    path.write_bytes(demo_db.read_bytes())
    conn = store.connect(path)
    try:
        run_id = ensure_rec_run(conn, k=5)
    finally:
        conn.close()
    return path, run_id


def test_a_customers_section_equals_its_three_reads(stored_run):
    path, run_id = stored_run
    conn = store.connect_read_only(path)
    try:
        customers = recs_store.top_customers(conn, run_id, 40)["customer_id"].tolist()
        assert customers
        for customer in [*customers, "NO-SUCH-CUSTOMER"]:
            for k in (3, 10):
                found = recs_store.customer_lists(conn, run_id, customer, k)
                assert found["customer"] == recs_store.load_customer(conn, run_id, customer)
                for name in ("buy_again", "discover"):
                    expected = recs_store.load_list(conn, run_id, name, customer, k)
                    pd.testing.assert_frame_equal(found[name], expected)
        assert recs_store.customer_lists(conn, run_id, customers[0], 10)["discover"].shape[0]
    finally:
        conn.close()


def test_a_skus_section_and_the_run_start_equal_their_reads(stored_run):
    path, run_id = stored_run
    conn = store.connect_read_only(path)
    try:
        names = ("bought_together", "substitutes")
        skus = recs_store.stored_list_skus(conn, run_id)
        assert skus
        for sku in [*skus[:30], "NO-SUCH-SKU"]:
            found = recs_store.load_lists(conn, run_id, sku, 5, names)
            assert list(found) == list(names)
            for name in names:
                expected = recs_store.load_list(conn, run_id, name, sku, 5)
                pd.testing.assert_frame_equal(found[name], expected)
        start = recs_store.run_start(conn, run_id, 300)
        pd.testing.assert_frame_equal(
            start["customers"], recs_store.top_customers(conn, run_id, 300)
        )
        assert start["at_risk"] == recs_store.count_queries(conn, run_id, "at_risk")
    finally:
        conn.close()
