"""Reorder suggestions: why-this-quantity, decisions stored and never overwritten by a new run,
and purchase-order CSVs that are safe to open in a spreadsheet."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from invdash import reorder, store
from invdash.policy import PolicyParams
from invdash.schema import InvalidDataError
from invdash.store import reorder as reorder_store


def policy_table() -> pd.DataFrame:
    """Two SKUs: A needs 72 (packs of 12, MOQ 20), B is covered."""
    return pd.DataFrame(
        {
            "sku": ["A", "B"],
            "protection_demand_mean": [139.1, 2.0],
            "safety_stock": [6.9, 1.0],
            "order_up_to": [146.0, 3.0],
            "reorder_point": [145.0, 2.0],
            "lead_time_days": [7.0, 7.0],
            "on_hand": [50.0, 10.0],
            "on_order": [24.0, 0.0],
            "inventory_position": [74.0, 10.0],
            "raw_qty": [72.0, -7.0],
            "moq": [20.0, 0.0],
            "pack_size": [12.0, 1.0],
            "suggested_qty": [72.0, 0.0],
            "unit_cost": [2.0, 1.0],
            "order_by_date": pd.to_datetime(["2024-01-01", "NaT"]),
            "stockout_date": pd.to_datetime(["2024-01-08", "NaT"]),
            "stockout_probability": [0.35, 0.0],
            "days_of_cover": [5.0, 50.0],
            "reason": ["below order-up-to", "covered"],
        }
    )


PRODUCTS = pd.DataFrame(
    {
        "sku": ["A", "B"],
        "name": ['=HYPERLINK("x")', 'Café "Ré"'],
        "supplier": ["Acme, Inc.", "Beta"],
    }
)


def test_only_skus_that_need_an_order_become_lines_with_a_why():
    lines = reorder.suggestion_lines(policy_table(), PRODUCTS)
    assert lines["sku"].tolist() == ["A"]
    assert lines.at[0, "why"] == (
        "Order up to 146 (demand over lead time + review 139.1 + safety stock 6.9). On hand 50 "
        "+ on order 24: 72 short. Rounded to whole packs of 12, at least the MOQ of 20: order 72."
    )
    assert lines.at[0, "why"] == reorder.why_this_quantity(lines.iloc[0])
    assert lines.at[0, "order_value"] == 144.0


def test_review_lines_take_the_latest_decision():
    lines = reorder.suggestion_lines(policy_table(), PRODUCTS)
    first = reorder.make_decisions(
        "r1", ["A"], action="approve", user="ann", qty=[72], now=pd.Timestamp("2024-01-01 09:00")
    )
    later = reorder.make_decisions(
        "r1", ["A"], action="edit", user="bo", qty=[48], now=pd.Timestamp("2024-01-01 10:00")
    )
    reviewed = reorder.review_lines(lines, pd.concat([first, later]))
    assert reviewed.at[0, "status"] == "edited" and reviewed.at[0, "final_qty"] == 48
    assert reviewed.at[0, "decided_by"] == "bo"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"action": "reject"}, "needs a reason"),
        ({"action": "edit"}, "needs the new quantity"),
        ({"action": "edit", "qty": [-1.0]}, "must be >= 0"),
        ({"action": "cancel"}, "action must be one of"),
    ],
)
def test_bad_decisions_are_refused_with_the_fix(kwargs, message):
    with pytest.raises(InvalidDataError, match=message):
        reorder.make_decisions("r1", ["A"], user="ann", **kwargs)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("=1+2", "'=1+2"),
        ("+x", "'+x"),
        ("-x", "'-x"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ('Café "Ré"', 'Café "Ré"'),
        ("a=b", "a=b"),
        (12.5, 12.5),
        (-3, -3),
    ],
)
def test_cells_that_start_a_formula_are_neutralised(cell, expected):
    assert reorder.neutralise_cell(cell) == expected


def test_purchase_order_csv_per_supplier_is_spreadsheet_safe_and_keeps_text_literal():
    lines = reorder.suggestion_lines(policy_table(), PRODUCTS)
    decisions = reorder.make_decisions("r1", ["A"], action="edit", user="-ann", qty=[60])
    orders = reorder.purchase_orders(
        reorder.review_lines(lines, decisions), as_of=pd.Timestamp("2024-01-01")
    )
    assert list(orders) == ["Acme, Inc."]
    data = reorder.to_spreadsheet_csv(orders["Acme, Inc."])
    text = data.decode("utf-8-sig")
    back = pd.read_csv(io.StringIO(text))
    assert back.at[0, "name"] == '\'=HYPERLINK("x")'
    assert back.at[0, "decided_by"] == "'-ann"
    assert back.at[0, "supplier"] == "Acme, Inc." and back.at[0, "qty"] == 60


def test_unicode_and_quotes_stay_literal_in_the_export():
    frame = pd.DataFrame({"name": ['Café "Ré"', "Œuvre, grand"], "qty": [1.0, -2.0]})
    back = pd.read_csv(io.StringIO(reorder.to_spreadsheet_csv(frame).decode("utf-8-sig")))
    assert back["name"].tolist() == ['Café "Ré"', "Œuvre, grand"]
    assert back["qty"].tolist() == [1.0, -2.0], "numbers are not text and stay numbers"


def _save_forecast(conn) -> object:
    from invdash.forecast.engine import run_forecast
    from invdash.forecast.options import ForecastOptions
    from invdash.forecast.stored import load_run, save_run

    sales, products = store.load_sales(conn), store.load_products(conn)
    run = run_forecast(sales, ForecastOptions(model="ma", folds=0), products=products)
    return load_run(conn, save_run(conn, run, data_version=store.data_version(conn)))


def test_decisions_survive_reopening_and_are_not_overwritten_by_a_new_run(demo_db_copy: Path):
    conn = store.connect(demo_db_copy)
    try:
        forecast = _save_forecast(conn)
        first = reorder.ensure_policy_run(
            conn, forecast.forecasts, forecast_run_id=forecast.run_id, params=PolicyParams()
        )
        lines = reorder.suggestion_lines(first.table, store.load_products(conn))
        skus = lines["sku"].tolist()[:3]
        rows = pd.concat(
            [
                reorder.make_decisions(
                    first.run_id,
                    [skus[0]],
                    action="approve",
                    user="ann",
                    qty=[lines.at[0, "suggested_qty"]],
                ),
                reorder.make_decisions(first.run_id, [skus[1]], action="edit", user="ann", qty=[5]),
                reorder.make_decisions(
                    first.run_id, [skus[2]], action="reject", user="ann", reason="discontinued"
                ),
            ]
        )
        with store.transaction(conn):
            reorder_store.record_decisions(conn, rows)
        again = reorder.ensure_policy_run(
            conn, forecast.forecasts, forecast_run_id=forecast.run_id, params=PolicyParams()
        )
        assert again.run_id == first.run_id, "the same inputs find the stored run"
        other = reorder.ensure_policy_run(
            conn,
            forecast.forecasts,
            forecast_run_id=forecast.run_id,
            params=PolicyParams(service_level=0.9),
        )
        assert other.run_id != first.run_id
    finally:
        conn.close()

    reopened = store.connect_read_only(demo_db_copy)
    try:
        saved = reorder_store.load_decisions(reopened, run_id=first.run_id).set_index("sku")
        assert reorder_store.load_decisions(reopened, run_id=other.run_id).empty
    finally:
        reopened.close()
    assert saved.loc[skus, "action"].tolist() == ["approve", "edit", "reject"]
    assert saved.at[skus[1], "qty"] == 5 and saved.at[skus[2], "reason"] == "discontinued"
    assert (saved["user"] == "ann").all() and saved["decided_at"].notna().all()


def test_reorder_report_has_the_cli_columns_orders_first(demo_db_copy: Path):
    conn = store.connect(demo_db_copy)
    try:
        forecast = _save_forecast(conn)
        run = reorder.ensure_policy_run(
            conn, forecast.forecasts, forecast_run_id=forecast.run_id, params=PolicyParams()
        )
        report = reorder.reorder_report(run.table, store.load_products(conn))
    finally:
        conn.close()
    assert list(report.columns) == list(reorder.REPORT_COLUMNS)
    ordered = report["suggested_qty"] > 0
    assert ordered.any() and not ordered[ordered.idxmin() :].any()


def test_reorder_command_writes_the_table_and_refuses_bad_input(
    demo_db_copy: Path, tmp_path, capsys
):
    from invdash.cli import main

    conn = store.connect(demo_db_copy)
    try:
        _save_forecast(conn)
    finally:
        conn.close()
    out = tmp_path / "reorder.csv"
    assert main(["reorder", "--db", str(demo_db_copy), "--out", str(out), "--quiet"]) == 0
    report = pd.read_csv(out)
    from invdash.commands.reorder import DECISION_COLUMNS

    assert list(report.columns) == [*reorder.REPORT_COLUMNS, *DECISION_COLUMNS]
    assert len(report) == 60 and set(report["status"]) <= {"pending", "no order"}
    assert main(["reorder", "--db", str(demo_db_copy), "--service-level", "95"]) == 2
    assert "service_level must be a fraction" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("scope", "key", "level", "message"),
    [
        ("abc", "D", 0.9, "class A, B or C"),
        ("sku", "NOPE", 0.9, "not in the products table"),
        ("abc", "A", 97.0, "service_level must be a fraction"),
        ("brand", "A", 0.9, "scope must be"),
    ],
)
def test_bad_service_level_overrides_are_refused(scope, key, level, message):
    with pytest.raises(InvalidDataError, match=message):
        reorder.check_override(scope, key, level, skus=["A", "B"])


def test_override_keys_are_cleaned():
    assert reorder.check_override("abc", " b ", 0.9, skus=[]) == "B"
    assert reorder.check_override("sku", "A ", 0.9, skus=["A"]) == "A"


def test_a_run_stored_by_invdash_reorder_is_found_for_the_same_targets(demo_db_copy):
    """The Reorder page opens on the run ``invdash reorder`` stored (same data, forecast, service
    level and review period) without calibrating again; other targets find nothing."""
    conn = store.connect(demo_db_copy)
    try:
        params = PolicyParams(service_level=0.95, review_period_days=7)
        prepared = reorder.prepare_reorder_run(conn, params, model="ma")
        found = reorder.stored_run_for_targets(conn, params)
        other = reorder.stored_run_for_targets(conn, PolicyParams(service_level=0.9))
    finally:
        conn.close()
    assert found is not None and found.run_id == prepared.run_id
    assert other is None
