"""Scale: wall time and peak memory of demo, ingest and forecast at growing SKU counts, the
whole-panel forecast as the baseline, and the forecast on a two-node Ray cluster against the local
run (time and equality), in one run.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_scale.py --skus 1000 10000 --days 730 \
        --json docs/scale.json
    PYTHONPATH=. .venv/bin/python benchmarks/bench_scale.py --plot docs/scale.json docs/scale.png

Each step runs in its own process (``--child``), which reports its wall time and peak RSS
(``ru_maxrss``, DuckDB's memory included), so one step's memory never hides another's; the
1-minute load average before and after each step is recorded too (the machine is shared).
The steps, in ``STEPS`` order (one function each, so a new step is one more function):

1. ``demo``: ``invdash demo --skus N --days D`` into a fresh database;
2. ``ingest``: ``invdash ingest`` of that shop's sales exported to CSV (N x D rows) into a fresh
   database (with ``--skip demo forecast reorder``, of a generated sales file of that shape);
3. ``forecast``: ``invdash forecast --db`` (auto models, 3 folds, 28 days, stored): the chunked
   run (``forecast.chunked``, 5,000 SKUs a chunk);
4. ``whole``: the baseline, the whole-panel run (``forecast.stored.forecast_and_store``, what
   ``invdash forecast --db`` did before chunks), up to ``--whole-up-to`` SKUs;
5. ``ray``: the chunked run with ``--engine ray`` on a cluster this script starts on 127.0.0.1
   (a head and a second node, ``--ray-cpus`` CPUs each, in a temp dir, stopped at the end by
   their process groups and any process naming that temp dir), up to ``--ray-up-to`` SKUs. The
   two forecast CSVs (every quantile) are compared: the largest absolute difference over every
   forecast column, and whether the chosen models match. Its peak RSS is the driver's only;
6. ``reorder``: ``invdash reorder --db`` on the stored local forecast run (calibration from the
   stored backtest folds, policy over SKU chunks); ``reorder_ratio`` is its time over the
   chunked forecast's.

On a machine with few cores the Ray run measures the overhead of the cluster rather than a
speed-up: the head, the second node and the driver share the same CPUs.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _child(argv: list[str]) -> None:
    sys.path.insert(0, str(ROOT))
    started = time.perf_counter()
    if argv[0] == "whole":
        code = _whole_forecast(argv[1])
    else:
        from invdash.cli import main

        code = main(argv)
    wall = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"code": code, "wall_s": wall, "peak_mb": peak_mb}), file=sys.stderr)
    sys.exit(code)


def _whole_forecast(db: str) -> int:
    """The baseline: the whole-panel run over the store, stored (no chunks)."""
    from invdash import store
    from invdash.forecast.stored import forecast_and_store

    conn = store.connect(db)
    try:
        forecast_and_store(conn)
    finally:
        conn.close()
    return 0


def _step(argv: list[str], log: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with log.open("w") as out:
        done = subprocess.run([sys.executable, __file__, "--child", *argv],
                              stdout=subprocess.DEVNULL, stderr=out, env=env, check=False)
    last = log.read_text().strip().splitlines()[-1]
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed; see {log}")
    return json.loads(last)


def _loaded(argv: list[str], log: Path) -> dict:
    """``_step`` with the 1-minute load average before and after."""
    before = os.getloadavg()[0]
    result = _step(argv, log)
    return {**result, "load_before": round(before, 2), "load_after": round(os.getloadavg()[0], 2)}


def _export_sales(db: Path, csv: Path) -> int:
    import duckdb

    conn = duckdb.connect(str(db), read_only=True)
    try:
        # the path is ours (a temp folder); COPY TO takes no parameter for it
        conn.execute(f"COPY (SELECT date, sku, qty, price, promo FROM sales ORDER BY sku, date) "
                     f"TO '{str(csv).replace(chr(39), chr(39) * 2)}' (HEADER)")
        return int(conn.execute("SELECT count(*) FROM sales").fetchone()[0])
    finally:
        conn.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TwoNodeCluster:
    """A head and one more node on 127.0.0.1, stopped by their own processes."""

    def __init__(self, cpus: int) -> None:
        self.temp_dir = tempfile.mkdtemp(prefix="invray")
        self.address = f"127.0.0.1:{_free_port()}"
        self.procs: list[subprocess.Popen] = []
        ray = str(Path(sys.executable).with_name("ray"))
        env = {**os.environ, "PYTHONPATH": str(ROOT), "RAY_USAGE_STATS_ENABLED": "0"}
        # No --node-ip-address 127.0.0.1: Ray maps a driver's 127.0.0.1 address to the
        # machine's own IP, where a GCS bound to 127.0.0.1 is not listening.
        common = ["--block", "--num-cpus", str(cpus), "--disable-usage-stats"]
        port = self.address.split(":")[1]
        for name, extra in (("head", ["--head", "--port", port, "--temp-dir", self.temp_dir,
                                      "--include-dashboard", "false"]),
                            ("node", ["--address", self.address])):
            log = open(Path(self.temp_dir) / f"{name}.log", "wb")
            self.procs.append(subprocess.Popen([ray, "start", *common, *extra], stdout=log,
                                               stderr=subprocess.STDOUT, env=env,
                                               start_new_session=True))
            self._wait_nodes(len(self.procs))

    def _wait_nodes(self, count: int) -> None:
        import ray

        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if not ray.is_initialized():
                    ray.init(address=self.address, log_to_driver=False, logging_level="ERROR",
                             include_dashboard=False)
                if sum(n["Alive"] for n in ray.nodes()) >= count:
                    ray.shutdown()
                    return
            except (ConnectionError, RuntimeError):
                pass
            time.sleep(0.5)
        raise RuntimeError("the Ray cluster did not start; see the logs in " + self.temp_dir)

    def stop(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for proc in self.procs:
                try:
                    os.killpg(proc.pid, sig)
                except ProcessLookupError:
                    pass
            for pid in _pids_naming(self.temp_dir):
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            time.sleep(2)
        shutil.rmtree(self.temp_dir, ignore_errors=True)


def _pids_naming(text: str) -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and text.encode() in (proc / "cmdline").read_bytes():
                pids.append(int(proc.name))
        except OSError:
            continue
    return pids


def _compare(local_csv: Path, ray_csv: Path) -> tuple[float, bool]:
    import numpy as np
    import pandas as pd

    local, distributed = pd.read_csv(local_csv), pd.read_csv(ray_csv)
    keys = ["sku", "date", "model"]
    same_keys = local[keys].equals(distributed[keys])
    numbers = [c for c in local.columns if c not in keys]
    diff = float(np.abs(local[numbers].to_numpy() - distributed[numbers].to_numpy()).max())
    return diff, same_keys


class Context:
    """One size's paths and settings, shared by the steps."""

    def __init__(self, n_skus: int, args: argparse.Namespace, work: Path,
                 cluster: TwoNodeCluster | None) -> None:
        self.n_skus, self.days, self.work, self.cluster, self.args = (
            n_skus, args.days, work, cluster, args)
        self.shop = work / f"shop{n_skus}.duckdb"
        self.forecast = ["forecast", "--db", str(self.shop), "--quiet", "--all-quantiles"]


