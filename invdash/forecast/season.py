"""Yearly season: multiplicative profiles pooled by category and shop, shrunk to each SKU's own.

Design:
- A year has ``S`` slots: 52 weeks of the year for daily and weekly panels, 12 months for
  monthly ones. A date's slot is its week of year (day of year // 7, the 53rd partial week
  joined to the 52nd) or its month.
- Ratio to a moving average: each value (weekday-adjusted for days) is divided by its SKU's
  centred one-year moving mean (half a window at least, so the first and last half-years count
  too). A slot's ratio is sum(values) / sum(moving means) over the cells in that slot: a ratio of
  sums, robust for sparse SKUs.
- Pooling: the shop's ratios, the category's shrunk towards the shop's with weight
  ``units / (units + K_category)``, and the SKU's own shrunk towards its category's with weight
  ``years_seen**2 * units / (units + K_sku)`` (``units``: expected units in the slot, so a big
  seller's own profile counts, a slow one borrows its category's). A SKU with under a year of
  history takes its category's profile, so its first Q4 peak is forecast.
- Profiles are smoothed over neighbouring slots (circular) and scaled to mean 1. Daily factors
  interpolate linearly between slot centres, so the season has no steps between weeks.
- The season is used only when the panel spans at least ``min_years`` years (default 1 year plus
  a quarter): with less, no slot was seen twice by the pooled estimate's moving mean.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from invdash.forecast.grain import Grain, periods_per_year

__all__ = ["yearly_slots", "yearly_profiles", "season_factors", "has_yearly_history"]

_K_CATEGORY = 200.0
_K_SKU = 400.0
_CLIP = (0.05, 25.0)


def yearly_slots(dates: pd.DatetimeIndex, grain: Grain) -> tuple[np.ndarray, int]:
    """Fractional slot position of each date and the number of slots ``S``."""
    dates = pd.DatetimeIndex(dates)
    if grain.kind == "M":
        return (dates.month.to_numpy() - 1).astype(float), 12
    doy = dates.dayofyear.to_numpy() - 1
    if grain.kind == "W":
        doy = doy + 3  # the middle of a week labelled by its first day
    return np.minimum(doy / 7.0, 51.999), 52


def has_yearly_history(n_periods: int, grain: Grain, *, min_years: float = 1.25) -> bool:
    """True when ``n_periods`` cover at least ``min_years`` years."""
    return n_periods >= min_years * periods_per_year(grain)


def _moving_mean(values: np.ndarray, window: int) -> np.ndarray:
    """Centred NaN-aware moving mean over ``window`` periods (needs half of them known)."""
    known = ~np.isnan(values)
    sums = np.concatenate([np.zeros((values.shape[0], 1)),
                           np.cumsum(np.where(known, values, 0.0), axis=1)], axis=1)
    counts = np.concatenate([np.zeros((values.shape[0], 1)), np.cumsum(known, axis=1)], axis=1)
    t = values.shape[1]
    lo = np.clip(np.arange(t) - window // 2, 0, t)
    hi = np.clip(np.arange(t) + window - window // 2, 0, t)
    window_counts = counts[:, hi] - counts[:, lo]
    mean = (sums[:, hi] - sums[:, lo]) / np.maximum(window_counts, 1)
    return np.where(window_counts >= window / 2, mean, np.nan)


def _slot_sums(values: np.ndarray, level: np.ndarray, slot: np.ndarray, grain: Grain, s: int):
    ok = ~np.isnan(values) & ~np.isnan(level)
    per_slot_year = periods_per_year(grain) / s
    num = np.zeros((values.shape[0], s))
    den = np.zeros((values.shape[0], s))
    years = np.zeros((values.shape[0], s))
    for k in range(s):
        cols = slot == k
        num[:, k] = np.where(ok[:, cols], values[:, cols], 0.0).sum(axis=1)
        den[:, k] = np.where(ok[:, cols], level[:, cols], 0.0).sum(axis=1)
        years[:, k] = ok[:, cols].sum(axis=1) / per_slot_year
    return num, den, years


def _smooth(profile: np.ndarray, weight: float) -> np.ndarray:
    rolled = np.roll(profile, 1, axis=-1) + np.roll(profile, -1, axis=-1)
    return (1 - weight) * profile + weight * rolled / 2


def _normalise(profile: np.ndarray) -> np.ndarray:
    profile = np.clip(profile, *_CLIP)
    return profile / profile.mean(axis=-1, keepdims=True)


def yearly_profiles(
    values: np.ndarray, dates: pd.DatetimeIndex, grain: Grain, groups: np.ndarray
) -> np.ndarray:
    """Yearly profile per SKU, shape (n, S), mean 1 (see the module docstring).

    Args:
        values: demand per SKU and period (weekday-adjusted for days), NaN unknown, (n, T).
        dates: the T periods.
        grain: their grain.
        groups: category code per SKU, shape (n,) (one code for all: shop-only pooling).
    """
    position, s = yearly_slots(dates, grain)
    slot = np.floor(position).astype(int)
    window = int(round(periods_per_year(grain)))
    profiles = np.ones((values.shape[0], s))
    # Two passes: the moving mean of the second is taken on the season-adjusted series, so the
    # half windows at both ends are not lifted or lowered by the peak they happen to contain.
    for _ in range(2):
        factors = season_factors(profiles, dates.to_numpy(), grain)
        level = _moving_mean(values / factors, window)
        profiles = _pooled(values, level, slot, grain, s, groups)
    return profiles


def _pooled(  # noqa: PLR0913 - the estimator's arrays
    values: np.ndarray, level: np.ndarray, slot: np.ndarray, grain: Grain, s: int,
    groups: np.ndarray,
) -> np.ndarray:
    num, den, years = _slot_sums(values, level, slot, grain, s)
    shop = _normalise(_smooth(num.sum(0) / np.maximum(den.sum(0), 1e-9), 0.3))
    profiles = np.empty_like(num)
    for code in np.unique(groups):
        rows = groups == code
        units = den[rows].sum(0)
        own = num[rows].sum(0) / np.maximum(units, 1e-9)
        w = units / (units + _K_CATEGORY)
        category = _normalise(_smooth(w * own + (1 - w) * shop, 0.1))
        sku_own = num[rows] / np.maximum(den[rows], 1e-9)
        w_sku = np.clip(years[rows], 0, 1) ** 2 * den[rows] / (den[rows] + _K_SKU)
        profiles[rows] = w_sku * sku_own + (1 - w_sku) * category[None, :]
    return _normalise(_smooth(profiles, 0.2))


def season_factors(
    profiles: np.ndarray, dates: np.ndarray, grain: Grain
) -> np.ndarray:
    """Factor of each SKU on each date: (n, m) for ``dates`` (m,) or (n, m) datetime64.

    Daily and weekly factors interpolate linearly between slot centres (circular).
    """
    n, s = profiles.shape
    flat = pd.DatetimeIndex(np.asarray(dates).ravel())
    position, _ = yearly_slots(flat, grain)
    position = position.reshape(np.shape(dates))
    if grain.kind == "M":
        idx = position.astype(int)
        return np.take_along_axis(profiles, np.broadcast_to(idx, (n, *idx.shape[-1:])), axis=1)
    centre = position - 0.5
    lo = np.floor(centre).astype(int) % s
    hi = (lo + 1) % s
    frac = centre - np.floor(centre)
    lo_b = np.broadcast_to(lo, (n, lo.shape[-1]))
    hi_b = np.broadcast_to(hi, (n, hi.shape[-1]))
    return (1 - frac) * np.take_along_axis(profiles, lo_b, axis=1) + frac * np.take_along_axis(
        profiles, hi_b, axis=1
    )
