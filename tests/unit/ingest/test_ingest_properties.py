"""Property-based tests of the CSV ingest (hypothesis, bounded examples).

- Random valid sales files (SKUs with quotes, commas, semicolons and unicode; any day; non-negative
  quantities; comma, semicolon or tab separated; plain or gzip) load exactly.
- Random corruptions of a valid file (a dropped column, a row cut short, a non-number, a bad date,
  binary bytes, a ragged row, an unbalanced quote) are rejected with ``InvalidDataError`` naming
  the file (exit 2 through the CLI) and change nothing in a database that already holds data.
"""

from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from invdash import store
from invdash.cli import main
from invdash.ingest import ingest_file
from invdash.schema import InvalidDataError

SETTINGS = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
_SKU_CHARS = st.characters(
    categories=("L", "N", "P", "S", "Zs"),
    include_characters="'\",;\u0301",
    exclude_characters="\r\n\x00",
)
skus = st.text(_SKU_CHARS, min_size=1, max_size=12).filter(lambda s: s == s.strip() and s)
days = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 31))
quantities = st.integers(min_value=0, max_value=10**6).map(lambda q: q / 4)
rows = st.lists(
    st.tuples(skus, days, quantities), min_size=1, max_size=40, unique_by=lambda r: (r[0], r[1])
)


def _write(frame: pd.DataFrame, path: Path, *, sep: str, gz: bool) -> Path:
    text = frame.to_csv(index=False, sep=sep)
    if gz:
        path = path.with_name(path.name + ".gz")
        path.write_bytes(gzip.compress(text.encode("utf-8")))
    else:
        path.write_text(text, encoding="utf-8")
    return path


@SETTINGS
@given(rows=rows, sep=st.sampled_from([",", ";", "\t"]), gz=st.booleans())
def test_random_valid_sales_files_load_exactly(tmp_path, rows, sep, gz):
    sales = pd.DataFrame(rows, columns=["sku", "date", "qty"])
    path = _write(
        sales.assign(date=sales["date"].astype(str)), tmp_path / "sales.csv", sep=sep, gz=gz
    )
    conn = store.connect(":memory:")
    try:
        report = ingest_file(conn, path)
        stored = conn.execute("SELECT sku, date, qty FROM sales ORDER BY sku, date").df()
    finally:
        conn.close()
    assert report.rows_read == len(sales)
    expected = sales.sort_values(["sku", "date"]).reset_index(drop=True)
    stored["date"] = pd.to_datetime(stored["date"]).dt.date
    pd.testing.assert_frame_equal(stored, expected, check_dtype=False)


BASE = pd.DataFrame(
    {
        "date": [f"2025-02-{d:02d}" for d in range(1, 21)],
        "sku": [f"S{i % 4}" for i in range(20)],
        "qty": [float(i) for i in range(20)],
    }
)


def _corrupt(kind: str, lines: list[str], row: int) -> bytes:
    body = list(lines)
    fields = body[row].split(",")
    if kind == "drop_column":
        body = [",".join(line.split(",")[:2]) for line in body]
    elif kind == "truncate":
        body = body[: row + 1]
        body[row] = fields[0] + ","
    elif kind == "non_number":
        body[row] = ",".join([*fields[:2], "12abc"])
    elif kind == "bad_date":
        body[row] = ",".join(["2025-13-45", *fields[1:]])
    elif kind == "ragged":
        body[row] = body[row] + ",extra"
    elif kind == "quote":
        body[row] = ",".join([fields[0], '"' + fields[1], fields[2]])
    text = "\n".join(body) + ("\n" if kind != "truncate" else "")
    data = text.encode("utf-8")
    if kind == "binary":
        cut = len(data) // 2
        data = data[:cut] + b"\x00\xff\xfe\x01" + data[cut:]
    return data


FAULTS = ["drop_column", "truncate", "non_number", "bad_date", "binary", "ragged", "quote"]


@pytest.fixture(scope="module")
def populated(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("props")
    path = folder / "base.duckdb"
    conn = store.connect(path)
    _write(BASE.assign(sku="P" + BASE["sku"]), folder / "start.csv", sep=",", gz=False)
    ingest_file(conn, folder / "start.csv")
    conn.close()
    return path


def _state(conn) -> dict:
    return {
        t: conn.execute(f"SELECT count(*), coalesce(sum(hash(x)), 0) FROM {t} x").fetchone()
        for t in sorted(store.KNOWN_TABLES)
    }


@SETTINGS
@given(kind=st.sampled_from(FAULTS), row=st.integers(min_value=1, max_value=20), gz=st.booleans())
def test_random_corruptions_are_rejected_and_change_nothing(populated, tmp_path, kind, row, gz):
    lines = BASE.to_csv(index=False).splitlines()
    data = _corrupt(kind, lines, row)
    path = tmp_path / f"bad_{kind}.csv"
    if gz:
        path = path.with_name(path.name + ".gz")
        data = gzip.compress(data)
    path.write_bytes(data)
    conn = store.connect(populated)
    try:
        before = _state(conn)
        with pytest.raises(InvalidDataError) as caught:
            ingest_file(conn, path)
        assert path.name in str(caught.value)
        assert _state(conn) == before
    finally:
        conn.close()


@pytest.mark.parametrize("kind", ["non_number", "ragged", "quote", "binary"])
def test_cli_rejects_a_corrupt_file_with_exit_2(populated, tmp_path, capsys, kind):
    path = tmp_path / f"bad_{kind}.csv"
    path.write_bytes(_corrupt(kind, BASE.to_csv(index=False).splitlines(), 7))
    conn = store.connect(populated)
    before = _state(conn)
    conn.close()
    assert main(["ingest", str(path), "--db", str(populated), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "error:" in err and path.name in err
    conn = store.connect(populated)
    try:
        assert _state(conn) == before
    finally:
        conn.close()
