"""Crash safety for real: a writer process is killed with SIGKILL in the middle of its transaction,
then the database must open and hold exactly what it held before (or, if the writer got to
commit first, everything it wrote): never a partial state.

Sync is by the writer's own stage messages (bounded polling with a deadline); the extra delay
after a message only spreads the kill over different moments of the write.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from invdash import store
from invdash.store import reorder as reorder_store

DEADLINE_S = 120.0
CLI = "import sys; from invdash.cli import main; sys.exit(main(sys.argv[1:]))"
DECIDE = """
import sys
from invdash import reorder, store
from invdash.store import reorder as reorder_store
conn = store.connect(sys.argv[1])
n = int(sys.argv[2])
rows = reorder.make_decisions(
    "run-crash", [f"SKU-{i}" for i in range(n)], action="approve", user="ann", qty=[1.0] * n
)
with store.transaction(conn):
    print("begin", flush=True)
    reorder_store.record_decisions(conn, rows)
    print("ready to commit", flush=True)
    if sys.argv[3] == "hold":
        sys.stdin.readline()
print("committed", flush=True)
"""
N_LINES = 200_000
#: Columns that identify a row's content where others (times, paths) differ run to run.
STABLE = {"ingest_log": "file_sha256, kind, rows_read, rows_stored"}
N_DECISIONS = 1_500


@pytest.fixture(scope="module")
def order_file(tmp_path_factory) -> Path:
    """An order-line export big enough that storing it takes about a second."""
    rng = np.random.default_rng(3)
    minutes = pd.to_timedelta(rng.integers(0, 400 * 24 * 60, N_LINES), unit="min")
    lines = pd.DataFrame(
        {
            "InvoiceNo": rng.integers(500_000, 600_000, N_LINES).astype(str),
            "StockCode": "S" + pd.Series(rng.integers(0, 300, N_LINES)).astype(str),
            "Description": "thing",
            "Quantity": rng.integers(1, 20, N_LINES),
            "InvoiceDate": (pd.Timestamp("2024-01-01") + minutes).strftime("%Y-%m-%d %H:%M"),
            "UnitPrice": rng.uniform(1, 9, N_LINES).round(2),
            "CustomerID": rng.integers(10_000, 20_000, N_LINES),
        }
    )
    path = tmp_path_factory.mktemp("crash") / "orders.csv"
    lines.to_csv(path, index=False)
    return path


def snapshot(path: Path) -> dict[str, tuple[int, str]]:
    """Row count and an order-independent checksum of every table (opens = replays the WAL)."""
    conn = store.connect(path, wait_s=30)
    try:
        return {
            table: tuple(
                conn.execute(
                    f"SELECT count(*), coalesce(sum(hash({STABLE.get(table, 't')})), 0)::VARCHAR "
                    f"FROM {table} AS t"
                ).fetchone()
            )
            for table in sorted(store.KNOWN_TABLES)
        }
    finally:
        conn.close()


def _start(args: list[str], log: Path) -> subprocess.Popen:
    with log.open("w") as sink:
        return subprocess.Popen(
            [sys.executable, *args],
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.PIPE,
            env=os.environ.copy(),
        )


def _wait_for(proc: subprocess.Popen, log: Path, text: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while text not in log.read_text():
        assert proc.poll() is None, f"writer ended before {text!r}: {log.read_text()}"
        assert time.monotonic() < deadline, f"no {text!r} within {DEADLINE_S} s"
        time.sleep(0.01)


def _kill(proc: subprocess.Popen) -> bool:
    """SIGKILL the writer; True if it was still running (killed mid-way)."""
    running = proc.poll() is None
    if running:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=DEADLINE_S)
    if proc.stdin:
        proc.stdin.close()
    return running and proc.returncode == -signal.SIGKILL


@pytest.mark.slow
@pytest.mark.parametrize("delay_s", [0.0, 0.2, 0.5])
def test_kill_9_during_ingest_leaves_the_database_as_before(
    demo_db_copy, order_file, tmp_path, delay_s
):
    before = snapshot(demo_db_copy)
    log = tmp_path / "ingest.log"
    proc = _start(["-c", CLI, "ingest", str(order_file), "--db", str(demo_db_copy)], log)
    _wait_for(proc, log, "storing")
    time.sleep(delay_s)  # spread the kill over the write; sync is the message above
    killed = _kill(proc)
    after = snapshot(demo_db_copy)
    if killed:
        assert after == before, f"partial state after kill -9 at storing+{delay_s}s"
    else:  # the writer committed before the kill: then everything landed
        assert after["order_lines"][0] == before["order_lines"][0] + N_LINES
    # The file is healthy: a read-only open works and a new ingest lands completely.
    store.connect_read_only(demo_db_copy, wait_s=30).close()


@pytest.mark.slow
def test_ingest_after_a_killed_ingest_lands_completely(demo_db_copy, order_file, tmp_path):
    before = snapshot(demo_db_copy)
    log = tmp_path / "ingest.log"
    proc = _start(["-c", CLI, "ingest", str(order_file), "--db", str(demo_db_copy)], log)
    _wait_for(proc, log, "storing")
    assert _kill(proc), "the writer should still be storing right after its message"
    rerun = subprocess.run(
        [
            sys.executable,
            "-c",
            CLI,
            "ingest",
            str(order_file),
            "--db",
            str(demo_db_copy),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=DEADLINE_S,
    )
    assert rerun.returncode == 0, rerun.stderr
    assert "already" not in rerun.stdout, "a killed ingest must not be logged as done"
    after = snapshot(demo_db_copy)
    assert after["order_lines"][0] == before["order_lines"][0] + N_LINES
    assert after["ingest_log"][0] == before["ingest_log"][0] + 1


def _decisions(path: Path) -> int:
    conn = store.connect(path, wait_s=30)
    try:
        return len(reorder_store.load_decisions(conn, run_id="run-crash"))
    finally:
        conn.close()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("wait_for", "delay_s"),
    [
        ("begin", 0.1),
        ("begin", 1.0),
        ("ready to commit", 0.0),
    ],
)
def test_kill_9_while_recording_decisions_keeps_none_or_all(
    demo_db_copy, tmp_path, wait_for, delay_s
):
    before = snapshot(demo_db_copy)
    log = tmp_path / "decide.log"
    proc = _start(["-c", DECIDE, str(demo_db_copy), str(N_DECISIONS), "hold"], log)
    _wait_for(proc, log, wait_for)
    time.sleep(delay_s)
    assert _kill(proc), "the writer holds its transaction open until killed"
    assert _decisions(demo_db_copy) == 0
    assert snapshot(demo_db_copy) == before


@pytest.mark.slow
def test_decisions_committed_before_a_kill_are_all_kept(demo_db_copy, tmp_path):
    log = tmp_path / "decide.log"
    proc = _start(["-c", DECIDE, str(demo_db_copy), "200", "go"], log)
    _wait_for(proc, log, "ready to commit")
    deadline = time.monotonic() + DEADLINE_S
    while "committed" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.01)
    _kill(proc)  # right after COMMIT, before a clean close
    assert _decisions(demo_db_copy) == 200
