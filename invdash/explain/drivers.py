"""The drivers of a forecast: a SKU's history split exactly into additive components a planner
recognises,
and the words that describe each (the order and rules are in the package docstring).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from invdash.forecast.grain import to_grain
from invdash.forecast.panel import Panel
from invdash.schema import DATE, PROMO, SKU, InvalidDataError

__all__ = [
    "RECENT",
    "YEARLY",
    "TREND",
    "WEEKDAY",
    "PROMOTION",
    "EVENT",
    "IRREGULAR",
    "SIMILAR",
    "DRIVERS",
    "Explanation",
    "decompose_history",
    "describe_drivers",
    "promo_matrix",
    "price_cut_flags",
]


RECENT = "recent level"
YEARLY = "yearly season"
TREND = "trend"
WEEKDAY = "same weekday in past weeks"
PROMOTION = "price and promotion"
EVENT = "holidays and events"
IRREGULAR = "irregular days"
SIMILAR = "similar products"
DRIVERS = (RECENT, YEARLY, TREND, WEEKDAY, PROMOTION, EVENT, IRREGULAR)

#: Windows in periods per grain kind: the recent part, the slow (centred) mean, the calm median
#: around promotion and event periods.
_RECENT = {"D": 56, "W": 8, "M": 3}
_SLOW_WINDOW = {"D": 28, "W": 5, "M": 3}
_CALM_WINDOW = {"D": 29, "W": 9, "M": 5}
_UNIT = {"D": "day", "W": "week", "M": "month"}
#: A price this far under the SKU's running median price counts as a price cut.
_PRICE_CUT = 0.95


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
    values: np.ndarray, promo: np.ndarray, weekdays: np.ndarray,
    event: np.ndarray | None = None, *, kind: str = "D",
) -> tuple[float, dict[str, np.ndarray]]:
    """Split a history into a base level and additive drivers (see the package docstring).

    Args:
        values: demand per period, NaN on unknown or closed periods, shape (T,).
        promo: promotion or price-cut flag per period (> 0 on such periods), shape (T,).
        weekdays: weekday of each period (Monday = 0), shape (T,); only daily histories
            (``kind="D"``) have a weekday driver.
        event: True on periods with a user event (``calendar.EventCodes``), shape (T,).
        kind: the grain, ``D``, ``W`` or ``M`` (the windows are in periods).

    Returns:
        ``(c, components)``: ``c + sum(components) == values`` on known periods (NaN elsewhere).

    Example:
        A flat 5 units/day history gives ``c = 5`` and all-zero components.
    """
    known = ~np.isnan(values)
    if not known.any():
        raise InvalidDataError("the SKU has no known demand day to explain.")
    event = np.zeros(len(values), dtype=bool) if event is None else np.asarray(event, bool)
    level = float(values[known].mean())
    on_promo = known & (promo > 0)
    on_event = known & event & ~on_promo
    calm = np.where(known & ~on_promo & ~on_event, values, np.nan)
    nearby = np.nan_to_num(_rolling(calm, _CALM_WINDOW[kind], "median"), nan=level)
    promotion = np.where(on_promo, values - nearby, 0.0)
    events = np.where(on_event, values - nearby, 0.0)
    rest = values - level - promotion - events
    t = np.arange(len(values), dtype=float)
    slope = np.polyfit(t[known], rest[known], 1)[0] if known.sum() > 1 else 0.0
    trend = slope * (t - t[known].mean())
    rest = rest - trend
    slow = np.nan_to_num(_rolling(np.where(known, rest, np.nan), _SLOW_WINDOW[kind], "mean"))
    recent_part = t >= len(values) - _RECENT[kind]
    rest = rest - slow
    weekday = _weekday_component(rest, known, weekdays) if kind == "D" else np.zeros(len(t))
    components = {
        RECENT: np.where(recent_part, slow, 0.0),
        YEARLY: np.where(recent_part, 0.0, slow),
        TREND: trend,
        WEEKDAY: weekday,
        PROMOTION: promotion,
        EVENT: events,
    }
    components[IRREGULAR] = values - level - sum(components.values())
    return level, {k: np.where(known, v, np.nan) for k, v in components.items()}


def _weekday_component(rest: np.ndarray, known: np.ndarray, weekdays: np.ndarray) -> np.ndarray:
    by_day = np.array([
        rest[known & (weekdays == d)].mean() if (known & (weekdays == d)).any() else 0.0
        for d in range(7)
    ])
    return by_day[weekdays] - by_day[np.unique(weekdays[known])].mean()


def _effect(total: float, h: int, unit: str) -> str:
    """The contribution in words: its sign and size over the horizon and per period."""
    if abs(total) < 0.5:
        return f"moves the forecast by less than 1 unit over the {h} {unit}s"
    verb = "adds" if total > 0 else "takes off"
    return f"{verb} {abs(total):.0f} units over the {h} {unit}s ({total / h:+.1f}/{unit})"


def _mean_on(values: np.ndarray, mask: np.ndarray) -> float:
    return float(np.nanmean(values[mask])) if mask.any() else 0.0


def _history_facts(
    level: float, components: dict[str, np.ndarray], promo: np.ndarray,
    dates: pd.DatetimeIndex, kind: str,
) -> dict[str, str]:
    """What each driver was in the history, in signed units per period."""
    unit = _UNIT[kind]
    known = ~np.isnan(components[IRREGULAR])
    recent = known & (np.arange(len(dates)) >= len(dates) - _RECENT[kind])
    per_month = {"D": 30.0, "W": 30.0 / 7, "M": 1.0}[kind]
    slope = (np.nanmean(np.diff(components[TREND])) if len(dates) > 1 else 0.0) * per_month
    weekday = {d: _mean_on(components[WEEKDAY], known & (dates.weekday == d)) for d in range(7)}
    peak = max(weekday, key=weekday.get)
    on_promo, on_event = (promo > 0) & known, (components[EVENT] != 0) & known
    swing = np.nanmax(np.abs(components[YEARLY])) if known.any() else 0.0
    return {
        RECENT: f"the last {_RECENT[kind]} {unit}s ran "
        f"{_mean_on(components[RECENT], recent):+.1f} units/{unit} against the trend line "
        f"(history average {level:.1f}/{unit})",
        YEARLY: f"seasonal swing up to {swing:.1f} units/{unit} earlier in the history",
        TREND: f"history {'rising' if slope >= 0 else 'falling'} {abs(slope):.2f} "
        f"units/{unit} per month",
        WEEKDAY: f"busiest weekday {pd.Timestamp(2024, 1, 1 + peak).day_name()} "
        f"({weekday[peak]:+.1f} units vs average)" if kind == "D"
        else f"no weekday rhythm in {unit}ly data",
        PROMOTION: f"{int(on_promo.sum())} promotion or price-cut {unit}s in the history, "
        f"{_mean_on(components[PROMOTION], on_promo):+.1f} units on each",
        EVENT: f"{int(on_event.sum())} event {unit}s in the history, "
        f"{_mean_on(components[EVENT], on_event):+.1f} units on each",
        IRREGULAR: f"{unit}-to-{unit} noise, sd {np.nanstd(components[IRREGULAR]):.1f} units",
    }


def describe_drivers(  # noqa: PLR0913 - the history, its markers and the contributions
    level: float, components: dict[str, np.ndarray], promo: np.ndarray,
    dates: pd.DatetimeIndex, totals: pd.Series, *, kind: str = "D",
) -> dict[str, str]:
    """Each driver in words: what it was in the history, then what it does to the forecast.

    The second part is written from the driver's own horizon total (``totals``), so the words
    always carry the sign and the size of the contribution shown beside them: "adds 120 units
    over the 28 days (+4.3/day)", "takes off 35 units ...".

    Args:
        level: the history's base level c.
        components: the drivers' history components (``decompose_history``).
        promo: the promotion or price-cut flag per period.
        dates: the history's periods.
        totals: each driver's contribution summed over the horizon, in units.
        kind: the grain kind (``D``, ``W``, ``M``).
    """
    facts = _history_facts(level, components, promo, dates, kind)
    h = max(int(totals.attrs.get("h", 1)), 1)
    unit = _UNIT[kind]
    return {d: f"{facts[d]}; {_effect(float(totals.get(d, 0.0)), h, unit)}" for d in DRIVERS}


def price_cut_flags(price: np.ndarray | None, n: int) -> np.ndarray:
    """1 on periods whose price is under ``_PRICE_CUT`` x the running median price (the last
    91 periods), else 0; zeros without prices. ``price`` may run past ``n`` (planned prices)."""
    if price is None:
        return np.zeros(n)
    past = pd.Series(np.asarray(price, float)[:n])
    regular = past.rolling(91, min_periods=1).median().to_numpy()
    return ((past.to_numpy() < _PRICE_CUT * regular) & np.isfinite(regular)).astype(float)


def promo_matrix(sales: pd.DataFrame, panel: Panel) -> np.ndarray:
    """Promotion flag per SKU and period aligned with ``panel`` (zeros without a promo column)."""
    promo = np.zeros(panel.actual.shape)
    if panel.promo is not None:
        return np.nan_to_num(panel.promo[:, :promo.shape[1]])
    if PROMO not in sales.columns:
        return promo
    rows_at_grain = to_grain(sales, panel.grain)
    rows = pd.Index(panel.skus.astype(str)).get_indexer(rows_at_grain[SKU].astype(str))
    periods = panel.dates.get_indexer(pd.to_datetime(rows_at_grain[DATE]).dt.normalize())
    ok = (rows >= 0) & (periods >= 0)
    values = pd.to_numeric(rows_at_grain[PROMO]).fillna(0.0).to_numpy()
    np.maximum.at(promo, (rows[ok], periods[ok]), values[ok])
    return promo
