"""Master Data page: an audited edit, a refused value, a forecast override and the FVA tab."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from invdash import store
from invdash.reorder import forecast_overrides
from invdash.store import master_data as md_store

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGE = "pages/master_data.py"


@pytest.fixture
def db(demo_db_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("INVDASH_DB", str(demo_db_copy))
    monkeypatch.setenv("INVDASH_USER", "pat")
    monkeypatch.setenv("INVDASH_USERS_FILE", str(tmp_path / "no-users.toml"))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield demo_db_copy
    st.cache_data.clear()
    st.cache_resource.clear()


def open_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def test_an_edit_is_saved_audited_and_only_the_changed_field_is_written(db):
    at = open_page()
    sku = at.selectbox(key="master_sku").value
    at.number_input(key=f"master_lead_time_days_{sku}").set_value(33.0)
    at.button(key="FormSubmitter:master_form-Save changes").click().run()
    assert not at.exception and not at.error
    conn = store.connect_read_only(db)
    try:
        audit = md_store.load_audit(conn, sku=sku)
        lead = store.load_products(conn).set_index("sku").at[sku, "lead_time_days"]
    finally:
        conn.close()
    assert audit["field"].tolist() == ["lead_time_days"] and audit.at[0, "user"] == "pat"
    assert lead == 33
    history = next(d.value for d in at.dataframe if "Old value" in d.value)
    assert history["New value"].tolist() == ["33"]


def test_a_bad_pack_size_is_refused_with_the_rule(db):  # noqa: ARG001 - the fixture sets the database
    at = open_page()
    sku = at.selectbox(key="master_sku").value
    at.number_input(key=f"master_pack_size_{sku}").set_value(0.5)
    at.button(key="FormSubmitter:master_form-Save changes").click().run()
    assert not at.exception
    assert any("pack_size must be a whole number >= 1" in e.value for e in at.error)


def test_an_override_is_stored_and_judged_in_the_fva_tab(db):
    at = open_page()
    sku = at.selectbox(key="master_sku").value
    at.selectbox(key="override_kind").select("factor")
    at.number_input(key="override_value").set_value(1.5)
    at.text_input(key="override_reason").set_value("trade fair")
    at.button(key="FormSubmitter:override_form-Save override").click().run()
    assert not at.exception and not at.error
    conn = store.connect_read_only(db)
    try:
        stored = forecast_overrides.load_forecast_overrides(conn)
    finally:
        conn.close()
    assert stored[["key", "kind", "value", "reason", "user"]].values.tolist() == [
        [sku, "factor", 1.5, "trade fair", "pat"]
    ]
    assert any("FVA (MAE)" in d.value.columns for d in at.dataframe)