def demo_step(ctx: Context, out: dict) -> None:
    """``invdash demo`` into a fresh database."""
    out["demo"] = _loaded(["demo", "--db", str(ctx.shop), "--skus", str(ctx.n_skus), "--days",
                           str(ctx.days)], ctx.work / "demo.log")


def _generate_sales(csv: Path, n_skus: int, days: int) -> int:
    """A sales file of ``n_skus`` x ``days`` rows written by DuckDB (when ``demo`` is skipped)."""
    import duckdb

    conn = duckdb.connect()
    try:
        # the path is ours (a temp folder); COPY TO takes no parameter for it
        conn.execute(
            "COPY (SELECT DATE '2023-01-01' + CAST(i % ? AS INTEGER) AS date, "
            "'SKU-' || lpad(CAST(i // ? AS VARCHAR), 6, '0') AS sku, "
            "CAST(hash(i) % 9 AS DOUBLE) AS qty, round(1 + (i // ?) % 500 / 10.0, 2) AS price, "
            f"CAST(hash(i * 3) % 20 = 0 AS INTEGER) AS promo FROM range(?) t(i)) "
            f"TO '{str(csv).replace(chr(39), chr(39) * 2)}' (HEADER)",
            [days, days, days, n_skus * days])
    finally:
        conn.close()
    return n_skus * days


def ingest_step(ctx: Context, out: dict) -> None:
    """``invdash ingest`` of the shop's sales as CSV (a generated file of the same shape when
    ``demo`` is skipped) into a fresh database."""
    csv, fresh = ctx.work / f"sales{ctx.n_skus}.csv", ctx.work / f"ingest{ctx.n_skus}.duckdb"
    out["rows"] = (_export_sales(ctx.shop, csv) if ctx.shop.exists()
                   else _generate_sales(csv, ctx.n_skus, ctx.days))
    out["ingest"] = _loaded(["ingest", str(csv), "--db", str(fresh)], ctx.work / "ingest.log")
    for path in (csv, fresh):
        path.unlink(missing_ok=True)


def forecast_step(ctx: Context, out: dict) -> None:
    """The chunked ``invdash forecast --db``."""
    out["forecast"] = _loaded([*ctx.forecast, "--out", str(ctx.work / "local.csv")],
                              ctx.work / "local.log")


def whole_step(ctx: Context, out: dict) -> None:
    """The whole-panel baseline, up to ``--whole-up-to`` SKUs."""
    if ctx.n_skus <= ctx.args.whole_up_to:
        out["whole"] = _loaded(["whole", str(ctx.shop)], ctx.work / "whole.log")


