"""Quantile-level recalibration: the levels at which the gamma is read so that its quantiles cover.

Design (recalibration through the probability integral transform, PIT): a forecast
distribution F is calibrated when the PIT u = F(y) of what then sold is uniform, i.e. a share
tau of actuals lies at or below the tau-quantile. On the backtest, per demand class and horizon
bucket, the empirical distribution H of the PITs says how far off each level is: reading F at
``tau' = H^-1(tau)`` instead of tau gives a quantile that held-out actuals fall below a share tau
of the time (if the miscalibration persists). H is monotone, so the mapped quantiles stay
ordered. A cell's map is shrunk towards its parent's (bucket -> class -> all -> the identity)
with ``PRIOR_CELLS`` pseudo-observations, so a small class borrows the shop's map.

Only the levels p10 .. p90 are mapped (``MAPPED_RANGE``: the intervals the charts and Model
Quality show); p05, p95 and p99 stay the model gamma's own (``keep_model_tails``), and they are
what the policy fits its daily distribution to (``policy.demand.FIT_COLUMNS``). Why: a daily map
is pooled over a class and calibrates one day's marginal tail (bulk orders included); read as
the variance of independent days, it inflated the lead-time demand of every SKU of the class
alike (x1.8 on Online Retail's top 40), the policy's level uncertainty fell to 0 and, at equal
fill, the replay held 11-23 % more stock than with the model's own tails. The policy calibrates
the spread over lead time + review on past windows (``policy.calibration.fitted_level_cv``).

Whole units: a count has no continuous PIT (F jumps at each integer), and an interval with
whole-unit ends can hold 80 % of the actuals only on average over SKU-days (Poisson(2):
[0, 3] holds 86 %, [1, 3] 72 %). The count CDF is that of ``gamma.count_quantiles``,
F(y) = G(y + 0.5) for the gamma G (the mid-point continuity correction), and an actual y has the
PIT interval [F(y - 1), F(y)]. The convention here is *ends included*: a planner reads "3 to 7
units" as 3 and 7 being inside, and the benchmarks count coverage that way. So the levels below
the median are mapped on the PIT ends F(y), those above on F(y - 1) (``inclusive_level_map``):
then a share tau of actuals lies at or below an upper quantile and a share tau strictly below a
lower one, and [p10, p90] holds 80 % of actuals with its ends. The median is mapped on the
non-randomised PIT (Czado, Gneiting & Held 2009: y contributes the uniform distribution on its
PIT interval, the expectation of the randomised PIT, so no sampling noise). Not chosen: the
randomised PIT at every level, which makes a count forecast calibrated in the probabilistic
sense but leaves its whole-unit interval covering 0.85 with ends included (Online Retail top
300, measured); and non-integer quantiles, which a planner cannot order. The quantiles of such
SKUs stay whole numbers (``ceil(G^-1(tau') - 0.5)``).
"""

from __future__ import annotations

import numpy as np
from scipy import special

from invdash.schema import QUANTILES, quantile_column

__all__ = [
    "LEVEL_BUCKETS", "PRIOR_CELLS", "pit_bounds", "level_map", "inclusive_level_map",
    "shrink_levels",
    "horizon_buckets", "gamma_quantiles_at", "pit_coverage", "MAPPED_RANGE", "MODEL_TAIL_COLUMNS",
    "keep_model_tails",
]

LEVEL_BUCKETS = 1
PRIOR_CELLS = 300.0
#: The levels the map recalibrates: the 80 % interval's ends and the quantiles between them
#: (what the charts and Model Quality show). p05, p95 and p99 stay the model gamma's own
#: (``keep_model_tails``): the policy reads its daily distribution from them.
MAPPED_RANGE = (0.10, 0.90)
#: The forecast columns outside ``MAPPED_RANGE``: read at the gamma's nominal levels.
MODEL_TAIL_COLUMNS = tuple(quantile_column(q) for q in QUANTILES
                           if not MAPPED_RANGE[0] <= q <= MAPPED_RANGE[1])
_LEVEL_RANGE = (1e-5, 1 - 1e-5)
_BISECTION_STEPS = 30


