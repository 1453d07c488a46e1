"""Decisions carried over to a new run: kept, re-confirmed when the suggestion moved, rejections
held until their end date (pure ``carry_over`` via ``review_lines``)."""

from __future__ import annotations

import pandas as pd
import pytest

from invdash import reorder

DAY = pd.Timestamp("2025-10-02 09:30")


def lines(suggested: float = 120.0, order_by: str = "2025-10-10") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sku": ["A"],
            "suggested_qty": [suggested],
            "order_by_date": pd.to_datetime([order_by]),
            "unit_cost": [2.5],
        }
    )


def decision(action: str, **extra) -> pd.DataFrame:
    base = {
        "sku": ["A"], "action": [action], "qty": [120.0], "reason": [None], "user": ["ann"],
        "decided_at": [DAY], "suggested_qty": [120.0],
        "suggested_order_by": pd.to_datetime(["2025-10-10"]), "override_reason": [None],
        "valid_until": [pd.NaT],
    }  # fmt: skip
    return pd.DataFrame({**base, **{k: [v] for k, v in extra.items()}})


def test_an_approval_stays_when_the_new_run_suggests_about_the_same():
    reviewed = reorder.review_lines(lines(suggested=126), decision("approve"))
    row = reviewed.iloc[0]
    assert row["status"] == "approved" and row["final_qty"] == 120 and not row["needs_reconfirm"]
    assert row["carry_note"] == "approved 120 on 2025-10-02 by ann"
    assert row["final_value"] == 300.0


def test_a_material_change_of_quantity_asks_to_reconfirm_with_the_issue_wording():
    row = reorder.review_lines(lines(suggested=150), decision("approve")).iloc[0]
    assert row["status"] == "reconfirm" and row["needs_reconfirm"]
    assert row["carry_note"] == "approved 120 on 2025-10-02 by ann; now suggests 150; re-confirm"
    assert row["final_qty"] == 120, "the decided quantity is never overwritten"


def test_a_moved_order_by_date_asks_to_reconfirm():
    row = reorder.review_lines(lines(order_by="2025-10-20"), decision("approve")).iloc[0]
    assert row["status"] == "reconfirm"
    assert "order by now 2025-10-20 (was 2025-10-10)" in row["carry_note"]


def test_an_edit_keeps_its_quantity_and_says_what_was_suggested():
    row = reorder.review_lines(lines(), decision("edit", qty=96.0)).iloc[0]
    assert row["status"] == "edited" and row["final_qty"] == 96
    assert row["carry_note"] == "edited to 96 on 2025-10-02 by ann (suggested 120 then)"


@pytest.mark.parametrize(
    ("as_of", "status"),
    [("2025-10-31", "rejected"), ("2025-11-01", "rejected"), ("2025-11-02", "pending")],
)
def test_a_rejection_holds_until_its_end_date(as_of, status):
    rejected = decision(
        "reject", qty=0.0, reason="Discontinued by supplier", valid_until=pd.Timestamp("2025-11-01")
    )
    row = reorder.review_lines(lines(suggested=500), rejected, as_of=pd.Timestamp(as_of)).iloc[0]
    assert row["status"] == status
    assert "Discontinued by supplier" in row["carry_note"]
    assert row["final_qty"] == (0 if status == "rejected" else 500)


def test_a_rejection_without_end_date_survives_any_change_of_suggestion():
    rejected = decision("reject", qty=0.0, reason="Discontinued by supplier")
    row = reorder.review_lines(lines(suggested=999, order_by="2026-01-01"), rejected).iloc[0]
    assert row["status"] == "rejected" and row["final_qty"] == 0
    assert row["carry_note"] == "rejected on 2025-10-02 by ann: Discontinued by supplier"
