"""Forecast accuracy metrics, per SKU, on (n SKUs x h days) matrices.

Scale-free metrics divide by the SKU's in-sample mean absolute (MASE, scaled pinball) or squared
(RMSSE) one-day change, as in the M5 competition; NaN actuals (stock-out days) are not scored.

- MASE = mean|y - f| / mean|y_t - y_{t-1}|_train
- RMSSE = sqrt(mean (y - f)^2 / mean (y_t - y_{t-1})^2_train)
- WAPE = sum|y - f| / sum y (aggregated over SKUs as sums, so big SKUs weigh more)
- bias = sum(f - y) / sum y (> 0: over-forecast)
- SPL (scaled pinball loss) = mean over quantile levels q and days of
  max(q (y - f_q), (q - 1)(y - f_q)) / mean|y_t - y_{t-1}|_train
- coverage80 = share of known days with p10 <= y <= p90.

Worked example (``tests/unit/forecast/test_forecast_metrics.py``): train 1, 3, 1, 3 (scales:
mean|diff| = 2, mean diff^2 = 4), actual 2, 2, forecast 3, 1: MASE = 1 / 2 = 0.5,
RMSSE = sqrt(1 / 4) = 0.5.
"""

from __future__ import annotations

import numpy as np

from invdash.schema import QUANTILES

__all__ = [
    "naive_scales", "mase", "rmsse", "wape_parts", "scaled_pinball_loss", "interval_coverage",
]


def naive_scales(train: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """In-sample one-day-change scales per SKU: (mean |diff|, mean diff^2), NaN-aware.

    Leading unknown days are dropped; a SKU with a constant history gets scale 1 (not 0), so
    metrics stay finite.
    """
    diffs = np.diff(train, axis=1)
    known = ~np.isnan(diffs)
    counts = np.maximum(known.sum(axis=1), 1)
    mean_abs = np.where(known, np.abs(diffs), 0.0).sum(axis=1) / counts
    mean_sq = np.where(known, diffs**2, 0.0).sum(axis=1) / counts
    return np.where(mean_abs > 0, mean_abs, 1.0), np.where(mean_sq > 0, mean_sq, 1.0)


def _row_mean(values: np.ndarray, actual: np.ndarray) -> np.ndarray:
    known = ~np.isnan(actual)
    counts = known.sum(axis=1)
    sums = np.where(known, values, 0.0).sum(axis=1)
    return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def mase(actual: np.ndarray, forecast: np.ndarray, scale_abs: np.ndarray) -> np.ndarray:
    """MASE per SKU (NaN for a SKU with no known actual)."""
    return _row_mean(np.abs(actual - forecast), actual) / scale_abs


def rmsse(actual: np.ndarray, forecast: np.ndarray, scale_sq: np.ndarray) -> np.ndarray:
    """RMSSE per SKU."""
    return np.sqrt(_row_mean((actual - forecast) ** 2, actual) / scale_sq)


def wape_parts(
    actual: np.ndarray, forecast: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-SKU sums (|error|, error, actual) to aggregate into WAPE and bias over any group."""
    known = ~np.isnan(actual)
    err = np.where(known, forecast - np.nan_to_num(actual), 0.0)
    return np.abs(err).sum(axis=1), err.sum(axis=1), np.where(known, actual, 0.0).sum(axis=1)


def scaled_pinball_loss(
    actual: np.ndarray, quantiles: np.ndarray, scale_abs: np.ndarray,
    levels: tuple[float, ...] = QUANTILES,
) -> np.ndarray:
    """Mean pinball loss over ``levels`` and days, divided by the SKU's scale.

    Args:
        actual: shape (n, h).
        quantiles: shape (n, h, len(levels)).
        scale_abs: shape (n,).
    """
    q = np.asarray(levels)[None, None, :]
    diff = actual[:, :, None] - quantiles
    loss = np.maximum(q * diff, (q - 1.0) * diff).mean(axis=2)
    return _row_mean(loss, actual) / scale_abs


def interval_coverage(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Share of known days inside [lower, upper] per SKU."""
    inside = (actual >= lower - 1e-9) & (actual <= upper + 1e-9)
    return _row_mean(inside.astype(float), actual)
