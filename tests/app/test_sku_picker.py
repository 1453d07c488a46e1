"""The SKU picker at scale: it searches the products in DuckDB and offers a few matches, never a
list of every SKU (``ui/paging.sku_picker`` on the SKU Explorer, Master Data, Recommendations)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from invdash import store
from invdash.ui import paging

APP = str(Path(__file__).resolve().parents[2] / "app.py")
EXTRA = 3_000


@pytest.fixture
def big_catalog(db: Path) -> Path:
    """The demo shop plus 3,000 products without sales (ZZ-00000 .. ZZ-02999)."""
    conn = store.connect(db)
    try:
        conn.execute(
            "INSERT INTO products (sku, name, category) SELECT 'ZZ-' || lpad(CAST(i AS VARCHAR), "
            "5, '0'), 'Extra item ' || CAST(i AS VARCHAR), 'extra' FROM range(?) t(i)",
            [EXTRA],
        )
    finally:
        conn.close()
    return db


def _refuse_the_sku_list(monkeypatch: pytest.MonkeyPatch) -> None:
    """The old picker's read (every SKU with its sales total) fails the test if it is used."""

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the picker read every SKU")

    monkeypatch.setattr(store, "sku_catalog", refuse)


@pytest.mark.usefixtures("big_catalog")
@pytest.mark.parametrize(
    ("page", "key"),
    [("pages/sku_explorer.py", "sku_explorer_sku"), ("pages/master_data.py", "master_sku")],
)
def test_the_picker_offers_a_few_matches_and_finds_any_sku_by_search(monkeypatch, page, key):
    _refuse_the_sku_list(monkeypatch)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page(page).run()
    assert not at.exception

    picker = at.selectbox(key=key)
    assert 0 < len(picker.options) <= paging.MATCHES  # of 3,060 products
    last = f"ZZ-{EXTRA - 1:05d}"
    assert not any(option.startswith(last) for option in picker.options)

    at.text_input(key=f"{key}_search").input(last).run()
    assert not at.exception
    picker = at.selectbox(key=key)
    assert picker.options == [f"{last} — Extra item {EXTRA - 1}"]
    assert picker.value == last

    at.text_input(key=f"{key}_search").input("extra item 29").run()
    found = at.selectbox(key=key).options
    assert len(found) == paging.MATCHES  # 29, 290..299, 2900..2999: more than shown
    assert all("Extra item 29" in option for option in found)


@pytest.mark.usefixtures("big_catalog")
def test_a_search_without_match_says_so():
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("pages/sku_explorer.py").run()
    at.text_input(key="sku_explorer_sku_search").input("no such thing").run()
    assert not at.exception
    assert "No SKU or product name contains 'no such thing'" in at.info[0].value
