"""Opening a page of the app in AppTest, as a signed-in visitor does (shared by page tests)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def open_app_page(page: str, *, timeout: float = 90) -> AppTest:
    """Run the app once, switch to ``page`` and check it raised nothing."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.run()
    at.switch_page(page).run()
    assert not at.exception
    return at
