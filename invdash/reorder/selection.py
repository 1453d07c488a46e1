"""Work on a selection of reviewed lines: filter, sort, and bulk actions after a confirmation.

- ``filter_lines``: by supplier, ABC class, category, status, urgency (stockout probability
  at least, days to the order-by date at most) and text in the SKU or product name; empty
  criteria keep every line.
- ``sort_lines``: by one of ``SORT_KEYS`` (``urgency`` = order-by date, then stockout risk).
- ``bulk_summary``: what a bulk action on the selection would do, before it is done: lines,
  units and value taken, the lines left out and why, and budget warnings. New SKUs without
  sales history, rejected lines, lines decided already and lines whose suggestion breaks the
  maximum order are never bulk-approved silently: they are listed with the reason.
- ``apply_bulk``: stores exactly the summary's lines (``review.decide``), so what was
  confirmed is what happens.

``worklist`` gives the same selections, pages and summaries from SQL (the Reorder page at
scale); ``tests/unit/reorder/test_selection_sql.py`` holds the two equal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd

from invdash import auth
from invdash.reorder.numbers import cents, whole_units
from invdash.reorder.review import Decided, decide
from invdash.schema import InvalidDataError

__all__ = [
    "SORT_KEYS",
    "EXCLUDED_BECAUSE",
    "LineFilter",
    "Budget",
    "BulkSummary",
    "days_to_order_by",
    "filter_lines",
    "sort_lines",
    "bulk_summary",
    "budget_warnings",
    "supplier_budget_warnings",
    "check_bulk_action",
    "apply_bulk",
]

SORT_KEYS: dict[str, tuple[tuple[str, ...], tuple[bool, ...]]] = {
    "urgency": (("order_by_date", "stockout_probability", "sku"), (True, False, True)),
    "stockout_probability": (("stockout_probability", "sku"), (False, True)),
    "days_to_order_by": (("days_to_order_by", "sku"), (True, True)),
    "value": (("order_value", "sku"), (False, True)),
    "supplier": (("supplier", "order_by_date", "sku"), (True, True, True)),
    "abc": (("abc", "order_by_date", "sku"), (True, True, True)),
    "category": (("category", "order_by_date", "sku"), (True, True, True)),
    "sku": (("sku",), (True,)),
}

#: Why a bulk action leaves a line out, first match wins (``rejected`` and ``decided`` for any
#: action; the others only for an approval).
EXCLUDED_BECAUSE = {
    "rejected": "rejected; reopen it first",
    "decided": "already decided",
    "new": "new SKU without sales history: review it on its own",
    "over_max": "suggestion above the maximum order; edit it on its own",
    "nothing": "nothing suggested",
}


@dataclass(frozen=True)
class LineFilter:
    """Which lines to keep; an empty tuple or None keeps all.

    Args:
        suppliers: supplier names.
        abc: ABC classes (``A``, ``B``, ``C``).
        categories: product categories.
        statuses: line statuses (``pending``, ``approved``, ``edited``, ``rejected``,
            ``reconfirm``).
        min_stockout_probability: keep lines at least this likely to run out, in [0, 1].
        max_days_to_order_by: keep lines to order within this many days of as-of.
        text: keep lines whose SKU or product name contains it (any case, spaces around it
            ignored).
    """

    suppliers: tuple[str, ...] = ()
    abc: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    min_stockout_probability: float | None = None
    max_days_to_order_by: int | None = None
    text: str = ""

    def __post_init__(self) -> None:
        p = self.min_stockout_probability
        if p is not None and not 0 <= p <= 1:
            raise InvalidDataError(f"min_stockout_probability must be in [0, 1], got {p!r}.")


@dataclass(frozen=True)
class Budget:
    """Spending limits in the shop's currency: in total and/or per supplier (None: no limit)."""

    total: float | None = None
    per_supplier: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class BulkSummary:
    """A bulk action as confirmed: the lines it takes and those it leaves out (with why).

    ``lines``/``units``/``value`` count ``taken``; ``value`` is in the shop's currency.
    """

    action: str
    run_id: str
    taken: pd.DataFrame
    excluded: pd.DataFrame
    warnings: tuple[str, ...]
    lines: int
    units: float
    value: float

    def describe(self) -> str:
        """ "Approve 12 lines, 1,440 units, value 3,210.50; 2 left out (see excluded)."."""
        left = f"; {len(self.excluded)} left out (see excluded)" if len(self.excluded) else ""
        return (
            f"{self.action.capitalize()} {self.lines:,} lines, {self.units:,.0f} units, value "
            f"{self.value:,.2f}{left}."
        )


