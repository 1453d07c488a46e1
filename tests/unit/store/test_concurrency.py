"""Two processes writing one database at once lose nothing: both land, or one waits (the store's
bounded busy-wait) or fails with exit 2 and a clear "busy, retry" message, changing nothing.

DuckDB lets one process hold a file read-write; ``store.connect`` retries for ``wait_s`` seconds
and then raises ``StoreBusyError``. Sync is by the processes' own messages (bounded polling).
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from invdash import store
from invdash.cli import main
from invdash.commands import ingest as ingest_command
from invdash.schema import StoreBusyError
from invdash.store import reorder as reorder_store

DEADLINE_S = 120.0
CLI = "import sys; from invdash.cli import main; sys.exit(main(sys.argv[1:]))"
#: Holds the database read-write until its stdin closes (a long writer).
HOLD = """
import sys
from invdash import store
from invdash.cli import main
from invdash.commands import ingest as ingest_command
conn = store.connect(sys.argv[1])
print("holding", flush=True)
sys.stdin.readline()
conn.close()
"""
DECIDE = """
import sys
from invdash import reorder, store
from invdash.store import reorder as reorder_store
skus = sys.argv[3].split(",")
rows = reorder.make_decisions(sys.argv[2], skus, action="approve", user=sys.argv[4],
                              qty=[1.0] * len(skus))
conn = store.connect(sys.argv[1], wait_s=60)
with store.transaction(conn):
    reorder_store.record_decisions(conn, rows)
conn.close()
"""


def _cli(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", CLI, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )


def _sales_file(path: Path, prefix: str, n_skus: int = 40, n_days: int = 300) -> Path:
    rng = np.random.default_rng(len(prefix))
    days = pd.date_range("2025-01-01", periods=n_days, freq="D")
    sales = pd.DataFrame(
        {
            "date": np.tile(days.strftime("%Y-%m-%d"), n_skus),
            "sku": np.repeat([f"{prefix}-{i}" for i in range(n_skus)], n_days),
            "qty": rng.poisson(3, n_skus * n_days),
        }
    )
    sales.to_csv(path, index=False)
    return path


def _count(path: Path, where: str) -> int:
    conn = store.connect(path, wait_s=30)
    try:
        return int(conn.execute(f"SELECT count(*) FROM sales WHERE {where}").fetchone()[0])
    finally:
        conn.close()


@pytest.mark.slow
def test_two_concurrent_ingests_both_land(demo_db_copy, tmp_path):
    first = _sales_file(tmp_path / "a.csv", "A")
    second = _sales_file(tmp_path / "b.csv", "B")
    procs = [_cli("ingest", str(f), "--db", str(demo_db_copy), "--quiet") for f in (first, second)]
    results = [p.communicate(timeout=DEADLINE_S) for p in procs]
    for proc, (_, err) in zip(procs, results, strict=True):
        assert proc.returncode in (0, 2), err
        if proc.returncode == 2:
            assert "busy" in err and "retry" in err, err
    landed = [_count(demo_db_copy, f"sku LIKE '{p}-%'") for p in ("A", "B")]
    for proc, rows in zip(procs, landed, strict=True):
        assert rows == (40 * 300 if proc.returncode == 0 else 0), "all or nothing per file"
    assert sum(p.returncode == 0 for p in procs) >= 1


def test_busy_database_fails_clearly_after_a_bounded_wait_and_changes_nothing(
    demo_db_copy, tmp_path, monkeypatch, capsys
):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(demo_db_copy)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        started = time.monotonic()
        with pytest.raises(StoreBusyError, match=r"busy.*retry"):
            store.connect(demo_db_copy, wait_s=0.5)
        assert time.monotonic() - started < 5, "the wait is bounded by wait_s"
        # The CLI says the same with exit 2 (with a short wait instead of the default 10 s).
        monkeypatch.setattr(
            ingest_command.store, "connect", functools.partial(store.connect, wait_s=0.5)
        )
        path = _sales_file(tmp_path / "e.csv", "E")
        assert main(["ingest", str(path), "--db", str(demo_db_copy), "--quiet"]) == 2
        err = capsys.readouterr().err
        assert "busy" in err and "retry" in err, err
    finally:
        holder.stdin.close()
        holder.wait(timeout=DEADLINE_S)
    assert _count(demo_db_copy, "sku LIKE 'E-%'") == 0


@pytest.mark.slow
def test_cli_ingest_waits_for_a_writer_then_lands(demo_db_copy, tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(demo_db_copy)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "holding"
    ingest = _cli(
        "ingest", str(_sales_file(tmp_path / "c.csv", "C")), "--db", str(demo_db_copy), "--quiet"
    )
    time.sleep(0.5)  # let the ingest start its busy-wait; correctness does not depend on it
    holder.stdin.close()
    holder.wait(timeout=DEADLINE_S)
    _, err = ingest.communicate(timeout=DEADLINE_S)
    assert ingest.returncode == 0, err
    assert _count(demo_db_copy, "sku LIKE 'C-%'") == 40 * 300


@pytest.mark.slow
def test_ingest_during_a_forecast_run_both_land_or_say_busy(demo_db_copy, tmp_path):
    conn = store.connect(demo_db_copy)
    runs_before = int(conn.execute("SELECT count(*) FROM forecast_runs").fetchone()[0])
    conn.close()
    # Every SKU: only a whole-shop forecast run is stored.
    forecast = _cli(
        "forecast",
        "--db",
        str(demo_db_copy),
        "--model",
        "ets",
        "--horizon",
        "14",
        "--folds",
        "1",
        "--quiet",
        "--out",
        str(tmp_path / "f.csv"),
    )
    ingest = _cli(
        "ingest", str(_sales_file(tmp_path / "d.csv", "D")), "--db", str(demo_db_copy), "--quiet"
    )
    results = {
        name: (proc, *proc.communicate(timeout=DEADLINE_S))
        for name, proc in (("forecast", forecast), ("ingest", ingest))
    }
    for name, (proc, _, err) in results.items():
        assert proc.returncode in (0, 2), f"{name}: {err}"
        if proc.returncode == 2:
            assert "busy" in err and "retry" in err, err
    conn = store.connect(demo_db_copy)
    try:
        runs = int(conn.execute("SELECT count(*) FROM forecast_runs").fetchone()[0])
    finally:
        conn.close()
    assert runs == runs_before + (forecast.returncode == 0)
    assert _count(demo_db_copy, "sku LIKE 'D-%'") == (40 * 300 if ingest.returncode == 0 else 0)


@pytest.mark.slow
def test_two_sessions_approving_different_lines_both_land(demo_db_copy):
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                DECIDE,
                str(demo_db_copy),
                "run-x",
                ",".join(f"{who}-{i}" for i in range(50)),
                who,
            ],
            stderr=subprocess.PIPE,
            text=True,
        )
        for who in ("ann", "bob")
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=DEADLINE_S)
        assert proc.returncode == 0, err
    conn = store.connect(demo_db_copy)
    try:
        decisions = reorder_store.load_decisions(conn, run_id="run-x")
    finally:
        conn.close()
    assert decisions.groupby("user").size().to_dict() == {"ann": 50, "bob": 50}
