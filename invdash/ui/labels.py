"""Display labels: the only place where column names become words a planner reads."""

from __future__ import annotations

__all__ = ["LABELS", "label", "relabel"]

import pandas as pd

LABELS = {
    "sku": "SKU", "name": "Product", "category": "Category", "date": "Date", "qty": "Units",
    "price": "Price", "promo": "Promotion", "mean": "Forecast (mean)", "p10": "P10", "p50": "P50",
    "p90": "P90", "model": "Model", "supplier": "Supplier", "on_hand": "On hand",
    "on_order": "On order", "lead_time_days": "Lead time (days)", "safety_stock": "Safety stock",
    "reorder_point": "Reorder point", "order_up_to": "Order-up-to", "suggested_qty": "Suggested qty",
    "unit_cost": "Unit cost", "unit_price": "Unit price", "demand_class": "Demand class",
}


def label(column: str) -> str:
    """The display label of ``column`` (its own name, capitalised, when none is defined)."""
    return LABELS.get(column, column.replace("_", " ").capitalize())


def relabel(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with display labels as column names."""
    return frame.rename(columns={c: label(c) for c in frame.columns})
