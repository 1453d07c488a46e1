"""Gamma quantiles of count forecasts (variance = index of dispersion x mean).

Moved out of ``panel.py`` (which re-exports both names): the panel shapes data, this module holds
the distribution maths. See ``quantiles.py`` for their calibration on the backtest.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from invdash.schema import QUANTILES

__all__ = ["gamma_quantiles", "count_quantiles"]


def _standard_gamma_table() -> tuple[np.ndarray, np.ndarray]:
    """log shape grid and log quantiles of a unit-scale gamma at ``QUANTILES`` (cached)."""
    global _GAMMA_TABLE
    if _GAMMA_TABLE is None:
        log_shape = np.linspace(np.log(1e-6), np.log(1e4), 6000)
        values = special.gammaincinv(np.exp(log_shape)[:, None], np.asarray(QUANTILES)[None, :])
        _GAMMA_TABLE = (log_shape, np.log(np.clip(values, 1e-300, None)))
    return _GAMMA_TABLE


_GAMMA_TABLE: tuple[np.ndarray, np.ndarray] | None = None


def gamma_quantiles(mean: np.ndarray, variance_index: np.ndarray) -> np.ndarray:
    """Quantiles ``QUANTILES`` of a gamma with the given mean and variance ``index * mean``.

    The unit-scale gamma quantile is interpolated (in log space) from a table over the shape,
    which is about 20x faster than ``scipy.special.gammaincinv`` on millions of cells and agrees
    with it to a fraction of a percent; shapes above 1e4 are essentially normal.

    Args:
        mean: forecast means, shape (n, h), >= 0.
        variance_index: D per SKU (variance / mean), shape (n,), or per SKU and step (n, h).

    Returns:
        Array (n, h, len(QUANTILES)), non-negative and non-decreasing along the last axis.
    """
    mean = np.clip(np.nan_to_num(mean), 0.0, None)
    index = np.clip(np.asarray(variance_index, dtype=float), 1e-6, None)
    scale = np.broadcast_to(index[:, None] if index.ndim == 1 else index, mean.shape)
    shape = mean / scale
    log_shape_grid, log_values = _standard_gamma_table()
    log_shape = np.log(np.clip(shape, 1e-300, None))
    out = np.empty((*mean.shape, len(QUANTILES)))
    z = special.ndtri(np.asarray(QUANTILES))
    big = shape > np.exp(log_shape_grid[-1])
    for k in range(len(QUANTILES)):
        unit = np.exp(np.interp(log_shape, log_shape_grid, log_values[:, k]))
        if big.any():
            a = shape[big]
            unit[big] = a * (1 - 1 / (9 * a) + z[k] / (3 * np.sqrt(a))) ** 3
        out[..., k] = np.where(shape > 1e-6, unit * scale, 0.0)
    return np.maximum.accumulate(out, axis=-1)


def count_quantiles(
    mean: np.ndarray, variance_index: np.ndarray, integer_rows: np.ndarray
) -> np.ndarray:
    """``gamma_quantiles``, made whole numbers for SKUs sold in whole units.

    With the continuity correction P(Y <= y) ~ G(y + 0.5) of the gamma cdf G, the q-quantile of
    a count is the smallest integer y with y >= G^-1(q) - 0.5, i.e. ``ceil(G^-1(q) - 0.5)``.
    A count's pinball loss is minimised by an integer, and a continuous interval would miss
    the integers at its edges (Poisson(2): p90 is 4, not 3.8).
    """
    quantiles = gamma_quantiles(mean, variance_index)
    rounded = np.clip(np.ceil(quantiles - 0.5), 0.0, None)
    return np.where(integer_rows[:, None, None], rounded, quantiles)
