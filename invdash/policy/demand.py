"""Demand over the protection period (lead time + review period) from the forecast distribution.

Design:
- Each forecast day gets a gamma distribution with the forecast mean and the shape k whose
  quantiles best match the forecast's p05, p95 and p99 (``FIT_COLUMNS``; least squares over a
  grid of shapes). Those are the engine model's own gamma quantiles; p10 .. p90 are recalibrated
  for display (``forecast.levels``) and left out, so the stock rests on the model's per-SKU
  spread plus the level uncertainty fitted on lead-time windows, not on a class-pooled daily map.
  The variance mean^2 / k is floored at the Poisson variance (= mean): demand is a count.
  Slow and intermittent movers (mean 0.1 a day) keep a long thin tail instead of a normal's
  negative left half.
- The lead time is random: L ~ N(lead_time_days, lead_time_sd_days^2) rounded to whole days,
  at least 1. ``protection_demand`` gives the exact mean and variance of the demand over L
  (``D_L``) and over L + R (``D_{L+R}``): days are independent, so the moments of a sum are sums,
  mixed over the discretised lead-time distribution (law of total variance). An optional mean-1
  level factor (``level_uncertainty_cv``) makes errors of different days move together:
  Var[cX] = (1 + cv^2) E[X^2] - E[X]^2. Exact moments are smooth in the inputs, so the policy
  never moves the wrong way by sampling noise.
- ``sample_protection_demand`` draws Monte Carlo paths of the same model (a random lead time per
  path) for probabilities (stockout before the next delivery) and the quantiles of
  ``lead_time_demand``. Day d always draws from the generator seeded (seed, chunk, d): common
  random numbers across calls.
- Days past the forecast horizon repeat the last week of the forecast.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from invdash.forecast.levels import MODEL_TAIL_COLUMNS
from invdash.policy.inputs import spread_to_days
from invdash.policy.params import PolicyParams
from invdash.schema import (
    DATE,
    MEAN,
    QUANTILE_COLUMNS,
    QUANTILES,
    SKU,
    InvalidDataError,
    validate_forecasts,
)

__all__ = [
    "DailyDemand", "DemandSamples", "ProtectionDemand", "daily_demand", "protection_demand",
    "sample_protection_demand", "lead_time_demand", "DEFAULT_LEAD_TIME_DAYS",
]  # fmt: skip

#: Used (and said in the reason) when a product has no lead time.
DEFAULT_LEAD_TIME_DAYS = 7.0
#: The quantiles the daily gamma is fitted to (the model's own, module docstring).
FIT_COLUMNS = MODEL_TAIL_COLUMNS
_SHAPES = np.logspace(-2.5, 3.5, 121)  # gamma shapes k tried when fitting a forecast day
_ROWS_PER_FIT = 50_000
_CELLS_PER_CHUNK = 4_000_000


@dataclass(frozen=True)
class DailyDemand:
    """Per-SKU daily demand distributions from a forecast: sorted ``skus`` (n,), the first
    forecast date per SKU, daily ``mean`` and ``var`` of shape (n, H) (H the longest horizon,
    shorter ones padded) and the forecast days per SKU (``horizon``)."""

    skus: np.ndarray
    start: np.ndarray
    mean: np.ndarray
    var: np.ndarray
    horizon: np.ndarray


@dataclass(frozen=True)
class DemandSamples:
    """Monte Carlo demand over the protection period: the fitted ``daily`` distributions, the
    lead time's mean and sd per SKU (n,), and the demand over L (``demand_l``) and over L + R
    (``demand_lr``), shape (n_samples, n)."""

    daily: DailyDemand
    lead_time_days: np.ndarray
    lead_time_sd_days: np.ndarray
    demand_l: np.ndarray
    demand_lr: np.ndarray


def daily_demand(forecasts: pd.DataFrame) -> DailyDemand:
    """Fit the per-day distributions (mean, variance) of every SKU's forecast.

    Args:
        forecasts: forecast frame ``sku, date, model, mean, p05 .. p99``, one model per SKU,
            at any grain: weekly or monthly rows are spread over their days
            (``inputs.spread_to_days``), so the result is always per day.

    Raises:
        InvalidDataError: bad forecast frame, or several rows for one SKU and day.
    """
    validate_forecasts(forecasts)
    if forecasts.duplicated([SKU, DATE]).any():
        raise InvalidDataError(
            "forecasts have several rows for one sku and date (several models?); "
            "keep one model per SKU, e.g. the chosen model of the forecast run."
        )
    frame = forecasts.assign(
        **{DATE: pd.to_datetime(forecasts[DATE]), SKU: forecasts[SKU].astype(str)}
    )
    frame = frame.sort_values([SKU, DATE])
    mean = frame[MEAN].to_numpy(dtype=float)
    var = np.maximum(_gamma_variance(mean, frame[list(FIT_COLUMNS)].to_numpy(dtype=float)), mean)
    # A weekly or monthly forecast is spread over its days: lead times are in days.
    sku_rows, dates, mean, var = spread_to_days(frame[SKU].to_numpy(), frame[DATE], mean, var)
    frame = pd.DataFrame({SKU: sku_rows, DATE: dates})
    day = frame.groupby(SKU).cumcount().to_numpy()
    skus, sku_index = np.unique(frame[SKU].to_numpy(), return_inverse=True)
    horizon = np.bincount(sku_index, minlength=len(skus))
    mean_m = np.zeros((len(skus), horizon.max(initial=1)))
    var_m = np.zeros_like(mean_m)
    mean_m[sku_index, day] = mean
    var_m[sku_index, day] = var
    start = frame.groupby(SKU)[DATE].min().reindex(skus).to_numpy()
    return DailyDemand(skus=skus, start=start, mean=mean_m, var=var_m, horizon=horizon)


def _unit_gamma_ppf(levels: np.ndarray, shapes: np.ndarray) -> np.ndarray:
    """``scipy.stats.gamma.ppf(levels, k, scale=1 / k)`` (levels in (0, 1)) from scipy.special:
    importing scipy.stats costs 2-5 s of a server's first SKU Explorer view (its projected
    stock); tests/unit/policy/test_demand_special.py pins it and ``ndtr`` to scipy.stats."""
    return special.gammaincinv(shapes, levels) * (1 / shapes)


def _gamma_variance(mean: np.ndarray, quantiles: np.ndarray) -> np.ndarray:
    """Variance mean^2 / k of the gamma with this mean whose quantiles best fit ``quantiles``."""
    # Tiny shapes have quantiles like 1e-300; flushing them to 0 avoids slow denormal maths.
    levels = np.array([QUANTILES[QUANTILE_COLUMNS.index(c)] for c in FIT_COLUMNS])
    unit = _unit_gamma_ppf(levels[None, :], _SHAPES[:, None])
    unit = np.where(unit < 1e-12, 0.0, unit)
    var = np.zeros(len(mean))
    for first in range(0, len(mean), _ROWS_PER_FIT):
        rows = slice(first, first + _ROWS_PER_FIT)
        m, q = mean[rows, None], quantiles[rows]
        # sum_q (m u_kq - f_q)^2 = m^2 sum u^2 - 2 m sum u f + const, for every shape k at once
        error = m**2 * (unit**2).sum(axis=1)[None, :] - 2 * m * (q @ unit.T)
        shape = _SHAPES[np.argmin(error, axis=1)]
        var[rows] = mean[rows] ** 2 / shape
    return var


def _extend(matrix: np.ndarray, horizon: np.ndarray, n_days: int) -> np.ndarray:
    """Columns 0..n_days-1; past a SKU's horizon repeat its last (up to) seven days."""
    out = np.empty((matrix.shape[0], n_days))
    for row, h in enumerate(horizon):
        period = int(min(7, h))
        days = np.arange(n_days)
        past = days >= h
        source = np.where(past, h - period + (days - h) % period, days)
        out[row] = matrix[row, source]
    return out


