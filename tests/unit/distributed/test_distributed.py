"""Distributed forecast runs equal the local run (``invdash.distributed``).

- In-process partitions: any SKU partitioning gives the whole-panel run. The shop here has a
  closed weekday (Saturdays), a closed date, a new SKU and intermittent SKUs, so the pooled
  calendar matters: partitions that computed their own closures or weekday share would
  forecast differently (checked by dropping them).
- A real two-node Ray cluster started on this machine (not local_mode, marked ``slow``): the
  fixture starts a head (``ray start --head --block``) and a second node (``ray start
  --address``), one CPU each, in their own temp dir and process groups, with this checkout on
  ``PYTHONPATH`` so the workers import the same invdash. Teardown disconnects, then ends the
  processes it started: their process groups, and any process naming its temp dir (Ray's
  daemons), politely and then by force. Nothing else on the machine is touched.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import ray

from invdash.demo import make_sales
from invdash.distributed import LocalExecutor, PartitionRunner, make_runner, split_panel
from invdash.forecast import backtest as backtest_module
from invdash.forecast.engine import run_forecast
from invdash.forecast.options import ForecastOptions
from invdash.forecast.panel import replace, to_panel, truncate_panel
from invdash.schema import ConfigError

KEYS = ["sku", "date", "model"]


def shop_sales() -> pd.DataFrame:
    sales = make_sales(36, 180, seed=3)
    day = pd.to_datetime(sales["date"])
    sales.loc[day.dt.weekday == 5, "qty"] = 0.0  # closed on Saturdays
    sales.loc[day == day.min() + pd.Timedelta(days=120), "qty"] = 0.0  # a closed date
    newcomer = sales[sales["sku"] == sales["sku"].iloc[0]].tail(20).assign(sku="ZZ-NEW")
    return pd.concat([sales, newcomer], ignore_index=True)


@pytest.fixture(scope="module")
def sales() -> pd.DataFrame:
    return shop_sales()


@pytest.fixture(scope="module")
def local(sales):
    return run_forecast(sales, ForecastOptions(folds=3, horizon=14))


def assert_same_run(local, other) -> None:
    assert local.forecasts[KEYS].equals(other.forecasts[KEYS])
    numbers = [c for c in local.forecasts.columns if c not in KEYS]
    np.testing.assert_allclose(
        other.forecasts[numbers].to_numpy(), local.forecasts[numbers].to_numpy(), rtol=0,
        atol=1e-6,
    )
    pd.testing.assert_frame_equal(other.choices, local.choices)
    pd.testing.assert_frame_equal(other.backtest, local.backtest)


@pytest.mark.parametrize("parts", [1, 2, 5, 37])
def test_any_partitioning_equals_the_whole_panel(sales, local, parts):
    assert set(local.choices["demand_class"]) >= {"new", "intermittent", "smooth"}
    run = run_forecast(
        sales,
        ForecastOptions(
            folds=3, horizon=14,
            runner=PartitionRunner(LocalExecutor(), parts_per_worker=parts),
        ),
    )
    assert_same_run(local, run)


def test_partitions_carry_the_shops_calendar_not_their_own(sales, local, monkeypatch):
    panel = to_panel(sales)
    parts = split_panel(panel, 4, origins=[100, 140])
    assert [len(p.skus) for p in parts] == [9, 9, 9, 10]
    assert np.concatenate([p.skus for p in parts]).tolist() == panel.skus.tolist()
    whole = truncate_panel(panel, 140)
    for part in parts:
        fold = truncate_panel(part, 140)
        np.testing.assert_array_equal(fold.open_weekdays, whole.open_weekdays)
        rows = np.searchsorted(whole.skus, fold.skus)
        np.testing.assert_array_equal(fold.fit_values, whole.fit_values[rows])
    # Without the pooled calendar, partitions of 3 SKUs (too few to detect closures) would
    # backtest other days and weekday shares: a different run.
    real = backtest_module.truncate_panel
    monkeypatch.setattr(backtest_module, "truncate_panel",
                        lambda p, origin: real(replace(p, shop_at=None), origin))
    run = run_forecast(
        sales,
        ForecastOptions(
            folds=3, horizon=14,
            runner=PartitionRunner(LocalExecutor(), parts_per_worker=12),
        ),
    )
    assert not run.backtest.equals(local.backtest)
    numbers = ["mean", "p10", "p50", "p90"]
    assert not np.allclose(run.forecasts[numbers], local.forecasts[numbers], atol=1e-6)


def test_partitions_pool_user_event_lifts_over_the_whole_shop(sales, monkeypatch):
    from invdash.distributed import partition

    days = pd.to_datetime(sales["date"])
    first = days.min()
    flash = [first + pd.Timedelta(days=k) for k in (60, 110, 150)]
    boosted = sales.copy()
    five = sorted(sales["sku"].unique())[:5]
    boosted.loc[days.isin(flash) & sales["sku"].isin(five), "qty"] *= 4
    events = pd.DataFrame({"date": [*flash, first + pd.Timedelta(days=185)],
                           "event": "flash sale"})  # three past, one planned
    options = {"folds": 2, "horizon": 14, "model": "ma"}
    local = run_forecast(boosted, ForecastOptions(**options), events=events)
    runner = PartitionRunner(LocalExecutor(), parts_per_worker=4)
    parts = run_forecast(boosted, ForecastOptions(**options, runner=runner), events=events)
    assert_same_run(local, parts)
    # Each part pooling its own SKUs' lifts (the old behaviour) forecasts another run.
    monkeypatch.setattr(partition, "shop_event_lifts", lambda _panel: None)
    own = run_forecast(boosted, ForecastOptions(**options, runner=runner), events=events)
    assert not np.allclose(own.forecasts["mean"], local.forecasts["mean"], atol=1e-6)


def test_the_distributed_engine_refuses_non_panel_models(sales):
    runner = PartitionRunner(LocalExecutor())
    with pytest.raises(ConfigError, match="panel models only, not coldstart"):
        run_forecast(sales, ForecastOptions(model="coldstart", folds=3, horizon=14, runner=runner))


def test_engine_names_are_checked():
    assert make_runner("local") is None
    with pytest.raises(ConfigError, match="unknown engine 'spark'"):
        make_runner("spark")
    with pytest.raises(ConfigError, match="--ray-address needs --engine ray"):
        make_runner("local", ray_address="10.0.0.1:6379")


ROOT = Path(__file__).resolve().parents[3]
RAY = str(Path(sys.executable).with_name("ray"))
_START_S = 90


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(args: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen:
    with log.open("wb") as out:
        return subprocess.Popen(
            # No --node-ip-address 127.0.0.1: a driver's 127.0.0.1 address is mapped to the
            # machine's own IP (ray._private.services.resolve_ip_for_localhost), where a GCS
            # bound to 127.0.0.1 does not listen, so ray.init never connects.
            [RAY, "start", "--block", "--num-cpus", "1",
             "--object-store-memory", str(80 * 2**20), "--disable-usage-stats", *args],
            stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        )


def _pids_naming(text: str) -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if text.encode() in (proc / "cmdline").read_bytes():
                pids.append(int(proc.name))
        except OSError:
            continue
    return pids


def _stop(procs: list[subprocess.Popen], temp_dir: str) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for proc in procs:
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                pass
        for pid in _pids_naming(temp_dir):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 15
        # Polling another process's exit: the only wait in the tests, bounded.
        while time.monotonic() < deadline and (
            any(p.poll() is None for p in procs) or _pids_naming(temp_dir)
        ):
            time.sleep(0.2)


def _wait_for_nodes(address: str, count: int, procs: list[subprocess.Popen]) -> None:
    deadline = time.monotonic() + _START_S
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            raise RuntimeError("a `ray start` process exited; see its log in the temp dir")
        try:
            if not ray.is_initialized():
                ray.init(address=address, log_to_driver=False, include_dashboard=False,
                         logging_level="WARNING")
            if sum(node["Alive"] for node in ray.nodes()) >= count:
                return
        except (ConnectionError, RuntimeError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the Ray cluster at {address} did not show {count} nodes in time")


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[str]:
    """``HOST:PORT`` of a running two-node cluster (stopped at the end of the module)."""
    temp_dir = tempfile.mkdtemp(prefix="invray")  # short: Ray's socket paths must fit 107 chars
    port = _free_port()
    address = f"127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RAY_USAGE_STATS_ENABLED": "0"}
    procs = [_start(["--head", "--port", str(port), "--temp-dir", temp_dir,
                     "--include-dashboard", "false"], Path(temp_dir) / "head.log", env)]
    try:
        _wait_for_nodes(address, 1, procs)
        procs.append(_start(["--address", address], Path(temp_dir) / "node.log", env))
        _wait_for_nodes(address, 2, procs)
        yield address
    finally:
        ray.shutdown()
        _stop(procs, temp_dir)
        shutil.rmtree(temp_dir, ignore_errors=True)


@pytest.mark.slow
def test_ray_on_two_nodes_equals_local(ray_cluster, sales, local):
    runner = make_runner("ray", ray_address=ray_cluster)
    assert runner.executor.workers() == 2
    distributed = run_forecast(sales, ForecastOptions(folds=3, horizon=14, runner=runner))
    assert len(runner.executor.nodes_used) == 2, "both nodes ran partitions"
    assert_same_run(local, distributed)


@pytest.mark.slow
def test_the_cli_on_ray_writes_what_local_writes(ray_cluster, sales, tmp_path):
    from invdash.cli import main

    source = tmp_path / "sales.csv"
    sales.to_csv(source, index=False)
    outputs = {}
    for engine in ("local", "ray"):
        flags = ["--engine", engine] + (["--ray-address", ray_cluster] if engine == "ray" else [])
        for command in ("forecast", "backtest"):
            out = tmp_path / f"{command}_{engine}.csv"
            args = [command, "--csv", str(source), "--horizon", "14", "--out", str(out)]
            assert main([*args, "--quiet", *flags]) == 0
            outputs[command, engine] = pd.read_csv(out)
    for command in ("forecast", "backtest"):
        pd.testing.assert_frame_equal(outputs[command, "ray"], outputs[command, "local"],
                                      check_exact=False, atol=1e-6, rtol=0)


def _store_of(sales: pd.DataFrame, path: Path):
    from invdash import store
    from invdash.ingest import ingest_file

    csv = path.with_suffix(".csv")
    sales[["date", "sku", "qty", "price", "promo"]].to_csv(csv, index=False)
    conn = store.connect(path)
    ingest_file(conn, csv, kind="auto")
    return conn


@pytest.mark.slow
def test_chunks_on_two_ray_nodes_equal_chunks_here(ray_cluster, sales, tmp_path):
    from invdash.distributed import make_executor
    from invdash.forecast.chunked import forecast_store_chunked

    conn = _store_of(sales, tmp_path / "shop.duckdb")
    options = ForecastOptions(folds=3, horizon=14)
    here: list[pd.DataFrame] = []
    on_ray: list[pd.DataFrame] = []
    local_run = forecast_store_chunked(conn, options, on_forecasts=here.append, chunk_skus=8)
    executor = make_executor("ray", ray_address=ray_cluster)
    ray_run = forecast_store_chunked(conn, options, on_forecasts=on_ray.append, chunk_skus=8,
                                     executor=executor)
    conn.close()
    assert len(executor.nodes_used) == 2, "both nodes ran chunks"
    expected, got = pd.concat(here, ignore_index=True), pd.concat(on_ray, ignore_index=True)
    numbers = [c for c in expected.columns if c not in KEYS]
    assert expected[KEYS].equals(got[KEYS])
    np.testing.assert_allclose(got[numbers], expected[numbers], rtol=0, atol=1e-6)
    pd.testing.assert_frame_equal(local_run.choices, ray_run.choices)
