"""Ingest the full UCI Online Retail export and check it against an independent pandas computation.

    .venv/bin/python benchmarks/check_online_retail.py [PATH]

Default PATH: ../shared/data/real/online_retail/online_retail.csv.gz (541,909 invoice lines).
The file is ingested into a temporary DuckDB file with ``invdash.ingest.ingest_file``; pandas then
reads the raw CSV and applies the documented demand rule itself (product codes only, no
cancellation invoices, qty > 0, price > 0, summed per StockCode and day). The script prints both
sides and exits 1 if the daily sales, the per-SKU totals, the stored order lines or the
cancellation count differ.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from invdash import store
from invdash.ingest import NON_PRODUCT_CODES, ingest_file

DEFAULT = (Path(__file__).resolve().parents[2]
           / "shared/data/real/online_retail/online_retail.csv.gz")


def pandas_side(path: Path) -> dict[str, object]:
    """The expected numbers, computed with pandas only from the raw file."""
    lines = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    qty = lines["Quantity"].astype(float)
    price = lines["UnitPrice"].astype(float)
    code = lines["StockCode"].str.strip().str.upper()
    product = ~code.isin(NON_PRODUCT_CODES) & ~code.str.startswith("GIFT_")
    cancelled = lines["InvoiceNo"].str.match(r"^[Cc][0-9]")
    keep = product & ~cancelled & (qty > 0) & (price > 0)
    demand = pd.DataFrame({"sku": lines["StockCode"].str.strip()[keep],
                           "date": lines["InvoiceDate"].str[:10][keep], "qty": qty[keep]})
    return {
        "lines": len(lines),
        "product_lines": int(product.sum()),
        "cancelled_lines": int((product & cancelled).sum()),
        "return_lines": int((product & ~cancelled & (qty < 0)).sum()),
        "daily": demand.groupby(["sku", "date"])["qty"].sum(),
        "per_sku": demand.groupby("sku")["qty"].sum(),
    }


def invdash_side(path: Path, db: Path) -> dict[str, object]:
    """The same numbers read back from the store after ``ingest_file``."""
    conn = store.connect(db)
    try:
        started = time.perf_counter()
        report = ingest_file(conn, path)
        seconds = time.perf_counter() - started
        sales = conn.execute("SELECT sku, CAST(date AS VARCHAR) AS date, qty FROM sales").df()
        stored_lines = conn.execute("SELECT count(*) FROM order_lines").fetchone()[0]
    finally:
        conn.close()
    return {
        "report": report, "seconds": seconds, "stored_lines": int(stored_lines),
        "daily": sales.set_index(["sku", "date"])["qty"],
        "per_sku": sales.groupby("sku")["qty"].sum(),
    }


def compare(expected: dict[str, object], got: dict[str, object]) -> list[str]:
    """Differences, one line each (empty when everything matches)."""
    problems = []
    daily_e, daily_g = expected["daily"].sort_index(), got["daily"].sort_index()
    if not daily_e.index.equals(daily_g.index):
        problems.append(f"sku-days differ: pandas {len(daily_e):,}, invdash {len(daily_g):,}")
    elif not np.allclose(daily_e.to_numpy(), daily_g.to_numpy()):
        problems.append(f"daily qty differ on {(~np.isclose(daily_e, daily_g)).sum():,} sku-days")
    per_e, per_g = expected["per_sku"].sort_index(), got["per_sku"].sort_index()
    if not (per_e.index.equals(per_g.index) and np.allclose(per_e, per_g)):
        problems.append("per-SKU totals differ")
    report = got["report"]
    if report.cancellations != expected["cancelled_lines"]:
        problems.append(f"cancellations {report.cancellations} != {expected['cancelled_lines']}")
    if report.returns != expected["return_lines"]:
        problems.append(f"returns {report.returns} != {expected['return_lines']}")
    if got["stored_lines"] != expected["product_lines"]:
        problems.append(f"order_lines {got['stored_lines']} != {expected['product_lines']}")
    return problems


def main() -> int:
    """Run both sides, print them, return 0 when they agree."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default=str(DEFAULT))
    path = Path(parser.parse_args().path)
    with tempfile.TemporaryDirectory() as folder:
        got = invdash_side(path, Path(folder) / "retail.duckdb")
    started = time.perf_counter()
    expected = pandas_side(path)
    pandas_s = time.perf_counter() - started
    print(got["report"].summary())
    print(f"\n{'':<28}{'pandas':>14}{'invdash':>14}")
    rows = (
        ("file lines", expected["lines"], got["report"].rows_read),
        ("product order lines", expected["product_lines"], got["stored_lines"]),
        ("cancelled lines", expected["cancelled_lines"], got["report"].cancellations),
        ("return lines", expected["return_lines"], got["report"].returns),
        ("SKUs with demand", len(expected["per_sku"]), len(got["per_sku"])),
        ("sku-days with demand", len(expected["daily"]), len(got["daily"])),
        ("units of demand", expected["daily"].sum(), got["daily"].sum()),
        ("seconds", pandas_s, got["seconds"]),
    )
    for name, left, right in rows:
        print(f"{name:<28}{left:>14,.0f}{right:>14,.0f}" if name != "seconds"
              else f"{name:<28}{left:>14.1f}{right:>14.1f}")
    problems = compare(expected, got)
    print("\nRESULT: " + ("all totals match" if not problems else "; ".join(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
