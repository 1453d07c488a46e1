"""Reorder Suggestions page: suggestions with "why this quantity", the approve / edit / reject
review stored with user and time, still there after a restart, and the PO export per supplier.

Runs on a copy of the small demo shop with a stored forecast run made by the fast moving-average
model (``ma``, no backtest), so the page computes the policy from it in about a second.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from invdash import reorder, store
from invdash.store import reorder as reorder_store

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGE = "pages/reorder.py"


def stored_decisions(db: Path) -> dict[str, tuple[str, float, str | None, str]]:
    conn = store.connect_read_only(db)
    try:
        frame = reorder_store.load_decisions(conn)
    finally:
        conn.close()
    return {row.sku: (row.action, row.qty, row.reason, row.user) for row in frame.itertuples()}


@pytest.fixture
def bare_db(demo_db_copy: Path, use_database) -> Path:
    """The demo shop without any forecast."""
    return use_database(demo_db_copy, user="planner-ann")


@pytest.fixture
def db(forecast_db_copy: Path, use_database) -> Path:
    """A writable copy of the demo shop with a stored forecast run."""
    return use_database(forecast_db_copy, user="planner-ann")

def open_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def decide(
    at: AppTest, sku: str, action: str, *, qty: float | None = None, reason: str = ""
) -> AppTest:
    at.selectbox(key="reorder_sku").select(sku).run()
    at.radio(key="reorder_action").set_value(action).run()
    if qty is not None:
        at.number_input(key="reorder_qty").set_value(qty)
    at.text_input(key="reorder_reason").set_value(reason)
    at.button(key="reorder_save").click().run()
    assert not at.exception
    return at


def test_without_a_forecast_the_page_runs_one_on_request(bare_db):
    at = open_page()
    assert any("no forecast" in info.value for info in at.info)
    at.button(key="reorder_run_forecast").click().run()
    assert not at.exception
    conn = store.connect_read_only(bare_db)
    try:
        runs = conn.execute("SELECT count(*) FROM forecast_runs").fetchone()[0]
    finally:
        conn.close()
    assert runs == 1
    assert at.selectbox(key="reorder_sku").options, "after the forecast the suggestions show"


def test_approve_edit_reject_round_trip_survives_a_restart(db):
    at = open_page()
    skus = at.selectbox(key="reorder_sku").options
    assert len(skus) >= 3, "the demo shop has several SKUs below their order-up-to level"
    assert "Why this quantity" in at.markdown[0].value or any(
        "Why this quantity" in m.value for m in at.markdown
    )
    first, second, third = (s.split(" \u2014 ")[0] for s in skus[:3])
    assert all(re.fullmatch(r"\S+ \u2014 .+", s) for s in skus[:3]), "labels.sku_label"
    decide(at, first, "approve")
    decide(at, second, "edit", qty=7)
    refusal = next(e.value for e in at.error if "breaks" in e.value)
    valid = float(re.search(r"nearest valid: (\d+)", refusal).group(1))
    decide(at, second, "edit", qty=valid)
    decide(at, third, "reject", reason="supplier closed =SUM(A1)")

    saved = stored_decisions(db)
    assert saved[first][0] == "approve" and saved[first][3] == "planner-ann"
    assert saved[second][:2] == ("edit", valid)
    assert saved[third][0] == "reject" and saved[third][2] == "supplier closed =SUM(A1)"

    st.cache_data.clear()
    restarted = open_page()
    table = next(d.value for d in restarted.dataframe if "Status" in d.value).set_index("SKU")
    assert table.at[first, "Status"] == "approved"
    assert table.at[second, "Status"] == "edited" and table.at[second, "Final qty"] == valid
    assert table.at[third, "Status"] == "rejected"
    labels = [button.label for button in restarted.get("download_button")]
    assert labels and all(label.startswith("Download po_") for label in labels)


def test_reject_without_reason_is_refused_and_nothing_is_stored(db):
    at = open_page()
    sku = at.selectbox(key="reorder_sku").options[0].split(" \u2014 ")[0]
    decide(at, sku, "reject")
    assert any("needs a reason" in error.value for error in at.error)
    assert stored_decisions(db) == {}


def test_bulk_approve_asks_for_confirmation_then_approves_the_summarised_lines(db):
    at = open_page()
    n_lines = int(next(m.value for m in at.metric if m.label == "Lines to review"))
    at.button(key="reorder_bulk_approve").click().run()
    assert not at.exception
    assert stored_decisions(db) == {}, "the first click only shows the confirmation summary"
    summary = next(i.value for i in at.info if i.value.startswith("Approve "))
    taken = int(re.search(r"Approve (\d+) lines", summary).group(1))
    at.button(key="reorder_bulk_confirm").click().run()
    assert not at.exception
    saved = stored_decisions(db)
    assert 0 < len(saved) == taken <= n_lines and {v[0] for v in saved.values()} == {"approve"}


def test_a_service_level_override_is_stored_and_changes_the_policy_run(db):
    at = open_page()
    at.selectbox(key="reorder_override_scope").select("abc")
    at.text_input(key="reorder_override_key").set_value("a")
    at.number_input(key="reorder_override_level").set_value(0.99)
    at.button(key="reorder_override_save").click().run()
    assert not at.exception and not at.error
    conn = store.connect_read_only(db)
    try:
        saved = reorder_store.load_service_level_overrides(conn)
        runs = conn.execute("SELECT count(*) FROM policy_runs").fetchone()[0]
    finally:
        conn.close()
    assert saved[["scope", "key", "service_level"]].values.tolist() == [["abc", "A", 0.99]]
    assert saved.at[0, "user"] == "planner-ann"
    assert runs == 2, "the override is part of the inputs, so the page made a new policy run"

    at.text_input(key="reorder_override_key").set_value("Q")
    at.button(key="reorder_override_save").click().run()
    assert any("class A, B or C" in error.value for error in at.error)


def test_a_budget_set_on_the_page_is_stored_and_warns_in_the_bulk_confirmation(db):
    at = open_page()
    at.number_input(key="reorder_budget_total").set_value(1.0)
    at.button(key="reorder_budget_total_save").click().run()
    assert not at.exception and not at.error
    conn = store.connect_read_only(db)
    try:
        assert reorder.stored_budget(conn) == reorder.Budget(total=1.0)
    finally:
        conn.close()
    st.cache_data.clear()
    again = open_page()  # a new session: the budget comes from the database
    assert again.number_input(key="reorder_budget_total").value == 1.0
    again.button(key="reorder_bulk_approve").click().run()
    assert any(w.value.startswith("Budget: total ") for w in again.warning)


@pytest.mark.usefixtures("db")
def test_the_table_and_the_line_picker_send_one_page_and_search_reaches_any_line(monkeypatch):
    from invdash.ui import reorder_views

    monkeypatch.setattr(reorder_views, "PAGE_ROWS", 5)
    at = open_page()
    total = int(next(m.value for m in at.metric if m.label == "Lines to review"))
    assert total > 10
    table = next(d.value for d in at.dataframe if "Status" in d.value)
    first_page = at.selectbox(key="reorder_sku").options
    assert len(table) == 5 and len(first_page) == 5
    at.number_input(key="reorder_page").set_value(2).run()
    second_page = at.selectbox(key="reorder_sku").options
    assert len(second_page) == 5 and not set(second_page) & set(first_page)
    last = next(d.value for d in at.dataframe if "Status" in d.value)["SKU"].iloc[-1]
    at.number_input(key="reorder_page").set_value(1).run()
    at.text_input(key="reorder_filter_text").set_value(last).run()
    assert [o.split(" \u2014 ")[0] for o in at.selectbox(key="reorder_sku").options] == [last]