def _lead_times(
    products: pd.DataFrame, skus: np.ndarray, params: PolicyParams
) -> tuple[np.ndarray, np.ndarray]:
    table = products.assign(**{SKU: products[SKU].astype(str)}).set_index(SKU).reindex(skus)
    lead = table.get("lead_time_days", pd.Series(np.nan, index=table.index)).to_numpy(dtype=float)
    sd = table.get("lead_time_sd_days", pd.Series(np.nan, index=table.index)).to_numpy(dtype=float)
    if params.lead_time_days is not None:
        lead = np.full(len(skus), float(params.lead_time_days))
    if params.lead_time_sd_days is not None:
        sd = np.full(len(skus), float(params.lead_time_sd_days))
    lead = np.where(np.isfinite(lead) & (lead > 0), lead, DEFAULT_LEAD_TIME_DAYS)
    return lead, np.where(np.isfinite(sd) & (sd > 0), sd, 0.0)


@dataclass(frozen=True)
class ProtectionDemand:
    """Exact moments of demand over the lead time (``_l``) and lead time + review (``_lr``).

    Attributes:
        daily: the fitted daily distributions.
        lead_time_days, lead_time_sd_days: the lead-time distribution per SKU (n,).
        lead_mean, lead_var: mean and variance of demand over the lead time L (n,), in units
            and units^2.
        protection_mean, protection_var: the same over the protection period L + R.
        review_period_days, level_cv: R and ``level_uncertainty_cv``.
        lead_var_base, review_mean, review_var_base: Var D_L, and mean and variance of the
            demand over the R days after L, at level factor 1 (for ``lost_sales``).
    """

    daily: DailyDemand
    lead_time_days: np.ndarray
    lead_time_sd_days: np.ndarray
    lead_mean: np.ndarray
    lead_var: np.ndarray
    protection_mean: np.ndarray
    protection_var: np.ndarray
    review_period_days: int = 7
    level_cv: float = 0.0
    lead_var_base: np.ndarray | None = None
    review_mean: np.ndarray | None = None
    review_var_base: np.ndarray | None = None


