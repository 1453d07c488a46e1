"""One real-browser smoke test: a real Streamlit server on the demo database, driven by Debian's
chromium through Playwright, visits every page and finds no exception.

The server and browser helpers (``serve_app``, ``app_page``) are in ``tests/e2e/conftest.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _page_titles() -> list[str]:
    """Titles of the pages app.py registers, in navigation order."""
    import ast

    tree = ast.parse((ROOT / "app.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "PAGES":
            pages = ast.literal_eval(node.value)
            return [title for _path, title, _default in pages]
    raise AssertionError("app.py has no PAGES list")


@pytest.fixture
def shop_db(demo_db_copy: Path) -> Path:
    """The demo shop as ``make run`` serves it: with a stored forecast (a fast moving average
    here) and a stored recommendation run, so every page opens on real content."""
    from invdash import store
    from invdash.forecast.engine import run_forecast
    from invdash.forecast.options import ForecastOptions
    from invdash.forecast.stored import save_run
    from invdash.recommend.runs import build_rec_run

    conn = store.connect(demo_db_copy)
    try:
        sales, products = store.load_sales(conn), store.load_products(conn)
        run = run_forecast(sales, ForecastOptions(model="ma", folds=0), products=products)
        save_run(conn, run, data_version=store.data_version(conn))
        build_rec_run(conn)
    finally:
        conn.close()
    return demo_db_copy


@pytest.mark.e2e
def test_every_page_renders_without_exception_in_a_real_browser(shop_db, serve_app, app_page):
    server = serve_app(shop_db)
    titles = _page_titles()
    headings = []
    page = app_page.page
    page.goto(server.url, wait_until="domcontentloaded")
    app_page.settle()
    for title in titles:
        # Each page's heading is its navigation title: wait for the new page, not the old.
        app_page.open(title)
        app_page.screenshot(title)
        exceptions = app_page.exceptions()
        assert not exceptions, f"{title}: {exceptions[0]}"
        headings.append(page.locator('[data-testid="stMainBlockContainer"] h1').first.inner_text())
    assert headings == titles
    assert {
        "Overview",
        "SKU Explorer",
        "Reorder Suggestions",
        "Alerts",
        "Recommendations",
        "Model Quality",
        "Upload & Forecast",
    } <= set(headings)