def pit_bounds(
    actual: np.ndarray, mean: np.ndarray, index: np.ndarray, integer_rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """PIT interval ``[F(y - 1), F(y)]`` per cell (equal ends for continuous rows), NaN where the
    actual is unknown or the forecast is a point mass at 0 (nothing to calibrate).

    ``index`` is the variance index (variance / mean) per cell, (n, h), as ``count_quantiles``.
    """
    scale = np.clip(np.broadcast_to(index, mean.shape), 1e-6, None)
    shape = np.clip(np.nan_to_num(mean), 0.0, None) / scale
    skip = np.isnan(actual) | (shape <= 1e-6)
    y = np.nan_to_num(actual)
    whole = np.broadcast_to(np.asarray(integer_rows, bool)[:, None], mean.shape)
    safe = np.where(skip, 1.0, shape)
    upper = special.gammainc(safe, np.clip(np.where(whole, y + 0.5, y), 0, None) / scale)
    lower = np.where(
        whole, special.gammainc(safe, np.clip(y - 0.5, 0, None) / scale) * (y >= 0.5), upper
    )
    return np.where(skip, np.nan, lower), np.where(skip, np.nan, upper)


def _pit_cdf(
    t: np.ndarray, lower: np.ndarray, upper: np.ndarray, weights: np.ndarray | None = None
) -> np.ndarray:
    """H(t) per level: the (weighted) mean over cells of P(U <= t), U uniform on [lower, upper]."""
    width = upper - lower
    point = width <= 1e-12
    share = np.clip((t[:, None] - lower[None, :]) / np.where(point, 1.0, width)[None, :], 0, 1)
    share = np.where(point[None, :], (t[:, None] >= lower[None, :]).astype(float), share)
    return np.average(share, axis=1, weights=weights)


def level_map(
    lower: np.ndarray, upper: np.ndarray, weights: np.ndarray | None = None
) -> np.ndarray:
    """``H^-1(tau)`` at every level of ``QUANTILES`` (bisection on H), clipped to (0, 1).

    ``weights`` per cell (default equal) weigh the PITs, e.g. recent folds more.
    Example: PITs all in [0, 0.5] (forecasts twice too wide above the median, say) map the
    level 0.4 to 0.2. Empty input gives the nominal levels.
    """
    levels = np.asarray(QUANTILES, dtype=float)
    keep = np.isfinite(lower) & np.isfinite(upper)
    lower, upper = lower[keep], upper[keep]
    weights = None if weights is None else np.asarray(weights, float)[keep]
    if lower.size == 0:
        return levels.copy()
    low, high = np.zeros_like(levels), np.ones_like(levels)
    for _ in range(_BISECTION_STEPS):
        mid = (low + high) / 2
        below = _pit_cdf(mid, lower, upper, weights) < levels
        low, high = np.where(below, mid, low), np.where(below, high, mid)
    return np.clip((low + high) / 2, *_LEVEL_RANGE)


def inclusive_level_map(
    lower: np.ndarray, upper: np.ndarray, weights: np.ndarray | None = None
) -> np.ndarray:
    """``level_map`` with whole-unit interval ends counted as inside (see the module docstring).

    A whole-unit quantile q = min{q : F(q) >= tau} has y >= q exactly when F(y) >= tau and
    y <= q exactly when F(y - 1) < tau. So a level below the median is mapped on the upper PIT
    ends F(y) (a share tau of actuals then lies strictly below the quantile), one above the
    median on the lower ends F(y - 1) (a share tau lies at or below it), and the median on the
    whole PIT interval: the interval [p10, p90] with its ends holds 80 % of actuals. Rows with
    a continuous PIT (lower == upper) get ``level_map``'s result.
    """
    levels = np.asarray(QUANTILES, dtype=float)
    below = level_map(upper, upper, weights)
    above = level_map(lower, lower, weights)
    middle = level_map(lower, upper, weights)
    return np.where(levels < 0.5, below, np.where(levels > 0.5, above, middle))


def keep_model_tails(levels: np.ndarray) -> np.ndarray:
    """``levels`` (..., len(QUANTILES)) with the levels outside ``MAPPED_RANGE`` put back to
    nominal, kept ordered: a lower tail level is at most the mapped p10's, an upper one at
    least the mapped p90's. Example: a map [.07 .17 .37 .57 .81 .91 .96 .998] becomes
    [.05 .17 .37 .57 .81 .91 .95 .99]."""
    levels = np.asarray(levels, dtype=float)
    nominal = np.broadcast_to(np.asarray(QUANTILES, dtype=float), levels.shape)
    first = QUANTILES.index(MAPPED_RANGE[0])
    last = QUANTILES.index(MAPPED_RANGE[1])
    low = np.minimum(nominal, levels[..., first:first + 1])
    high = np.maximum(nominal, levels[..., last:last + 1])
    return np.where(nominal < MAPPED_RANGE[0], low,
                    np.where(nominal > MAPPED_RANGE[1], high, levels))


def shrink_levels(levels: np.ndarray, cells: float, parent: np.ndarray) -> np.ndarray:
    """``(cells * levels + PRIOR_CELLS * parent) / (cells + PRIOR_CELLS)``: a cell's map shrunk
    towards its parent's by its number of scored cells."""
    weight = cells / (cells + PRIOR_CELLS)
    return weight * np.asarray(levels) + (1 - weight) * np.asarray(parent)


def horizon_buckets(h: int, fitted_h: int, buckets: int = LEVEL_BUCKETS) -> np.ndarray:
    """Bucket of each step 1..h: equal thirds of the backtest horizon ``fitted_h``; steps past
    it fall in the last bucket. Example: ``horizon_buckets(7, 6)`` is [0, 0, 1, 1, 2, 2, 2]."""
    step = np.arange(h)
    return np.minimum(step * buckets // max(fitted_h, 1), buckets - 1)


def _unit_table() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """log shape grid, z grid and log unit-gamma quantiles on both (computed once)."""
    global _TABLE
    if _TABLE is None:
        log_shape = np.linspace(np.log(1e-6), np.log(1e4), 1500)
        z = np.linspace(special.ndtri(_LEVEL_RANGE[0]), special.ndtri(_LEVEL_RANGE[1]), 121)
        values = special.gammaincinv(np.exp(log_shape)[:, None], special.ndtr(z)[None, :])
        _TABLE = (log_shape, z, np.log(np.clip(values, 1e-300, None)))
    return _TABLE


_TABLE: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None


def gamma_quantiles_at(mean: np.ndarray, index: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Quantiles of the gamma with ``mean`` and variance ``index * mean`` at per-cell ``levels``.

    Shapes (n, h) for mean and index, (n, h, k) for levels; bilinear interpolation of the log
    unit-gamma quantile in (log shape, z = Phi^-1(level)); shapes above 1e4 use the
    Wilson-Hilferty normal approximation. Within 0.5 % of ``scipy.special.gammaincinv``.
    """
    log_grid, z_grid, log_values = _unit_table()
    mean = np.clip(np.nan_to_num(mean), 0.0, None)
    scale = np.clip(np.broadcast_to(index, mean.shape), 1e-6, None)
    shape = (mean / scale)[..., None]
    z = special.ndtri(np.clip(levels, *_LEVEL_RANGE))
    x = np.clip(np.log(np.clip(shape, 1e-300, None)), log_grid[0], log_grid[-1])
    xi = np.clip(np.searchsorted(log_grid, x) - 1, 0, len(log_grid) - 2)
    zi = np.clip(np.searchsorted(z_grid, z) - 1, 0, len(z_grid) - 2)
    fx = (x - log_grid[xi]) / (log_grid[xi + 1] - log_grid[xi])
    fz = np.clip((z - z_grid[zi]) / (z_grid[zi + 1] - z_grid[zi]), 0, 1)
    log_q = ((1 - fx) * (1 - fz) * log_values[xi, zi] + fx * (1 - fz) * log_values[xi + 1, zi]
             + (1 - fx) * fz * log_values[xi, zi + 1] + fx * fz * log_values[xi + 1, zi + 1])
    unit = np.exp(log_q)
    big = shape > np.exp(log_grid[-1])
    safe = np.where(big, shape, 1.0)
    wilson = safe * np.clip(1 - 1 / (9 * safe) + z / (3 * np.sqrt(safe)), 0, None) ** 3
    unit = np.where(big, wilson, unit)
    out = np.where(shape > 1e-6, unit * scale[..., None], 0.0)
    return np.maximum.accumulate(out, axis=-1)


def pit_coverage(lower: np.ndarray, upper: np.ndarray, low: float, high: float) -> float:
    """Share of the PIT mass inside [low, high]: the coverage of the central interval between
    those levels counted with the non-randomised PIT (a count on an interval end counts by the
    share of its probability inside). Example: PITs [0, 1] (no information) give ``high - low``.
    """
    keep = np.isfinite(lower) & np.isfinite(upper)
    cdf = _pit_cdf(np.array([low, high]), lower[keep], upper[keep])
    return float(cdf[1] - cdf[0]) if keep.any() else float("nan")
