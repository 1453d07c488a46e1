"""Numbers as people read them: whole units, money to cents, no "-0", "no demand" as such.

Exports and messages go through these so a CSV never shows ``1874.6399999999999``, ``-0`` or a
days-of-cover of ``3.9e27`` for a SKU nobody buys.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "MIN_DAILY_DEMAND",
    "UNIT_COLUMNS",
    "MONEY_COLUMNS",
    "whole_units",
    "cents",
    "days_of_cover",
    "format_cover",
    "tidy_numbers",
    "order_units",
]

#: Daily demand below this (one unit in about three years) counts as no demand: days of cover
#: is then "no demand" (NaN), not on-hand divided by a forecast of 1e-25.
MIN_DAILY_DEMAND = 1e-3

UNIT_COLUMNS = (
    "on_hand", "on_order", "inventory_position", "safety_stock", "reorder_point", "order_up_to",
    "raw_qty", "moq", "pack_size", "suggested_qty", "final_qty", "decided_qty", "qty",
    "excess_units", "expected_short_units", "max_order_qty", "units", "lead_time_point",
)  # fmt: skip
MONEY_COLUMNS = (
    "unit_cost", "unit_price", "order_value", "line_value", "excess_value", "value",
    "money_at_risk", "min_order_value", "total_value", "budget",
)  # fmt: skip


def whole_units(values: object) -> np.ndarray:
    """Round to whole units; ``-0.0`` becomes ``0.0`` (adding 0.0 clears the sign bit)."""
    return np.round(np.asarray(values, dtype=float)) + 0.0


def order_units(values: object) -> np.ndarray:
    """Whole units to order: up, never to the nearest, so a planner's 10.2 is never silently cut
    to 10 (1e-6 absorbs float noise: 12.0000001 stays 12)."""
    return np.ceil(np.asarray(values, dtype=float) - 1e-6) + 0.0


def cents(values: object) -> np.ndarray:
    """Round money to cents, without ``-0.0``."""
    return np.round(np.asarray(values, dtype=float), 2) + 0.0


def days_of_cover(on_hand: object, daily_mean: object) -> np.ndarray:
    """On hand / mean daily demand in days; NaN ("no demand") below ``MIN_DAILY_DEMAND``.

    Example: 100 units at 2 a day -> 50.0; 100 units at 1e-25 a day -> NaN.
    """
    stock, mean = np.asarray(on_hand, dtype=float), np.asarray(daily_mean, dtype=float)
    has_demand = np.isfinite(mean) & (mean >= MIN_DAILY_DEMAND)
    return np.where(has_demand, stock / np.where(has_demand, mean, 1.0), np.nan)


def format_cover(days: float) -> str:
    """``"no demand"`` for NaN/inf, ``"more than 10 years"`` past 3,650 days, else ``"42 days"``."""
    if days is None or not np.isfinite(days):
        return "no demand"
    if days > 3650:
        return "more than 10 years"
    return f"{days:.0f} days"


def tidy_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with unit columns whole, money columns in cents, other floats to 3 decimals,
    ``days_of_cover`` to 1 decimal (NaN stays NaN: "no demand"), and no ``-0``."""
    tidy = frame.copy()
    for column in tidy.columns:
        if not pd.api.types.is_float_dtype(tidy[column]):
            continue
        if column in UNIT_COLUMNS:
            tidy[column] = whole_units(tidy[column])
        elif column in MONEY_COLUMNS:
            tidy[column] = cents(tidy[column])
        elif column == "days_of_cover":
            cover = tidy[column].to_numpy(dtype=float)
            tidy[column] = np.where(np.isfinite(cover), np.round(cover, 1) + 0.0, np.nan)
        else:
            tidy[column] = np.round(tidy[column].to_numpy(dtype=float), 3) + 0.0
    return tidy
