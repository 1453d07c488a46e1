"""Purchase orders from draft to receipt on the decided demo shop (fixture ``cycle``)."""

from __future__ import annotations

import io
import re

import duckdb
import pandas as pd
import pytest

from invdash import auth, reorder, store
from invdash.forecast.stored import latest_forecast
from invdash.policy import PolicyParams
from invdash.reorder import master_data
from invdash.reorder import purchasing as po
from invdash.schema import InvalidDataError
from invdash.store.schema import MIGRATIONS, SCHEMA_VERSION

MANAGER = auth.User(name="mia", role="manager")
PLANNER = auth.User(name="pat", role="planner")


def policy_run(conn) -> reorder.PolicyRun:
    """The policy run for the current inputs on the stored forecast (default parameters)."""
    from invdash.forecast.stored import load_latest_run

    forecast = load_latest_run(conn)
    return reorder.ensure_policy_run(
        conn, forecast.forecasts, forecast_run_id=forecast.run_id, params=PolicyParams()
    )


def _draft(conn) -> list[str]:
    return po.draft_purchase_orders(conn, PLANNER, currency="EUR")


def test_approved_lines_are_the_approved_and_edited_lines_of_the_decided_run(cycle):
    conn = store.connect(cycle.path)
    try:
        lines = po.approved_lines(conn)
    finally:
        conn.close()
    assert sorted(lines["sku"]) == sorted([*cycle.approved, cycle.edited])
    assert cycle.rejected not in set(lines["sku"])
    # An edit to 10.2 units orders 11 whole units (up, never cut to 10).
    assert lines.set_index("sku").at[cycle.edited, "qty"] == 11
    assert set(lines["run_id"]) == {cycle.run_id}


def test_draft_makes_one_po_per_supplier_with_number_dates_currency_and_values(cycle):
    conn = store.connect(cycle.path)
    try:
        open_before = store.open_purchase_orders(conn)
        po_ids = _draft(conn)
        listing = po.list_purchase_orders(conn, currency="EUR").set_index("po_id").loc[po_ids]
        documents = po.combined_export(conn, po_ids, currency="EUR")
        products = store.load_products(conn).set_index("sku")
        assert store.open_purchase_orders(conn).equals(open_before), "a draft is not on order"
        assert po.approved_lines(conn).empty, "drafted lines are not drafted twice"
        with pytest.raises(InvalidDataError, match="no approved reorder lines"):
            _draft(conn)
    finally:
        conn.close()
    suppliers = cycle.lines.set_index("sku").loc[[*cycle.approved, cycle.edited], "supplier"]
    assert sorted(listing["supplier"]) == sorted(suppliers.unique())
    assert all(re.fullmatch(r"PO-20251031-\d{3}", p) for p in po_ids)
    assert set(listing["status"]) == {"draft"} and set(listing["currency"]) == {"EUR"}
    assert listing["lines"].sum() == 5
    assert documents.set_index("sku").at[cycle.edited, "qty"] == 11, "10.2 units -> 11 whole"
    lead = products.loc[documents["sku"], "lead_time_days"].to_numpy()
    eta = pd.to_datetime(documents["order_date"]) + pd.to_timedelta(lead, unit="D")
    expected = eta.groupby(documents["po_id"].to_numpy()).max().dt.date
    assert listing["expected_date"].to_dict() == expected.to_dict()
    assert (documents["line_value"] == (documents["qty"] * documents["unit_cost"]).round(2)).all()
    totals = documents.groupby("po_id")["line_value"].sum().round(2)
    assert listing["value"].to_dict() == pytest.approx(totals.to_dict())
    assert (documents.groupby("po_id")["po_total_value"].first() == totals).all()


