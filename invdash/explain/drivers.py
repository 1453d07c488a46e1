"""The drivers of a forecast: a SKU's history split exactly into additive components a planner
recognises,
and the words that describe each (the order and rules are in the package docstring).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from invdash.forecast.panel import Panel
from invdash.schema import DATE, PROMO, SKU, InvalidDataError

__all__ = [
    "RECENT",
    "YEARLY",
    "TREND",
    "WEEKDAY",
    "PROMOTION",
    "IRREGULAR",
    "SIMILAR",
    "DRIVERS",
    "Explanation",
    "decompose_history",
    "describe_drivers",
    "promo_matrix",
]


RECENT = "recent level"
YEARLY = "yearly season"
TREND = "trend"
WEEKDAY = "same weekday in past weeks"
PROMOTION = "promotion"
IRREGULAR = "irregular days"
SIMILAR = "similar products"
DRIVERS = (RECENT, YEARLY, TREND, WEEKDAY, PROMOTION, IRREGULAR)

_RECENT_DAYS = 56
_SLOW_WINDOW_DAYS = 28
_PROMO_WINDOW_DAYS = 29


@dataclass(frozen=True)
class Explanation:
    """SHAP explanation of one SKU's shown forecast.

    Attributes:
        sku: the SKU.
        model: the forecast's model (a fusion such as ``ens(ets+tsb)`` is explained as a whole).
        dates: the ``h`` forecast dates.
        forecast: the shown mean per date, shape (h,).
        base_value: the forecast with every driver off, per date, shape (h,).
        contributions: frame indexed by date, one column per driver (units).
        feature_values: driver -> its value in words a planner reads.
    """

    sku: str
    model: str
    dates: pd.DatetimeIndex
    forecast: np.ndarray
    base_value: np.ndarray
    contributions: pd.DataFrame
    feature_values: dict[str, str]

    def total(self) -> pd.Series:
        """Horizon totals: ``base_value``, one entry per driver, and ``forecast``."""
        totals = self.contributions.sum(axis=0)
        return pd.concat(
            [
                pd.Series({"base_value": float(self.base_value.sum())}),
                totals,
                pd.Series({"forecast": float(self.forecast.sum())}),
            ]
        )

    def to_records(self) -> list[dict]:
        """One JSON-ready object per date (the ``invdash explain --json`` format)."""
        return [
            {
                SKU: self.sku,
                DATE: day.date().isoformat(),
                "forecast": float(value),
                "base_value": float(base),
                "contributions": {k: float(v) for k, v in self.contributions.loc[day].items()},
                "feature_values": dict(self.feature_values),
            }
            for day, value, base in zip(self.dates, self.forecast, self.base_value, strict=True)
        ]


def _rolling(values: np.ndarray, window: int, how: str) -> np.ndarray:
    rolled = pd.Series(values).rolling(window, center=True, min_periods=1)
    return (rolled.median() if how == "median" else rolled.mean()).to_numpy()


def decompose_history(
    values: np.ndarray, promo: np.ndarray, weekdays: np.ndarray
) -> tuple[float, dict[str, np.ndarray]]:
    """Split a history into a base level and additive drivers (see the module docstring).

    Args:
        values: daily demand, NaN on unknown or closed days, shape (T,).
        promo: promotion flag per day (> 0 on promo days), shape (T,).
        weekdays: weekday of each day (Monday = 0), shape (T,).

    Returns:
        ``(c, components)``: ``c + sum(components) == values`` on known days (NaN elsewhere).

    Example:
        A flat 5 units/day history gives ``c = 5`` and all-zero components.
    """
    known = ~np.isnan(values)
    if not known.any():
        raise InvalidDataError("the SKU has no known demand day to explain.")
    level = float(values[known].mean())
    on_promo = known & (promo > 0)
    calm = np.where(known & ~on_promo, values, np.nan)
    nearby = np.nan_to_num(_rolling(calm, _PROMO_WINDOW_DAYS, "median"), nan=level)
    promotion = np.where(on_promo, values - nearby, 0.0)
    rest = values - level - promotion
    t = np.arange(len(values), dtype=float)
    slope = np.polyfit(t[known], rest[known], 1)[0] if known.sum() > 1 else 0.0
    trend = slope * (t - t[known].mean())
    rest = rest - trend
    slow = np.nan_to_num(_rolling(np.where(known, rest, np.nan), _SLOW_WINDOW_DAYS, "mean"))
    recent_part = t >= len(values) - _RECENT_DAYS
    rest = rest - slow
    by_day = np.array(
        [
            rest[known & (weekdays == d)].mean() if (known & (weekdays == d)).any() else 0.0
            for d in range(7)
        ]
    )
    weekday = by_day[weekdays] - by_day[np.unique(weekdays[known])].mean()
    components = {
        RECENT: np.where(recent_part, slow, 0.0),
        YEARLY: np.where(recent_part, 0.0, slow),
        TREND: trend,
        WEEKDAY: weekday,
        PROMOTION: promotion,
    }
    components[IRREGULAR] = values - level - sum(components.values())
    return level, {k: np.where(known, v, np.nan) for k, v in components.items()}


def describe_drivers(
    level: float, components: dict[str, np.ndarray], promo: np.ndarray, dates: pd.DatetimeIndex
) -> dict[str, str]:
    known = ~np.isnan(components[IRREGULAR])
    recent = known & (np.arange(len(dates)) >= len(dates) - _RECENT_DAYS)
    recent_mean = (
        level + np.nanmean((components[RECENT] + components[TREND])[recent])
        if (recent.any())
        else level
    )
    slope_month = (np.nanmean(np.diff(components[TREND])) if len(dates) > 1 else 0.0) * 30
    weekday = {
        d: np.nanmean(components[WEEKDAY][known & (dates.weekday == d)])
        for d in range(7)
        if (known & (dates.weekday == d)).any()
    }
    peak = max(weekday, key=weekday.get) if weekday else 0
    promo_days = int(((promo > 0) & known).sum())
    lift = np.nanmean(components[PROMOTION][(promo > 0) & known]) if promo_days else 0.0
    return {
        RECENT: f"{recent_mean:.1f} units/day over the last {_RECENT_DAYS} days "
        f"(history average {level:.1f})",
        YEARLY: f"seasonal swing up to {np.nanmax(np.abs(components[YEARLY])):.1f} units/day "
        "earlier in the history",
        TREND: f"{slope_month:+.2f} units/day per month",
        WEEKDAY: f"busiest weekday {pd.Timestamp(2024, 1, 1 + peak).day_name()} "
        f"({weekday.get(peak, 0.0):+.1f} units vs average)",
        PROMOTION: f"{promo_days} promotion days in the history, +{lift:.1f} units on each",
        IRREGULAR: f"day-to-day noise, sd {np.nanstd(components[IRREGULAR]):.1f} units",
    }


def promo_matrix(sales: pd.DataFrame, panel: Panel) -> np.ndarray:
    """Promotion flag per SKU and day aligned with ``panel`` (zeros without a promo column)."""
    promo = np.zeros(panel.actual.shape)
    if PROMO not in sales.columns:
        return promo
    rows = pd.Index(panel.skus.astype(str)).get_indexer(sales[SKU].astype(str))
    days = (pd.to_datetime(sales[DATE]).dt.normalize() - panel.dates[0]).dt.days.to_numpy()
    np.maximum.at(promo, (rows, days), pd.to_numeric(sales[PROMO]).fillna(0.0).to_numpy())
    return promo
