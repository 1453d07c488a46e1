"""Fixtures shared by the page tests."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st


@pytest.fixture
def db(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A writable demo shop as the dashboard's database, with both Streamlit caches cleared
    before and after (modules that need a stored forecast override this fixture)."""
    monkeypatch.setenv("INVDASH_DB", str(demo_db_copy))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield demo_db_copy
    st.cache_data.clear()
    st.cache_resource.clear()
