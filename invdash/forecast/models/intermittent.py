"""Intermittent-demand models: Croston, SBA (Syntetos-Boylan approximation) and TSB.

Design: the three recursions run on the weekday-adjusted series (see ``baseline.PanelForecaster``)
vectorised over SKUs: one loop over days, numpy over SKUs. Unknown days (stock-outs, shop
closed) are skipped, so neither inflates the inter-demand interval.

- Croston (1972): smooth nonzero sizes ``z`` and intervals ``p`` with ``alpha``; forecast ``z/p``.
- SBA (Syntetos & Boylan 2005): Croston times ``1 - alpha/2`` (removes Croston's upward bias).
- TSB (Teunter, Syntetos & Babai 2011): smooth the demand probability every day with
  ``alpha_probability`` and the size on demand days with ``alpha``; forecast ``prob * z``. Unlike
  Croston it decays towards zero for items that stop selling (obsolescence).
"""

from __future__ import annotations

import numpy as np

from invdash.forecast.models.baseline import PanelForecaster
from invdash.forecast.panel import Panel

__all__ = ["CrostonForecaster", "SBAForecaster", "TSBForecaster", "croston_rates", "tsb_rates"]


def croston_rates(deseason: np.ndarray, alpha: float) -> np.ndarray:
    """Croston's demand rate ``z / p`` per SKU (0 for SKUs that never sold), shape (n,)."""
    n = deseason.shape[0]
    size = np.full(n, np.nan)
    interval = np.full(n, np.nan)
    since = np.zeros(n)
    for day in range(deseason.shape[1]):
        obs = deseason[:, day]
        seen = ~np.isnan(obs)
        since[seen] += 1
        demand = seen & (obs > 0)
        fresh = demand & np.isnan(size)
        size[fresh], interval[fresh] = obs[fresh], since[fresh]
        update = demand & ~fresh
        size[update] += alpha * (obs[update] - size[update])
        interval[update] += alpha * (since[update] - interval[update])
        since[demand] = 0
    return np.nan_to_num(size / np.maximum(interval, 1.0))


def tsb_rates(deseason: np.ndarray, alpha: float, alpha_probability: float) -> np.ndarray:
    """TSB's demand rate ``probability * size`` per SKU, shape (n,)."""
    observed = ~np.isnan(deseason)
    positive = np.where(observed, deseason > 0, False)
    counts = np.maximum(observed.sum(axis=1), 1)
    probability = positive.sum(axis=1) / counts
    size = np.where(positive, deseason, 0.0).sum(axis=1) / np.maximum(positive.sum(axis=1), 1)
    for day in range(deseason.shape[1]):
        obs = deseason[:, day]
        seen = observed[:, day]
        demand = positive[:, day]
        probability[seen] += alpha_probability * (demand[seen] - probability[seen])
        size[demand] += alpha * (obs[demand] - size[demand])
    return probability * size


class CrostonForecaster(PanelForecaster):
    """Croston's method (flat forecast ``z / p``).

    Args:
        alpha: smoothing of sizes and intervals.
        seed: unused (deterministic model).
    """

    name = "croston"

    def __init__(self, alpha: float = 0.1, seed: int = 0) -> None:
        self.alpha = alpha
        self.seed = seed

    def _fit_state(self, panel: Panel, deseason: np.ndarray) -> np.ndarray:
        del panel
        return croston_rates(deseason, self.alpha) * self._debias()

    def _debias(self) -> float:
        return 1.0

    def _forecast_base(self, h: int, weekday: np.ndarray) -> np.ndarray:
        del weekday
        return np.repeat(self.state_[:, None], h, axis=1)


class SBAForecaster(CrostonForecaster):
    """Syntetos-Boylan approximation: Croston times ``1 - alpha / 2``.

    Args:
        alpha: smoothing of sizes and intervals.
        seed: unused (deterministic model).
    """

    name = "sba"

    def _debias(self) -> float:
        return 1.0 - self.alpha / 2.0


class TSBForecaster(PanelForecaster):
    """Teunter-Syntetos-Babai: smoothed demand probability times smoothed size.

    Args:
        alpha: smoothing of the demand size (on demand days).
        alpha_probability: smoothing of the demand probability (every known day).
        seed: unused (deterministic model).
    """

    name = "tsb"

    def __init__(self, alpha: float = 0.1, alpha_probability: float = 0.05, seed: int = 0) -> None:
        self.alpha = alpha
        self.alpha_probability = alpha_probability
        self.seed = seed

    def _fit_state(self, panel: Panel, deseason: np.ndarray) -> np.ndarray:
        del panel
        return tsb_rates(deseason, self.alpha, self.alpha_probability)

    def _forecast_base(self, h: int, weekday: np.ndarray) -> np.ndarray:
        del weekday
        return np.repeat(self.state_[:, None], h, axis=1)
