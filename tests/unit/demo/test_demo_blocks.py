"""The demo shop in blocks of SKUs: the same shop as before blocks, whichever way it is written."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from invdash import store
from invdash.demo import blocks, build_demo, make_sales, make_shop

TABLES = ("products", "sales", "inventory", "purchase_orders", "order_lines")
#: sha256 (first 16 hex) of each frame's CSV for make_shop(40, 90, seed=3), recorded from the
#: single-matrix generator before the shop was simulated in blocks.
BEFORE_BLOCKS = {
    "products": "f6b6901a0a7c2d8f", "sales": "ea380104b9f2d1eb",
    "inventory": "d9c0a3345ba8ce47", "purchase_orders": "d897b286dfafcd51",
    "order_lines": "80d99d6d7d3b8eee", "customers": "760215826d55d253",
}
SORT_KEYS = {
    "products": ["sku"], "sales": ["sku", "date"], "inventory": ["sku", "as_of"],
    "purchase_orders": ["eta", "po_id", "sku"], "order_lines": ["order_id", "line_no"],
}


def _digest(frame: pd.DataFrame) -> str:
    return hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()[:16]


def test_a_one_block_shop_is_the_shop_drawn_before_blocks_existed():
    shop = make_shop(40, 90, seed=3)
    assert {name: _digest(getattr(shop, name)) for name in BEFORE_BLOCKS} == BEFORE_BLOCKS


def _table(conn, name: str, columns: list[str]) -> pd.DataFrame:
    frame = conn.execute(f"SELECT {', '.join(columns)} FROM {name}").df()
    return frame.sort_values(SORT_KEYS[name], ignore_index=True)


def _comparable(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    frame = frame.sort_values(SORT_KEYS[name], ignore_index=True)
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            frame[column] = frame[column].astype("datetime64[us]")
    return frame


def test_the_shop_written_in_blocks_equals_the_shop_made_at_once(tmp_path, monkeypatch):
    monkeypatch.setattr(blocks, "BLOCK_CELLS", 9 * 120)  # 9 SKUs a block: 5 blocks
    assert len(blocks.block_bounds(41, 120)) == 5
    shop = make_shop(41, 120, seed=4)
    conn = store.connect(tmp_path / "shop.duckdb")
    summary = build_demo(conn, n_skus=41, n_days=120, seed=4)
    for name in TABLES:
        expected = getattr(shop, name)
        columns = [c for c in expected.columns if c in store.table_columns(conn, name)]
        expected = _comparable(expected[columns], name)
        written = _comparable(_table(conn, name, list(expected.columns)), name)
        pd.testing.assert_frame_equal(written, expected, check_dtype=False, check_exact=True)
    assert summary.rows == {name: len(getattr(shop, name)) for name in TABLES}
    assert summary.units_sold == pytest.approx(shop.sales["qty"].sum())
    assert summary.n_days == shop.sales["date"].nunique()
    assert summary.first_date == shop.sales["date"].min()
    conn.close()


def test_blocks_change_the_shop_only_past_one_block_and_keep_it_seeded(monkeypatch):
    whole = make_sales(30, 100, seed=2)
    monkeypatch.setattr(blocks, "BLOCK_CELLS", 10 * 100)
    in_blocks, again = make_sales(30, 100, seed=2), make_sales(30, 100, seed=2)
    pd.testing.assert_frame_equal(in_blocks, again)
    first_block = whole["sku"].isin(whole["sku"].unique()[:10])
    # Block 0 draws from the shop's generator but over 10 SKUs instead of 30: other numbers.
    assert not in_blocks["qty"].equals(whole["qty"])
    assert list(in_blocks["sku"].unique()) == list(whole["sku"].unique())
    assert first_block.any()
