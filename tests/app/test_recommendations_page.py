"""AppTest: the Recommendations page on the demo shop."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).parents[2] / "app.py")


@pytest.fixture
def app(demo_db_copy, monkeypatch) -> AppTest:
    monkeypatch.setenv("INVDASH_DB", str(demo_db_copy))
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("pages/recommendations.py")
    at.run()
    return at


def test_page_shows_customer_and_sku_recommendations(app):
    assert not app.exception
    customers = app.selectbox(key="recommendations_customer")
    app = customers.set_value(customers.options[1]).run()
    skus = app.selectbox(key="recommendations_sku")
    app = skus.set_value(skus.options[2]).run()
    assert not app.exception
    headers = [h.value for h in app.subheader]
    assert "For a customer" in headers
    assert "At-risk SKUs and their best in-stock substitutes" in headers
    assert len(app.dataframe) >= 4
    assert any("Stock status of" in m.value for m in app.markdown)