def days_to_order_by(reviewed: pd.DataFrame, *, as_of: pd.Timestamp) -> pd.Series:
    """Days from ``as_of`` to each line's order-by date (negative: late; NaN: none)."""
    return (pd.to_datetime(reviewed["order_by_date"]) - pd.Timestamp(as_of)).dt.days


def _isin(frame: pd.DataFrame, column: str, values: Sequence[str]) -> np.ndarray:
    return frame[column].isin(values).to_numpy() if values else np.ones(len(frame), bool)


def _matching(lines: pd.DataFrame, text: str) -> np.ndarray:
    """Lines whose SKU or product name contains ``text`` (any case); all for empty text."""
    text = text.strip().lower()
    if not text:
        return np.ones(len(lines), bool)
    hit = lines["sku"].astype(str).str.lower().str.contains(text, regex=False)
    hit |= lines["name"].astype(str).str.lower().str.contains(text, regex=False)
    return hit.to_numpy()


def filter_lines(
    reviewed: pd.DataFrame, line_filter: LineFilter, *, as_of: pd.Timestamp
) -> pd.DataFrame:
    """The lines matching ``line_filter``, with a ``days_to_order_by`` column added."""
    lines = reviewed.assign(days_to_order_by=days_to_order_by(reviewed, as_of=as_of))
    keep = (
        _matching(lines, line_filter.text)
        & _isin(lines, "supplier", line_filter.suppliers)
        & _isin(lines, "abc", line_filter.abc)
        & _isin(lines, "category", line_filter.categories)
        & _isin(lines, "status", line_filter.statuses)
    )
    if line_filter.min_stockout_probability is not None:
        keep &= (lines["stockout_probability"] >= line_filter.min_stockout_probability).to_numpy()
    if line_filter.max_days_to_order_by is not None:
        keep &= (lines["days_to_order_by"] <= line_filter.max_days_to_order_by).to_numpy()
    return lines[keep].reset_index(drop=True)


def sort_lines(lines: pd.DataFrame, by: str = "urgency") -> pd.DataFrame:
    """Lines sorted by ``by`` (a ``SORT_KEYS`` name); ties keep their order.

    Raises:
        InvalidDataError: an unknown sort key.
    """
    if by not in SORT_KEYS:
        raise InvalidDataError(f"sort must be one of {', '.join(SORT_KEYS)}, got {by!r}.")
    columns, ascending = SORT_KEYS[by]
    return lines.sort_values(
        list(columns), ascending=list(ascending), kind="stable", na_position="last"
    ).reset_index(drop=True)


def _exclusions(lines: pd.DataFrame, action: str) -> pd.Series:
    reasons = pd.Series("", index=lines.index, dtype=object)
    over_max = lines["max_order_qty"].notna() & (lines["suggested_qty"] > lines["max_order_qty"])
    checks = [
        (lines["status"] == "rejected", "rejected"),
        (lines["status"].isin(["approved", "edited"]), "decided"),
    ]
    if action == "approve":
        checks.append((lines["is_new"].astype(bool), "new"))
        checks.append((over_max, "over_max"))
        checks.append((lines["suggested_qty"] <= 0, "nothing"))
    for hit, reason in reversed(checks):
        reasons = reasons.where(~hit, EXCLUDED_BECAUSE[reason])
    return reasons