def ray_step(ctx: Context, out: dict) -> None:
    """The chunked run on the two-node Ray cluster, compared with the local CSV."""
    if ctx.cluster is None or ctx.n_skus > ctx.args.ray_up_to:
        return
    out["ray"] = _loaded([*ctx.forecast, "--out", str(ctx.work / "ray.csv"), "--engine", "ray",
                          "--ray-address", ctx.cluster.address], ctx.work / "ray.log")
    out["max_abs_diff"], out["same_models"] = _compare(ctx.work / "local.csv",
                                                       ctx.work / "ray.csv")


def reorder_step(ctx: Context, out: dict) -> None:
    """``invdash reorder --db`` on the stored local forecast run."""
    out["reorder"] = _loaded(["reorder", "--db", str(ctx.shop), "--quiet", "--out",
                              str(ctx.work / "reorder.csv")], ctx.work / "reorder.log")
    if "forecast" in out:
        out["reorder_ratio"] = out["reorder"]["wall_s"] / out["forecast"]["wall_s"]


#: The steps of one size, in order (a new step is one more function).
STEPS = [demo_step, ingest_step, forecast_step, reorder_step, whole_step, ray_step]


def _measure(ctx: Context) -> dict:
    out: dict = {"skus": ctx.n_skus, "days": ctx.days, "cpus": os.cpu_count()}
    for step in STEPS:
        if step.__name__.removesuffix("_step") not in ctx.args.skip:
            step(ctx, out)
    for path in (ctx.shop, ctx.work / "local.csv", ctx.work / "ray.csv"):
        path.unlink(missing_ok=True)
    return out


def _print(results: list[dict]) -> None:
    nan = {"wall_s": float("nan"), "peak_mb": float("nan")}
    print(f"\n{'SKUs':>7}{'rows':>12}{'demo s':>9}{'MB':>7}{'ingest s':>10}{'MB':>7}"
          f"{'forecast s':>12}{'MB':>7}{'whole s':>9}{'MB':>7}{'ray s':>8}{'ray/local':>10}"
          f"{'max diff':>10}{'models':>8}{'load':>6}")
    for r in results:
        ray, whole, fc = r.get("ray", nan), r.get("whole", nan), r.get("forecast", nan)
        print(f"{r['skus']:>7,}{r.get('rows', 0):>12,}{r.get('demo', nan)['wall_s']:>9.1f}"
              f"{r.get('demo', nan)['peak_mb']:>7.0f}{r.get('ingest', nan)['wall_s']:>10.1f}"
              f"{r.get('ingest', nan)['peak_mb']:>7.0f}{fc['wall_s']:>12.1f}"
              f"{fc['peak_mb']:>7.0f}{whole['wall_s']:>9.1f}{whole['peak_mb']:>7.0f}"
              f"{ray['wall_s']:>8.1f}{ray['wall_s'] / fc['wall_s']:>10.2f}"
              f"{r.get('max_abs_diff', float('nan')):>10.1e}"
              f"{'same' if r.get('same_models') else '-':>8}"
              f"{fc.get('load_before', float('nan')):>6.1f}")


def _print_reorder(results: list[dict]) -> None:
    print(f"\n{'SKUs':>7}{'reorder s':>11}{'MB':>7}{'reorder/forecast':>18}")
    for r in results:
        if "reorder" not in r:
            continue
        print(f"{r['skus']:>7,}{r['reorder']['wall_s']:>11.1f}{r['reorder']['peak_mb']:>7.0f}"
              f"{r.get('reorder_ratio', float('nan')):>18.2f}")


def main() -> None:
    """Run every size, print the table (and write it as JSON with ``--json``)."""
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(sys.argv[2:])
    if len(sys.argv) > 1 and sys.argv[1] == "--plot":
        from bench_scale_plot import plot

        plot(Path(sys.argv[2]), Path(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--ray-cpus", type=int, default=1, help="CPUs of each Ray node")
    parser.add_argument("--no-ray", action="store_true", help="skip the Ray runs")
    parser.add_argument("--ray-up-to", type=int, default=10_000, help="largest size run on Ray")
    parser.add_argument("--whole-up-to", type=int, default=10_000,
                        help="largest size of the whole-panel baseline")
    parser.add_argument("--skip", nargs="*", default=[], choices=[s.__name__[:-5] for s in STEPS],
                        help="steps to leave out (demo and forecast are needed by later steps)")
    parser.add_argument("--json", metavar="FILE", help="also write the results here (after "
                        "each size, so a long run keeps what it measured)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench_scale_"))
    cluster = None if args.no_ray else TwoNodeCluster(args.ray_cpus)
    print(f"{os.cpu_count()} CPUs; Ray: {'off' if cluster is None else cluster.address}; "
          f"work in {work}")
    try:
        results = []
        for n_skus in args.skus:
            results.append(_measure(Context(n_skus, args, work, cluster)))
            print(json.dumps(results[-1]), flush=True)
            if args.json:
                Path(args.json).write_text(json.dumps(results, indent=2))
    finally:
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(work, ignore_errors=True)
    _print(results)
    _print_reorder(results)


if __name__ == "__main__":
    main()