def _lead_time_weights(lead: np.ndarray, lead_sd: np.ndarray, max_lead: int) -> np.ndarray:
    """P(L = l) for l = 1..max_lead per SKU: a normal rounded to whole days, clipped at the ends."""
    days = np.arange(1, max_lead + 1)[None, :]
    sd = np.where(lead_sd > 0, lead_sd, 1.0)[:, None]
    upper = np.where(days == max_lead, 1.0, special.ndtr((days + 0.5 - lead[:, None]) / sd))
    lower = np.where(days == 1, 0.0, special.ndtr((days - 0.5 - lead[:, None]) / sd))
    weights = upper - lower
    fixed = np.clip(np.floor(lead + 0.5), 1, max_lead).astype(int)
    point = (days == fixed[:, None]).astype(float)
    return np.where((lead_sd > 0)[:, None], weights, point)


def _lead_reach(
    products: pd.DataFrame, lead: np.ndarray, lead_sd: np.ndarray, params: PolicyParams
) -> float:
    """The longest lead time considered, L + 6 sd, over every product of ``products`` (and the
    default lead time), not only the SKUs planned now: the lead-time grid is then the same for
    any chunk of SKUs, so a policy computed chunk by chunk equals the one computed at once."""
    every = products[SKU].astype(str).unique() if SKU in products else np.array([], dtype=str)
    shop_lead, shop_sd = _lead_times(products, every, params)
    return float(max(
        (lead + 6 * lead_sd).max(initial=1), (shop_lead + 6 * shop_sd).max(initial=1),
        DEFAULT_LEAD_TIME_DAYS,
    ))


