"""Large-file ingests: committed staging copies swapped in by one transaction, in bounded memory.

A file of at least ``IngestLimits.swap_rows`` rows is written through ``<table>__ingest_new``
copies in committed blocks; small limits here send small files down that path. It must store
exactly what the one-transaction path stores, and a failure late in it (a duplicate key found
by the staging copy's primary key, an error in the swap itself) must leave every stored table as
it was and no staging table behind. The ingest runs under DuckDB's memory limit from
``IngestLimits`` / ``INVDASH_INGEST_MEMORY``, and the connection's own limit comes back after.
"""

from __future__ import annotations

import random
from pathlib import Path

import duckdb
import pytest

from invdash import store
from invdash.ingest import IngestLimits, ingest_file
from invdash.schema import ConfigError, InvalidDataError
from invdash.store import ingest_swap

#: Every file below goes through staging copies, in blocks of 40 rows.
STAGED = IngestLimits(swap_rows=1, block_rows=40)
DIRECT = IngestLimits(swap_rows=10**9)
TABLES = ("sales", "order_lines", "products", "inventory", "purchase_orders", "ingest_log")
STABLE = {"ingest_log": "file_sha256, kind, rows_read, rows_stored"}


def _orders(path: Path, seed: int, first_order: int, n_orders: int = 60) -> Path:
    rng = random.Random(seed)
    rows = ["InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID"]
    for k in range(n_orders):
        order = f"{'C' if rng.random() < 0.1 else ''}{first_order + k}"
        day = f"2024-03-{1 + rng.randrange(6):02d} 10:{rng.randrange(60):02d}:00"
        for _ in range(1 + rng.randrange(5)):
            sku = rng.choice(["A1", "B2", "C3", "POST", "D4"])
            qty = rng.choice([1, 2, 5]) * (-1 if order.startswith("C") else 1)
            rows.append(f"{order},{sku},item {sku},{qty},{day},{rng.choice(['1.25', '2.5'])},"
                        f"{rng.choice(['17850', '13047.0', ''])}")
    path.write_text("\n".join(rows) + "\n")
    return path


def _sales(path: Path, skus: int, days: int, *, repeat_last: bool = False) -> Path:
    rows = ["date,sku,qty,price"]
    rows += [f"2024-01-{1 + d:02d},S{s},{s + d},{1 + s / 10}" for s in range(skus)
             for d in range(days)]
    if repeat_last:
        rows.append(rows[-1])
    path.write_text("\n".join(rows) + "\n")
    return path


def snapshot(conn: duckdb.DuckDBPyConnection) -> dict[str, tuple]:
    """Row count and an order-independent checksum of every core table."""
    return {
        table: conn.execute(
            f"SELECT count(*), coalesce(sum(hash({STABLE.get(table, 't')})), 0)::VARCHAR "
            f"FROM {table} AS t"
        ).fetchone()
        for table in TABLES
    }


def staging_tables(conn: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT table_name FROM duckdb_tables() WHERE table_name LIKE '%\\_\\_ingest\\_new' "
        "ESCAPE '\\' OR table_name LIKE '\\_ingest%' ESCAPE '\\'"
    ).fetchall()]


@pytest.fixture
def populated(tmp_path):
    """A store holding two order files and a sales file (so kept rows must be copied)."""
    conn = store.connect(tmp_path / "shop.duckdb")
    ingest_file(conn, _orders(tmp_path / "o1.csv", 1, 500_000), limits=DIRECT)
    ingest_file(conn, _sales(tmp_path / "s1.csv", 4, 9), limits=DIRECT)
    yield conn
    conn.close()


def _both(tmp_path: Path, files: list[Path]) -> tuple[dict, dict]:
    found = []
    for name, limits in (("direct", DIRECT), ("staged", STAGED)):
        conn = store.connect(tmp_path / f"{name}.duckdb")
        try:
            for path in files:
                ingest_file(conn, path, limits=limits)
            found.append(snapshot(conn) | {"tables": staging_tables(conn)})
        finally:
            conn.close()
    return found[0], found[1]


def test_the_staged_path_stores_exactly_what_one_transaction_stores(tmp_path):
    files = [_orders(tmp_path / "o1.csv", 1, 500_000), _sales(tmp_path / "s1.csv", 3, 20),
             # overlapping orders and days: the kept rows of the first files are copied over
             _orders(tmp_path / "o2.csv", 2, 500_030), _sales(tmp_path / "s2.csv", 5, 12)]
    direct, staged = _both(tmp_path, files)
    assert staged == direct
    assert staged["order_lines"][0] > 0 and staged["sales"][0] > 0
    assert staged["tables"] == []


