"""Pages at 100,000 SKUs read aggregates and pages of rows from DuckDB, never whole tables.

Each test opens a page in AppTest on the small demo shop with a spy on the whole-table read it
used to make, and checks that the read is gone and the page shows the same values.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest

from invdash import store

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def _spy(monkeypatch, module, name: str) -> list[tuple]:
    """Record every call of ``module.name`` (still calling it)."""
    calls: list[tuple] = []
    real = getattr(module, name)

    def spy(*args, **kwargs):
        calls.append((args[1:], kwargs))
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, spy)
    return calls


def _open(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    at.switch_page(page).run()
    assert not at.exception
    return at


def _sales_bounds(db: Path) -> tuple[pd.Timestamp, pd.Timestamp]:
    conn = store.connect_read_only(db)
    try:
        dates = pd.to_datetime(store.load_sales(conn)["date"])
    finally:
        conn.close()
    return dates.min(), dates.max()


def test_the_replay_page_opens_without_loading_the_sales(db, monkeypatch):
    first, last = _sales_bounds(db)
    calls = _spy(monkeypatch, store, "load_sales")
    at = _open("pages/replay.py")
    assert calls == []  # it loaded every sales row to find the first and last day
    start = at.date_input(key="replay_start")
    assert (pd.Timestamp(start.min), pd.Timestamp(start.max)) == (first, last)
