"""Ingest speed: N generated order lines (default 10 million) written to one CSV, then timed

1. DuckDB's bare ``read_csv`` of the file into a table (auto-detected types; the floor),
2. ``pandas.read_csv`` of the same file,
3. ``invdash.ingest.ingest_file`` into a fresh DuckDB file (sniff, hash, read, cast, check, store
   the order lines (keyed by construction, no index), aggregate daily sales, product names,
   commit),

in one run, and prints a table with each time as a ratio to DuckDB and to pandas.

    .venv/bin/python benchmarks/bench_ingest.py --rows 10000000 --repeat 3

On a shared machine single timings swing by 2x (the load average is printed before and after),
so DuckDB and invdash run ``--repeat`` times, alternating, and the table shows the fastest of
each (pandas runs once); the headline ratio is the median over the repeats of invdash / DuckDB
within each pair (run back to back). invdash's own stages (hash, read + cast, checks, the
order-line aggregates, write + commit) are timed from its progress messages.

The generated export looks like UCI Online Retail: ~20 lines per invoice, 4,000 SKUs plus
postage lines, ~2 % cancellation invoices (negative qty), timestamps over two years.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import duckdb
import pandas as pd

from invdash import store
from invdash.ingest import ingest_file

GENERATE = """
COPY (
    SELECT
        CASE WHEN hash(i // 20) % 50 = 0 THEN 'C' ELSE '' END || CAST(500000 + i // 20 AS VARCHAR)
            AS InvoiceNo,
        CASE WHEN i % 20 = 19 THEN 'POST' ELSE CAST(20000 + hash(i * 7) % 4000 AS VARCHAR) END
            AS StockCode,
        'PRODUCT ' || CAST(hash(i * 7) % 4000 AS VARCHAR) AS Description,
        (CASE WHEN hash(i // 20) % 50 = 0 THEN -1 ELSE 1 END) * (1 + hash(i * 13) % 24)
            AS Quantity,
        TIMESTAMP '2022-01-01 08:00:00' + INTERVAL (i // 20 * 60 // ?) MINUTE AS InvoiceDate,
        round(0.5 + (hash(i * 7) % 4000) / 400.0, 2) AS UnitPrice,
        CAST(12000 + hash(i // 20) % 5000 AS VARCHAR) AS CustomerID,
        'United Kingdom' AS Country
    FROM range(?) AS t(i)
) TO '{path}' (HEADER, DELIMITER ',')
"""


def generate(path: Path, rows: int) -> None:
    """Write ``rows`` order lines spread over two years to ``path``."""
    per_minute = max(1, rows // 20 // (2 * 365 * 24 * 60) + 1)
    conn = duckdb.connect()
    conn.execute("SET enable_progress_bar = false")
    # the path is ours (a temp folder), COPY TO takes no parameter for it
    conn.execute(GENERATE.format(path=str(path).replace("'", "''")), [per_minute * 60, rows])
    conn.close()


def _stage_seconds(stages: list[tuple[str, float]], total_s: float) -> dict[str, float]:
    """Seconds per stage from the progress messages (the last stage runs to the end)."""
    names = {"hashing": "hash", "reading": "read+cast", "checking": "checks",
             "storing": "aggregates", "writing": "write+commit"}
    start = stages[0][1] - 0.0
    ends = [t for _, t in stages[1:]] + [start + total_s]
    return {names.get(msg.split()[0], msg.split()[0]): end - t
            for (msg, t), end in zip(stages, ends, strict=True)}


def _join(times: list[float]) -> str:
    return ", ".join(f"{t:.2f}" for t in times)


def _load() -> str:
    """The machine's 1/5/15-minute load averages (other processes skew every timing)."""
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def _timed(step):
    started = time.perf_counter()
    result = step()
    return time.perf_counter() - started, result


def main() -> None:
    """Generate, time the three readers, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of duckdb and invdash")
    parser.add_argument("--dir", default=None, help="work folder (default: a temp folder)")
    args = parser.parse_args()
    work = Path(args.dir or tempfile.mkdtemp(prefix="bench_ingest_"))
    work.mkdir(parents=True, exist_ok=True)
    csv = work / "orders.csv"
    gen_s, _ = _timed(lambda: generate(csv, args.rows))
    size_mb = csv.stat().st_size / 1e6
    print(f"generated {args.rows:,} lines, {size_mb:,.0f} MB in {gen_s:.1f} s ({os.cpu_count()} "
          f"CPUs, duckdb {duckdb.__version__}, pandas {pd.__version__}); {_load()} before")

    def bare_duckdb() -> int:
        conn = duckdb.connect()
        conn.execute("SET enable_progress_bar = false")
        conn.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [str(csv)])
        return int(conn.execute("SELECT count(*) FROM t").fetchone()[0])

    def invdash_ingest(stages: list[tuple[str, float]]):
        conn = store.connect(work / "bench.duckdb")
        try:
            return ingest_file(
                conn, csv, progress=lambda msg: stages.append((msg, time.perf_counter()))
            )
        finally:
            conn.close()

    duck_times, ours_times, stage_times = [], [], []
    for _ in range(args.repeat):
        seconds, duck_rows = _timed(bare_duckdb)
        duck_times.append(seconds)
        (work / "bench.duckdb").unlink(missing_ok=True)
        stages: list[tuple[str, float]] = []
        seconds, report = _timed(lambda: invdash_ingest(stages))  # noqa: B023
        ours_times.append(seconds)
        stage_times.append(_stage_seconds(stages, seconds))
    pandas_s, frame = _timed(lambda: pd.read_csv(csv))
    pandas_rows = len(frame)
    del frame
    duck_s, ours_s = min(duck_times), min(ours_times)
    assert duck_rows == pandas_rows == report.rows_read == args.rows
    print(f"\n{'step':<34}{'seconds':>9}{'Mrows/s':>9}{'x duckdb':>10}{'x pandas':>10}")
    for name, seconds in (("duckdb read_csv -> table", duck_s), ("pandas.read_csv", pandas_s),
                          ("invdash ingest (checked, stored)", ours_s)):
        print(f"{name:<34}{seconds:>9.2f}{args.rows / seconds / 1e6:>9.2f}"
              f"{seconds / duck_s:>10.2f}{seconds / pandas_s:>10.2f}")
    print(f"\nall runs: duckdb {_join(duck_times)}; invdash {_join(ours_times)}")
    ratios = sorted(o / d for o, d in zip(ours_times, duck_times, strict=True))
    print(f"invdash / duckdb per pair: {_join(ratios)}; median {statistics.median(ratios):.2f}")
    fastest = stage_times[ours_times.index(ours_s)]
    print("invdash stages of its fastest run: "
          + ", ".join(f"{name} {sec:.2f} s" for name, sec in fastest.items()))
    print(f"{_load()} after")
    print(f"\n{report.summary()}")
    for path in (csv, work / "bench.duckdb"):
        path.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
