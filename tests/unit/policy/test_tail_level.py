"""The level uncertainty fitted to the tail of past lead-time + review windows."""

from __future__ import annotations

import numpy as np
import pytest

from invdash.policy.calibration import TAIL_Z, _mixture_loss, level_cv_from_sums, tail_level_cv


def _moment(actual: np.ndarray, mean: np.ndarray, variance: np.ndarray) -> float:
    return level_cv_from_sums(float(((actual - mean) ** 2).sum()), float(variance.sum()),
                              float((mean**2).sum()))


def test_a_tail_heavier_than_the_variance_says_raises_the_level_uncertainty():
    """1 window in 20 sells three times the forecast: the moment estimate (cv ~0.45) puts too
    few units above mean + 1.65 sd, so the tail fit is larger and matches the observed units."""
    rng = np.random.default_rng(3)
    n = 4000
    mean, variance = np.full(n, 100.0), np.full(n, 100.0)
    level = np.where(rng.uniform(size=n) < 0.05, 3.0, 0.9)
    actual = rng.poisson(mean * level).astype(float)
    start = _moment(actual, mean, variance)
    fitted = tail_level_cv(actual, mean, variance, start=start)
    assert fitted > 1.1 * start
    threshold = mean + TAIL_Z * np.sqrt(variance + start**2 * mean**2)
    observed = np.maximum(actual - threshold, 0.0).sum()
    assert _mixture_loss(threshold, mean, variance, fitted) == pytest.approx(observed, rel=0.06)


def test_a_light_tail_keeps_the_moment_estimate_exactly():
    """Errors no heavier in the tail than the model's: the moment estimate is returned as is
    (not rounded up to the next grid point)."""
    mean, variance = np.full(50, 40.0), np.full(50, 40.0)
    assert tail_level_cv(mean.copy(), mean, variance, start=0.0) == 0.0
    actual = np.full(50, 80.0)
    start = _moment(actual, mean, variance)
    assert tail_level_cv(actual, mean, variance, start=start) == start
