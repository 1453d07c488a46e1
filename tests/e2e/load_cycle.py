"""The planner's review cycle as concurrent browser sessions: the load test's driver.

``run_sessions(url, skus, sessions=8, rounds=1)`` opens ``sessions`` pages in one headless
chromium (one browser context each: separate cookies, so separate Streamlit sessions on the
server) and runs them at the same time. Each session, per round: opens the app, opens Reorder
Suggestions, sorts the lines by value, picks its own line by typing its SKU (session ``i`` takes
``skus[i]``, so no two sessions decide on the same SKU), approves it (the suggested quantity; an
edit to it can break the MOQ and need an override reason), opens Purchase Orders and the SKU
Explorer. Every step is timed from its click until the page's script run has finished; a step
that fails (a wait past ``STEP_TIMEOUT_MS``, an exception box, an ``st.error``) is recorded as an
error, and the session goes on with its next round. ``tests/e2e/test_load.py`` asserts on the
result and ``benchmarks/bench_sessions.py --browser`` reports its percentiles.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["LoadResult", "build_review_shop", "line_skus", "run_sessions", "STEP_TIMEOUT_MS"]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
#: The longest one step may take before it counts as an error (ms).
STEP_TIMEOUT_MS = 90_000
_MAIN = '[data-testid="stMainBlockContainer"]'
_SETTLED = (
    "t => [...document.querySelectorAll('[data-testid=\"stMainBlockContainer\"] h1')]"
    ".some(h => h.innerText.trim() === t) "
    "&& !document.querySelector('[data-testid=\"stStatusWidget\"]')"
)


def build_review_shop(path: Path, *, skus: int = 30, days: int = 200) -> Path:
    """A demo shop with a stored moving-average forecast and its stored policy run, so the
    sessions review lines at once (the first forecast is not what the load test measures)."""
    from invdash import store
    from invdash.demo import build_demo
    from invdash.forecast.engine import run_forecast
    from invdash.forecast.options import ForecastOptions
    from invdash.forecast.stored import save_run
    from invdash.policy import PolicyParams
    from invdash.reorder.runs import ensure_policy_run

    conn = store.connect(path)
    try:
        build_demo(conn, n_skus=skus, n_days=days, seed=7)
        sales, products = store.load_sales(conn), store.load_products(conn)
        run = run_forecast(sales, ForecastOptions(model="ma", folds=0), products=products)
        run_id = save_run(conn, run, data_version=store.data_version(conn))
        ensure_policy_run(conn, run.forecasts, forecast_run_id=run_id, params=PolicyParams())
    finally:
        conn.close()
    return path


def line_skus(db: Path) -> list[str]:
    """SKUs with a suggested order (the reorder lines), sorted."""
    from invdash import store

    conn = store.connect_read_only(db)
    try:
        rows = conn.execute(
            "SELECT sku FROM suggestions WHERE suggested_qty > 0 ORDER BY sku"
        ).fetchall()
    finally:
        conn.close()
    return [r[0] for r in rows]


@dataclass
class LoadResult:
    """Step times (seconds, by step name) and errors (``session/round/step: what``)."""

    times: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def all_times(self) -> list[float]:
        return [t for values in self.times.values() for t in values]

    def percentile(self, q: float, step: str | None = None) -> float:
        """The ``q``-th percentile (0..100) of the step times (of one ``step``), in seconds."""
        values = self.times.get(step, []) if step else self.all_times()
        return float(np.percentile(values, q)) if values else float("nan")


async def _settle(page, title: str) -> None:
    await page.wait_for_function(_SETTLED, arg=title, timeout=STEP_TIMEOUT_MS)
    # A finished run can still show an exception or an error box: both count as failures.
    shown = await page.locator('[data-testid="stException"]').all_inner_texts()
    if shown:
        raise AssertionError(f"exception on the page: {shown[0][:300]}")
    errors = await page.locator(f'{_MAIN} [data-testid="stAlertContentError"]').all_inner_texts()
    if errors:
        raise AssertionError(f"error box: {errors[0][:300]}")


async def _open(page, title: str) -> None:
    await page.locator('[data-testid="stSidebarNav"]').get_by_text(title, exact=True).click()
    await _settle(page, title)


async def _rerun(page, title: str) -> None:
    """Wait for the rerun a widget change starts (if it is not over already), then its end."""
    try:
        await page.wait_for_selector('[data-testid="stStatusWidget"]', timeout=2_000)
    except Exception:
        pass
    await _settle(page, title)


async def _filter(page) -> None:
    """Sort the lines by value (the 4th sort key; the first arrow opens the list): a
    filter-and-sort rerun of the selection.
    By keyboard, as the sort box lists few options and does not take typing."""
    # focus, not click: under load the box is often covered by the rerun's stale overlay for
    # longer than a click waits; the keyboard opens the list the same way.
    await page.locator(".st-key-reorder_sort input[role=combobox]").focus()
    for _ in range(4):
        await page.keyboard.press("ArrowDown")
    await page.keyboard.press("Enter")
    await _rerun(page, "Reorder Suggestions")


async def _pick_line(page, sku: str) -> None:
    box = page.locator(".st-key-reorder_sku input[role=combobox]")
    await box.click()
    await box.fill(sku)
    await page.get_by_role("option", name=re.compile(rf"^{re.escape(sku)}\b")).first.click()
    await _rerun(page, "Reorder Suggestions")
    value = await box.input_value()
    if not value.startswith(f"{sku} "):
        raise AssertionError(f"picked {value!r}, wanted {sku}")


async def _approve(page) -> None:
    await page.locator(".st-key-reorder_action").get_by_text("approve", exact=True).click()
    await _rerun(page, "Reorder Suggestions")
    await page.locator(".st-key-reorder_save button").click()
    await _rerun(page, "Reorder Suggestions")  # raises on an error box (a refused save)
    status = page.locator(_MAIN).get_by_text(re.compile(r"\. Status: approved$"))
    await status.first.wait_for(timeout=STEP_TIMEOUT_MS)


def _steps(sku: str) -> list[tuple[str, object]]:
    return [
        ("open Reorder", lambda page: _open(page, "Reorder Suggestions")),
        ("filter lines", _filter),
        ("pick a line", lambda page: _pick_line(page, sku)),
        ("approve", _approve),
        ("open Purchase Orders", lambda page: _open(page, "Purchase Orders")),
        ("open SKU Explorer", lambda page: _open(page, "SKU Explorer")),
    ]


async def _timed(result: LoadResult, name: str, label: str, step) -> bool:
    started = time.perf_counter()
    try:
        await step()
    except Exception as err:  # a failed step is the measurement, not a crash of the driver
        result.errors.append(f"{label}/{name}: {type(err).__name__}: {str(err)[:300]}")
        return False
    result.times.setdefault(name, []).append(time.perf_counter() - started)
    return True


async def _session(  # noqa: PLR0913 - one session's parts
    browser, url: str, index: int, skus: list[str], rounds: int, result: LoadResult
) -> None:
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(STEP_TIMEOUT_MS)
    page = await context.new_page()
    try:
        for number in range(rounds):
            label = f"session {index}/round {number}"

            async def start(page=page) -> None:
                await page.goto(url, wait_until="domcontentloaded")
                await _settle(page, "Overview")

            if not await _timed(result, "open app", label, start):
                continue
            sku = skus[(index + number * len(skus) // max(rounds, 1)) % len(skus)]
            for name, step in _steps(sku):
                if not await _timed(result, name, label, lambda step=step: step(page)):
                    break
    finally:
        await context.close()


async def _run(url: str, skus: list[str], sessions: int, rounds: int) -> LoadResult:
    from playwright.async_api import async_playwright

    result = LoadResult()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            await asyncio.gather(
                *(_session(browser, url, i, skus, rounds, result) for i in range(sessions))
            )
        finally:
            await browser.close()
    return result


def run_sessions(
    url: str, skus: list[str], *, sessions: int = 8, rounds: int = 1
) -> LoadResult:
    """Run ``sessions`` concurrent review cycles of ``rounds`` rounds against ``url``; session
    ``i`` decides on ``skus[i]`` (reorder lines; at least ``sessions`` of them, so no two
    sessions decide on one line at once)."""
    if len(skus) < sessions:
        raise ValueError(f"need a reorder line per session: {len(skus)} < {sessions}")
    return asyncio.run(_run(url, list(skus), sessions, rounds))
