"""Shared helpers of the real-browser tests: a real ``streamlit run`` server on a free port and
Debian's chromium driven by Playwright.

- ``serve_app(db, **env)``: starts ``streamlit run app.py`` on ``db`` (bound to 127.0.0.1, so
  local single-user mode: the user acts as manager) and returns a ``Server``; every server still
  running is stopped at teardown. The server log goes to a file (``Server.log``), never to a pipe
  that nobody reads.
- ``app_page``: a chromium page wrapped in ``AppPage`` (open a page by its navigation title,
  wait for a script run to finish, screenshots, the exceptions shown).

Chromium comes from Debian (`make test` installs it); Playwright never downloads a browser.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
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
#: The longest any single wait in these tests may take (ms).
WAIT_MS = 120_000


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


@dataclass
class Server:
    """A running ``streamlit run app.py``: its ``url``, its ``log`` file and its process."""

    url: str
    log: Path
    process: subprocess.Popen = field(repr=False)

    def stop(self) -> None:
        """Stop the server (then the database file is free for the test to read)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@pytest.fixture
def serve_app(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """``serve_app(db, **env)`` -> a ``Server`` on ``db``; all are stopped at teardown."""
    servers: list[Server] = []

    def serve(db: Path, **env: str) -> Server:
        port = _free_port()
        log = tmp_path / f"streamlit-{port}.log"
        full_env = {**os.environ, "INVDASH_DB": str(db), "HF_HUB_OFFLINE": "1", **env}
        command = [
            sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
            "--server.headless", "true", "--server.port", str(port),
            "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
        ]  # fmt: skip
        with log.open("wb") as out:
            process = subprocess.Popen(
                command, cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT
            )
        server = Server(url=f"http://127.0.0.1:{port}", log=log, process=process)
        servers.append(server)
        _wait_for_server(port, process)
        return server

    yield serve
    for server in servers:
        server.stop()


class AppPage:
    """A chromium page on the dashboard with the waits the Streamlit pages need."""

    def __init__(self, page, shots: Path):
        self.page = page
        self.shots = shots

    def settle(self) -> None:
        """Wait until the page's script run has finished and its title is drawn."""
        page = self.page
        page.wait_for_selector('[data-testid="stApp"]', state="visible", timeout=WAIT_MS)
        page.wait_for_selector('[data-testid="stMainBlockContainer"] h1', timeout=WAIT_MS)
        page.wait_for_function(
            "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=WAIT_MS
        )

    def open(self, title: str) -> None:
        """Click ``title`` in the sidebar navigation and wait for that page (not the old one)."""
        self.page.locator('[data-testid="stSidebarNav"]').get_by_text(title, exact=True).click()
        self.wait_for_heading(title)

    def wait_for_heading(self, title: str) -> None:
        self.page.wait_for_function(
            "t => [...document.querySelectorAll('[data-testid=\"stMainBlockContainer\"] h1')]"
            ".some(h => h.innerText.trim() === t)",
            arg=title,
            timeout=WAIT_MS,
        )
        self.settle()

    def exceptions(self) -> list[str]:
        """The texts of the exceptions the page shows (none on a healthy page)."""
        return self.page.locator('[data-testid="stException"]').all_inner_texts()

    def screenshot(self, name: str) -> Path:
        path = self.shots / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def app_page(tmp_path: Path) -> Iterator[AppPage]:
    """An ``AppPage`` on a fresh headless chromium (1400 x 1000); screenshots go to tmp_path."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian chromium is missing: run `make test` (installs it)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(WAIT_MS)
            yield AppPage(page, tmp_path)
            page.screenshot(path=str(tmp_path / "last.png"), full_page=True)
        finally:
            browser.close()
