"""Statistical models: exponential smoothing (vectorised over SKUs) and ARIMA (statsmodels).

Design and the choice made here:
- ``ETSForecaster`` is ETS with additive errors on the weekday-adjusted series (the weekday
  index plays the role of ETS's seasonal state, estimated with shrinkage towards the shop's
  weekly rhythm, see ``panel.weekday_profile``), optionally with a damped additive trend. It is
  written in numpy and vectorised over SKUs *and* over a grid of smoothing parameters: one pass
  over the days fits every SKU for every (alpha, beta) pair, and each SKU keeps the pair with the
  smallest one-step squared error over the last ``fit_days`` days. statsmodels' ETS costs 20-50
  ms per SKU (minutes for a few thousand SKUs on 2 cores); statsforecast's AutoETS is fast but
  pins pandas < 3 for the core. A grid of 8 alphas is close to the optimiser's answer for daily
  retail series and is exact, deterministic and fast (about 1 s for 10,000 SKUs x 730 days).
- ``ArimaForecaster`` fits statsmodels' SARIMAX per SKU on the weekday-adjusted last
  ``fit_days`` days (Kalman filter: stock-out days stay missing). It is accurate for smooth
  series but slow, so it is offered on request (``--model arima``) and not in the auto set.
"""

from __future__ import annotations

import warnings

import numpy as np

from invdash.forecast.models.baseline import PanelForecaster, last_observed_mean
from invdash.forecast.panel import Panel

__all__ = ["ETSForecaster", "DampedTrendForecaster", "ArimaForecaster", "smooth_levels"]

_ALPHAS = (0.01, 0.02, 0.04, 0.07, 0.1, 0.15, 0.25, 0.4)