@pytest.mark.parametrize("limits", [STAGED, DIRECT], ids=["staged", "direct"])
def test_a_duplicate_key_found_by_the_primary_key_changes_nothing(populated, tmp_path, limits):
    before = snapshot(populated)
    bad = _sales(tmp_path / "dup.csv", 6, 10, repeat_last=True)
    with pytest.raises(InvalidDataError, match=r"1 duplicated \(sku, date\) keys "
                       r"\(first: S5/2024-01-10 on lines 61, 62\).*Nothing was stored"):
        ingest_file(populated, bad, limits=limits)
    assert snapshot(populated) == before
    assert staging_tables(populated) == []


def test_an_error_in_the_swap_leaves_the_stored_tables_and_drops_the_copies(
    populated, tmp_path, monkeypatch
):
    before = snapshot(populated)
    real = ingest_swap.swap_staged

    def swap_then_fail(conn, tables):
        real(conn, tables)  # the core tables are already dropped and replaced in the transaction
        raise OSError("disk full while swapping")

    monkeypatch.setattr(ingest_swap, "swap_staged", swap_then_fail)
    new_orders = _orders(tmp_path / "o3.csv", 3, 500_020)
    with pytest.raises(OSError, match="disk full"):
        ingest_file(populated, new_orders, limits=STAGED)
    assert snapshot(populated) == before
    assert staging_tables(populated) == []
    monkeypatch.setattr(ingest_swap, "swap_staged", real)
    report = ingest_file(populated, new_orders, limits=STAGED)  # not logged by the failed run
    assert not report.already_ingested and report.rows_stored["order_lines"] > 0


def test_leftover_copies_of_a_killed_ingest_are_dropped_by_the_next(populated, tmp_path):
    ingest_swap.create_staged(populated, "sales")
    populated.execute("INSERT INTO sales__ingest_new VALUES ('GHOST', DATE '2020-01-01', 1, 1, 0)")
    ingest_file(populated, _sales(tmp_path / "s2.csv", 2, 3), limits=STAGED)
    assert staging_tables(populated) == []
    assert populated.execute("SELECT count(*) FROM sales WHERE sku = 'GHOST'").fetchone()[0] == 0


def _limit_text(size: str) -> str:
    """How DuckDB shows ``memory_limit`` after ``SET memory_limit = size``."""
    conn = duckdb.connect()
    conn.execute("SET memory_limit = ?", [size])
    return conn.execute("SELECT current_setting('memory_limit')").fetchone()[0]


def _limits_seen(conn: duckdb.DuckDBPyConnection, path: Path, **kwargs) -> set[str]:
    seen: set[str] = set()

    def say(_message: str) -> None:
        seen.add(conn.execute("SELECT current_setting('memory_limit')").fetchone()[0])

    ingest_file(conn, path, progress=say, **kwargs)
    return seen


def test_the_memory_limit_is_applied_during_the_ingest_and_restored_after(tmp_path):
    conn = store.connect(tmp_path / "m.duckdb")  # DuckDB's default limit
    own = conn.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    during = _limits_seen(conn, _sales(tmp_path / "a.csv", 2, 5),
                          limits=IngestLimits(memory_limit="300MB"))
    assert during == {own, _limit_text("300MB")}  # hashing runs before the limit is set
    assert conn.execute("SELECT current_setting('memory_limit')").fetchone()[0] == own
    assert conn.execute("SELECT current_setting('temp_directory')").fetchone()[0]
    conn.close()


def test_the_default_limit_comes_from_invdash_ingest_memory(tmp_path, monkeypatch):
    conn = store.connect(tmp_path / "m.duckdb")
    monkeypatch.setenv("INVDASH_INGEST_MEMORY", "450MB")
    assert _limit_text("450MB") in _limits_seen(conn, _sales(tmp_path / "a.csv", 2, 5))
    monkeypatch.setenv("INVDASH_INGEST_MEMORY", "lots")
    with pytest.raises(ConfigError, match="INVDASH_INGEST_MEMORY must be a size"):
        ingest_file(conn, _sales(tmp_path / "b.csv", 2, 6))
    conn.close()
