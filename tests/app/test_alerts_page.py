"""Alerts page: alerts ranked by money at risk with filters; acknowledge and snooze are stored and
survive a restart. Runs on a copy of the demo shop with a stored moving-average forecast run."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from invdash import alerts, store
from invdash.store import reorder as reorder_store
from invdash.ui import paging

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGE = "pages/alerts.py"


@pytest.fixture
def db(forecast_db_copy: Path, use_database) -> Path:
    return use_database(forecast_db_copy, user="planner-bo")

def open_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def test_alerts_are_ranked_by_money_at_risk_and_filter_by_type(db):  # noqa: ARG001 - fixture
    at = open_page()
    table = at.dataframe[0].value
    money = table["Money at risk"].tolist()
    assert money == sorted(money, reverse=True) and len(table) > 0
    at.multiselect(key="alerts_types").set_value(["overstock"]).run()
    assert set(at.dataframe[0].value["Type"]) == {"overstock"}


def test_acknowledge_and_snooze_are_stored_and_survive_a_restart(db):
    at = open_page()
    keys = at.multiselect(key="alerts_selected").options
    first, second = keys[0], keys[1]
    at.multiselect(key="alerts_selected").set_value([first]).run()
    at.radio(key="alerts_action").set_value("acknowledge").run()
    at.button(key="alerts_apply").click().run()
    assert not at.exception
    at.multiselect(key="alerts_selected").set_value([second]).run()
    at.radio(key="alerts_action").set_value("snooze").run()
    at.button(key="alerts_apply").click().run()
    assert not at.exception

    conn = store.connect_read_only(db)
    try:
        state = reorder_store.load_alert_state(conn).set_index("alert_key")
    finally:
        conn.close()
    assert state.at[first, "status"] == "acknowledged" and state.at[first, "user"] == "planner-bo"
    assert state.at[second, "status"] == "snoozed" and state.at[second, "snooze_until"] is not None

    st.cache_data.clear()
    restarted = open_page()
    open_keys = restarted.multiselect(key="alerts_selected").options
    assert first not in open_keys and second not in open_keys
    restarted.selectbox(key="alerts_status").select("acknowledged").run()
    assert restarted.multiselect(key="alerts_selected").options == [first]


def test_status_all_without_other_filters_shows_every_alert(db):  # noqa: ARG001 - fixture
    at = open_page()
    at.selectbox(key="alerts_status").select("all").run()
    assert not at.exception
    shown = next(d.value for d in at.dataframe if "Type" in d.value)
    assert len(shown) == len(at.multiselect(key="alerts_selected").options) > 0


def test_choosing_a_sku_in_the_picker_selects_that_skus_alerts_only(db):  # noqa: ARG001
    at = open_page()
    at.selectbox(key="alerts_status").select("all").run()
    sku = at.selectbox(key="alerts_sku").options[1]
    at.selectbox(key="alerts_sku").select(sku).run()
    assert not at.exception
    keys = at.multiselect(key="alerts_selected").options
    assert keys and all(key.split(":", 1)[1] == sku for key in keys)


def test_the_first_open_stores_the_runs_alerts_and_shows_the_first_page_of_open_ones(db):
    at = open_page()
    conn = store.connect_read_only(db)
    try:
        stored = conn.execute("SELECT run_id FROM run_alert_sets").fetchall()
        run_id = stored[0][0]
        current, expected = alerts.has_current_alerts(conn, run_id), alerts.current_alerts(
            conn, run_id
        )
    finally:
        conn.close()
    assert len(stored) == 1 and current  # stored once, for the data now
    expected = expected[expected["status"] == "open"].head(paging.PAGE_ROWS)
    shown = at.dataframe[0].value
    assert shown["SKU"].tolist() == expected["sku"].tolist()
    assert shown["Money at risk"].tolist() == expected["money_at_risk"].tolist()
