"""Daily demand of the demo shop: an expected-demand matrix and its random draws.

Design: everything is an ``(n_skus, n_days)`` numpy matrix, built without Python loops over days.
Expected demand is a product of factors

    mu[i, t] = level_i * weekly_c(i)[dow(t)] * yearly_c(i)(doy(t)) * exp(slope_i * t / 365)
               * lifecycle_i(t) * lift_i(t)

- ``level_i``: the product type's level times SKU noise; 15% of SKUs are slow movers (x0.15) and
  15% intermittent (x0.03), so every shop has smooth, slow and lumpy series.
- ``weekly`` and ``yearly``: per category (garden peaks in May, toys and festive in December,
  stationery at back-to-school); SKUs share their category's shape with their own amplitude.
- ``lifecycle``: 12% of SKUs launch late (no rows before the launch, demand ramps up over about
  three weeks), 8% are discontinued (demand fades over 60 days, then stops).
- ``lift``: promotions. A third of the SKUs run about one promotion per quarter, 3 to 10 days long,
  with a 10-35% price cut; demand rises by ``(1 - cut) ** -elasticity`` (elasticity 1.5-3.5).

Draws are negative binomial (gamma-Poisson, shape 2-10) for regular SKUs and a compound
Bernoulli-Poisson (rare orders of a few units at once) for intermittent ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["Demand", "make_demand", "WEEKLY", "YEARLY"]

#: Weekly profile per category, Monday..Sunday (normalised to mean 1 below).
WEEKLY = {
    "Kitchen": (1.15, 1.0, 0.95, 0.95, 0.9, 0.95, 1.1),
    "Home Decor": (1.0, 0.95, 0.95, 1.0, 1.0, 1.05, 1.15),
    "Garden": (0.8, 0.8, 0.85, 0.9, 1.05, 1.4, 1.4),
    "Stationery": (1.25, 1.2, 1.1, 1.05, 0.95, 0.7, 0.75),
    "Toys": (0.85, 0.85, 0.9, 0.95, 1.05, 1.25, 1.25),
    "Bath": (1.1, 1.0, 1.0, 0.95, 0.95, 0.95, 1.05),
    "Festive": (0.9, 0.9, 0.95, 1.0, 1.05, 1.15, 1.15),
}

#: Yearly bumps per category: ``(peak day of year, sharpness kappa, log-amplitude)``.
YEARLY = {
    "Kitchen": ((340, 2.0, 0.35),),
    "Home Decor": ((335, 2.0, 0.5), (45, 6.0, 0.2)),
    "Garden": ((135, 1.5, 1.3),),
    "Stationery": ((240, 6.0, 0.9), (8, 8.0, 0.5)),
    "Toys": ((345, 4.0, 1.2),),
    "Bath": ((15, 2.0, 0.25),),
    "Festive": ((350, 12.0, 3.2),),
}


@dataclass(frozen=True)
class Demand:
    """Expected and drawn demand of the shop.

    Attributes:
        dates: the ``n_days`` calendar days.
        mean: expected demand ``mu[i, t]`` (units/day).
        qty: drawn demand (whole units), before any stockout censoring.
        list_price: list price per SKU.
        price: price paid per SKU and day (list price, or the promotion price).
        promo: 1.0 on promotion days, else 0.0.
        first_day: index of each SKU's first day (0, or its launch day).
        last_order_day: the day after which the shop stops re-ordering (discontinued SKUs).
    """

    dates: pd.DatetimeIndex
    mean: np.ndarray
    qty: np.ndarray
    list_price: np.ndarray
    price: np.ndarray
    promo: np.ndarray
    first_day: np.ndarray
    last_order_day: np.ndarray


def _seasonal_trend(
    categories: np.ndarray, dates: pd.DatetimeIndex, rng: np.random.Generator
) -> np.ndarray:
    """Weekly and yearly seasonality times the trend, in one ``exp`` (the matrix is large)."""
    n_skus = len(categories)
    slope = np.clip(rng.normal(0.05, 0.25, n_skus), -0.7, 0.8)
    years = np.arange(len(dates)) / 365.0
    dow = dates.dayofweek.to_numpy()
    theta = 2 * np.pi * dates.dayofyear.to_numpy() / 365.25
    factor = np.ones((n_skus, len(dates)))
    weekly_amp = rng.uniform(0.6, 1.3, n_skus)
    yearly_amp = rng.uniform(0.7, 1.2, n_skus)
    for name in np.unique(categories):
        rows = categories == name
        weekly = np.asarray(WEEKLY[name]) / np.mean(WEEKLY[name])
        log_year = np.zeros(len(dates))
        for peak, kappa, amplitude in YEARLY[name]:
            bump = np.exp(kappa * (np.cos(theta - 2 * np.pi * peak / 365.25) - 1))
            log_year += amplitude * (bump - bump.mean())
        log_weekly = np.log(weekly[dow])
        factor[rows] = np.exp(
            np.outer(weekly_amp[rows], log_weekly)
            + np.outer(yearly_amp[rows], log_year)
            + np.outer(slope[rows], years)
        )
    return factor


def _apply_lifecycle(mean: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Scale launched and discontinued SKUs' rows of ``mean`` in place; return launch and stop."""
    n_skus, n_days = mean.shape
    days = np.arange(n_days)
    kind = rng.choice(3, n_skus, p=[0.80, 0.12, 0.08])
    launch = np.where(kind == 1, (rng.uniform(0.2, 0.85, n_skus) * n_days).astype(int), 0)
    stop = np.where(kind == 2, (rng.uniform(0.5, 0.9, n_skus) * n_days).astype(int), n_days)
    rows = np.flatnonzero(kind > 0)
    since_launch = days[None, :] - launch[rows, None]
    ramp = np.where(since_launch < 0, 0.0, 1 - np.exp(-(since_launch + 1) / 7.0))
    fade = np.clip((stop[rows, None] - days[None, :]) / 60.0, 0.0, 1.0)
    mean[rows] *= ramp * fade
    return launch, stop


