"""The DuckDB store: schema versions, atomic writes, gap filling, stockout censoring."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from invdash import store
from invdash.schema import InvalidDataError, StoreBusyError
from invdash.store.schema import SCHEMA_VERSION


def test_a_new_file_gets_every_table_and_the_current_schema_version(tmp_path):
    conn = store.connect(tmp_path / "new.duckdb")
    assert store.schema_version(conn) == SCHEMA_VERSION
    assert {"products", "sales", "inventory", "purchase_orders", "order_lines"} <= {
        r[0] for r in conn.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }


def test_an_older_file_is_migrated_when_opened(tmp_path):
    path = tmp_path / "old.duckdb"
    conn = duckdb.connect(str(path))
    conn.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMP)")
    conn.execute("INSERT INTO schema_version VALUES (1, now())")
    conn.execute(
        "CREATE TABLE sales (sku VARCHAR, date DATE, qty DOUBLE, price DOUBLE, "
        "promo DOUBLE, PRIMARY KEY (sku, date))"
    )
    conn.execute("INSERT INTO sales VALUES ('A', DATE '2024-01-01', 3, 1.0, 0)")
    conn.close()
    conn = store.connect_read_only(path)
    assert store.schema_version(conn) == SCHEMA_VERSION
    assert conn.execute("SELECT qty FROM sales").fetchone()[0] == 3


def test_a_newer_file_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "future.duckdb"
    conn = store.connect(path)
    conn.execute("INSERT INTO schema_version (version) VALUES (?)", [SCHEMA_VERSION + 5])
    with pytest.raises(InvalidDataError, match="newer than this invdash"):
        store.migrate(conn)


def test_a_failed_transaction_leaves_the_tables_as_they_were(tmp_path):
    conn = store.connect(tmp_path / "t.duckdb")
    good = pd.DataFrame({"sku": ["A"], "date": [pd.Timestamp("2024-01-01")], "qty": [1.0]})
    with store.transaction(conn):
        store.upsert_frame(conn, "sales", good)
    bad = pd.DataFrame(
        {"sku": ["B", "C"], "date": [pd.Timestamp("2024-01-01")] * 2, "qty": [2.0, -1.0]}
    )
    with pytest.raises(duckdb.ConstraintException), store.transaction(conn):
        store.upsert_frame(conn, "sales", bad)
    assert conn.execute("SELECT sku FROM sales").fetchall() == [("A",)]


def test_a_second_writer_process_gets_busy_retry(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "lock.duckdb"
    holder = store.connect(path)
    code = (
        "import sys\nfrom invdash import store\nfrom invdash.schema import StoreBusyError\n"
        f"try:\n    store.connect({str(path)!r}, wait_s=0.3)\nexcept StoreBusyError as e:\n"
        "    print(e); sys.exit(3)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    holder.close()
    assert result.returncode == 3, result.stderr
    assert "busy" in result.stdout and "retry" in result.stdout
    assert StoreBusyError.__mro__[1].__name__ == "InvdashError"


def test_unknown_tables_are_refused():
    with pytest.raises(ValueError, match="unknown table"):
        store.read_table(None, "sales; DROP TABLE sales")  # type: ignore[arg-type]


def test_missing_days_are_filled_with_zero_and_the_last_price(tiny_sales):
    filled = store.fill_missing_days(tiny_sales)
    assert len(filled) == 3 * 14
    gap = filled[(filled.sku == "A-1") & (filled.date == pd.Timestamp("2024-03-05"))].iloc[0]
    assert gap.qty == 0 and gap.price == 10.0 and gap.promo == 0
    assert filled.groupby("sku").size().eq(14).all()


def test_fill_missing_days_does_not_mutate_its_input(tiny_sales):
    before = tiny_sales.copy()
    store.fill_missing_days(tiny_sales)
    pd.testing.assert_frame_equal(tiny_sales, before)


def test_load_sales_marks_zero_stock_days_as_censored(tmp_path, tiny_sales):
    conn = store.connect(tmp_path / "s.duckdb")
    inventory = pd.DataFrame(
        {
            "sku": ["B-2", "C-3"],
            "as_of": [pd.Timestamp("2024-03-03"), pd.Timestamp("2024-03-10")],
            "on_hand": [0.0, 0.0],
        }
    )
    with store.transaction(conn):
        store.upsert_frame(conn, "sales", tiny_sales)
        store.upsert_frame(conn, "inventory", inventory)
    sales = store.load_sales(conn)
    flagged = sales[sales.stockout]
    # B-2 sold nothing on a zero-stock day: censored. C-3 sold 20 that day: not a stockout.
    assert flagged[["sku", "date"]].values.tolist() == [["B-2", pd.Timestamp("2024-03-03")]]
    assert len(store.load_sales(conn, skus=["A-1"])) == 14
