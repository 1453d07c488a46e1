"""Order-line ingest against a per-line Python oracle, on both of its numbering paths.

The store numbers a line within its order by its offset from the order's first row when every
order's lines are adjacent in the file, and by a window over file order otherwise; the daily
sales of the file's days are computed from the lines already stored for those days plus the
staged ones. The oracle numbers, filters and sums line by line, and the final ``sales`` must
equal the demand rule recomputed over every stored line.
"""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from pathlib import Path

import pytest

from invdash import store
from invdash.ingest import NON_PRODUCT_CODES, ingest_file
from invdash.schema import InvalidDataError
from invdash.store import ingest as sql

HEADER = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice",
          "CustomerID"]


@pytest.fixture
def conn(tmp_path):
    connection = store.connect(tmp_path / "orders.duckdb")
    yield connection
    connection.close()


def _orders(seed: int, n_orders: int, first_order: int) -> list[list[str]]:
    """Lines of ``n_orders`` invoices, adjacent per invoice: products, postage, a gift voucher,
    cancellations, returns, zero prices and spreadsheet-style customer ids."""
    rng = random.Random(seed)
    lines = []
    for k in range(n_orders):
        order = f"{'C' if rng.random() < 0.1 else ''}{first_order + k}"
        day = f"2024-03-{1 + rng.randrange(5):02d} {8 + rng.randrange(10):02d}:15:00"
        customer = rng.choice(["17850", "17850.0", "", "13047"])
        for _ in range(1 + rng.randrange(6)):
            sku = rng.choice(["A1", "B2", "C3", "POST", "gift_0001_10", "D4"])
            qty = rng.choice([1, 2, 5, -1]) * (-1 if order.startswith("C") else 1)
            price = rng.choice(["1.25", "0", "2.50", "3.10"])
            lines.append([order, sku, f"item {sku.lower()}", str(qty), day, price, customer])
    return lines


def _write(path: Path, lines: list[list[str]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(lines)
    return path


def _is_product(sku: str) -> bool:
    return sku.upper() not in NON_PRODUCT_CODES and not sku.upper().startswith("GIFT_")


def _numbered(lines: list[list[str]]) -> set[tuple]:
    """(order, line_no, sku, qty, price, customer) as the store should keep them."""
    seen: dict[str, int] = defaultdict(int)
    rows = set()
    for order, sku, _, qty, _, price, customer in lines:
        seen[order] += 1
        if _is_product(sku):
            customer_id = customer.removesuffix(".0") or None
            rows.add((order, seen[order], customer_id, sku, float(qty), float(price)))
    return rows


def _stored_lines(conn) -> set[tuple]:
    return set(conn.execute(
        "SELECT order_id, line_no, customer_id, sku, qty, price FROM order_lines"
    ).fetchall())


def _sales(conn) -> dict[tuple, tuple]:
    rows = conn.execute("SELECT sku, CAST(date AS VARCHAR), qty, price FROM sales").fetchall()
    return {(sku, day): (qty, round(price, 9)) for sku, day, qty, price in rows}


def _demand_from_stored_lines(conn) -> dict[tuple, tuple]:
    totals: dict[tuple, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for order, sku, ts, qty, price in conn.execute(
        "SELECT order_id, sku, ts, qty, price FROM order_lines"
    ).fetchall():
        if qty > 0 and price > 0 and not (order[0] in "Cc" and order[1:2].isdigit()):
            totals[(sku, ts.date().isoformat())][0] += qty
            totals[(sku, ts.date().isoformat())][1] += qty * price
    return {key: (qty, round(value / qty, 9)) for key, (qty, value) in totals.items()}


@pytest.mark.parametrize("interleave", [False, True], ids=["adjacent orders", "interleaved"])
def test_lines_are_numbered_filtered_and_summed_like_the_oracle(conn, tmp_path, interleave):
    lines = _orders(seed=1, n_orders=60, first_order=500)
    if interleave:
        random.Random(2).shuffle(lines)
    report = ingest_file(conn, _write(tmp_path / "orders.csv", lines))
    expected = _numbered(lines)
    assert _stored_lines(conn) == expected
    assert report.rows_stored["order_lines"] == len(expected)
    assert _sales(conn) == _demand_from_stored_lines(conn)
    assert report.rows_stored["sales"] == len(_sales(conn))
    codes = defaultdict(int)
    for line in lines:
        if not _is_product(line[1]):
            codes[line[1]] += 1
    assert report.excluded_codes == dict(sorted(codes.items(), key=lambda kv: (-kv[1], kv[0])))


def test_a_second_file_on_the_same_days_adds_to_their_sales(conn, tmp_path):
    first = _orders(seed=3, n_orders=40, first_order=700)
    second = _orders(seed=4, n_orders=30, first_order=900)
    resent = [line for line in first if line[0] == first[0][0]]  # one order sent again
    ingest_file(conn, _write(tmp_path / "first.csv", first))
    ingest_file(conn, _write(tmp_path / "second.csv", second + resent))
    assert _stored_lines(conn) == _numbered(first) | _numbered(second)
    assert _sales(conn) == _demand_from_stored_lines(conn)
    days_of_first = {(line[1], line[4][:10]) for line in first if _is_product(line[1])}
    days_of_second = {(line[1], line[4][:10]) for line in second if _is_product(line[1])}
    assert days_of_first & days_of_second, "the test needs shared days to mean anything"


NUMBERS_AND_DATES = (
    "date,sku,qty,price\n"
    "2024-03-01,A,3,2.5\n"
    "2024-03-02, A ,1e1,+4\n"
    "2024-03-03,A,0.125,\n"
    "2024-03-01 00:00:00,B,7,1.10\n"
    '"2024-03-02",B,"2",.5\n'
    "2024-03-03,B,12.0,3\n"
)


def _stored_sales(conn) -> list[tuple]:
    return conn.execute("SELECT sku, date, qty, price, promo FROM sales ORDER BY ALL").fetchall()


def test_the_fast_read_stores_what_the_careful_read_stores(tmp_path, monkeypatch):
    path = tmp_path / "sales.csv"
    path.write_text(NUMBERS_AND_DATES)
    fast = store.connect(tmp_path / "fast.duckdb")
    fast_reads = []
    real = sql.create_typed_if_clean
    monkeypatch.setattr(sql, "create_typed_if_clean",
                        lambda *args: fast_reads.append(real(*args)) or fast_reads[-1])
    ingest_file(fast, path)
    assert fast_reads == [True], "blanks, exponents, signs and quotes all parse in the reader"
    careful = store.connect(tmp_path / "careful.duckdb")
    monkeypatch.setattr(sql, "create_typed_if_clean", lambda *_args: False)
    ingest_file(careful, path)
    assert _stored_sales(fast) == _stored_sales(careful)
    assert len(_stored_sales(fast)) == 6
    fast.close()
    careful.close()


def test_a_failed_check_after_the_fast_read_still_quotes_the_text(conn, tmp_path, monkeypatch):
    path = tmp_path / "sales.csv"
    path.write_text("date,sku,qty\n2024-03-01,A,3\n2024-03-02,A, -2.50\n")
    fast_reads = []
    real = sql.create_typed_if_clean
    monkeypatch.setattr(sql, "create_typed_if_clean",
                        lambda *args: fast_reads.append(real(*args)) or fast_reads[-1])
    with pytest.raises(InvalidDataError, match=r"negative values \(first: line 3 ' -2.50'\)"):
        ingest_file(conn, path)
    assert fast_reads == [True], "the file was clean to read; the rule failed afterwards"
    assert conn.execute("SELECT count(*) FROM sales").fetchone() == (0,)
