"""Pages at 100,000 SKUs read aggregates and pages of rows from DuckDB, never whole tables.

Each test opens a page in AppTest on the small demo shop with a spy on the whole-table read it
used to make, and checks that the read is gone and the page shows the same values.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from app_session import open_app_page

from invdash import store


def _spy(monkeypatch, module, name: str) -> list[tuple]:
    """Record every call of ``module.name`` (still calling it)."""
    calls: list[tuple] = []
    real = getattr(module, name)

    def spy(*args, **kwargs):
        calls.append((args[1:], kwargs))
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, spy)
    return calls


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
    at = open_app_page("pages/replay.py")
    assert calls == []  # it loaded every sales row to find the first and last day
    start = at.date_input(key="replay_start")
    assert (pd.Timestamp(start.min), pd.Timestamp(start.max)) == (first, last)


def _full_po_list(db: Path):
    from invdash.reorder import purchasing

    conn = store.connect_read_only(db)
    try:
        return purchasing.list_purchase_orders(conn, currency="USD")
    finally:
        conn.close()


def test_the_po_list_is_filtered_and_paged_in_duckdb(db, monkeypatch):
    from invdash.store import purchase_orders as po_store

    full = _full_po_list(db)  # the old page's read: every PO
    assert len(full) > 100  # more than two pages, so paging is exercised
    calls = _spy(monkeypatch, po_store, "po_summary")
    at = open_app_page("pages/purchase_orders.py")
    assert all(kw.get("page") or kw.get("po_ids") for _, kw in calls)  # never the whole list
    assert at.selectbox(key="po_selected").options == list(full["po_id"][:50])
    assert max(len(frame.value) for frame in at.dataframe) <= 50  # one page to the browser

    at.number_input(key="po_page").set_value(2).run()
    page_two = at.selectbox(key="po_selected").options
    assert page_two == list(full["po_id"][50:100])

    status = full["status"].iloc[-1]
    at.selectbox(key="po_status").set_value(status).run()
    assert not at.exception
    offset = 50 * (at.number_input(key="po_page").value - 1) if at.number_input else 0
    expected = full.loc[full["status"] == status, "po_id"].tolist()[offset : offset + 50]
    assert at.selectbox(key="po_selected").options == expected


def test_master_data_reads_one_sku_and_shows_the_same_values(db, monkeypatch):
    conn = store.connect_read_only(db)
    try:
        products = store.load_products(conn).set_index("sku")
        stock = store.latest_on_hand(conn).set_index("sku")["on_hand"]
    finally:
        conn.close()
    loads = _spy(monkeypatch, store, "load_products")
    stocks = _spy(monkeypatch, store, "latest_on_hand")
    at = open_app_page("pages/master_data.py")
    sku = at.selectbox(key="master_sku").value
    assert loads == [] and stocks == []  # it read every product and every SKU's stock
    row = products.loc[sku]
    assert at.number_input(key=f"master_lead_time_days_{sku}").value == row["lead_time_days"]
    assert at.number_input(key=f"master_unit_cost_{sku}").value == row["unit_cost"]
    assert at.number_input(key=f"master_on_hand_{sku}").value == stock.loc[sku]
    assert at.text_input(key=f"master_supplier_{sku}").value == row["supplier"]


def test_the_overview_reads_its_stored_summary_after_the_firstopen_app_page(db, monkeypatch):  # noqa: ARG001
    import streamlit as st

    from invdash.store import overview as overview_store

    first = open_app_page("pages/overview.py")
    cards = [m.value for m in first.metric]
    st.cache_data.clear()  # a new server process: only the stored summary is left
    weekly = _spy(monkeypatch, overview_store, "weekly_sales")
    window = _spy(monkeypatch, overview_store, "stock_window")
    again = open_app_page("pages/overview.py")
    assert weekly == [] and window == []  # it scanned every sales row on each server start
    assert [m.value for m in again.metric] == cards