def test_send_puts_the_lines_on_order_at_once_and_the_next_policy_run_sees_them(cycle):
    conn = store.connect(cycle.path)
    try:
        po_id = _draft(conn)[0]
        document = po.po_document(conn, po_id, currency="EUR")
        sku, qty = document.at[0, "sku"], float(document.at[0, "qty"])
        before = policy_run(conn).table.set_index("sku").at[sku, "on_order"]
        version = reorder.inputs_version(conn)
        po.send_purchase_order(conn, po_id, MANAGER)
        version_after = reorder.inputs_version(conn)
        open_lines = store.open_purchase_orders(conn)
        after = policy_run(conn).table.set_index("sku").at[sku, "on_order"]
        status = po.list_purchase_orders(conn, currency="EUR").set_index("po_id").loc[po_id]
        with pytest.raises(InvalidDataError, match="only a draft can be sent"):
            po.send_purchase_order(conn, po_id, MANAGER)
    finally:
        conn.close()
    assert set(document["sku"]) <= set(open_lines.loc[open_lines["po_id"] == po_id, "sku"])
    assert version_after != version, "the next policy run recomputes"
    assert after == pytest.approx(before + qty)
    assert status["status"] == "sent" and status["sent_by"] == "mia"


@pytest.mark.parametrize("action", ["send", "receive"])
def test_only_managers_send_and_receive(cycle, action):
    conn = store.connect(cycle.path)
    try:
        po_id = _draft(conn)[0]
        if action == "receive":
            po.send_purchase_order(conn, po_id, MANAGER)
        before = po.list_purchase_orders(conn, currency="EUR")
        call = po.send_purchase_order if action == "send" else po.receive_purchase_order
        with pytest.raises(auth.PermissionDeniedError, match="needs the manager role"):
            call(conn, po_id, PLANNER)
        assert po.list_purchase_orders(conn, currency="EUR").equals(before)
    finally:
        conn.close()


def test_partial_then_full_receipt_raises_on_hand_and_closes_the_po(cycle):
    conn = store.connect(cycle.path)
    try:
        po_id = _draft(conn)[0]
        po.send_purchase_order(conn, po_id, MANAGER)
        document = po.po_document(conn, po_id, currency="EUR")
        sku, qty = document.at[0, "sku"], int(document.at[0, "qty"])
        on_hand = store.latest_on_hand(conn).set_index("sku")["on_hand"]
        start = float(on_hand.get(sku, 0.0))
        part = po.receive_purchase_order(conn, po_id, MANAGER, sku=sku, qty=1)
        mid = po.list_purchase_orders(conn, currency="EUR").set_index("po_id").loc[po_id]
        still_open = store.open_purchase_orders(conn).set_index(["po_id", "sku"])
        with pytest.raises(InvalidDataError, match="more than the"):
            po.receive_purchase_order(conn, po_id, MANAGER, sku=sku, qty=qty)
        rest = po.receive_purchase_order(conn, po_id, MANAGER)
        end = po.list_purchase_orders(conn, currency="EUR").set_index("po_id").loc[po_id]
        final = store.latest_on_hand(conn).set_index("sku").at[sku, "on_hand"]
        forecast_still_current = latest_forecast(conn) is not None
        with pytest.raises(InvalidDataError, match="only a sent PO can be received"):
            po.receive_purchase_order(conn, po_id, MANAGER)
        events = conn.execute(
            "SELECT event, count(*) FROM po_events WHERE po_id = ? GROUP BY event", [po_id]
        ).fetchall()
    finally:
        conn.close()
    assert part.at[0, "on_hand"] == start + 1
    assert mid["status"] == "partly_received" and mid["received_units"] == 1
    assert still_open.at[(po_id, sku), "qty"] == qty - 1, "only the rest stays on order"
    assert rest.set_index("sku").at[sku, "received"] == qty - 1
    assert final == start + qty
    assert end["status"] == "received" and end["received_units"] == end["units"]
    assert dict(events) == {"draft": 1, "send": 1, "receive": 1 + len(document)}
    assert forecast_still_current, "a receipt does not make the stored forecast stale"


