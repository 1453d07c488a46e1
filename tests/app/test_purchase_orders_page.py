"""Purchase Orders page: draft from the approved lines, send, receive partly then fully, and the
downloads (one per PO and one combined, never a button per supplier)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from invdash import reorder, store
from invdash.forecast.engine import run_forecast
from invdash.forecast.options import ForecastOptions
from invdash.forecast.stored import load_run, save_run
from invdash.policy import PolicyParams
from invdash.reorder import purchasing
from invdash.store import reorder as reorder_store

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGE = "pages/purchase_orders.py"


@pytest.fixture(scope="module")
def decided_db(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo shop with a fast forecast, its policy run and three approved lines."""
    path = tmp_path_factory.mktemp("po_page") / "decided.duckdb"
    shutil.copy(demo_db, path)
    conn = store.connect(path)
    try:
        sales, products = store.load_sales(conn), store.load_products(conn)
        run = run_forecast(sales, ForecastOptions(model="ma", folds=0), products=products)
        forecast = load_run(conn, save_run(conn, run, data_version=store.data_version(conn)))
        policy = reorder.ensure_policy_run(
            conn, forecast.forecasts, forecast_run_id=forecast.run_id, params=PolicyParams()
        )
        skus = reorder.suggestion_lines(policy.table, products)["sku"].tolist()[:3]
        decisions = reorder.make_decisions(policy.run_id, skus, action="approve", user="mia")
        with store.transaction(conn):
            reorder_store.record_decisions(conn, decisions)
    finally:
        conn.close()
    return path


@pytest.fixture
def db(decided_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "shop.duckdb"
    shutil.copy(decided_db, path)
    monkeypatch.setenv("INVDASH_DB", str(path))
    monkeypatch.setenv("INVDASH_USER", "mia")
    monkeypatch.setenv("INVDASH_USERS_FILE", str(tmp_path / "no-users.toml"))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield path
    st.cache_data.clear()
    st.cache_resource.clear()


def open_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def _orders(path: Path) -> pd.DataFrame:
    conn = store.connect_read_only(path)
    try:
        return purchasing.list_purchase_orders(conn, currency="USD").set_index("po_id")
    finally:
        conn.close()


def test_draft_send_and_receive_round_trip(db):
    at = open_page()
    at.button(key="po_draft").click().run()
    assert not at.exception
    drafts = _orders(db)
    assert set(drafts["status"]) >= {"draft"} and drafts["created_by"].eq("mia").any()
    labels = [button.label for button in at.get("download_button")]
    assert len(labels) == 2, "one combined download and one for the selected PO"
    po_id = at.selectbox(key="po_selected").value
    at.button(key="po_send").click().run()
    assert not at.exception and _orders(db).at[po_id, "status"] == "sent"
    at.selectbox(key="po_selected").select(po_id).run()
    at.number_input(key="po_receive_qty").set_value(1)
    at.button(key="FormSubmitter:po_receive_form-Receive part of a line").click().run()
    assert not at.exception
    assert _orders(db).at[po_id, "received_units"] == 1
    at.button(key="po_receive_all").click().run()
    assert not at.exception and _orders(db).at[po_id, "status"] == "received"


def test_without_approved_lines_the_page_says_so(db):
    conn = store.connect(db)
    try:
        conn.execute("DELETE FROM decisions")
    finally:
        conn.close()
    at = open_page()
    assert any("No approved lines waiting" in c.value for c in at.caption)
    assert "po_draft" not in [button.key for button in at.button]


@pytest.mark.usefixtures("db")
def test_pos_loaded_from_a_file_show_dashes_not_none():
    """The demo's POs come from a file (no header): their order date and drafter are shown as
    an explained dash, never Python's "None"."""
    at = open_page()
    table = at.dataframe[1].value
    from_file = table[table["Source"] == "loaded from a file"]
    assert not from_file.empty
    assert from_file["Order date"].eq("\u2014").all() and from_file["Drafted by"].eq("\u2014").all()
    cells = table.astype(str)
    assert not cells.isin(["None", "NaT", "nan"]).any().any()
    assert any("means not recorded" in c.value for c in at.caption)
