"""Baselines and the shared base class of the fast, SKU-vectorised models.

Design:
- ``PanelForecaster`` implements the ``Forecaster`` contract once: ``fit`` validates the sales
  frame and pivots it into a ``Panel`` (see ``panel.py``), learns the weekday profile and the
  dispersion index, then calls the subclass's ``_fit_state``; ``predict`` asks the subclass for
  the mean matrix (n SKUs x h days) and turns it into gamma quantiles. Subclasses work on whole
  matrices, so one fit covers every SKU.
- ``fit_panel`` / ``predict_mean`` are the fast path the backtest and the fusion use (no long
  frames in the inner loop).
- Models learn on the deseasonalised series ``y / weekday_index`` and multiply back, so a level
  is "units per average day" and closed weekdays forecast zero. The same holds for the yearly
  season, the event lifts (``calendar.event_factors``) and the price and promotion factor
  (``price.price_factors``): the past is divided by them, the forecast multiplied by them.

Baselines:
- ``SeasonalNaiveForecaster``: the last observed week repeated (weekly seasonality).
- ``MovingAverageForecaster``: mean of the last ``window_days`` open days, times the weekday index.
- ``TrendMovingAverageForecaster``: the same, carried along the whole shop's recent growth.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from invdash.forecast.calendar import event_factors, event_window, pooled_event_lifts
from invdash.forecast.grain import season_length
from invdash.forecast.models.base import Forecaster, check_is_fitted, finalize_forecasts
from invdash.forecast.panel import (
    Panel,
    count_quantiles,
    dispersion_index,
    future_period_dates,
    future_weekdays,
    panel_forecast_frame,
    to_panel,
    weekday_profile,
)
from invdash.forecast.price import (
    PricePrior,
    pooled_price_prior,
    price_covariates,
    price_factors,
    price_window,
)
from invdash.forecast.season import season_factors
from invdash.schema import validate_sales

__all__ = [
    "PanelForecaster", "SeasonalNaiveForecaster", "MovingAverageForecaster", "deseasonalise",
    "TrendMovingAverageForecaster", "shop_growth", "adjusted_history", "shop_event_lifts",
    "shop_price_prior", "event_adjusted_history",
]


def deseasonalise(panel: Panel, profile: np.ndarray) -> np.ndarray:
    """``fit_values / weekday_index`` (NaN where the index is 0 or the value unknown)."""
    season = profile[:, panel.dates.weekday.to_numpy()]
    return np.where(season > 0, panel.fit_values / np.maximum(season, 1e-12), np.nan)


def adjusted_history(panel: Panel, profile: np.ndarray) -> np.ndarray:
    """The weekday- and season-adjusted history that user event lifts are learnt on."""
    deseason = deseasonalise(panel, profile)
    if panel.yearly is not None:
        deseason = deseason / season_factors(panel.yearly, panel.dates.to_numpy(), panel.grain)
    return deseason


def shop_event_lifts(panel: Panel) -> tuple[float, ...] | None:
    """The pooled event lifts every panel model learns on ``panel`` (None without events):
    what SKU partitions of it carry so their models pool over the whole shop."""
    if panel.events is None:
        return None
    return pooled_event_lifts(adjusted_history(panel, weekday_profile(panel)), panel.events,
                              panel.grain)


def event_adjusted_history(panel: Panel, profile: np.ndarray
                           ) -> tuple[np.ndarray, np.ndarray | None]:
    """``adjusted_history`` with the user events divided out, and the event factors (None
    without events): what the price and promotion effects are learnt on."""
    deseason = adjusted_history(panel, profile)
    events = event_factors(deseason, panel.events, panel.grain)
    if events is not None:
        deseason = deseason / events[:, :deseason.shape[1]]
    return deseason, events


def shop_price_prior(panel: Panel) -> PricePrior | None:
    """The pooled price and promotion effects every panel model learns on ``panel`` (None
    without prices): what SKU partitions of it carry so their models pool over the whole shop."""
    x = price_covariates(panel.price, panel.promo, panel.grain,
                         periods=len(panel.dates))
    if x is None:
        return None
    adjusted, _ = event_adjusted_history(panel, weekday_profile(panel))
    return pooled_price_prior(adjusted, x, panel.category, panel.grain)


class PanelForecaster(Forecaster):
    """Base of the vectorised models; subclasses implement ``_fit_state`` and ``_forecast_base``."""

    name = "panel"

    def fit(self, sales: pd.DataFrame, *, products: pd.DataFrame | None = None) -> PanelForecaster:
        """Learn from ``sales`` (long frame ``sku, date, qty`` [, ``stockout``]); returns self.

        Args:
            sales: daily sales; stock-out days are treated as missing, not as zero demand.
            products: unused by this model (accepted for the common contract).
        """
        del products
        validate_sales(sales)
        return self.fit_panel(to_panel(sales))

    def fit_panel(self, panel: Panel) -> PanelForecaster:
        """Fast path: learn from an already pivoted ``Panel``; returns self."""
        self.profile_ = weekday_profile(panel)
        self.dispersion_ = dispersion_index(panel, self.profile_)
        self.yearly_ = panel.yearly
        # User events (calendar.event_factors): learnt on the adjusted past, divided out.
        deseason, self.events_ = event_adjusted_history(panel, self.profile_)
        # Prices and promotions (price.price_factors): learnt on that, divided out too.
        covariates = price_covariates(panel.price, panel.promo, panel.grain,
                                      periods=len(panel.dates))
        self.price_ = price_factors(deseason, covariates, panel.category, panel.grain,
                                    panel.price_prior)
        if self.price_ is not None:
            deseason = deseason / self.price_[:, :deseason.shape[1]]
        self.state_ = self._fit_state(panel, deseason)
        self.panel_ = panel
        return self

    def _yearly_future(self, h: int) -> np.ndarray | float:
        if self.yearly_ is None:
            return 1.0
        dates = future_period_dates(self.panel_, h)
        return season_factors(self.yearly_, dates, self.panel_.grain)

    def predict_mean(self, h: int) -> np.ndarray:
        """Forecast means, shape (n SKUs, h days), in the order of ``panel_.skus``."""
        check_is_fitted(self, "panel_")
        weekday = future_weekdays(self.panel_, h)
        season = np.take_along_axis(self.profile_, weekday, axis=1) * self._yearly_future(h)
        first = self.panel_.last_index + 1
        season = season * event_window(self.events_, first, h) * price_window(self.price_, first, h)
        return np.clip(self._forecast_base(h, weekday) * season, 0.0, None)

    def predict(self, h: int, *, future: pd.DataFrame | None = None) -> pd.DataFrame:
        """Forecast ``h`` days after each SKU's last date (``future`` is not used by this model)."""
        del future
        mean = self.predict_mean(h)
        quantiles = count_quantiles(mean, self.dispersion_, self.panel_.integer_rows())
        frame = panel_forecast_frame(self.panel_, mean, quantiles, self.name)
        return finalize_forecasts(frame, self.name)

    def _fit_state(self, panel: Panel, deseason: np.ndarray) -> Any:
        raise NotImplementedError

    def _forecast_base(self, h: int, weekday: np.ndarray) -> np.ndarray:
        """Deseasonalised forecast, shape (n, h) (or broadcastable to it)."""
        raise NotImplementedError


