"""Reorder page review (issue 12): filters narrow the lines, a carried-over approval whose
suggestion moved asks to re-confirm, the decision history, and the as-of day in the sidebar."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from invdash import auth, reorder, store
from invdash.store import reorder as reorder_store

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGE = "pages/reorder.py"


@pytest.fixture
def db(forecast_db_copy: Path, use_database) -> Path:
    return use_database(forecast_db_copy, user="planner-ann")


def open_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def test_a_supplier_filter_narrows_the_lines_and_the_sku_picker(db):  # noqa: ARG001 - fixture
    at = open_page()
    everything = at.selectbox(key="reorder_sku").options
    supplier = at.multiselect(key="reorder_filter_suppliers").options[0]
    at.multiselect(key="reorder_filter_suppliers").set_value([supplier]).run()
    assert not at.exception
    narrowed = at.selectbox(key="reorder_sku").options
    assert 0 < len(narrowed) < len(everything)
    table = next(d.value for d in at.dataframe if "Supplier" in d.value)
    assert set(table["Supplier"]) == {supplier}


def test_an_approval_whose_suggestion_moved_asks_to_reconfirm_and_shows_its_history(db):
    open_page()
    conn = store.connect(db)
    try:
        run_id = str(reorder_store.latest_policy_run(conn).at[0, "run_id"])
        sku = reorder.reviewed_run(conn, run_id)["sku"].iloc[0]
        reorder.decide(conn, auth.User("ann", "manager"), run_id, [sku], action="approve")
        with store.transaction(conn):
            # As if it had been approved on an earlier run that suggested 40 units more.
            conn.execute("UPDATE decisions SET suggested_qty = suggested_qty + 40, qty = qty + 40")
    finally:
        conn.close()
    at = open_page()
    names = [o for o in at.selectbox(key="reorder_sku").options if o.startswith(f"{sku} ")]
    at.selectbox(key="reorder_sku").select(names[0]).run()
    assert not at.exception
    warning = next(w.value for w in at.warning if "now suggests" in w.value)
    assert warning.startswith("approved ") and "by ann" in warning and "re-confirm" in warning
    assert any(m.label == "Re-confirm" and m.value == "1" for m in at.metric)
    history = next(d.value for d in at.dataframe if "Event" in d.value)
    assert history["Event"].tolist() == ["approve"]


def test_the_sidebar_shows_the_as_of_day(db):  # noqa: ARG001 - fixture
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert any(c.value.startswith("As of 20") for c in at.sidebar.caption)
