"""Per-SKU inputs of the policy: stock counts, open orders and product columns, aligned to SKUs.

Private helpers shared by ``table`` and ``projection``: a missing SKU gets a stated default
(0 on hand, nothing on order), an order without an ETA or already overdue arrives on day 1.

``spread_to_days`` is the policy's one grain conversion: lead times and review periods stay in
days, so a weekly or monthly forecast is spread over the days of each period (mean and variance
both divided by the period's days: independent days add back up to the period's moments).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from invdash.forecast.grain import Grain, detect_grain
from invdash.schema import DATE, QTY, SKU

__all__ = ["forecast_grain", "spread_to_days"]


def forecast_grain(dates: pd.Series) -> Grain:
    """The grain of a forecast's dates (``grain.detect_grain`` on the distinct dates)."""
    distinct = pd.DatetimeIndex(pd.to_datetime(dates).unique()).sort_values()
    if len(distinct) == 2:  # too few dates for detect_grain: the spacing decides
        gap = (distinct[1] - distinct[0]).days
        if gap == 7:
            return Grain(f"W-{distinct[0].day_name()[:3].upper()}")
        if 28 <= gap <= 31 and distinct.is_month_start.all():
            return Grain("MS")
        if 28 <= gap <= 31 and distinct.is_month_end.all():
            return Grain("ME")
    return detect_grain(pd.DataFrame({SKU: "all", DATE: distinct, QTY: 1.0}))


def _period_days(dates: pd.DatetimeIndex, grain: Grain) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """First day and length in days of the period each anchor date labels."""
    if grain.kind == "W":
        return dates, np.full(len(dates), 7)
    length = dates.days_in_month.to_numpy()
    if grain.freq == "ME":
        return dates - pd.to_timedelta(length - 1, unit="D"), length
    return dates, length


def spread_to_days(
    skus: np.ndarray, dates: pd.Series, mean: np.ndarray, var: np.ndarray
) -> tuple[np.ndarray, pd.DatetimeIndex, np.ndarray, np.ndarray]:
    """Per-period forecast rows as per-day rows (daily forecasts come back unchanged).

    Args:
        skus, dates: each row's SKU and period anchor date (n,).
        mean, var: each row's demand mean and variance over its period (n,).

    Returns:
        ``(skus, dates, mean, var)`` with one row per day.

    Example: a weekly row with mean 70 and variance 140 becomes seven days of mean 10 and
    variance 20.
    """
    dates = pd.DatetimeIndex(pd.to_datetime(dates))
    grain = forecast_grain(pd.Series(dates))
    if grain.kind == "D":
        return np.asarray(skus), dates, mean, var
    first, length = _period_days(dates, grain)
    row = np.repeat(np.arange(len(dates)), length)
    offset = np.arange(len(row)) - np.repeat(np.cumsum(length) - length, length)
    days = first[row] + pd.to_timedelta(offset, unit="D")
    return np.asarray(skus)[row], pd.DatetimeIndex(days), mean[row] / length[row], (
        var[row] / length[row]
    )


def _per_sku(
    frame: pd.DataFrame | None, skus: np.ndarray, column: str, default: float
) -> np.ndarray:
    if frame is None or frame.empty or column not in frame:
        return np.full(len(skus), default)
    table = frame.assign(**{SKU: frame[SKU].astype(str)}).groupby(SKU)[column].sum()
    return table.reindex(skus).fillna(default).to_numpy(dtype=float)


def _on_order(on_order: pd.DataFrame | None, skus: np.ndarray) -> np.ndarray:
    column = "on_order" if on_order is not None and "on_order" in on_order else "qty"
    return _per_sku(on_order, skus, column, 0.0)


def _arrivals(
    on_order: pd.DataFrame | None, skus: np.ndarray, as_of: pd.Timestamp, n_days: int
) -> np.ndarray:
    """Units arriving per SKU and day 1..n_days (overdue orders on day 1; no ETA: day 1)."""
    arrivals = np.zeros((len(skus), n_days))
    if on_order is None or on_order.empty:
        return arrivals
    qty_col = "on_order" if "on_order" in on_order else "qty"
    position = {sku: i for i, sku in enumerate(skus)}
    eta = (
        pd.to_datetime(on_order["eta"])
        if "eta" in on_order
        else pd.Series(pd.NaT, index=on_order.index)
    )
    days = ((eta - as_of).dt.days.fillna(1).clip(lower=1) - 1).astype(int)
    for sku, day, qty in zip(on_order[SKU].astype(str), days, on_order[qty_col], strict=True):
        if sku in position and day < n_days:
            arrivals[position[sku], day] += float(qty)
    return arrivals


def _product_column(products: pd.DataFrame, skus: np.ndarray, column: str) -> np.ndarray:
    if column not in products:
        return np.full(len(skus), np.nan)
    table = products.assign(**{SKU: products[SKU].astype(str)}).set_index(SKU)[column]
    return table.reindex(skus).to_numpy(dtype=float)
