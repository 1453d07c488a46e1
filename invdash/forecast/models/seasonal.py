"""Holt-Winters on weekly and monthly panels: each SKU's own, evolving yearly season (``hw``).

Design and the choice made here:
- The fast models divide every SKU by the yearly profile pooled over its category and the shop
  (``season.py``), shrunk towards its own: right for SKUs with little history, too rigid for a
  long monthly series whose season differs from its neighbours' or drifts over the years.
  ``HoltWintersForecaster`` runs ETS(A,N,M)-style smoothing on that adjusted series with a
  multiplicative *correction* per slot of the year (52 weeks, 12 months), started at 1 (the
  pooled season) and updated by ``gamma``: a SKU keeps the pooled profile until its own data
  move it away. With no pooled profile (under 1.25 years of data) the correction is the season.
- Vectorised like ``statistical.ETSForecaster``: one pass over the periods fits every SKU for
  every (alpha, gamma) pair of a small grid; each SKU keeps the pair with the smallest one-step
  squared error over its last ``fit_years`` years. Stock-out and unknown periods are skipped.
- Weeks and months only: on days the weekday profile is the short season and a 365-slot state
  would be fitted from one or two values per slot. On a daily panel the model is plain ETS.
"""

from __future__ import annotations

import numpy as np

from invdash.forecast.grain import season_length
from invdash.forecast.models.baseline import PanelForecaster
from invdash.forecast.models.statistical import smooth_levels
from invdash.forecast.panel import Panel

__all__ = ["HoltWintersForecaster", "seasonal_levels"]

_ALPHAS = (0.02, 0.05, 0.1, 0.2, 0.35)
_GAMMAS = (0.0, 0.05, 0.15, 0.3)
_CLIP = (0.2, 5.0)


def seasonal_levels(
    values: np.ndarray, alphas: np.ndarray, gammas: np.ndarray, *, m: int, fit_from: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Level and multiplicative season correction for every (alpha_g, gamma_g) and SKU.

    Args:
        values: adjusted demand, shape (n, T); NaN periods are skipped (no update).
        alphas, gammas: level and season smoothing per grid point, shape (g,).
        m: slots per year (52 or 12); period ``t`` uses slot ``t % m``.
        fit_from: one-step squared errors are summed from this period on.

    Returns:
        level (g, n), season (g, n, m) and the sum of squared one-step errors (g, n).
    """
    g, (n, t_len) = len(alphas), values.shape
    level = np.full((g, n), np.nan)
    season = np.ones((g, n, m))
    sse = np.zeros((g, n))
    a, c = alphas[:, None], gammas[:, None]
    for t in range(t_len):
        obs = values[:, t]
        seen = ~np.isnan(obs)
        if not seen.any():
            continue
        fresh = seen & np.isnan(level[0])
        update = (seen & ~fresh)[None, :]
        slot = season[:, :, t % m]
        err = np.where(update, obs[None, :] - level * slot, 0.0)
        if t >= fit_from:
            sse += err * err
        base = np.maximum(np.nan_to_num(level), 1e-9)
        new_slot = np.clip(slot + c * err / base, *_CLIP)
        level = np.where(update, level + a * err / slot, level)
        level = np.maximum(level, 0.0)
        season[:, :, t % m] = np.where(update, new_slot, slot)
        level[:, fresh] = obs[fresh]
    return np.nan_to_num(level), season, sse


class HoltWintersForecaster(PanelForecaster):
    """Level times a per-SKU yearly season correction, parameters per SKU from a grid.

    Args:
        fit_years: years of one-step errors that choose each SKU's (alpha, gamma).
        seed: unused (deterministic model).
    """

    name = "hw"

    def __init__(self, fit_years: float = 6.0, seed: int = 0) -> None:
        self.fit_years = fit_years
        self.seed = seed

    def _fit_state(self, panel: Panel, deseason: np.ndarray) -> tuple:
        n_periods, columns = deseason.shape[1], np.arange(deseason.shape[0])
        if panel.grain.kind == "D":
            level, _, sse = smooth_levels(
                deseason, np.asarray(_ALPHAS), np.zeros(len(_ALPHAS)), phi=1.0, fit_days=365
            )
            return level[np.argmin(sse, axis=0), columns], None, n_periods
        m = season_length(panel.grain)
        alphas = np.repeat(_ALPHAS, len(_GAMMAS))
        gammas = np.tile(_GAMMAS, len(_ALPHAS))
        fit_from = max(n_periods - int(self.fit_years * m), m)
        level, season, sse = seasonal_levels(
            deseason, alphas, gammas, m=m, fit_from=min(fit_from, n_periods - 1)
        )
        best = np.argmin(sse, axis=0)
        return level[best, columns], season[best, columns], n_periods

    def _forecast_base(self, h: int, weekday: np.ndarray) -> np.ndarray:
        del weekday
        level, season, n_periods = self.state_
        if season is None:
            return np.repeat(level[:, None], h, axis=1)
        slots = (n_periods + np.arange(h)) % season.shape[1]
        return level[:, None] * season[:, slots]
