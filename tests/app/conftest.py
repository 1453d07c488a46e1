"""Fixtures shared by the page tests.

- ``db``: a writable demo shop as the dashboard's database (no forecast).
- ``forecast_db``: the demo shop with a stored moving-average forecast run, built once per test
  session (read-only; ``forecast_db_copy`` is a writable copy).
- ``use_database(path, user=...)``: point the dashboard at ``path`` as ``user``, with both
  Streamlit caches cleared before and after.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import streamlit as st

from invdash import store
from invdash.forecast.engine import run_forecast
from invdash.forecast.options import ForecastOptions
from invdash.forecast.stored import save_run


def store_fast_forecast(db: Path) -> None:
    """Save a forecast run for the current data (moving average, no backtest)."""
    conn = store.connect(db)
    try:
        sales, products = store.load_sales(conn), store.load_products(conn)
        run = run_forecast(sales, ForecastOptions(model="ma", folds=0), products=products)
        save_run(conn, run, data_version=store.data_version(conn))
    finally:
        conn.close()


@pytest.fixture
def use_database(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Path]]:
    def use(path: Path, *, user: str | None = None) -> Path:
        monkeypatch.setenv("INVDASH_DB", str(path))
        if user is not None:
            monkeypatch.setenv("INVDASH_USER", user)
        st.cache_data.clear()
        st.cache_resource.clear()
        return path

    yield use
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def db(demo_db_copy: Path, use_database: Callable[..., Path]) -> Path:
    """A writable demo shop as the dashboard's database (modules may override this fixture)."""
    return use_database(demo_db_copy)


@pytest.fixture(scope="session")
def forecast_db(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo shop with a stored forecast run (do not write to it; use ``forecast_db_copy``)."""
    path = tmp_path_factory.mktemp("forecast") / "with_forecast.duckdb"
    shutil.copy(demo_db, path)
    store_fast_forecast(path)
    return path


@pytest.fixture
def forecast_db_copy(forecast_db: Path, tmp_path: Path) -> Path:
    """A writable copy of ``forecast_db``."""
    path = tmp_path / "shop.duckdb"
    shutil.copy(forecast_db, path)
    return path


@pytest.fixture(autouse=True)
def fresh_login_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh process-wide login limiter per test, so failed sign-ins of one test (all from
    AppTest's "unknown client") never lock another test out."""
    from invdash import auth
    from invdash.ui import auth_views

    monkeypatch.setattr(auth_views, "LIMITER", auth.LoginLimiter())
