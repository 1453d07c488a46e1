"""``order_lines`` has no primary key (migration of branch h-pk): (order_id, line_no) stays unique
because ingest numbers each order's lines from the file and replaces whole orders.

Every way a key could repeat is tried on both write paths (one transaction, staged copies):
the same file twice, an order sent again with fewer or more lines, orders whose lines are
interleaved in the file, and an order split over two files.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from invdash import store
from invdash.ingest import IngestLimits, ingest_file

PATHS = {"direct": IngestLimits(swap_rows=10**9), "staged": IngestLimits(swap_rows=1, block_rows=7)}
HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID"


def _write(path: Path, lines: list[tuple[str, str, int]]) -> Path:
    """(order, sku, qty) lines, all on 2024-03-01 (SKUs are product codes: ``P`` + a letter)."""
    rows = [HEADER] + [f"{o},P{s},item {s},{q},2024-03-01 10:00:00,2.0,17850" for o, s, q in lines]
    path.write_text("\n".join(rows) + "\n")
    return path


def _keys(conn) -> tuple[int, int]:
    """(lines, distinct keys) of the stored order lines."""
    return conn.execute(
        "SELECT count(*), count(DISTINCT (order_id, line_no)) FROM order_lines"
    ).fetchone()


def _order(conn, order: str) -> list[tuple]:
    return conn.execute("SELECT line_no, sku, qty FROM order_lines WHERE order_id = ? "
                        "ORDER BY line_no", [order]).fetchall()


@pytest.fixture(params=sorted(PATHS))
def ingest(request, tmp_path):
    conn = store.connect(tmp_path / "keys.duckdb")
    yield conn, lambda path: ingest_file(conn, path, limits=PATHS[request.param])
    conn.close()


def test_the_table_has_no_primary_key(ingest):
    conn, _ = ingest
    kinds = conn.execute("SELECT constraint_type FROM duckdb_constraints() "
                         "WHERE table_name = 'order_lines'").fetchall()
    assert ("PRIMARY KEY",) not in kinds and ("NOT NULL",) in kinds


def test_an_order_sent_again_replaces_all_of_its_lines(ingest, tmp_path):
    conn, run = ingest
    run(_write(tmp_path / "a.csv", [("1", "A", 1), ("1", "B", 2), ("1", "C", 3), ("2", "A", 4)]))
    run(_write(tmp_path / "b.csv", [("1", "D", 5), ("3", "A", 6)]))  # order 1 shrank
    assert _order(conn, "1") == [(1, "PD", 5.0)]
    run(_write(tmp_path / "c.csv", [("1", "E", 1), ("1", "F", 1), ("1", "G", 1), ("1", "H", 1)]))
    assert [r[0] for r in _order(conn, "1")] == [1, 2, 3, 4]
    assert _order(conn, "2") == [(1, "PA", 4.0)] and _order(conn, "3") == [(1, "PA", 6.0)]
    assert _keys(conn) == (6, 6)


def test_interleaved_orders_and_the_same_file_twice_keep_keys_unique(ingest, tmp_path):
    conn, run = ingest
    rng = random.Random(5)
    lines = [(str(100 + rng.randrange(30)), rng.choice("ABCD"), 1) for _ in range(200)]
    first = run(_write(tmp_path / "mixed.csv", lines))
    assert _keys(conn) == (200, 200)
    # same lines, other bytes (a trailing blank line): not skipped as already ingested
    again = _write(tmp_path / "again.csv", lines)
    again.write_text(again.read_text() + "\n")
    second = run(again)
    assert not second.already_ingested
    assert first.rows_stored["order_lines"] == second.rows_stored["order_lines"] == 200
    assert _keys(conn) == (200, 200)


def test_an_order_split_over_two_files_is_the_later_files_order(ingest, tmp_path):
    conn, run = ingest
    run(_write(tmp_path / "part1.csv", [("7", "A", 1), ("7", "B", 1), ("8", "A", 1)]))
    run(_write(tmp_path / "part2.csv", [("7", "C", 1)]))
    assert _order(conn, "7") == [(1, "PC", 1.0)]
    assert _keys(conn) == (2, 2)