def _mixed_moments(
    weights: np.ndarray, cum_mean: np.ndarray, cum_var: np.ndarray, offset: int
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and E[X^2] of the demand over L + offset days, mixed over P(L = l)."""
    n_lead = weights.shape[1]
    m = cum_mean[:, offset : offset + n_lead]
    v = cum_var[:, offset : offset + n_lead]
    return (weights * m).sum(axis=1), (weights * (v + m**2)).sum(axis=1)


def protection_demand(
    forecasts: pd.DataFrame, products: pd.DataFrame, *, params: PolicyParams
) -> ProtectionDemand:
    """Exact mean and variance of the demand over L and over L + R per SKU (no sampling).

    Example: 10 units a day with variance 10 (Poisson), L = 7 +- 1 day, R = 7: mean 140 and
    variance 14 x 10 + 10^2 x 1 = 240 over L + R.

    Args:
        forecasts: forecast frame (one model per SKU), starting the day after the decision day.
        products: ``sku, lead_time_days, lead_time_sd_days`` (missing lead time: 7 days).
        params: policy parameters (review period, lead-time overrides, level uncertainty).
    """
    daily = daily_demand(forecasts)
    lead, lead_sd = _lead_times(products, daily.skus, params)
    review = int(params.review_period_days)
    max_lead = int(min(np.ceil(_lead_reach(products, lead, lead_sd, params)) + 1,
                       params.max_days - review))
    weights = _lead_time_weights(np.minimum(lead, max_lead), lead_sd, max_lead)
    n_days = max_lead + review
    zero = np.zeros((len(daily.skus), 1))
    cum_mean = np.hstack([zero, np.cumsum(_extend(daily.mean, daily.horizon, n_days), axis=1)])
    cum_var = np.hstack([zero, np.cumsum(_extend(daily.var, daily.horizon, n_days), axis=1)])
    level = 1.0 + params.level_uncertainty_cv**2
    moments, base = [], []  # base: the variances at level factor 1
    for offset in (1, 1 + review):
        mean, second = _mixed_moments(weights, cum_mean, cum_var, offset)
        moments.append((mean, np.maximum(level * second - mean**2, 0.0)))
        base.append(np.maximum(second - mean**2, 0.0))
    (lead_mean, lead_var), (protection_mean, protection_var) = moments
    return ProtectionDemand(
        daily=daily, lead_time_days=lead, lead_time_sd_days=lead_sd, lead_mean=lead_mean,
        lead_var=lead_var, protection_mean=protection_mean, protection_var=protection_var,
        review_period_days=review,
        level_cv=float(params.level_uncertainty_cv),
        lead_var_base=base[0],
        review_mean=np.maximum(protection_mean - lead_mean, 0.0),
        review_var_base=np.maximum(base[1] - base[0], 0.0),
    )


def _sample_chunk(  # noqa: PLR0913 - array arguments of one vectorised step
    mean: np.ndarray,
    var: np.ndarray,
    lead_days: np.ndarray,
    review_days: int,
    n_samples: int,
    seeds: tuple[int, int],
) -> tuple[np.ndarray, np.ndarray]:
    """Demand over L and over L + R for one chunk of SKUs; ``lead_days`` is (n_samples, k)."""
    n_days = mean.shape[1]
    positive = mean > 0
    shape = np.where(positive, mean**2 / np.where(positive, var, 1.0), 1.0)
    scale = np.where(positive, var / np.where(positive, mean, 1.0), 0.0)
    cumulative = np.zeros((n_samples, mean.shape[0]))
    demand_l = np.zeros_like(cumulative)
    demand_lr = np.zeros_like(cumulative)
    for day in range(n_days):
        rng = np.random.default_rng([*seeds, day])
        cumulative += rng.gamma(shape[:, day], scale[:, day], size=cumulative.shape)
        demand_l = np.where(lead_days == day + 1, cumulative, demand_l)
        demand_lr = np.where(lead_days + review_days == day + 1, cumulative, demand_lr)
    return demand_l, demand_lr


def sample_protection_demand(
    forecasts: pd.DataFrame,
    products: pd.DataFrame,
    *,
    params: PolicyParams,
    seed: int = 0,
    n_samples: int | None = None,
) -> DemandSamples:
    """Monte Carlo demand over the lead time L and over L + R for every forecast SKU.

    Args:
        forecasts: forecast frame (one model per SKU), starting the day after the decision day.
        products: ``sku, lead_time_days, lead_time_sd_days`` (missing lead time: 7 days).
        params: policy parameters (review period, lead-time overrides, level uncertainty).
        seed: random seed; the same inputs and seed give the same samples.
        n_samples: sample paths per SKU (default ``params.n_samples``).
    """
    n_samples = int(n_samples or params.n_samples)
    daily = daily_demand(forecasts)
    lead, lead_sd = _lead_times(products, daily.skus, params)
    review = int(params.review_period_days)
    z = np.random.default_rng([seed, 1_000_003]).standard_normal((n_samples, len(daily.skus)))
    lead_draw = np.clip(np.floor(lead + lead_sd * z + 0.5), 1, params.max_days - review).astype(int)
    n_days = int(lead_draw.max(initial=1)) + review
    mean = _extend(daily.mean, daily.horizon, n_days)
    var = _extend(daily.var, daily.horizon, n_days)
    demand_l = np.zeros((n_samples, len(daily.skus)))
    demand_lr = np.zeros_like(demand_l)
    step = max(1, _CELLS_PER_CHUNK // (n_samples * n_days))
    for chunk, first in enumerate(range(0, len(daily.skus), step)):
        cols = slice(first, first + step)
        demand_l[:, cols], demand_lr[:, cols] = _sample_chunk(
            mean[cols], var[cols], lead_draw[:, cols], review, n_samples, (seed, chunk)
        )
    if params.level_uncertainty_cv > 0:
        k = 1.0 / params.level_uncertainty_cv**2
        level = np.random.default_rng([seed, 1_000_033]).gamma(k, 1.0 / k, size=demand_l.shape)
        demand_l, demand_lr = demand_l * level, demand_lr * level
    return DemandSamples(
        daily=daily,
        lead_time_days=lead,
        lead_time_sd_days=lead_sd,
        demand_l=demand_l,
        demand_lr=demand_lr,
    )


def lead_time_demand(
    forecasts: pd.DataFrame,
    products: pd.DataFrame,
    *,
    params: PolicyParams,
    seed: int = 0,
    n_samples: int | None = None,
) -> pd.DataFrame:
    """Distribution of demand over lead time + review period (L + R) per SKU.

    Mean and sd are exact (``protection_demand``); the quantiles come from Monte Carlo paths
    of gamma-distributed forecast days over a random lead time (see the module docstring).
    Example: a steady 10 units a day with sd 3 (floored to the Poisson variance 10), L = 7,
    R = 7 gives a mean of 140 and an sd of sqrt(14 x 10) = 11.8.

    Args:
        forecasts: forecast frame ``sku, date, model, mean, p05 .. p99`` (one model per SKU).
        products: ``sku, lead_time_days, lead_time_sd_days``.
        params: policy parameters (``review_period_days`` R and lead-time overrides).
        seed: random seed.
        n_samples: Monte Carlo paths per SKU (default ``params.n_samples``).

    Returns:
        Frame ``sku, lead_time_days, lead_time_sd_days, protection_days, demand_daily_mean,
        lead_time_demand_mean, protection_demand_mean, protection_demand_sd,
        protection_demand_p50 .. p99``: units over the lead time L (``lead_time_``) or over the
        protection period L + R (``protection_``).
    """
    exact = protection_demand(forecasts, products, params=params)
    samples = sample_protection_demand(
        forecasts, products, params=params, seed=seed, n_samples=n_samples
    )
    quantiles = np.quantile(samples.demand_lr, [0.5, 0.9, 0.95, 0.99], axis=0)
    daily = samples.daily
    return pd.DataFrame(
        {
            SKU: daily.skus,
            "lead_time_days": samples.lead_time_days,
            "lead_time_sd_days": samples.lead_time_sd_days,
            "protection_days": samples.lead_time_days + params.review_period_days,
            "demand_daily_mean": daily.mean.sum(axis=1) / np.maximum(daily.horizon, 1),
            "lead_time_demand_mean": exact.lead_mean,
            "protection_demand_mean": exact.protection_mean,
            "protection_demand_sd": np.sqrt(exact.protection_var),
            "protection_demand_p50": quantiles[0],
            "protection_demand_p90": quantiles[1],
            "protection_demand_p95": quantiles[2],
            "protection_demand_p99": quantiles[3],
        }
    )
