"""Hostile names are stored and shown literally and exported safely.

SKUs, customer ids and supplier names holding quotes, SQL, formulas, unicode and control
characters go through ingest (CSV quoting) -> DuckDB -> ``load_sales`` / ``load_products`` ->
the forecast CLI CSV unchanged; spreadsheet exports (purchase orders, dashboard downloads via
``reorder.to_spreadsheet_csv``) neutralise formula starts with a leading apostrophe.

Design decision: the CLI's ``--out`` CSVs (``commands._common.write_frame``) stay literal. They
are machine-readable outputs that scripts join back on ``sku`` and that ``invdash ingest`` reads
again; prefixing "'" would corrupt keys. Files meant for a spreadsheet go through
``to_spreadsheet_csv``. A NUL byte makes a file binary (rejected with a clear message); a bare
carriage return inside a quoted field is rejected by the CSV reader with a message naming the file.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys

import pandas as pd
import pytest

from invdash import reorder, store
from invdash.ingest import ingest_file
from invdash.schema import InvalidDataError

HOSTILE = [
    "it's",
    'say "hi"',
    "'; DROP TABLE sales; --",
    "=1+2",
    "+SUM(A1)",
    "-3",
    "@cmd",
    "box \U0001f600",
    "\u05e9\u05dc\u05d5\u05dd",
    "e\u0301",
    "a\tb",
    "a\nb",
    "a,b",
    "a;b",
]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CLI = "import sys; from invdash.cli import main; sys.exit(main(sys.argv[1:]))"


@pytest.fixture
def hostile_db(tmp_path):
    days = pd.date_range("2025-01-01", periods=60, freq="D").strftime("%Y-%m-%d")
    sales = pd.DataFrame(
        {
            "date": list(days) * len(HOSTILE),
            "sku": [s for s in HOSTILE for _ in days],
            "qty": [float(i % 5) for i in range(60 * len(HOSTILE))],
        }
    )
    sales.to_csv(tmp_path / "sales.csv", index=False)
    products = pd.DataFrame(
        {"sku": HOSTILE, "name": HOSTILE[::-1], "supplier": HOSTILE, "unit_cost": 2.5}
    )
    products.to_csv(tmp_path / "products.csv", index=False)
    lines = pd.DataFrame(
        {
            "InvoiceNo": [f"9{i}" for i in range(len(HOSTILE))],
            "StockCode": HOSTILE,
            "Quantity": 1,
            "InvoiceDate": "2025-03-01 10:00",
            "UnitPrice": 1.5,
            "CustomerID": HOSTILE,
        }
    )
    lines.to_csv(tmp_path / "lines.csv", index=False)
    conn = store.connect(tmp_path / "hostile.duckdb")
    for name in ("sales.csv", "products.csv", "lines.csv"):
        ingest_file(conn, tmp_path / name)
    yield conn, tmp_path
    conn.close()


def test_hostile_names_are_stored_and_read_literally(hostile_db):
    conn, _ = hostile_db
    assert set(store.load_sales(conn)["sku"]) == set(HOSTILE)
    products = store.load_products(conn).set_index("sku")
    assert set(products.index) == set(HOSTILE)
    assert products.loc[HOSTILE, "supplier"].tolist() == HOSTILE
    assert set(store.load_order_lines(conn)["customer_id"]) == set(HOSTILE)
    assert store.table_counts(conn)["sales"] > 0, "the DROP TABLE text stayed text"


def test_forecast_cli_output_keeps_names_literal(hostile_db):
    _, folder = hostile_db
    out = folder / "forecast.csv"
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            CLI,
            "forecast",
            "--csv",
            str(folder / "sales.csv"),
            "--model",
            "naive",
            "--horizon",
            "3",
            "--folds",
            "1",
            "--quiet",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    written = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert set(written["sku"]) == set(HOSTILE), "machine-readable CSV: keys round-trip exactly"


def _cells(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_purchase_order_export_neutralises_formulas(hostile_db):
    conn, _ = hostile_db
    products = store.load_products(conn)
    reviewed = products.assign(status="approved", final_qty=3.0, decided_by=HOSTILE[3])
    orders = reorder.purchase_orders(reviewed, as_of=pd.Timestamp("2025-03-02"))
    assert set(orders) == set(HOSTILE), "one order per supplier, named literally"
    for supplier, order in orders.items():
        rows = _cells(reorder.to_spreadsheet_csv(order))
        for cell in (c for row in rows[1:] for c in row):
            assert not cell.startswith(FORMULA_START), (supplier, cell)
        sku_cell = rows[1][rows[0].index("sku")]
        sku = order.at[0, "sku"]
        assert sku_cell == ("'" + sku if sku.startswith(FORMULA_START) else sku), "literal"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("=1+2", "'=1+2"),
        ("+SUM(A1)", "'+SUM(A1)"),
        ("-3", "'-3"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("it's", "it's"),
        ("'; DROP TABLE sales; --", None),
        (-3.0, -3.0),
    ],
)
def test_neutralise_cell(value, shown):
    assert reorder.neutralise_cell(value) == (value if shown is None else shown)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("x\x00y", "binary"),
        ("a\rb", "could not be read"),
    ],
)
def test_control_characters_are_rejected_clearly(tmp_path, text, words):
    path = tmp_path / "ctl.csv"
    pd.DataFrame({"date": ["2025-01-01"], "sku": [text], "qty": [1]}).to_csv(path, index=False)
    conn = store.connect(":memory:")
    with pytest.raises(InvalidDataError, match=words) as caught:
        ingest_file(conn, path)
    assert "ctl.csv" in str(caught.value)
    assert store.table_counts(conn)["sales"] == 0
