"""AppTest: the Recommendations page reads a stored run and builds one when the data changed.

Page-open time is measured in ``benchmarks/bench_recs.py`` (timed tests would flake on a busy
machine); here the check is that a stored run is read, not rebuilt.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from invdash import store

APP = str(Path(__file__).parents[2] / "app.py")


@pytest.fixture(scope="module")
def shop_with_run(demo_db, tmp_path_factory) -> Path:
    """The demo shop with a stored recommendation run (do not write; tests copy it)."""
    from invdash.recommend.runs import build_rec_run

    path = tmp_path_factory.mktemp("recs") / "shop.duckdb"
    shutil.copy(demo_db, path)
    conn = store.connect(path)
    try:
        build_rec_run(conn)
    finally:
        conn.close()
    return path


def _open(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[AppTest, Path]:
    monkeypatch.setenv("INVDASH_DB", str(path))
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/recommendations.py")
    at.run()
    return at, path


def _run_ids(path: Path) -> list[str]:
    conn = store.connect_read_only(path)
    try:
        rows = conn.execute("SELECT run_id FROM rec_runs ORDER BY run_id").fetchall()
        return [row[0] for row in rows]
    finally:
        conn.close()


@pytest.fixture
def page(shop_with_run, tmp_path, monkeypatch) -> tuple[AppTest, Path]:
    path = tmp_path / "shop.duckdb"
    shutil.copy(shop_with_run, path)
    yield _open(path, monkeypatch)
    st.cache_data.clear()
    st.cache_resource.clear()


def test_page_with_a_stored_run_reads_it_and_builds_none(page, shop_with_run):
    at, path = page
    assert not at.exception
    assert _run_ids(path) == _run_ids(shop_with_run)


def test_page_shows_buy_again_and_discover_with_reasons(page):
    at, _ = page
    customers = at.selectbox(key="recommendations_customer")
    at = customers.set_value(customers.options[1]).run()
    assert not at.exception
    titles = [m.value for m in at.markdown]
    assert "**Buy again**" in titles and "**Discover**" in titles
    lists = [frame.value for frame in at.dataframe if "Why" in frame.value.columns]
    assert len(lists) >= 2
    again, new = lists[0], lists[1]
    assert again["Why"].str.match(r"bought |substitute for ").all()
    assert new["Why"].str.match(r"bought together with|customers with|substitute for").all()
    assert not set(again["SKU"]) & set(new["SKU"]) - set(
        again.loc[again["Why"].str.startswith("substitute"), "SKU"]
    )
    assert "Out of stock" not in set(again["Status"]) | set(new["Status"])


def test_page_builds_a_run_when_there_is_none(demo_db_copy, monkeypatch):
    at, _ = _open(demo_db_copy, monkeypatch)
    assert not at.exception
    skus = at.selectbox(key="recommendations_sku")
    at = skus.set_value(skus.options[2]).run()
    assert not at.exception
    headers = [h.value for h in at.subheader]
    assert "For a customer" in headers
    assert "At-risk SKUs and their best in-stock substitutes" in headers
    conn = store.connect_read_only(demo_db_copy)
    try:
        assert conn.execute("SELECT count(*) FROM rec_lists").fetchone()[0] > 0
    finally:
        conn.close()
    st.cache_data.clear()
    st.cache_resource.clear()
