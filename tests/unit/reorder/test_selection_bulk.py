"""Work on a selection: filters, sorts, a bulk action's confirmation summary, budgets, and new
SKUs never bulk-approved silently."""

from __future__ import annotations

import pandas as pd
import pytest
from review_cycle import MANAGER_NAME

from invdash import auth, reorder, store
from invdash.schema import InvalidDataError

AS_OF = pd.Timestamp("2025-10-01")


def reviewed() -> pd.DataFrame:
    """Four lines: a new SKU (N), a rejected one (R), two pending (P1 urgent, P2 later)."""
    return pd.DataFrame(
        {
            "sku": ["P1", "P2", "N", "R"],
            "name": ["p1", "p2", "new", "rej"],
            "supplier": ["Acme", "Beta", "Acme", "Acme"],
            "abc": ["A", "B", "C", "A"],
            "category": ["Kitchen", "Bath", "Kitchen", "Home"],
            "status": ["pending", "pending", "pending", "rejected"],
            "suggested_qty": [24.0, 10.0, 978.0, 12.0],
            "final_qty": [24.0, 10.0, 978.0, 0.0],
            "final_value": [60.0, 30.0, 978.0, 0.0],
            "unit_cost": [2.5, 3.0, 1.0, 1.0],
            "order_value": [60.0, 30.0, 978.0, 12.0],
            "max_order_qty": [float("nan")] * 4,
            "is_new": [False, False, True, False],
            "order_by_date": pd.to_datetime(
                ["2025-10-02", "2025-10-20", "2025-10-05", "2025-10-03"]
            ),
            "stockout_probability": [0.6, 0.1, 0.3, 0.5],
        }
    )


def test_filters_combine_and_empty_criteria_keep_all():
    lines = reviewed()
    assert len(reorder.filter_lines(lines, reorder.LineFilter(), as_of=AS_OF)) == 4
    picked = reorder.filter_lines(
        lines, reorder.LineFilter(suppliers=("Acme",), abc=("A",)), as_of=AS_OF
    )
    assert picked["sku"].tolist() == ["P1", "R"]
    urgent = reorder.filter_lines(
        lines, reorder.LineFilter(min_stockout_probability=0.4, max_days_to_order_by=4), as_of=AS_OF
    )
    assert urgent["sku"].tolist() == ["P1", "R"] and urgent["days_to_order_by"].tolist() == [1, 2]
    assert reorder.filter_lines(lines, reorder.LineFilter(categories=("Bath",)), as_of=AS_OF)[
        "sku"
    ].tolist() == ["P2"]


def test_sorts_by_urgency_and_by_risk():
    lines = reorder.filter_lines(reviewed(), reorder.LineFilter(), as_of=AS_OF)
    assert reorder.sort_lines(lines, "urgency")["sku"].tolist() == ["P1", "R", "N", "P2"]
    assert reorder.sort_lines(lines, "stockout_probability")["sku"].tolist() == [
        "P1",
        "R",
        "N",
        "P2",
    ]
    assert reorder.sort_lines(lines, "value")["sku"].tolist()[0] == "N"
    with pytest.raises(InvalidDataError, match="sort must be one of"):
        reorder.sort_lines(lines, "colour")


def test_a_bulk_approval_summarises_first_and_leaves_out_new_and_rejected_lines_with_why():
    lines = reviewed()
    summary = reorder.bulk_summary(lines, lines, run_id="r1", action="approve")
    assert summary.taken["sku"].tolist() == ["P1", "P2"]
    assert (summary.lines, summary.units, summary.value) == (2, 34.0, 90.0)
    why = summary.excluded.set_index("sku")["excluded_because"]
    assert why["N"] == "new SKU without sales history: review it on its own"
    assert why["R"] == "rejected; reopen it first"
    assert (
        summary.describe() == "Approve 2 lines, 34 units, value 90.00; 2 left out (see excluded)."
    )


def test_budgets_warn_before_they_are_exceeded_in_total_and_per_supplier():
    lines = reviewed()
    budget = reorder.Budget(total=80.0, per_supplier={"Acme": 50.0, "Beta": 100.0})
    summary = reorder.bulk_summary(lines, lines, run_id="r1", budget=budget)
    assert summary.warnings == (
        "total 90.00 would exceed the budget 80.00 by 10.00",
        "Acme: 60.00 would exceed its budget 50.00 by 10.00",
    )
    assert (
        reorder.bulk_summary(lines, lines, run_id="r1", budget=reorder.Budget(total=90)).warnings
        == ()
    )


def test_applying_a_confirmed_summary_stores_exactly_its_lines(cycle_db):
    conn = store.connect(cycle_db.path)
    try:
        lines = reorder.reviewed_run(conn, cycle_db.run_id)
        chosen = reorder.filter_lines(lines, reorder.LineFilter(abc=("A",)), as_of=AS_OF)
        summary = reorder.bulk_summary(lines, chosen, run_id=cycle_db.run_id)
        reorder.apply_bulk(conn, auth.User(MANAGER_NAME, "manager"), summary)
        after = reorder.reviewed_run(conn, cycle_db.run_id).set_index("sku")
    finally:
        conn.close()
    taken = summary.taken["sku"].tolist()
    assert taken and (after.loc[taken, "status"] == "approved").all()
    assert (after.drop(index=taken)["status"] == "pending").all()
    assert after.loc[taken, "final_value"].sum() == pytest.approx(summary.value)


def test_a_new_sku_without_sales_is_flagged_in_the_stored_run(cycle_db):
    conn = store.connect(cycle_db.path)
    try:
        sku = reorder.reviewed_run(conn, cycle_db.run_id)["sku"].iloc[0]
        with store.transaction(conn):
            conn.execute("DELETE FROM sales WHERE sku = ?", [sku])
        lines = reorder.reviewed_run(conn, cycle_db.run_id).set_index("sku")
    finally:
        conn.close()
    assert lines.loc[sku, "is_new"] and not lines.drop(index=sku)["is_new"].any()
