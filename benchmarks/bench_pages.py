"""Page open times at 100,000 SKUs in a real server and browser, before and after, in one run.

A large shop with stored forecast, policy and recommendation runs is built by
``page_fixture.build_large_shop`` (a real 200-SKU demo shop and its real runs, tiled in bulk
DuckDB SQL; nothing is forecast at 100,000 SKUs). Then, for each code tree (the baseline commit,
from ``git archive``, and the working tree), one ``streamlit run app.py`` serves that file on
127.0.0.1 and Debian's chromium (Playwright, ``executable_path``; never ``playwright install``)
opens every page (``PAGES``) three times: ``cold`` is the first open after the server started
(empty caches; the first page also waits for the app's first run), ``warm`` the second click in
the same session, ``reload`` a browser reload of the page (a new session, the server's caches
kept). A page's time runs from the click (or reload) until its heading is drawn and the script
run has finished; a page that takes longer than ``--limit`` seconds is reported as ``>limit``
and the tree's remaining pages are skipped (its server is still busy). The two trees run one
after the other on the same file (``--baseline-db``: a copy of it for the baseline, which
refuses a file the working tree migrated; the working tree migrates its file before its server
starts), so their ratio is fair even on a loaded machine; the load averages at the start and
the end are printed with the table.

    .venv/bin/python benchmarks/bench_pages.py --skus 100000 --db /tmp/shop100k.duckdb
    .venv/bin/python benchmarks/bench_pages.py --db /tmp/shop100k.duckdb --no-baseline
    .venv/bin/python benchmarks/bench_pages.py --skus 2000 --baseline 833489c --limit 60
    .venv/bin/python benchmarks/bench_pages.py --db /tmp/new.duckdb --baseline-db /tmp/old.duckdb \
        --baseline f5c0941 --limit 60
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from page_fixture import build_large_shop  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
#: The pages timed by default (Reorder Suggestions has its own bench: ``bench_review.py --page``;
#: pass ``--pages`` to add it). Policy Replay is only opened, no replay is run.
PAGES = [
    "Overview", "SKU Explorer", "Reorder Suggestions", "Alerts", "Purchase Orders",
    "Master Data", "Model Quality", "Recommendations", "Data", "Upload & Forecast",
    "Policy Replay",
]  # fmt: skip
#: ``cold``: first navigation click after the server started (empty caches); ``warm``: the
#: second click in the same browser session; ``reload``: the browser reloads the page (a new
#: session on the same server: session state gone, the server's caches kept).
ATTEMPTS = ("cold", "warm", "reload")
#: A page counts as finished when it has stayed finished this long (not added to its time).
STABLE_S = 1.5


def _load() -> str:
    return ", ".join(f"{value:.1f}" for value in os.getloadavg())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(tree: Path, db: Path, log: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, "INVDASH_DB": str(db), "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(tree)}
    command = [
        sys.executable, "-m", "streamlit", "run", str(tree / "app.py"), "--server.headless",
        "true", "--server.port", str(port), "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=tree, env=env, stdout=out, stderr=out)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise TimeoutError(f"streamlit did not start; see {log}")


_SETTLED = (
    "t => [...document.querySelectorAll('[data-testid=\"stMainBlockContainer\"] h1')]"
    ".some(h => h.innerText.trim() === t) "
    "&& !document.querySelector('[data-testid=\"stStatusWidget\"]')"
)


def _open(page, title: str, limit_s: float, *, reload: bool = False) -> float | None:
    """Seconds from the navigation click (or the browser's reload) until ``title``'s page has
    finished; None past the limit."""
    started = time.perf_counter()
    try:
        if reload:
            page.reload(wait_until="domcontentloaded", timeout=limit_s * 1000)
        else:
            nav = page.locator('[data-testid="stSidebarNav"]')
            nav.get_by_text(title, exact=True).click(timeout=limit_s * 1000)
        while True:
            left_s = limit_s - (time.perf_counter() - started)
            page.wait_for_function(_SETTLED, arg=title, timeout=max(left_s, 0.001) * 1000)
            settled_s = time.perf_counter() - started
            # Streamlit shows its running indicator only after a short delay, so a title drawn
            # at once looks finished while the script still runs: it must stay settled.
            page.wait_for_timeout(STABLE_S * 1000)
            if page.evaluate(_SETTLED, title):
                return settled_s
    except Exception:  # Playwright's TimeoutError: report the page as too slow
        return None


def _time_tree(tree: Path, db: Path, pages: list[str], limit_s: float, log: Path) -> dict:
    from playwright.sync_api import sync_playwright

    process, url = _serve(tree, db, log)
    results: dict[str, dict] = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url, wait_until="domcontentloaded")
            page.wait_for_selector('[data-testid="stSidebarNav"]', timeout=limit_s * 1000)
            for attempt in ATTEMPTS:
                for title in pages:
                    if attempt == "reload":
                        _open(page, title, limit_s)  # go there first; the reload is timed
                    seconds = _open(page, title, limit_s, reload=attempt == "reload")
                    errors = page.locator('[data-testid="stException"]').count()
                    results.setdefault(title, {})[attempt] = seconds
                    results[title][f"{attempt}_exceptions"] = errors
                    if seconds is None:
                        return results
            browser.close()
    finally:
        process.terminate()
        process.wait(timeout=30)
    return results


def _migrate(db: Path) -> None:
    """Bring the file up to the working tree's schema before its server starts: a one-time
    upgrade (minutes at 100,000 SKUs), not a page's cost."""
    from invdash import store

    started = time.perf_counter()
    store.connect(db).close()
    print(f"migrated {db} for the working tree in {time.perf_counter() - started:.1f} s",
          flush=True)


def _baseline_tree(ref: str, folder: Path) -> Path:
    tree = folder / f"baseline-{ref}"
    tree.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree


def _cell(value: float | None, limit_s: float) -> str:
    return f">{limit_s:.0f}" if value is None else f"{value:.2f}"


def _print_table(timings: dict[str, dict], pages: list[str], limit_s: float) -> None:
    names = list(timings)
    heads = [f"{n} {attempt} s" for n in names for attempt in ATTEMPTS]
    print("| page | " + " | ".join(heads) + " |")
    print("|---" * (1 + len(heads)) + "|")
    for title in pages:
        cells = []
        for name in names:
            row = timings[name].get(title, {})
            cells += [
                _cell(row[attempt], limit_s) if attempt in row else "skipped"
                for attempt in ATTEMPTS
            ]
        print(f"| {title} | " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--db", type=Path, help="the large shop (built when missing)")
    parser.add_argument("--baseline", default="67cea42", help="git ref to compare with")
    parser.add_argument("--no-baseline", action="store_true", help="time the working tree only")
    parser.add_argument("--baseline-db", type=Path,
                        help="a copy of the shop for the baseline tree (default: --db); an "
                        "older invdash refuses a file the working tree has migrated")
    parser.add_argument("--pages", nargs="+", default=PAGES)
    parser.add_argument("--limit", type=float, default=60.0, help="seconds per page at most")
    parser.add_argument("--json", type=Path, help="write the timings here")
    args = parser.parse_args()
    started_load = _load()
    with tempfile.TemporaryDirectory(prefix="bench_pages_") as tmp:
        folder = Path(tmp)
        db = args.db or folder / f"shop{args.skus}.duckdb"
        if not db.exists():
            built = build_large_shop(db, skus=args.skus, days=args.days)
            print(f"built {db} in {built['total_s']:.0f} s ({built})", flush=True)
        trees = {} if args.no_baseline else {args.baseline: _baseline_tree(args.baseline, folder)}
        trees["working tree"] = ROOT
        timings = {}
        for name, tree in trees.items():
            if name == "working tree":
                _migrate(db)
            shop = args.baseline_db if name != "working tree" and args.baseline_db else db
            timings[name] = _time_tree(tree, shop, args.pages, args.limit, folder / "server.log")
            log = (folder / "server.log").read_text().splitlines()
            errors = [line for line in log if "Error" in line or "Traceback" in line]
            print(f"{name}: {json.dumps(timings[name])}; server log errors: {errors[:3]}")
    print(f"\n{args.skus:,} SKUs x {args.days} days; load average (1, 5, 15 min) at the start "
          f"{started_load}, at the end {_load()}\n")
    _print_table(timings, args.pages, args.limit)
    if args.json:
        args.json.write_text(json.dumps(timings, indent=2))


if __name__ == "__main__":
    main()
