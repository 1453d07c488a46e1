"""Bad files: each is refused with a message naming file, column, lines and fix; the database
stays exactly as it was, and the CLI exits 2 without a traceback."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import pytest

from invdash import store
from invdash.cli import main
from invdash.ingest import ingest_file
from invdash.schema import InvalidDataError

SLICE = Path(__file__).parents[2] / "data" / "online_retail_slice.csv.gz"
ORDERS = "InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice\n"
SALES = "date,sku,qty\n"

BAD_FILES = {
    "missing_column": (SALES.replace(",qty", ",units_x") + "2024-01-01,A,1\n",
                       r"bad\.csv: missing column\(s\) qty for a sales file .*accepted names",
                       "sales"),
    "duplicated_column": ("date,sku,qty,Qty\n2024-01-01,A,1,1\n", r"duplicated column 'Qty'", None),
    "two_columns_one_meaning": ("date,sku,qty,units\n2024-01-01,A,1,1\n",
                                r"columns 'qty' and 'units' both mean qty", None),
    "unparseable_number": (SALES + '2024-01-01,A,1\n2024-01-02,A,abc\n2024-01-03,A,"1,5"\n',
                           r"column 'qty' \(qty\) has 2 values that are not numbers "
                           r"\(first: line 3 'abc', line 4 '1,5'\).*'\.' as the decimal point",
                           None),
    "unparseable_date": (SALES + "2024-01-01,A,1\nyesterday,A,2\n",
                         r"column 'date' \(date\) has 1 values that are not dates "
                         r"\(first: line 3 'yesterday'\); fix: write dates as YYYY-MM-DD", None),
    "negative_qty": (SALES + "2024-01-01,A,-4\n",
                     r"has 1 negative values \(first: line 2 '-4'\); fix: units sold must be >= 0",
                     None),
    "non_finite_qty": (SALES + "2024-01-01,A,inf\n2024-01-02,A,nan\n",
                       r"has 2 non-finite values \(inf/nan\) \(first: line 2 'inf', line 3 'nan'\)",
                       None),
    "absurd_qty": (ORDERS + "1,A,20000000,2024-01-01 10:00,1.0\n",
                   r"'Quantity' \(qty\) has 1 absurd values \(more than 10,000,000 units\) "
                   r"\(first: line 2", None),
    "empty_key": (SALES + "2024-01-01,,1\n2024-01-02,A,1\n",
                  r"column 'sku' \(sku\) has 1 empty values \(first: line 2\); fix: every row",
                  None),
    "duplicated_keys": (SALES + "2024-01-01,A,1\n2024-01-01,A,2\n",
                        r"1 duplicated \(sku, date\) keys \(first: A/2024-01-01 on lines 2, 3\); "
                        r"fix: aggregate", None),
    "ragged_short_row": (SALES + "2024-01-01,A,1\n2024-01-02,A\n",
                         r"1 malformed line\(s\) \(first: line 3 \(fewer fields than the header\)\)"
                         r"; fix: every line needs the header's 3 fields", None),
    "ragged_long_row": (SALES + "2024-01-01,A,1,9\n", r"line 2 \(more fields than the header\)",
                        None),
    "broken_quoting": (SALES + '2024-01-01,"A,1\n2024-01-02,B,2\n',
                       r"line 2 \(broken quoting\).*quote must be closed", None),
    "unknown_kind": ("a,b\n1,2\n", r"cannot tell what kind of data this is \(columns: a, b\).*"
                     r"--kind", None),
    "multiple_problems": (SALES + "2024-13-45,A,-1\n",
                          r"2 problems, nothing was stored:\n  - column 'date'.*\n  - column 'qty'",
                          None),
}


@pytest.fixture
def conn(tmp_path):
    connection = store.connect(tmp_path / "t.duckdb")
    yield connection
    connection.close()


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_csv_is_refused_with_a_precise_message(conn, tmp_path, case):
    text, message, kind = BAD_FILES[case]
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(InvalidDataError, match=message):
        ingest_file(conn, path, kind=kind or "auto")


def _truncated_gzip(path: Path, lines: int) -> Path:
    data = gzip.compress((SALES + "2024-01-01,A,1\n" * lines).encode())
    path.write_bytes(data[: len(data) // 2])
    return path


BAD_BYTES = {
    "empty.csv": (b"", r"empty\.csv: is empty \(0 bytes\)"),
    "header.csv": (SALES.encode(), r"header\.csv: has a header line but no data rows"),
    "blank.csv": (b"\n\n  \n", r"has no lines of text"),
    "image.csv": (b"\x89PNG\r\n\x1a\n" + bytes(64), r"image\.csv: is a PNG image, not a data file"
                  r"; export it as CSV"),
    "data.json": (b'[{"date": "2024-01-01", "sku": "A"}]', r"looks like JSON, not CSV"),
    "blob.bin": (bytes(range(256)) * 8, r"is a binary file, not text"),
    "book.xlsx": (b"PK\x03\x04" + bytes(40), r"ZIP archive \(an \.xlsx workbook is one\)"),
    "bad.parquet": (b"PAR1" + bytes(40), r"bad\.parquet: not a readable Parquet file"),
    "empty.csv.gz": (gzip.compress(b""), r"is an empty gzip file"),
}


@pytest.mark.parametrize("name", sorted(BAD_BYTES))
def test_wrong_or_empty_files_are_refused(conn, tmp_path, name):
    data, message = BAD_BYTES[name]
    (tmp_path / name).write_bytes(data)
    with pytest.raises(InvalidDataError, match=message):
        ingest_file(conn, tmp_path / name)


def test_truncated_gzip_is_refused_small_and_large(conn, tmp_path):
    with pytest.raises(InvalidDataError, match=r"small\.csv\.gz: is a truncated gzip file"):
        ingest_file(conn, _truncated_gzip(tmp_path / "small.csv.gz", 10))
    with pytest.raises(InvalidDataError, match=r"large\.csv\.gz: could not be read .*GZIP"):
        ingest_file(conn, _truncated_gzip(tmp_path / "large.csv.gz", 300_000))


def test_nonexistent_path_and_unknown_kind(conn, tmp_path):
    with pytest.raises(InvalidDataError, match=r"nope\.csv: no such file; check the path"):
        ingest_file(conn, tmp_path / "nope.csv")
    with pytest.raises(InvalidDataError, match=r"unknown kind 'stock'; use one of auto, order_"):
        ingest_file(conn, SLICE, kind="stock")


def test_a_failed_ingest_leaves_a_populated_database_unchanged(tmp_path, capsys):
    db = tmp_path / "shop.duckdb"
    assert main(["ingest", str(SLICE), "--db", str(db), "--quiet"]) == 0
    conn = store.connect(db)
    before = store.table_counts(conn)
    conn.close()
    capsys.readouterr()
    bad = tmp_path / "late.csv"
    # valid for thousands of lines, one bad quantity at the very end: nothing may land
    bad.write_text(SALES + "".join(f"2030-01-{d:02d},N{i},1\n" for i in range(200)
                                   for d in range(1, 29)) + "2030-02-01,N0,x\n")
    assert main(["ingest", str(bad), "--db", str(db), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "late.csv: column 'qty' (qty) has 1 values that are not numbers (first: line 5602" in err
    assert "Traceback" not in err
    conn = store.connect(db)
    assert store.table_counts(conn) == before
    conn.close()


def test_cli_prints_the_summary_on_stdout_and_progress_on_stderr(tmp_path, capsys):
    assert main(["ingest", str(SLICE), "--db", str(tmp_path / "cli.duckdb")]) == 0
    out, err = capsys.readouterr()
    assert "order_lines, 8,349 rows read" in out and "106 cancelled lines" in out
    assert "checking 8,349 rows" in err


def test_cli_process_exits_2_with_the_message_and_no_traceback(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    bad = subprocess.run(
        [sys.executable, "-m", "invdash.cli", "ingest", str(empty), "--db", str(tmp_path / "x.db")],
        capture_output=True, text=True, check=False,
    )
    assert bad.returncode == 2
    assert bad.stderr.startswith("invdash ingest: error: empty.csv: is empty (0 bytes)")
    assert "Traceback" not in bad.stderr
