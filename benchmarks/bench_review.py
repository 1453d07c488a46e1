"""Review speed: saving one decision and loading a stored run's reviewed lines, 500 and 5,000 lines.

Two code trees are measured in the same run, each in its own process on its own database
built from the same seed:

- ``before``: main at 7334f6b (``git archive 7334f6b`` into a temporary folder). Lines load =
  ``suggestion_lines(load_suggestions) + review_lines(load_decisions(run_id))``; a decision
  save = ``decide_as`` + ``record_decisions`` in a transaction. That is the core only: on main
  the Reorder page then cleared every cache and re-ran the calibration (six forecasts of the
  shop) before showing the line again, the 19-21 s the issue measured; ``--calibration`` times
  that refresh once at the smallest size for the record.
- ``after``: this tree. Lines load = ``reorder.reviewed_run`` (one DuckDB query + carry-over);
  a save = ``reorder.decide`` (role, order rules and supplier minimum on that SKU only, appended
  to its open proposal).

Each database: N SKUs over 6 suppliers with MOQ and packs, 90 days of Poisson sales, one stored
policy run where every SKU has a suggested order, and 20 % of the lines already decided. Saves
cycle approve / edit (one pack more) / reject over distinct SKUs.

    .venv/bin/python benchmarks/bench_review.py                  # sizes 500 and 5000
    .venv/bin/python benchmarks/bench_review.py --sizes 500 --saves 30 --calibration
    .venv/bin/python benchmarks/bench_review.py --page                # baseline 833489c

``--page``: the Reorder page open in a real ``streamlit run`` server and Debian's chromium
(Playwright, ``executable_path=/usr/bin/chromium``), before (``--page-baseline``, default
833489c: main before the page read its selections in DuckDB; it loaded every reviewed line,
filtered and sorted them in pandas and imported the policy maths and forecast engine on the
way) and after (this tree), each on its own database built by its own code from the same seed:
N SKUs, 90 days of sales, a stored moving-average forecast and the stored policy run the page
opens on (so no calibration runs). Timed from ``goto`` until the page's script run has finished
and "Review a line" is drawn: the first open (a fresh server: it imports the page's modules and
reads the run) and a reload (cached reads); the median of ``--page-opens`` reloads. Then, per
tree, the in-process cold time: a fresh process that has imported Streamlit runs the page once
in ``AppTest`` (imports and reads, no browser; wall and CPU seconds) and once more (cached).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
BASELINE = "7334f6b"
SUPPLIERS = ("Acme", "Beta", "Corta", "Delta", "Evo", "Fjord")


def _shop(n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    skus = [f"SKU-{i:05d}" for i in range(n)]
    pack = rng.choice([1.0, 6.0, 12.0, 24.0], n)
    products = pd.DataFrame({
        "sku": skus, "name": [f"Item {i}" for i in range(n)],
        "category": rng.choice(["Kitchen", "Bath", "Home", "Toys"], n),
        "supplier": rng.choice(SUPPLIERS, n), "unit_cost": np.round(rng.uniform(1, 40, n), 2),
        "unit_price": np.round(rng.uniform(2, 80, n), 2), "lead_time_days": 7.0,
        "lead_time_sd_days": 1.0, "moq": pack * rng.integers(1, 4, n), "pack_size": pack,
    })  # fmt: skip
    days = pd.date_range(end="2025-10-31", periods=90)
    rate = rng.gamma(1.5, 2.0, n)
    sales = pd.DataFrame({
        "sku": np.repeat(skus, len(days)), "date": np.tile(days, n),
        "qty": rng.poisson(np.repeat(rate, len(days))).astype(float), "price": 1.0, "promo": 0.0,
    })  # fmt: skip
    need = rate * 14 + rng.uniform(1, 50, n)
    suggested = np.maximum(np.ceil(need / pack), np.ceil(products["moq"] / pack)) * pack
    table = pd.DataFrame({
        "sku": skus, "service_level": 0.95, "abc": rng.choice(["A", "B", "C"], n), "xyz": "Y",
        "lead_time_days": 7.0, "demand_daily_mean": rate, "demand_lt_mean": rate * 14,
        "demand_lt_sd": np.sqrt(rate * 14), "protection_demand_mean": rate * 14,
        "protection_demand_sd": np.sqrt(rate * 14), "safety_stock": 2 * np.sqrt(rate * 14),
        "lead_time_point": rate * 7, "reorder_point": rate * 9, "order_up_to": rate * 16,
        "on_hand": np.floor(rate * 2), "on_order": 0.0, "inventory_position": np.floor(rate * 2),
        "raw_qty": need, "moq": products["moq"], "pack_size": pack, "suggested_qty": suggested,
        "order_by_date": pd.Timestamp("2025-10-31") + pd.to_timedelta(rng.integers(0, 20, n), "D"),
        "stockout_date": pd.NaT, "stockout_probability": rng.uniform(0, 1, n),
        "expected_short_units": 0.0, "days_of_cover": 2.0, "excess_units": 0.0,
        "excess_value": 0.0, "unit_cost": products["unit_cost"], "reason": "below order-up-to",
    })  # fmt: skip
    return products, sales, table


def _build(path: Path, n: int, seed: int) -> str:
    from invdash import store
    from invdash.store import reorder as reorder_store

    products, sales, table = _shop(n, seed)
    conn = store.connect(path)
    with store.transaction(conn):
        store.upsert_frame(conn, "products", products)
        store.upsert_frame(conn, "sales", sales)
        run_id = reorder_store.save_policy_run(
            conn, table, data_version="bench", forecast_run_id=None,
            as_of=pd.Timestamp("2025-10-31"), params="{}",
        )  # fmt: skip
    conn.close()
    return run_id


def _save(conn, run_id: str, line: pd.Series, step: int) -> None:
    from invdash import auth, reorder, store

    actor = auth.User("ann", "manager")
    action = ("approve", "edit", "reject")[step % 3]
    qty = [line["suggested_qty"] + line["pack_size"]] if action == "edit" else None
    reason = "bench" if action == "reject" else None
    if hasattr(reorder, "decide"):
        reorder.decide(conn, actor, run_id, [line["sku"]], action=action, qty=qty, reason=reason)
        return
    from invdash.store import reorder as reorder_store

    qty = qty if action == "edit" else [line["suggested_qty"]] if action == "approve" else None
    rows = reorder.decide_as(actor, run_id, [line["sku"]], action=action, qty=qty, reason=reason)
    with store.transaction(conn):
        reorder_store.record_decisions(conn, rows)


def _load(conn, run_id: str) -> pd.DataFrame:
    from invdash import reorder, store
    from invdash.store import reorder as reorder_store

    if hasattr(reorder, "reviewed_run"):
        return reorder.reviewed_run(conn, run_id)
    lines = reorder.suggestion_lines(reorder_store.load_suggestions(conn, run_id),
                                     store.load_products(conn))  # fmt: skip
    return reorder.review_lines(lines, reorder_store.load_decisions(conn, run_id=run_id))


def _ms(times: list[float]) -> dict[str, float]:
    values = np.array(times) * 1000
    return {"p50_ms": round(float(np.percentile(values, 50)), 1),
            "p95_ms": round(float(np.percentile(values, 95)), 1)}  # fmt: skip


def measure(n: int, saves: int, loads: int, calibration: bool) -> dict[str, object]:
    """One tree, one size: build, pre-decide 20 %, time loads and saves (run in a child)."""
    from invdash import store

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.duckdb"
        run_id = _build(path, n, seed=3)
        conn = store.connect(path)
        lines = _load(conn, run_id)
        for step, (_, line) in enumerate(lines.iloc[: n // 5].iterrows()):
            _save(conn, run_id, line, step)
        load_times = []
        for _ in range(loads):
            start = time.perf_counter()
            shown = _load(conn, run_id)
            load_times.append(time.perf_counter() - start)
        save_times = []
        for step, (_, line) in enumerate(lines.iloc[n // 5 : n // 5 + saves].iterrows()):
            start = time.perf_counter()
            _save(conn, run_id, line, step)
            save_times.append(time.perf_counter() - start)
        result = {"lines": len(shown), "load": _ms(load_times), "save": _ms(save_times)}
        if calibration:
            result["page_refresh_after_save_s"] = _calibration_refresh(conn, run_id)
        conn.close()
    return result


def _calibration_refresh(conn, run_id: str) -> float:
    from invdash import reorder
    from invdash.policy import PolicyParams

    start = time.perf_counter()
    reorder.calibrate_params(conn, PolicyParams())
    _load(conn, run_id)
    return round(time.perf_counter() - start, 2)


def _child(tree: Path, args: argparse.Namespace, n: int, calibration: bool) -> dict[str, object]:
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); sys.path.insert(1, sys.argv[2]); "
        "import bench_review as b; print(json.dumps(b.measure(*map(int, sys.argv[3:6]), "
        "sys.argv[6] == '1')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tree), str(ROOT / "benchmarks"), str(n),
         str(args.saves), str(args.loads), "1" if calibration else "0"],
        capture_output=True, text=True, check=True, cwd=tree,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def build_page_db(path: str, n: int, seed: int) -> int:
    """A database the Reorder page opens on at once (run in the measured tree's own process)."""
    from invdash import reorder, store
    from invdash.forecast.engine import run_forecast
    from invdash.forecast.options import ForecastOptions
    from invdash.forecast.stored import load_run, save_run
    from invdash.policy import PolicyParams

    products, sales, _ = _shop(n, seed)
    conn = store.connect(path)
    try:
        with store.transaction(conn):
            store.upsert_frame(conn, "products", products)
            store.upsert_frame(conn, "sales", sales)
        run = run_forecast(sales, ForecastOptions(model="ma", folds=0), products=products)
        forecast = load_run(conn, save_run(conn, run, data_version=store.data_version(conn)))
        policy = reorder.ensure_policy_run(
            conn, forecast.forecasts, forecast_run_id=forecast.run_id, params=PolicyParams()
        )
        return int((policy.table["suggested_qty"] > 0).sum())
    finally:
        conn.close()


def apptest_cold(app: str) -> dict[str, float]:
    """The Reorder page's first script run in this fresh process (Streamlit imported first, as
    a server has it), then a rerun; run in the measured tree's own process."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(app, default_timeout=600)
    start, cpu = time.perf_counter(), time.process_time()
    at.switch_page("pages/reorder.py").run()
    first, first_cpu = time.perf_counter() - start, time.process_time() - cpu
    if at.exception:
        raise RuntimeError(f"the Reorder page failed: {at.exception}")
    start = time.perf_counter()
    at.run()
    # CPU seconds of the first run too: on a shared, loaded machine the wall time waits for
    # other processes; the CPU time is about what an idle machine's wall time would be.
    return {"in_process_cold_s": round(first, 2), "in_process_cold_cpu_s": round(first_cpu, 2),
            "in_process_rerun_s": round(time.perf_counter() - start, 2)}  # fmt: skip


def _cold_in_process(tree: Path, db: Path) -> dict[str, float]:
    import os

    env = {**os.environ, "INVDASH_DB": str(db), "PYTHONPATH": str(tree), "HF_HUB_OFFLINE": "1"}
    code = ("import json, sys; sys.path.insert(0, sys.argv[1]); sys.path.insert(1, sys.argv[2]); "
            "import bench_review as b; print(json.dumps(b.apptest_cold(sys.argv[3])))")
    done = subprocess.run(
        [sys.executable, "-c", code, str(tree), str(ROOT / "benchmarks"), str(tree / "app.py")],
        capture_output=True, text=True, check=True, cwd=tree, env=env,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def _serve(tree: Path, db: Path, log: Path) -> tuple[subprocess.Popen, str]:
    import os
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "INVDASH_DB": str(db), "PYTHONPATH": str(tree), "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, "-m", "streamlit", "run", str(tree / "app.py"),
               "--server.headless", "true", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=tree, env=env, stdout=out,
                                   stderr=subprocess.STDOUT)  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process, f"http://127.0.0.1:{port}/reorder"
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise TimeoutError(f"streamlit did not listen on {port}; see {log}")


def _open_times(url: str, opens: int) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    done = "() => [...document.querySelectorAll('h3')].some(h => h.innerText.includes(" \
        "'Review a line')) && !document.querySelector('[data-testid=\"stStatusWidget\"]')"
    times = []
    with sync_playwright() as play:
        browser = play.chromium.launch(executable_path="/usr/bin/chromium",
                                       args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        for _ in range(opens + 1):
            start = time.perf_counter()
            page.goto(url)
            page.wait_for_function(done, timeout=600_000, polling=50)
            times.append(time.perf_counter() - start)
        browser.close()
    return {"first_open_s": round(times[0], 2),
            "reload_median_s": round(float(np.median(times[1:])), 2)}  # fmt: skip


def page_bench(args: argparse.Namespace) -> None:
    """Before/after Reorder page open in a real server and chromium (see the module doc)."""
    with tempfile.TemporaryDirectory() as folder:
        before = Path(folder) / "before"
        before.mkdir()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.page_baseline],
                                 capture_output=True, check=True).stdout  # fmt: skip
        subprocess.run(["tar", "-x", "-C", str(before)], input=archive, check=True)
        for n in args.sizes:
            row = {}
            for name, tree in (("before", before), ("after", ROOT)):
                db = Path(folder) / f"{name}-{n}.duckdb"
                code = ("import sys; sys.path.insert(0, sys.argv[1]); sys.path.insert(1, "
                        "sys.argv[2]); import bench_review as b; "
                        "print(b.build_page_db(sys.argv[3], int(sys.argv[4]), 3))")
                built = subprocess.run(
                    [sys.executable, "-c", code, str(tree), str(ROOT / "benchmarks"), str(db),
                     str(n)], capture_output=True, text=True, check=True, cwd=tree,
                )  # fmt: skip
                process, url = _serve(tree, db, Path(folder) / f"{name}-{n}.log")
                try:
                    row[name] = {"lines": int(built.stdout.split()[-1]),
                                 **_open_times(url, args.page_opens)}  # fmt: skip
                finally:
                    process.terminate()
                    process.wait(timeout=30)
                row[name].update(_cold_in_process(tree, db))
                print(json.dumps({"tree": name, "skus": n, **row[name]}), flush=True)
            old, new = row["before"], row["after"]
            print(f"{n:>5} SKUs ({new['lines']} lines): page open {old['first_open_s']} -> "
                  f"{new['first_open_s']} s ({old['first_open_s'] / new['first_open_s']:.1f}x), "
                  f"reload {old['reload_median_s']} -> {new['reload_median_s']} s "
                  f"({old['reload_median_s'] / new['reload_median_s']:.1f}x), in-process cold "
                  f"{old['in_process_cold_s']} -> {new['in_process_cold_s']} s "
                  f"({old['in_process_cold_s'] / new['in_process_cold_s']:.1f}x)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 5000])
    parser.add_argument("--saves", type=int, default=50, help="timed saves per size")
    parser.add_argument("--loads", type=int, default=5, help="timed loads per size")
    parser.add_argument(
        "--calibration",
        action="store_true",
        help="also time main's page refresh after a save (smallest size)",
    )
    parser.add_argument("--page", action="store_true",
                        help="time the Reorder page open in a real server + chromium instead")
    parser.add_argument("--page-baseline", default="833489c",
                        help="the tree --page compares with (a git revision)")
    parser.add_argument("--page-opens", type=int, default=3, help="timed reloads per size")
    args = parser.parse_args()
    if args.page:
        page_bench(args)
        return
    with tempfile.TemporaryDirectory() as folder:
        before = Path(folder) / "before"
        before.mkdir()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", BASELINE],
                                 capture_output=True, check=True).stdout  # fmt: skip
        subprocess.run(["tar", "-x", "-C", str(before)], input=archive, check=True)
        results = []
        for n in args.sizes:
            smallest = args.calibration and n == min(args.sizes)
            for name, tree in (("before", before), ("after", ROOT)):
                found = _child(tree, args, n, smallest and name == "before")
                results.append({"tree": name, "skus": n, **found})
                print(json.dumps(results[-1]), flush=True)
    for n in args.sizes:
        old, new = (r for r in results if r["skus"] == n)
        print(
            f"{n:>5} SKUs: load {old['load']['p50_ms']} -> {new['load']['p50_ms']} ms "
            f"({old['load']['p50_ms'] / new['load']['p50_ms']:.1f}x); save p95 "
            f"{old['save']['p95_ms']} -> {new['save']['p95_ms']} ms"
        )


if __name__ == "__main__":
    main()