def budget_warnings(
    reviewed: pd.DataFrame, added: pd.DataFrame, budget: Budget | None
) -> tuple[str, ...]:
    """Warnings where approved and edited value plus ``added`` (``supplier, value``) would
    exceed the budget, in total or per supplier."""
    if budget is None:
        return ()
    chosen = reviewed[reviewed["status"].isin(["approved", "edited"])]
    current = chosen.groupby("supplier")["final_value"].sum()
    return supplier_budget_warnings(current, added.groupby("supplier")["value"].sum(), budget)


def supplier_budget_warnings(
    current: pd.Series, extra: pd.Series, budget: Budget | None
) -> tuple[str, ...]:
    """``budget_warnings`` from per-supplier sums: ``current`` (approved and edited value) and
    ``extra`` (what the action adds), both indexed by supplier; sums compare in cents."""
    if budget is None:
        return ()
    after = current.add(extra, fill_value=0.0)
    after = pd.Series(cents(after.to_numpy(dtype=float)), index=after.index, dtype=float)
    total = float(cents(after.sum()))
    warnings = []
    if budget.total is not None and total > budget.total:
        warnings.append(
            f"total {total:,.2f} would exceed the budget {budget.total:,.2f} by "
            f"{total - budget.total:,.2f}"
        )
    for supplier, limit in sorted(budget.per_supplier.items()):
        spent = float(after.get(supplier, 0.0))
        if spent > limit:
            warnings.append(
                f"{supplier}: {spent:,.2f} would exceed its budget {limit:,.2f} by "
                f"{spent - limit:,.2f}"
            )
    return tuple(warnings)


def check_bulk_action(action: str) -> None:
    """Raise ``InvalidDataError`` unless ``action`` is ``approve`` or ``reject``."""
    if action not in ("approve", "reject"):
        raise InvalidDataError(f"a bulk action is approve or reject, got {action!r}.")


def bulk_summary(
    reviewed: pd.DataFrame,
    selection: pd.DataFrame,
    *,
    run_id: str,
    action: str = "approve",
    budget: Budget | None = None,
) -> BulkSummary:
    """What ``action`` (``approve`` or ``reject``) on ``selection`` would do; nothing is stored.

    Args:
        reviewed: all reviewed lines of the run (for budgets: what is approved already).
        selection: the filtered lines the action is for.
        run_id: the run the lines belong to.
        action: ``approve`` (suggested quantities) or ``reject``.
        budget: optional limits; exceeding one adds a warning.
    """
    check_bulk_action(action)
    reasons = _exclusions(selection, action)
    taken = selection[reasons == ""].reset_index(drop=True)
    excluded = selection.loc[reasons != "", ["sku", "name", "supplier", "suggested_qty"]].assign(
        excluded_because=reasons[reasons != ""]
    )
    units = whole_units(taken["suggested_qty"]) if action == "approve" else np.zeros(len(taken))
    value = cents(units * taken["unit_cost"].fillna(0.0).to_numpy())
    added = pd.DataFrame({"supplier": taken["supplier"], "value": value})
    return BulkSummary(
        action=action, run_id=run_id, taken=taken, excluded=excluded.reset_index(drop=True),
        warnings=budget_warnings(reviewed, added, budget) if action == "approve" else (),
        lines=len(taken), units=float(units.sum()), value=float(cents(value.sum())),
    )  # fmt: skip


def apply_bulk(
    conn: duckdb.DuckDBPyConnection,
    actor: auth.User | None,
    summary: BulkSummary,
    *,
    reason: str | None = None,
) -> Decided:
    """Store the confirmed ``summary``: its ``taken`` lines only (one transaction).

    Raises:
        InvalidDataError: nothing to apply, or a rejection without a reason.
        PermissionDeniedError: the actor is not a manager.
    """
    if summary.taken.empty:
        raise InvalidDataError("the selection has no line this action can take; see excluded.")
    skus = summary.taken["sku"].astype(str).tolist()
    qty = None if summary.action == "reject" else summary.taken["suggested_qty"].tolist()
    return decide(conn, actor, summary.run_id, skus, action=summary.action, qty=qty, reason=reason)
