"""Data page: shows what is stored, previews an upload's mapping and ingests it like the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).parents[2]
SLICE = ROOT / "tests" / "data" / "online_retail_slice.csv.gz"


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("INVDASH_DB", str(tmp_path / "shop.duckdb"))
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.run()
    at.switch_page("pages/data.py")
    at.run()
    yield at
    st.cache_data.clear()


def _frame(app, column):
    return next(df.value for df in app.dataframe if column in df.value.columns)


def test_empty_database_invites_an_upload(app):
    assert not app.exception
    assert any("No database yet" in info.value for info in app.info)


def test_upload_shows_the_mapping_then_ingests_and_lists_the_log(app):
    app.file_uploader(key="data_upload").set_value(
        (SLICE.name, SLICE.read_bytes(), "application/gzip")).run()
    assert not app.exception
    mapping = _frame(app, "File column")
    assert dict(zip(mapping["File column"], mapping["Stored as"], strict=True))["InvoiceNo"] == (
        "order_id")
    app.button(key="data_ingest").click().run()
    assert not app.exception
    assert "8,349 rows read" in app.code[0].value
    counts = _frame(app, "Table").set_index("Table")["Rows"]
    assert counts["order_lines"] > 8000 and counts["ingest_log"] == 1


def test_a_bad_upload_shows_the_cli_message(app):
    app.file_uploader(key="data_upload").set_value(
        ("bad.csv", b"date,sku,qty\n2024-01-01,A,-4\n", "text/csv")).run()
    app.button(key="data_ingest").click().run()
    assert not app.exception
    assert app.error[0].value.startswith("bad.csv: column 'qty' (qty) has 1 negative values")


def test_an_events_file_is_detected_and_ingested(app):
    events = (b"date,event,category\n2024-11-29,Black Friday sale,garden\n"
              b"2025-11-28,Black Friday sale,garden\n2025-12-24,Closed early,\n")
    app.file_uploader(key="data_upload").set_value(("events.csv", events, "text/csv")).run()
    assert not app.exception
    assert any("Detected **events**" in m.value for m in app.markdown)
    app.button(key="data_ingest").click().run()
    assert not app.exception
    assert "stored 3 events" in app.code[0].value


def test_an_events_row_with_sku_and_category_shows_the_line(app):
    events = b"date,event,sku,category\n2024-11-29,Sale,A-1,garden\n"
    app.file_uploader(key="data_upload").set_value(("events.csv", events, "text/csv")).run()
    app.button(key="data_ingest").click().run()
    assert not app.exception
    assert "events.csv: column sku and column category are both filled on line 2" in (
        app.error[0].value)