def _promotions(
    n_skus: int, n_days: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Promotion flag and price cut per SKU and day."""
    cut = np.zeros((n_skus, n_days))
    eligible = rng.random(n_skus) < 0.35
    events = rng.poisson(n_days / 90.0, n_skus) * eligible
    # A loop over events (about n_skus * n_days / 270 of them) is fast and reads plainly.
    for sku in np.flatnonzero(events):
        for _ in range(events[sku]):
            start = int(rng.integers(0, n_days))
            length = int(rng.integers(3, 11))
            cut[sku, start : start + length] = round(rng.uniform(0.10, 0.35) * 20) / 20
    return (cut > 0).astype(float), cut


def _draw(mean: np.ndarray, intermittent: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n_skus = mean.shape[0]
    shape = rng.uniform(2.0, 10.0, n_skus)[:, None]
    qty = rng.poisson(rng.gamma(shape, mean / shape)).astype(float)
    rows = np.flatnonzero(intermittent)
    if rows.size:
        size_mean = rng.uniform(1.5, 4.0, rows.size)[:, None]
        occurs = rng.random((rows.size, mean.shape[1])) < np.minimum(mean[rows] / size_mean, 1.0)
        sizes = 1 + rng.poisson(size_mean - 1, (rows.size, mean.shape[1]))
        qty[rows] = np.where(occurs, sizes, 0).astype(float)
    return qty


def make_demand(
    products: pd.DataFrame, dates: pd.DatetimeIndex, rng: np.random.Generator
) -> Demand:
    """Expected and drawn daily demand for every product (see the module docstring).

    Args:
        products: the catalogue from ``make_catalog`` (sorted by SKU).
        dates: consecutive calendar days.
        rng: the shop's random generator.

    Returns:
        The ``Demand`` matrices, rows in the order of ``products``.
    """
    n_skus, n_days = len(products), len(dates)
    velocity = rng.choice(3, n_skus, p=[0.70, 0.15, 0.15])
    level = (
        products["type_level"].to_numpy()
        * rng.lognormal(0.0, 0.5, n_skus)
        * np.array([1.0, 0.15, 0.03])[velocity]
    )
    mean = _seasonal_trend(products["category"].to_numpy(), dates, rng)
    mean *= level[:, None]
    launch, stop = _apply_lifecycle(mean, rng)
    promo, cut = _promotions(n_skus, n_days, rng)
    elasticity = rng.uniform(1.5, 3.5, n_skus)
    on_promo = np.nonzero(cut)
    mean[on_promo] *= (1.0 - cut[on_promo]) ** -elasticity[on_promo[0]]
    qty = _draw(mean, velocity == 2, rng)
    list_price = products["unit_price"].to_numpy()
    price = np.repeat(list_price[:, None], n_days, axis=1)
    price[on_promo] = np.round(price[on_promo] * (1.0 - cut[on_promo]), 2)
    return Demand(
        dates=dates, mean=mean, qty=qty, list_price=list_price, price=price, promo=promo,
        first_day=launch, last_order_day=stop,
    )
