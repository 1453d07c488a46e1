"""Upload limits and streaming on the Data and Upload & Forecast pages.

Streamlit refuses files over ``server.maxUploadSize`` in the browser; the pages check again
(AppTest bypasses the browser) and name the limit and the CLI. A file within the limit is
streamed to disk: the pages never call ``getvalue()`` or an unbounded ``read()``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import streamlit as st
from streamlit import config as st_config
from streamlit.runtime.uploaded_file_manager import UploadedFile
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).parents[2]
SLICE = ROOT / "tests" / "data" / "online_retail_slice.csv.gz"
PAGES = {"data": ("pages/data.py", "data_upload"),
         "forecast": ("pages/upload_forecast.py", "upload_forecast_file")}


@pytest.fixture
def small_limit(monkeypatch):
    """``server.maxUploadSize`` = 1 MB for the application check."""
    original = st_config.get_option
    monkeypatch.setattr(
        st_config, "get_option",
        lambda name: 1 if name == "server.maxUploadSize" else original(name),
    )


def _called_from_the_app() -> bool:
    caller = Path(sys._getframe(2).f_code.co_filename).resolve()
    return caller.is_relative_to(ROOT / "pages") or caller.is_relative_to(ROOT / "invdash")


@pytest.fixture
def no_whole_reads(monkeypatch):
    """Fail if the app loads an upload whole (AppTest's own bookkeeping may)."""
    original_getvalue, original_read = UploadedFile.getvalue, UploadedFile.read

    def getvalue(self):
        assert not _called_from_the_app(), "the app loaded the upload whole with getvalue()"
        return original_getvalue(self)

    def read(self, size=-1):
        unbounded = size is None or size < 0
        assert not (unbounded and _called_from_the_app()), "the app called read() unbounded"
        return original_read(self, size)

    monkeypatch.setattr(UploadedFile, "getvalue", getvalue)
    monkeypatch.setattr(UploadedFile, "read", read)


def _page(tmp_path, monkeypatch, page):
    monkeypatch.setenv("INVDASH_DB", str(tmp_path / "shop.duckdb"))
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    at.switch_page(PAGES[page][0]).run()
    assert not at.exception
    return at


@pytest.mark.parametrize("page", list(PAGES))
def test_a_file_over_the_limit_is_refused_with_the_limit_and_the_cli(
    tmp_path, monkeypatch, small_limit, page  # noqa: ARG001
):
    at = _page(tmp_path, monkeypatch, page)
    big = b"date,sku,qty\n" + b"2024-01-01,A,1\n" * 80_000  # about 1.2 MB

    at.file_uploader(key=PAGES[page][1]).set_value(("big.csv", big, "text/csv")).run()

    assert not at.exception
    assert len(at.error) == 1
    message = at.error[0].value
    assert message.startswith("big.csv: 1.") and "over the upload limit of 1 MB" in message
    assert "invdash ingest FILE" in message
    assert not (tmp_path / "shop.duckdb").exists()
    st.cache_data.clear()


def test_an_upload_within_the_limit_is_streamed_and_ingested(
    tmp_path, monkeypatch, no_whole_reads  # noqa: ARG001
):
    at = _page(tmp_path, monkeypatch, "data")

    at.file_uploader(key="data_upload").set_value(
        (SLICE.name, SLICE.read_bytes(), "application/gzip")).run()
    at.button(key="data_ingest").click().run()

    assert not at.exception and not at.error
    assert "8,349 rows read" in at.code[0].value
    st.cache_data.clear()


def test_the_forecast_page_reads_a_streamed_upload(
    tmp_path, monkeypatch, no_whole_reads  # noqa: ARG001
):
    at = _page(tmp_path, monkeypatch, "forecast")
    days = [f"2024-{m:02d}-{d:02d}" for m in range(1, 4) for d in range(1, 29)]
    data = "date,sku,qty\n" + "".join(f"{day},{sku},2\n" for day in days for sku in "AB")

    at.file_uploader(key="upload_forecast_file").set_value(
        ("shop.csv", data.encode(), "text/csv")).run()

    assert not at.exception and not at.error
    assert {m.label: m.value for m in at.metric}["SKUs"] == "2"
    st.cache_data.clear()
