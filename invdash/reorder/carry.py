"""Decisions carried over to a new policy run: still valid, or changed enough to re-confirm.

A line's decision is the newest one on its SKU's open proposal (``store.proposals``), made on
whatever run. Against the current run's suggestion it gives the line's ``status``:

- ``pending``: no decision, or a rejection whose end date (``valid_until``) is before as-of.
- ``rejected``: a rejection still in force; ``final_qty`` 0 until reopened or its end date.
- ``approved`` / ``edited``: the decision stands; ``final_qty`` is the decided quantity.
- ``reconfirm``: approved or edited, but the suggestion changed materially since: the quantity
  by more than ``MATERIAL_QTY_SHARE`` of the suggestion then (and at least one unit), or the
  order-by date by more than ``MATERIAL_ORDER_BY_DAYS``. ``carry_note`` says
  "approved 120 on 2025-10-02 by ann; now suggests 150; re-confirm". Such lines go onto no
  purchase order until a manager decides again.

Which day a note names: ``decided_on``, the shop's as-of day the decision was made on (the
as-of day of its policy run, the day the sidebar showed), not the clock's day. On a shop whose
data ends on 2025-10-31 a decision recorded on 2026-12-01 reads "approved ... on 2025-10-31",
the same calendar as its order-by dates and the rejection end dates it is compared with.
``decided_at`` (the clock time) stays in the history as the audit record.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from invdash.reorder.numbers import cents, order_units, whole_units

__all__ = [
    "STATUSES",
    "MATERIAL_QTY_SHARE",
    "MATERIAL_ORDER_BY_DAYS",
    "DECISION_FIELDS",
    "carry_over",
]

STATUSES = ("pending", "approved", "edited", "rejected", "reconfirm")
MATERIAL_QTY_SHARE = 0.10
MATERIAL_ORDER_BY_DAYS = 3

#: The current decision's columns ``carry_over`` reads (null on pending lines).
DECISION_FIELDS = (
    "decision_action", "decision_qty", "decision_reason", "decided_by", "decided_at",
    "decision_suggested_qty", "decision_order_by", "override_reason", "valid_until",
    "decided_on",
)  # fmt: skip


_NOTE_FIELDS = [*DECISION_FIELDS, "status", "suggested_qty", "order_by_date"]


def _decided_on(lines: pd.DataFrame) -> pd.Series:
    """The as-of day of each decision; the clock's day of ``decided_at`` where it is unknown."""
    clock_day = pd.to_datetime(lines["decided_at"]).dt.normalize()
    if "decided_on" not in lines:
        return clock_day
    return pd.to_datetime(lines["decided_on"]).fillna(clock_day)


def _day(value: object) -> str:
    return "?" if pd.isna(value) else f"{pd.Timestamp(value):%Y-%m-%d}"


def _units(value: float) -> str:
    return f"{float(whole_units(value)):g}"


def _changed(lines: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    then_qty = lines["decision_suggested_qty"].astype(float)
    gap = (lines["suggested_qty"].astype(float) - then_qty).abs()
    qty = then_qty.notna() & (gap >= 1) & (gap > MATERIAL_QTY_SHARE * then_qty)
    now_by, then_by = (
        pd.to_datetime(lines["order_by_date"]),
        pd.to_datetime(lines["decision_order_by"]),
    )
    days = (now_by - then_by).abs().dt.days
    known = then_qty.notna()
    date = known & ((days > MATERIAL_ORDER_BY_DAYS) | (now_by.isna() != then_by.isna()))
    return qty, date


def _note(row: dict, qty_changed: bool, date_changed: bool) -> str:
    action, who, when = row["decision_action"], row["decided_by"], _day(row["decided_on"])
    if action == "reject":
        until = f" until {_day(row['valid_until'])}" if pd.notna(row["valid_until"]) else ""
        if row["status"] == "pending":
            ended = _day(row["valid_until"])
            return f"rejection of {when} by {who} ended on {ended}: {row['decision_reason']}"
        return f"rejected on {when} by {who}{until}: {row['decision_reason']}"
    if action == "approve":
        note = f"approved {_units(row['decision_qty'])} on {when} by {who}"
    else:
        then = row["decision_suggested_qty"]
        suggested = f" (suggested {_units(then)} then)" if pd.notna(then) else ""
        note = f"edited to {_units(row['decision_qty'])} on {when} by {who}{suggested}"
    if pd.notna(row["override_reason"]):
        note += f", rule override: {row['override_reason']}"
    if qty_changed:
        note += f"; now suggests {_units(row['suggested_qty'])}"
    if date_changed:
        note += (
            f"; order by now {_day(row['order_by_date'])} (was {_day(row['decision_order_by'])})"
        )
    return note + ("; re-confirm" if qty_changed or date_changed else "")


def carry_over(lines: pd.DataFrame, *, as_of: pd.Timestamp) -> pd.DataFrame:
    """Lines with ``DECISION_FIELDS`` -> the same lines with ``status``, ``final_qty``,
    ``final_value``, ``decided_qty``, ``needs_reconfirm`` and ``carry_note`` (see module doc);
    ``decided_on`` may be absent (then the clock's day of ``decided_at`` is used).

    Args:
        lines: suggestion lines (``suggested_qty``, ``order_by_date``, ``unit_cost``) joined
            with their SKU's current decision.
        as_of: the shop's "as of" day; a rejection whose ``valid_until`` is earlier has ended.
    """
    reviewed = lines.copy()
    reviewed["decided_on"] = _decided_on(reviewed)
    action = reviewed["decision_action"]
    until = pd.to_datetime(reviewed["valid_until"])
    ended = (action == "reject") & until.notna() & (until < pd.Timestamp(as_of))
    qty_changed, date_changed = _changed(reviewed)
    decided = action.isin(["approve", "edit"])
    material = decided & (qty_changed | date_changed)
    status = action.map({"approve": "approved", "edit": "edited", "reject": "rejected"})
    status = status.where(~ended & action.notna(), "pending").where(~material, "reconfirm")
    reviewed["status"] = status
    decided_qty = reviewed["decision_qty"].astype(float).fillna(reviewed["suggested_qty"])
    reviewed["decided_qty"] = reviewed["decision_qty"].astype(float)
    reviewed["final_qty"] = np.select(
        [status == "rejected", decided], [0.0, decided_qty], reviewed["suggested_qty"]
    )
    reviewed["final_qty"] = order_units(reviewed["final_qty"])
    reviewed["final_value"] = cents(reviewed["final_qty"] * reviewed["unit_cost"].fillna(0.0))
    reviewed["needs_reconfirm"] = material.to_numpy()
    has = action.notna().to_numpy()
    notes = np.full(len(reviewed), "", dtype=object)
    notes[has] = [
        _note(row, q and d_, dc and d_)
        for row, q, dc, d_ in zip(
            reviewed.loc[has, _NOTE_FIELDS].to_dict("records"),
            qty_changed[has],
            date_changed[has],
            decided[has],
            strict=True,
        )
    ]
    reviewed["carry_note"] = notes
    return reviewed.drop(columns=["decision_action", "decision_qty"])