def test_a_bad_receipt_changes_nothing(cycle):
    conn = store.connect(cycle.path)
    try:
        po_id = _draft(conn)[0]
        with pytest.raises(InvalidDataError, match="only a sent PO"):
            po.receive_purchase_order(conn, po_id, MANAGER)
        po.send_purchase_order(conn, po_id, MANAGER)
        before = store.load_inventory(conn)
        for kwargs, message in (
            ({"sku": "NOPE"}, "no open line for SKU 'NOPE'"),
            ({"qty": 2.0}, "needs the SKU"),
        ):
            with pytest.raises(InvalidDataError, match=message):
                po.receive_purchase_order(conn, po_id, MANAGER, **kwargs)
        sku = po.po_document(conn, po_id, currency="EUR").at[0, "sku"]
        with pytest.raises(InvalidDataError, match="whole number of units > 0"):
            po.receive_purchase_order(conn, po_id, MANAGER, sku=sku, qty=1.5)
        with pytest.raises(InvalidDataError, match="no purchase order 'PO-0'"):
            po.receive_purchase_order(conn, "PO-0", MANAGER)
        assert store.load_inventory(conn).equals(before)
    finally:
        conn.close()


def test_documents_are_spreadsheet_safe_whole_units_and_cents(cycle):
    conn = store.connect(cycle.path)
    try:
        sku = cycle.approved[0]
        master_data.edit_master_data(
            conn, sku, {"supplier": '=HYPERLINK("x")', "unit_cost": "1.23456"}, MANAGER
        )
        po_ids = _draft(conn)
        data = po.document_csv(po.combined_export(conn, po_ids, currency="EUR"))
    finally:
        conn.close()
    text = data.decode("utf-8-sig")
    back = pd.read_csv(io.StringIO(text))
    row = back[back["sku"] == sku].iloc[0]
    assert row["supplier"] == '\'=HYPERLINK("x")'
    assert row["unit_cost"] == 1.23 and row["line_value"] == round(row["qty"] * 1.23, 2)
    assert back["qty"].dtype.kind == "i"
    for number in re.findall(r"\d+\.\d+", text):
        assert len(number.split(".")[1]) <= 2, f"{number} is not to cents"


def test_ingested_purchase_orders_still_load_count_and_list(cycle, tmp_path):
    from invdash.ingest import ingest_file

    sku = cycle.approved[0]
    file = tmp_path / "pos.csv"
    file.write_text(f"po_id,sku,qty,eta\nEXT-1,{sku},40,2025-11-20\n", encoding="utf-8")
    conn = store.connect(cycle.path)
    try:
        ingest_file(conn, file, kind="purchase_orders")
        open_lines = store.open_purchase_orders(conn).set_index("po_id")
        row = po.list_purchase_orders(conn, currency="EUR").set_index("po_id").loc["EXT-1"]
        document = po.po_document(conn, "EXT-1", currency="EUR")
    finally:
        conn.close()
    assert open_lines.at["EXT-1", "qty"] == 40
    assert row["status"] == "sent" and row["currency"] == "EUR" and row["units"] == 40
    assert row["supplier"] == cycle.lines.set_index("sku").at[sku, "supplier"]
    assert document.at[0, "line_value"] == round(40 * document.at[0, "unit_cost"], 2)


def test_a_version_4_file_migrates_keeping_its_purchase_orders(tmp_path):
    path = tmp_path / "old.duckdb"
    raw = duckdb.connect(str(path))
    raw.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMP)")
    for version, statements in MIGRATIONS:
        if version <= 4:
            for statement in statements:
                raw.execute(statement)
            raw.execute("INSERT INTO schema_version (version) VALUES (?)", [version])
    raw.execute("INSERT INTO purchase_orders VALUES ('OLD-1', 'A', 12, DATE '2025-01-05', 'open')")
    raw.close()
    conn = store.connect(path)
    try:
        assert store.schema_version(conn) == SCHEMA_VERSION
        lines = store.open_purchase_orders(conn)
        columns = store.table_columns(conn, "purchase_orders")
    finally:
        conn.close()
    assert lines[["po_id", "sku", "qty"]].values.tolist() == [["OLD-1", "A", 12.0]]
    assert {"unit_cost", "received_qty", "line_no", "source_run_id"} <= set(columns)
