"""Ingest of good files: aliases, dialects, encodings, kinds, idempotence and the real slice."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from invdash import store
from invdash.ingest import NON_PRODUCT_CODES, ingest_file, inspect_file, pipeline
from invdash.ingest.detect import file_sha256

SLICE = Path(__file__).parents[2] / "data" / "online_retail_slice.csv.gz"


@pytest.fixture
def conn(tmp_path):
    connection = store.connect(tmp_path / "t.duckdb")
    yield connection
    connection.close()


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def _sales(conn) -> list[tuple]:
    return conn.execute("SELECT sku, CAST(date AS VARCHAR), qty, price, promo FROM sales "
                        "ORDER BY sku, date").fetchall()


def test_sales_aliases_semicolons_and_crlf_map_onto_the_sales_table(conn, tmp_path):
    path = _write(tmp_path / "s.csv",
                  "DS;Unique ID;Y;Unit Price;On Promo\r\n2024-01-01;A;3;2.5;yes\r\n"
                  "2024-01-02;A;0;2.5;0\r\n2024-01-01;B;1.5;;\r\n")
    report = ingest_file(conn, path)
    assert report.kind == "sales"
    assert report.column_mapping == {"date": "DS", "sku": "Unique ID", "qty": "Y",
                                     "price": "Unit Price", "promo": "On Promo"}
    assert report.rows_stored == {"sales": 3}
    assert _sales(conn) == [("A", "2024-01-01", 3.0, 2.5, 1.0), ("A", "2024-01-02", 0.0, 2.5, 0.0),
                            ("B", "2024-01-01", 1.5, None, 0.0)]


@pytest.mark.parametrize("encoding", ["latin-1", "utf-8-sig", "utf-16"])
def test_encodings_are_detected(conn, tmp_path, encoding):
    path = _write(tmp_path / "p.csv", "sku,name,unit_cost\nX1,Caf\u00e9 cr\u00e8me,1.5\n", encoding)
    ingest_file(conn, path)
    assert conn.execute("SELECT sku, name, unit_cost FROM products").fetchall() == [
        ("X1", "Caf\u00e9 cr\u00e8me", 1.5)]


def test_gzip_tab_separated_and_parquet_give_the_same_rows(conn, tmp_path):
    frame = pd.DataFrame({"date": ["2024-03-01", "2024-03-02"], "sku": ["A", "A"], "qty": [1, 2]})
    gz = tmp_path / "s.tsv.gz"
    gz.write_bytes(gzip.compress(frame.to_csv(sep="\t", index=False).encode()))
    ingest_file(conn, gz)
    first = _sales(conn)
    conn.execute("DELETE FROM sales")
    frame.assign(date=pd.to_datetime(frame["date"])).to_parquet(tmp_path / "s.parquet")
    report = ingest_file(conn, tmp_path / "s.parquet")
    assert report.rows_read == 2
    assert _sales(conn) == first


def test_month_first_dates_of_the_original_uci_export_are_read(conn, tmp_path):
    path = _write(tmp_path / "o.csv",
                  "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID\n"
                  "536365,85123A,HEART,6,12/1/2010 8:26,2.55,17850.0\n"
                  "536366,85123A,HEART,2,12/13/2010 16:05,2.55,\n")
    ingest_file(conn, path)
    rows = conn.execute("SELECT order_id, customer_id, CAST(ts AS VARCHAR) FROM order_lines "
                        "ORDER BY ts").fetchall()
    assert rows == [("536365", "17850", "2010-12-01 08:26:00"), ("536366", None,
                                                                   "2010-12-13 16:05:00")]


def test_products_inventory_and_purchase_orders_are_detected(conn, tmp_path):
    products = _write(tmp_path / "p.csv", "SKU,Title,Cost,Lead Time,MOQ\nA,Mug,2,7,10\n")
    stock = _write(tmp_path / "i.csv", "sku,date,on_hand\nA,2024-01-01,5\nA,2024-01-02,-1\n")
    orders = _write(tmp_path / "po.csv", "PO Number,SKU,Quantity,ETA\nPO1,A,40,2024-02-01\n")
    assert [ingest_file(conn, p).kind for p in (products, stock, orders)] == [
        "products", "inventory", "purchase_orders"]
    assert conn.execute("SELECT name, unit_cost, lead_time_days, moq FROM products").fetchall() == [
        ("Mug", 2.0, 7.0, 10.0)]
    assert conn.execute("SELECT count(*) FROM inventory").fetchone()[0] == 2
    assert conn.execute("SELECT po_id, qty, CAST(eta AS VARCHAR), status FROM purchase_orders"
                        ).fetchall() == [("PO1", 40.0, "2024-02-01", "open")]


def test_a_partial_products_file_keeps_the_other_fields(conn, tmp_path):
    ingest_file(conn, _write(tmp_path / "a.csv", "sku,name,unit_cost\nA,Mug,2\n"))
    ingest_file(conn, _write(tmp_path / "b.csv", "sku,supplier\nA,Acme\n"))
    assert conn.execute("SELECT name, unit_cost, supplier FROM products").fetchall() == [
        ("Mug", 2.0, "Acme")]


def test_negative_on_hand_is_a_warning_not_an_error(conn, tmp_path):
    report = ingest_file(conn, _write(tmp_path / "i.csv", "sku,as_of,stock\nA,2024-01-01,-3\n"))
    assert any("negative on_hand" in w for w in report.warnings)


def test_inspect_file_shows_the_guessed_mapping_without_storing(conn):
    preview = inspect_file(conn, SLICE)
    assert preview.kind == "order_lines"
    assert preview.mapping["order_id"] == "InvoiceNo" and preview.mapping["ts"] == "InvoiceDate"
    assert preview.ignored == ("Country",)
    assert conn.execute("SELECT count(*) FROM order_lines").fetchone()[0] == 0


def _expected_from_pandas() -> tuple[pd.DataFrame, pd.Series]:
    """Independent computation of the demand rule straight from the raw file."""
    lines = pd.read_csv(SLICE, dtype=str)
    qty = lines["Quantity"].astype(float)
    price = lines["UnitPrice"].astype(float)
    code = lines["StockCode"].str.upper()
    product = ~code.isin(NON_PRODUCT_CODES) & ~code.str.startswith("GIFT_")
    cancelled = lines["InvoiceNo"].str.match(r"^[Cc][0-9]")
    demand = lines[product & ~cancelled & (qty > 0) & (price > 0)].assign(
        qty=qty, day=lines["InvoiceDate"].str[:10])
    return demand, product & cancelled


def test_real_slice_totals_match_an_independent_pandas_computation(conn):
    report = ingest_file(conn, SLICE)
    demand, cancelled = _expected_from_pandas()
    expected = demand.groupby(["StockCode", "day"])["qty"].sum()
    stored = conn.execute("SELECT sku, CAST(date AS VARCHAR), qty FROM sales").df()
    stored = stored.set_index(["sku", "CAST(date AS VARCHAR)"])["qty"].sort_index()
    assert len(stored) == len(expected)
    assert stored.to_numpy() == pytest.approx(expected.sort_index().to_numpy())
    per_sku = conn.execute("SELECT sku, sum(qty) FROM sales GROUP BY sku").df().set_index("sku")
    assert per_sku.iloc[:, 0].sort_index().to_numpy() == pytest.approx(
        demand.groupby("StockCode")["qty"].sum().sort_index().to_numpy())
    assert report.cancellations == int(cancelled.sum()) == 106
    assert set(report.excluded_codes) == {"D", "AMAZONFEE", "BANK CHARGES", "C2"}


def test_order_lines_keep_cancellations_and_returns_with_their_sign(conn):
    report = ingest_file(conn, SLICE)
    lines = conn.execute("SELECT order_id, qty FROM order_lines").df()
    assert len(lines) == report.rows_stored["order_lines"] == report.rows_read - sum(
        report.excluded_codes.values())
    cancelled = lines[lines["order_id"].str.startswith("C")]
    assert len(cancelled) == report.cancellations and (cancelled["qty"] < 0).all()
    assert ((lines["qty"] < 0) & ~lines["order_id"].str.startswith("C")).sum() == report.returns
    assert not conn.execute("SELECT count(*) FROM order_lines WHERE sku IN ('D', 'C2')"
                            ).fetchone()[0]


def test_product_names_are_the_most_frequent_description_and_never_overwrite(conn):
    conn.execute("INSERT INTO products (sku, name, unit_cost) VALUES ('22767', 'My frame', 4)")
    ingest_file(conn, SLICE)
    names = dict(conn.execute("SELECT sku, name FROM products").fetchall())
    assert names["22767"] == "My frame"
    lines = pd.read_csv(SLICE, dtype=str)
    sku = lines["StockCode"].iloc[5]
    assert names[sku] == lines[lines["StockCode"] == sku]["Description"].value_counts().index[0]


def test_reingest_changes_nothing_even_without_the_log(conn):
    first = ingest_file(conn, SLICE)
    snapshot = {t: conn.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
                for t in ("sales", "order_lines", "products")}
    assert ingest_file(conn, SLICE).already_ingested
    conn.execute("DELETE FROM ingest_log")
    again = ingest_file(conn, SLICE)
    assert again.rows_stored == {**first.rows_stored, "products": 0}
    for table, rows in snapshot.items():
        assert conn.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall() == rows


def test_a_large_file_hashed_while_it_is_read_is_logged_and_recognised(conn, monkeypatch):
    monkeypatch.setattr(pipeline, "HASH_WHILE_READING", 1)  # every file counts as large
    messages: list[str] = []
    first = ingest_file(conn, SLICE, progress=messages.append)
    assert not any(m.startswith("hashing") for m in messages)
    assert any(m.endswith("hashing it alongside") for m in messages)
    assert first.sha256 == file_sha256(SLICE) and first.rows_stored["order_lines"] > 0
    logged = conn.execute("SELECT file_sha256 FROM ingest_log").fetchall()
    assert logged == [(first.sha256,)]
    lines = conn.execute("SELECT count(*) FROM order_lines").fetchone()
    again = ingest_file(conn, SLICE)
    assert again.already_ingested and again.sha256 == first.sha256
    assert conn.execute("SELECT count(*) FROM order_lines").fetchone() == lines
    assert conn.execute("SELECT count(*) FROM ingest_log").fetchone() == (1,)


def test_latin1_text_past_the_sniffed_sample_is_still_read(conn, tmp_path):
    rows = "sku,name\n" + "".join(f"S{i},plain name {i}\n" for i in range(5000)) + "Z1,caf\xe9\n"
    ingest_file(conn, _write(tmp_path / "late.csv", rows, "latin-1"))
    assert conn.execute("SELECT name FROM products WHERE sku = 'Z1'").fetchone()[0] == "caf\u00e9"
