"""Feature rows of the global model: one row per (SKU, origin, step ahead).

Design (a direct multi-horizon model: no recursion, one model for every step):
- At an origin ``o`` a SKU's features are scaled by its level ``scale`` (mean weekday- and
  season-adjusted demand of the last 28 known days, or of the last 91 for sparse SKUs, else of
  its whole history), so SKUs of every size share one model: recent means over 7, 28 and 91
  periods and the last value over ``scale``, the share of zero periods, ``log1p(scale)``. Weeks
  and months use windows of their own length (``WINDOWS``: 4/13/52 weeks, 3/12/36 months);
  the feature names keep the daily ones.
- The target period ``o + k`` adds the step ``k``, its weekday and yearly season factors (the
  yearly one relative to the origin's, ``season.py``), calendar and holiday features
  (``calendar.event_features``: daily panels only), and the relative price ``price / regular
  price`` (the median of the 28 periods before the origin) and the promotion flag at the target,
  which the planner knows ahead (``--future``).
- The target is ``y / (scale x weekday factor x yearly factor)`` (``global_model.py``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from invdash.forecast.calendar import EVENT_COLUMNS, event_features, holiday_calendar

__all__ = ["FEATURES", "WINDOWS", "origin_features", "target_features", "stack_rows"]

#: Short, level and long windows of the per-SKU features, in periods of each grain: about a
#: week, a month and a quarter of days; a month, a quarter and a year of weeks; a quarter, a
#: year and three years of months (a 91-month window would reach back eight years).
WINDOWS = {"D": (7, 28, 91), "W": (4, 13, 52), "M": (3, 12, 36)}

FEATURES = (
    "k", "last", "mean7", "mean91", "zero_share", "log_scale", "weekday_factor",
    "season_ratio", "weekday", "month", *EVENT_COLUMNS, "rel_price", "promo",
)


def _window_mean(values: np.ndarray, stop: int, window: int) -> np.ndarray:
    part = values[:, max(stop - window, 0):stop]
    known = ~np.isnan(part)
    return np.where(known.sum(1) > 0, np.nansum(part, 1) / np.maximum(known.sum(1), 1), np.nan)


def origin_features(
    adjusted: np.ndarray, origin: int, windows: tuple[int, int, int] = WINDOWS["D"]
) -> dict[str, np.ndarray]:
    """Per-SKU features at ``origin`` (index of the first forecast period), plus ``scale``.

    ``windows``: the short, level and long windows in periods (``WINDOWS`` by grain). The
    scale falls back from the level window to the long one, then to the whole history, so a
    SKU that paused selling for a while is not scaled by a near-zero level."""
    short, middle, long = windows
    mean28 = _window_mean(adjusted, origin, middle)
    mean91 = _window_mean(adjusted, origin, long)
    scale = np.where(np.nan_to_num(mean28) > 0, mean28, mean91)
    scale = np.where(np.nan_to_num(scale) > 0, scale, _window_mean(adjusted, origin, origin))
    scale = np.where(np.nan_to_num(scale) > 0, scale, 1e-3)
    last = adjusted[:, max(origin - 1, 0)]
    recent = adjusted[:, max(origin - middle, 0):origin]
    known = (~np.isnan(recent)).sum(axis=1)
    zero = np.where(known > 0, (recent <= 0).sum(axis=1) / np.maximum(known, 1), np.nan)
    return {
        "scale": scale, "last": np.nan_to_num(last / scale, nan=1.0),
        "mean7": np.nan_to_num(_window_mean(adjusted, origin, short) / scale, nan=1.0),
        "mean91": np.nan_to_num(mean91 / scale, nan=1.0),
        "zero_share": np.nan_to_num(zero, nan=0.0), "log_scale": np.log1p(scale),
    }


def target_features(  # noqa: PLR0913 - the covariates of one origin
    dates: pd.DatetimeIndex, weekday_factor: np.ndarray, season_ratio: np.ndarray,
    rel_price: np.ndarray, promo: np.ndarray, *, daily: bool, country: str,
) -> dict[str, np.ndarray]:
    """Features of the ``h`` target periods (``dates``) for every SKU, each shape (n, h)."""
    n, h = weekday_factor.shape
    out = {
        "k": np.broadcast_to(np.arange(1, h + 1, dtype=float), (n, h)),
        "weekday_factor": weekday_factor, "season_ratio": season_ratio,
        "weekday": np.broadcast_to(dates.weekday.to_numpy(dtype=float), (n, h)),
        "month": np.broadcast_to(dates.month.to_numpy(dtype=float), (n, h)),
        "rel_price": rel_price, "promo": promo,
    }
    if daily:
        calendar = holiday_calendar(dates.min() - pd.Timedelta(days=40),
                                    dates.max() + pd.Timedelta(days=40), country=country)
        events = event_features(dates, calendar)
        for column in EVENT_COLUMNS:
            out[column] = np.broadcast_to(events[column].to_numpy(), (n, h))
    else:
        for column in EVENT_COLUMNS:
            out[column] = np.zeros((n, h))
    return out


def stack_rows(per_sku: dict[str, np.ndarray], per_target: dict[str, np.ndarray]) -> np.ndarray:
    """The (n * h, len(FEATURES)) matrix, rows SKU-major then step."""
    n, h = per_target["k"].shape
    columns = []
    for name in FEATURES:
        if name in per_target:
            columns.append(np.asarray(per_target[name], dtype=float).reshape(n * h))
        else:
            columns.append(np.repeat(per_sku[name], h))
    return np.column_stack(columns)
