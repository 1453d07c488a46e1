"""The SKU pickers' SQL: search by code or name in DuckDB, one product, one SKU's stock."""

from __future__ import annotations

import pandas as pd
import pytest

from invdash import store
from invdash.store import catalog


@pytest.fixture
def conn(tmp_path):
    conn = store.connect(tmp_path / "catalog.duckdb")
    products = pd.DataFrame(
        {
            "sku": ["MUG-1", "MUG-10", "BOWL-2", "A_B%", "PLATE-7"],
            "name": ["Stoneware Mug", "Glass Mug", "Mug-shaped Bowl", "Odd 50% name", "Plate"],
            "category": ["kitchen"] * 5,
        }
    )
    with store.transaction(conn):
        store.upsert_frame(conn, "products", products)
        store.upsert_frame(conn, "sales", pd.DataFrame({
            "sku": ["MUG-1", "MUG-10", "PLATE-7", "PLATE-7"],
            "date": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-03-01", "2024-02-20"]),
            "qty": [100.0, 3.0, 2.0, 4.0],
        }))  # fmt: skip
        store.upsert_frame(conn, "inventory", pd.DataFrame({
            "sku": ["MUG-1", "MUG-1"], "as_of": pd.to_datetime(["2024-02-01", "2024-03-01"]),
            "on_hand": [5.0, 9.0],
        }))  # fmt: skip
    yield conn
    conn.close()


def test_search_matches_code_or_name_case_insensitively_exact_code_first(conn):
    found = catalog.search_products(conn, "mug-1")
    assert found["sku"].tolist() == ["MUG-1", "MUG-10"]
    by_name = catalog.search_products(conn, "MUG")
    assert by_name["sku"].tolist() == ["MUG-1", "MUG-10", "BOWL-2"]  # code matches first


def test_search_takes_wildcards_literally_and_respects_the_limit(conn):
    assert catalog.search_products(conn, "_B%")["sku"].tolist() == ["A_B%"]
    assert catalog.search_products(conn, "50%")["sku"].tolist() == ["A_B%"]
    assert catalog.search_products(conn, "%").shape[0] == 1  # only the name with a '%'
    assert len(catalog.search_products(conn, "", limit=2)) == 2
    assert catalog.search_products(conn, "nothing like this").empty


def test_top_sellers_rank_the_last_days_of_sales(conn):
    # Last sales day 2024-03-01: MUG-1's 100 units were sold two months earlier.
    top = catalog.top_sellers(conn, days=28, limit=5)
    assert top["sku"].tolist() == ["PLATE-7", "MUG-10"]
    assert top["qty"].tolist() == [6.0, 3.0]


def test_one_product_and_one_skus_latest_stock(conn):
    assert catalog.product(conn, "PLATE-7")["name"] == "Plate"
    assert catalog.product(conn, "NOPE") is None
    assert catalog.has_product(conn, "MUG-1") and not catalog.has_product(conn, "NOPE")
    stock = catalog.sku_on_hand(conn, "MUG-1")
    assert stock["on_hand"].tolist() == [9.0]
    assert catalog.sku_on_hand(conn, "PLATE-7").empty
