"""Reorder against the forecast: wall time and peak RSS of ``invdash reorder`` on a stored
forecast run, for two code trees (a baseline and this one) in the same run.

    git worktree add /tmp/invdash-before 67cea42
    PYTHONPATH=. .venv/bin/python benchmarks/bench_reorder.py --before /tmp/invdash-before \\
        --skus 1000 10000 --days 730

For each size and tree, in a fresh temp folder and each step in its own process (``--child``,
which reports wall time and peak RSS from ``ru_maxrss``):

1. ``invdash demo --skus N --days D`` (the same seed, so both trees plan the same shop; each
   tree builds its own file, as the schemas differ);
2. ``invdash forecast --db`` (auto, stored);
3. ``invdash reorder --db`` on that stored run (calibration + policy + stored policy run).

The figure of merit is reorder time / forecast time of the same tree (the issue's target: at
most 1), so the load of a shared machine cancels out of the ratio.

Measured 2026-12-01 on the shared 2-core machine (load average 13 to 44, so absolute times are
slow; the ratios compare steps of the same tree), 730 days, baseline main at 67cea42:

| tree | SKUs | forecast s | MB | reorder s | MB | reorder / forecast |
|---|---|---|---|---|---|---|
| after | 1,000 | 78 | 476 | 18 | 340 | 0.24 |
| before | 1,000 | 103 | 474 | 766 | 720 | 7.43 |
| after | 10,000 | 746 | 2,546 | 21 | 523 | 0.03 |

The 10,000-SKU baseline was stopped (its reorder alone would have taken about an hour under
that load; the issue measured 11x the forecast at 20,000 SKUs).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _child(root: str, argv: list[str]) -> None:
    sys.path.insert(0, root)
    from invdash.cli import main

    started = time.perf_counter()
    code = main(argv)
    wall = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"code": code, "wall_s": wall, "peak_mb": peak_mb}), file=sys.stderr)
    sys.exit(code)


def _step(root: Path, argv: list[str], log: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(root)}
    with log.open("w") as out:
        done = subprocess.run(
            [sys.executable, __file__, "--child", str(root), *argv],
            stdout=subprocess.DEVNULL, stderr=out, env=env, check=False, cwd=root,
        )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed in {root}; see {log}")
    return json.loads(log.read_text().strip().splitlines()[-1])


def _measure(root: Path, n_skus: int, days: int, work: Path, tag: str) -> dict:
    shop = work / f"{tag}{n_skus}.duckdb"
    out: dict = {"tree": tag, "skus": n_skus}
    out["demo"] = _step(root, ["demo", "--db", str(shop), "--skus", str(n_skus),
                               "--days", str(days)], work / f"{tag}-demo.log")
    out["forecast"] = _step(root, ["forecast", "--db", str(shop), "--quiet", "--out",
                                   str(work / f"{tag}-forecast.csv")], work / f"{tag}-fc.log")
    out["reorder"] = _step(root, ["reorder", "--db", str(shop), "--quiet", "--out",
                                  str(work / f"{tag}-reorder.csv")], work / f"{tag}-ro.log")
    out["ratio"] = out["reorder"]["wall_s"] / out["forecast"]["wall_s"]
    shop.unlink(missing_ok=True)
    return out


def _print(results: list[dict]) -> None:
    print(f"\n{'tree':>8}{'SKUs':>8}{'forecast s':>12}{'MB':>7}{'reorder s':>11}{'MB':>7}"
          f"{'reorder/forecast':>18}")
    for r in results:
        print(f"{r['tree']:>8}{r['skus']:>8,}{r['forecast']['wall_s']:>12.1f}"
              f"{r['forecast']['peak_mb']:>7.0f}{r['reorder']['wall_s']:>11.1f}"
              f"{r['reorder']['peak_mb']:>7.0f}{r['ratio']:>18.2f}")


def main() -> None:
    """Run every size for both trees, print the table (and write it as JSON with ``--json``)."""
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        _child(sys.argv[2], sys.argv[3:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="the baseline tree (e.g. main at 67cea42)")
    parser.add_argument("--skus", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--json", metavar="FILE", help="also write the results here")
    args = parser.parse_args()
    trees = [("after", ROOT)] + ([("before", args.before.resolve())] if args.before else [])
    work = Path(tempfile.mkdtemp(prefix="bench_reorder_"))
    print(f"{os.cpu_count()} CPUs; trees: {', '.join(f'{t}={p}' for t, p in trees)}; "
          f"work in {work}", flush=True)
    results = []
    try:
        for n_skus in args.skus:
            for tag, root in trees:
                results.append(_measure(root, n_skus, args.days, work, tag))
                print(json.dumps(results[-1]), flush=True)
                if args.json:
                    Path(args.json).write_text(json.dumps(results, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _print(results)


if __name__ == "__main__":
    main()