def last_observed_mean(deseason: np.ndarray, window: int) -> np.ndarray:
    """Mean of the last ``window`` non-missing values per row (0 where a row has none)."""
    observed = ~np.isnan(deseason)
    # Rank of each observed cell counted from the end of the row.
    rank_from_end = np.cumsum(observed[:, ::-1], axis=1)[:, ::-1]
    use = observed & (rank_from_end <= window)
    counts = use.sum(axis=1)
    sums = np.where(use, deseason, 0.0).sum(axis=1)
    return np.where(counts > 0, sums / np.maximum(counts, 1), 0.0)


class MovingAverageForecaster(PanelForecaster):
    """Mean of the last ``window_days`` open, in-stock days, times the weekday index.

    Args:
        window_days: number of observed days averaged.
        seed: unused (deterministic model); kept for the common constructor.
    """

    name = "ma"

    def __init__(self, window_days: int = 28, seed: int = 0) -> None:
        self.window_days = window_days
        self.seed = seed

    def _fit_state(self, panel: Panel, deseason: np.ndarray) -> np.ndarray:
        del panel
        return last_observed_mean(deseason, self.window_days)

    def _forecast_base(self, h: int, weekday: np.ndarray) -> np.ndarray:
        del weekday
        return np.repeat(self.state_[:, None], h, axis=1)


