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


@pytest.fixture(autouse=True)
def fresh_login_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh process-wide login limiter per test, so failed sign-ins of one test (all from
    AppTest's "unknown client") never lock another test out."""
    from invdash import auth
    from invdash.ui import auth_views

    monkeypatch.setattr(auth_views, "LIMITER", auth.LoginLimiter())
