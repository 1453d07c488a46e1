"""Every real writer keeps the stored data fingerprint equal to the former full scan.

Each step runs one writer (the demo build, an ingest of each kind through both write paths, a
stock count, a receipt's stock row, a product edit) and checks that the fingerprint the pages
read is settled in ``data_versions`` and equals the full scan of the tables
(``versions_check``), so it changes exactly when the full scan changes. A file without the
table and a write outside a transaction still get the full scan's answer.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from versions_check import check_settled, full_scan, stored

from invdash import store
from invdash.demo import build_demo
from invdash.ingest import IngestLimits, ingest_file
from invdash.store import master_data as md_store
from invdash.store import purchase_orders as po_store
from invdash.store import versions
from invdash.store.schema import MIGRATIONS

#: The migration that adds ``data_versions`` (its number changes when branches merge).
_VERSIONS_MIGRATION = next(
    v for v, statements in MIGRATIONS if any("data_versions (" in s for s in statements)
)
STAGED = IngestLimits(swap_rows=1, block_rows=40)
DIRECT = IngestLimits(swap_rows=10**9)


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _last_day(conn) -> pd.Timestamp:
    return pd.Timestamp(conn.execute("SELECT max(date) FROM sales").fetchone()[0])


@pytest.fixture
def conn(demo_db_copy: Path):
    connection = store.connect(demo_db_copy)
    yield connection
    connection.close()


def test_a_migrated_file_holds_the_full_scan(conn) -> None:
    check_settled(conn)


def test_the_demo_build_settles_the_new_shop(tmp_path: Path) -> None:
    connection = store.connect(tmp_path / "d.duckdb")
    try:
        empty = check_settled(connection)
        build_demo(connection, n_skus=12, n_days=90, seed=3)
        built = check_settled(connection)
        build_demo(connection, n_skus=12, n_days=90, seed=4)
        again = check_settled(connection)
    finally:
        connection.close()
    assert empty != built != again


@pytest.mark.parametrize("limits", [DIRECT, STAGED], ids=["direct", "staged"])
def test_each_ingest_kind_moves_the_fingerprint_as_the_full_scan(conn, tmp_path, limits) -> None:
    sku = conn.execute("SELECT min(sku) FROM sales").fetchone()[0]
    day = _last_day(conn)
    past = (day - pd.Timedelta(days=30)).date()
    files = {
        "sales": f"date,sku,qty,price\n{day.date()},{sku},999,1.5\n",
        "inventory": f"sku,as_of,on_hand\n{sku},{past},0\n",
        "products": "sku,name,unit_cost\nNEW-1,Mug,2\n",
        "purchase_orders": f"PO Number,SKU,Quantity,ETA\nPO-V1,{sku},40,{day.date()}\n",
        "order_lines": "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,"
                       f"CustomerID\n900001,{sku},thing,3,{day.date()} 10:00:00,2.5,424242\n",
    }
    seen = [check_settled(conn)]
    for kind, text in files.items():
        ingest_file(conn, _write(tmp_path / f"{kind}.csv", text), kind=kind, limits=limits)
        seen.append(check_settled(conn))
    demand = [s[0] for s in seen]
    recs = [s[1] for s in seen]
    # every file is logged, so each ingest moves the demand version; the lines move the recs one
    assert len(set(demand)) == len(demand)
    assert recs[-1].split("#")[0] != recs[-2].split("#")[0]
    # the same bytes again change nothing
    ingest_file(conn, tmp_path / "sales.csv", kind="sales", limits=limits)
    assert check_settled(conn) == seen[-1]


def test_stock_today_keeps_the_demand_version_and_a_past_stockout_moves_it(conn) -> None:
    sku = conn.execute("SELECT min(sku) FROM sales").fetchone()[0]
    day = _last_day(conn)
    before = check_settled(conn)
    with store.transaction(conn):
        md_store.set_on_hand(conn, sku, 0.0, on=day)
    with store.transaction(conn):
        po_store.add_on_hand(conn, sku, 5.0, on=day)
    with store.transaction(conn):
        md_store.update_product(conn, sku, "moq", 12.0)
    after = check_settled(conn)
    assert after[:2] == before[:2]  # demand and recommendations
    assert after[2] != before[2]  # the Overview's stock moved
    with store.transaction(conn):
        md_store.set_on_hand(conn, sku, 0.0, on=day - pd.Timedelta(days=40))
    moved = check_settled(conn)
    assert moved[0] != before[0]
    with store.transaction(conn):
        md_store.update_product(conn, sku, "unit_cost", 99.5)
    assert check_settled(conn)[2] != moved[2]


def test_a_rolled_back_write_leaves_the_fingerprint(conn) -> None:
    before = check_settled(conn)
    with pytest.raises(RuntimeError), store.transaction(conn):
        conn.execute("DELETE FROM sales")
        versions.touch(conn, "sales")
        raise RuntimeError("boom")
    assert check_settled(conn) == before


def test_a_write_outside_a_transaction_is_read_live_until_settled(conn) -> None:
    before = stored(conn)
    conn.execute("DELETE FROM sales WHERE date = (SELECT max(date) FROM sales)")
    versions.touch(conn, "sales")
    assert stored(conn) == full_scan(conn) != before
    with store.transaction(conn):
        pass
    check_settled(conn)


def test_a_file_without_the_table_gets_the_full_scan(conn) -> None:
    conn.execute("DROP TABLE data_versions")
    assert not versions.has_versions(conn)
    assert stored(conn) == full_scan(conn)
    with store.transaction(conn):
        md_store.update_product(conn, conn.execute("SELECT min(sku) FROM products").fetchone()[0],
                                "moq", 3.0)
    assert stored(conn) == full_scan(conn)


def test_an_older_file_is_migrated_to_the_stored_full_scan(demo_db: Path, tmp_path) -> None:
    path = tmp_path / "old.duckdb"
    shutil.copy(demo_db, path)
    raw = store.connect(path)
    try:
        raw.execute("DROP TABLE data_versions")
        raw.execute("DELETE FROM schema_version WHERE version >= ?", [_VERSIONS_MIGRATION])
    finally:
        raw.close()
    reader = store.connect_read_only(path)  # migrates once, then reads
    try:
        assert versions.has_versions(reader)
        check_settled(reader)
    finally:
        reader.close()