class SeasonalNaiveForecaster(PanelForecaster):
    """The last observed season repeated; unknown (stock-out) periods take the recent mean.

    Args:
        season_days: season length in periods (default: the grain's, ``grain.season_length``:
            7 days, 52 weeks or 12 months).
        seed: unused (deterministic model).
    """

    name = "naive"

    def __init__(self, season_days: int | None = None, seed: int = 0) -> None:
        self.season_days = season_days
        self.seed = seed

    def _fit_state(self, panel: Panel, deseason: np.ndarray) -> np.ndarray:
        self.season_ = self.season_days or season_length(panel.grain)
        level = last_observed_mean(deseason, 28)
        rows = np.arange(len(panel.skus))[:, None]
        cols = panel.last_index[:, None] - np.arange(self.season_)[None, ::-1]
        last_week = panel.actual[rows, np.clip(cols, 0, None)]
        weekday = panel.dates.weekday.to_numpy()[np.clip(cols, 0, None)]
        fallback = level[:, None] * np.take_along_axis(self.profile_, weekday, axis=1)
        if self.price_ is not None:  # last season at the regular price (fallback already is)
            last_week = last_week / self.price_[rows, np.clip(cols, 0, None)]
        return np.where(np.isnan(last_week) | (cols < 0), fallback, last_week)

    def predict_mean(self, h: int) -> np.ndarray:
        """The stored last season repeated over ``h`` days (no weekday index on top), times
        the planned price and promotion factor."""
        check_is_fitted(self, "panel_")
        reps = int(np.ceil(h / self.season_))
        price = price_window(self.price_, self.panel_.last_index + 1, h)
        return np.tile(self.state_, (1, reps))[:, :h] * price


def shop_growth(deseason: np.ndarray, window_days: int) -> float:
    """Ratio of the shop's demand level in the last ``window_days`` to the window before.

    Sum over SKUs seen in both windows of their mean weekday-adjusted demand; clipped to
    [0.5, 2]; 1 for panels under 5 such SKUs (one SKU's trend is mostly noise).
    """
    recent = deseason[:, -window_days:]
    before = deseason[:, -2 * window_days:-window_days]
    both = np.any(~np.isnan(recent), axis=1) & np.any(~np.isnan(before), axis=1)
    if both.sum() < 5:
        return 1.0
    now = np.nanmean(recent[both], axis=1).sum()
    then = np.nanmean(before[both], axis=1).sum()
    return float(np.clip(now / then, 0.5, 2.0)) if then > 0 else 1.0


class TrendMovingAverageForecaster(MovingAverageForecaster):
    """Moving average carried forward along the whole shop's recent growth (top-down trend).

    The window mean sits ``window_days / 2`` days before the origin; with shop growth ratio r
    per window it is scaled by ``r ** ((window_days / 2 + step) / window_days)``. The trend is
    estimated on all SKUs together (a stable signal, unlike one sparse SKU's own slope), e.g.
    the run-up to Christmas.

    Args:
        window_days: number of observed days averaged (and the growth window).
        seed: unused (deterministic model).
    """

    name = "ma_trend"

    def _fit_state(self, panel: Panel, deseason: np.ndarray) -> tuple[np.ndarray, float]:
        level = super()._fit_state(panel, deseason)
        return level, shop_growth(deseason, self.window_days)

    def _forecast_base(self, h: int, weekday: np.ndarray) -> np.ndarray:
        del weekday
        level, growth = self.state_
        steps = (self.window_days / 2 + np.arange(1, h + 1)) / self.window_days
        return level[:, None] * growth ** steps[None, :]
