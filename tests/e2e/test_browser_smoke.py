"""One real-browser smoke test: a real Streamlit server on the demo database, driven by Debian's
chromium through Playwright, visits every page and finds no exception.

Chromium comes from Debian (`make test` installs it); Playwright never downloads a browser.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_server(port: int, process: subprocess.Popen, timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited early with code {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"streamlit did not listen on port {port} within {timeout_s} s")


def _page_titles() -> list[str]:
    """Titles of the pages app.py registers, in navigation order."""
    import ast

    tree = ast.parse((ROOT / "app.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "PAGES":
            pages = ast.literal_eval(node.value)
            return [title for _path, title, _default in pages]
    raise AssertionError("app.py has no PAGES list")


def _settle(page) -> None:
    """Wait until the page's script run has finished and its title is drawn."""
    page.wait_for_selector('[data-testid="stApp"]', state="visible", timeout=60_000)
    page.wait_for_selector('[data-testid="stMainBlockContainer"] h1', timeout=60_000)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000
    )


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


@pytest.fixture
def server(shop_db: Path):
    port = _free_port()
    env = {**os.environ, "INVDASH_DB": str(shop_db), "HF_HUB_OFFLINE": "1"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "app.py"),
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for_server(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.mark.e2e
def test_every_page_renders_without_exception_in_a_real_browser(server: str, tmp_path: Path):
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian chromium is missing: run `make test` (installs it)"
    titles = _page_titles()
    headings = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(server, wait_until="domcontentloaded")
        _settle(page)
        for title in titles:
            page.locator('[data-testid="stSidebarNav"]').get_by_text(title, exact=True).click()
            # Each page's heading is its navigation title: wait for the new page, not the old.
            page.wait_for_function(
                "t => [...document.querySelectorAll('[data-testid=\"stMainBlockContainer\"] h1')]"
                ".some(h => h.innerText.trim() === t)",
                arg=title,
                timeout=60_000,
            )
            _settle(page)
            page.screenshot(path=str(tmp_path / f"{title}.png"), full_page=True)
            exceptions = page.locator('[data-testid="stException"]')
            assert exceptions.count() == 0, f"{title}: {exceptions.first.inner_text()}"
            headings.append(
                page.locator('[data-testid="stMainBlockContainer"] h1').first.inner_text()
            )
        browser.close()
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