def smooth_levels(
    deseason: np.ndarray, alphas: np.ndarray, betas: np.ndarray, *, phi: float, fit_days: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run ETS(A,Ad,N) for every (alpha_g, beta_g) pair over every SKU at once.

    Args:
        deseason: weekday-adjusted demand, shape (n, T); NaN days are skipped (no update).
        alphas: level smoothing per grid point, shape (g,).
        betas: trend smoothing per grid point, shape (g,) (0: no trend).
        phi: trend damping factor in (0, 1].
        fit_days: one-step squared errors are summed over the last ``fit_days`` days only.

    Returns:
        level, trend and sum of squared one-step errors, each shape (g, n).
    """
    g, (n, t) = len(alphas), deseason.shape
    level = np.full((g, n), np.nan)
    trend = np.zeros((g, n))
    sse = np.zeros((g, n))
    a, b = alphas[:, None], betas[:, None]
    start = max(t - fit_days, 0)
    has_trend = bool(np.any(betas))
    for day in range(t):
        obs = deseason[:, day]
        seen = ~np.isnan(obs)
        if not seen.any():
            continue
        # Full-width masked updates: faster than boolean column indexing on (g, n) arrays.
        fresh = seen & np.isnan(level[0])
        update = (seen & ~fresh)[None, :]
        forecast = level + phi * trend if has_trend else level
        err = np.where(update, obs[None, :] - forecast, 0.0)
        if day >= start:
            sse += err * err
        level = np.where(update, forecast + a * err, level)
        level[:, fresh] = obs[fresh]
        if has_trend:
            trend = np.where(update, phi * trend + b * err, trend)
    return np.nan_to_num(level), trend, sse


class ETSForecaster(PanelForecaster):
    """Exponential smoothing on weekday-adjusted demand, parameters picked per SKU from a grid.

    Args:
        damped_trend: add a damped additive trend (ETS(A,Ad,N) on the adjusted series).
        phi: damping factor of the trend.
        fit_days: the window whose one-step errors choose each SKU's parameters.
        seed: unused (deterministic model).
    """

    name = "ets"

    def __init__(
        self, damped_trend: bool = False, phi: float = 0.9, fit_days: int = 365, seed: int = 0
    ) -> None:
        self.damped_trend = damped_trend
        self.phi = phi
        self.fit_days = fit_days
        self.seed = seed

    def _grid(self) -> tuple[np.ndarray, np.ndarray]:
        alphas = np.asarray(_ALPHAS)
        if not self.damped_trend:
            return alphas, np.zeros_like(alphas)
        # A smaller grid for the trend model: 4 alphas x 2 relative betas.
        alphas = np.asarray((0.02, 0.05, 0.1, 0.2))
        betas = np.asarray((0.005, 0.02))
        return np.repeat(alphas, len(betas)), np.tile(betas, len(alphas)) * np.repeat(alphas, 2)

    def _fit_state(self, panel: Panel, deseason: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        del panel
        alphas, betas = self._grid()
        level, trend, sse = smooth_levels(
            deseason, alphas, betas, phi=self.phi if self.damped_trend else 1.0,
            fit_days=self.fit_days,
        )
        best = np.argmin(sse, axis=0)
        columns = np.arange(deseason.shape[0])
        return level[best, columns], trend[best, columns]

    def _forecast_base(self, h: int, weekday: np.ndarray) -> np.ndarray:
        del weekday
        level, trend = self.state_
        if not self.damped_trend:
            return np.repeat(level[:, None], h, axis=1)
        damp = np.cumsum(self.phi ** np.arange(1, h + 1))
        return np.clip(level[:, None] + trend[:, None] * damp[None, :], 0.0, None)


class DampedTrendForecaster(ETSForecaster):
    """``ETSForecaster`` with a damped additive trend (Holt's damped trend; registry name ``holt``).

    Args:
        damped_trend: keep True (the point of this model).
        phi: damping factor of the trend.
        fit_days: the window whose one-step errors choose each SKU's parameters.
        seed: unused (deterministic model).
    """

    name = "holt"

    def __init__(
        self, damped_trend: bool = True, phi: float = 0.9, fit_days: int = 365, seed: int = 0
    ) -> None:
        super().__init__(damped_trend=damped_trend, phi=phi, fit_days=fit_days, seed=seed)


class ArimaForecaster(PanelForecaster):
    """statsmodels SARIMAX per SKU on the weekday-adjusted last ``fit_days`` days.

    Args:
        order: ARIMA (p, d, q) order.
        fit_days: days of history used per SKU.
        seed: unused (deterministic model).
    """

    name = "arima"

    def __init__(
        self, order: tuple[int, int, int] = (1, 0, 1), fit_days: int = 182, seed: int = 0
    ) -> None:
        self.order = order
        self.fit_days = fit_days
        self.seed = seed

    def _fit_state(self, panel: Panel, deseason: np.ndarray) -> list:
        del panel
        from threadpoolctl import threadpool_limits

        recent = deseason[:, -self.fit_days:]
        fallback = last_observed_mean(deseason, 28)
        # Small per-SKU state-space fits gain nothing from BLAS threads; on a busy machine
        # oversubscribed threads made one fit 30x slower.
        with threadpool_limits(limits=1):
            return [self._fit_one(row, fallback[i]) for i, row in enumerate(recent)]

    def _fit_one(self, series: np.ndarray, fallback: float):
        from statsmodels.tsa.statespace.sarimax import SARIMAX

        observed = series[~np.isnan(series)]
        if len(observed) < 28 or np.nanstd(observed) <= 0:
            return fallback
        trend = "c" if self.order[1] == 0 else "n"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                return SARIMAX(series, order=self.order, trend=trend).fit(disp=False)
            except (np.linalg.LinAlgError, ValueError):
                return fallback

    def _forecast_base(self, h: int, weekday: np.ndarray) -> np.ndarray:
        del weekday
        rows = []
        for fitted in self.state_:
            if isinstance(fitted, float):
                rows.append(np.full(h, fitted))
            else:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    rows.append(np.asarray(fitted.forecast(h), dtype=float))
        return np.clip(np.nan_to_num(np.vstack(rows)), 0.0, None)
