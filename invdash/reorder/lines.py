"""Reorder lines: the SKUs to order, why each quantity, and the ``invdash reorder`` report.

``suggestion_lines`` keeps the SKUs that need an order and spells out "why this quantity":
demand over the protection period (lead time + review period) + safety stock = order-up-to;
minus on hand and on order = need; rounded to MOQ and whole packs = suggested.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from invdash.schema import SKU

__all__ = ["REPORT_COLUMNS", "why_this_quantity", "suggestion_lines", "reorder_report"]


REPORT_COLUMNS = (
    SKU,
    "name",
    "supplier",
    "on_hand",
    "on_order",
    "lead_time_days",
    "safety_stock",
    "reorder_point",
    "order_up_to",
    "suggested_qty",
    "order_by_date",
    "stockout_date",
    "stockout_probability",
    "days_of_cover",
    "reason",
)


def why_this_quantity(row: Any) -> str:
    """One line: demand over L + R + safety stock - on hand - on order -> rounding -> qty.

    Example: "demand over lead time + review 139.1 + safety stock 6.9 = up-to 146; - on hand 50
    - on order 24 = need 72; whole packs of 12, MOQ 20 -> order 72".
    """
    rounding = f"whole packs of {row.pack_size:g}" + (f", MOQ {row.moq:g}" if row.moq > 0 else "")
    return (
        f"demand over lead time + review {row.protection_demand_mean:.1f} + safety stock "
        f"{row.safety_stock:.1f} = up-to {row.order_up_to:g}; - on hand {row.on_hand:g} - on order "
        f"{row.on_order:g} = need {row.raw_qty:g}; {rounding} -> order {row.suggested_qty:g}"
    )


def suggestion_lines(policy_table: pd.DataFrame, products: pd.DataFrame) -> pd.DataFrame:
    """SKUs that need an order, most urgent first, with names, supplier, value and ``why``."""
    info = products[[c for c in (SKU, "name", "supplier") if c in products]].assign(
        **{SKU: products[SKU].astype(str)}
    )
    lines = policy_table[policy_table["suggested_qty"] > 0].merge(info, on=SKU, how="left")
    for column in ("name", "supplier"):
        if column not in lines:
            lines[column] = ""
    lines["supplier"] = lines["supplier"].fillna("(no supplier)")
    lines["order_value"] = lines["suggested_qty"] * lines["unit_cost"]
    lines["why"] = [why_this_quantity(row) for row in lines.itertuples(index=False)]
    return lines.sort_values(
        ["order_by_date", "stockout_probability"], ascending=[True, False], kind="stable"
    ).reset_index(drop=True)


def reorder_report(policy_table: pd.DataFrame, products: pd.DataFrame) -> pd.DataFrame:
    """The ``invdash reorder`` table: every SKU, those to order first (``REPORT_COLUMNS``)."""
    info = products[[c for c in (SKU, "name", "supplier") if c in products]].assign(
        **{SKU: products[SKU].astype(str)}
    )
    report = policy_table.merge(info, on=SKU, how="left")
    for column in ("name", "supplier"):
        if column not in report:
            report[column] = ""
    report = report.sort_values(
        ["suggested_qty", "stockout_probability", SKU],
        ascending=[False, False, True],
        kind="stable",
    )
    return report[list(REPORT_COLUMNS)].reset_index(drop=True)
