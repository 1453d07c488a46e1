"""The settings of a forecast run, checked once: ``ForecastOptions``; and how far a stored run
must reach for ordering (``planning_days``).

Design (the reach of a stored run):
- The order-up-to level needs the demand over the lead time plus the review period, and the
  overstock check the demand after it. With the default 28-day horizon, a Festive SKU ordered
  on 31 October with a 40-day lead time had its protection period end in mid-December while the
  forecast stopped on 28 November; the policy repeated November's last week, so the December
  peak was missing from the order and Christmas stock already bought was flagged as overstock.
- So a run for the store (``forecast.stored``: the runs the policy reads) passes ``plan_days``:
  the longest lead time (mean + 2 sd) of the shop's products plus the review period. The run
  forecasts ``max(horizon, plan_days)`` days (in periods of its grain) and still backtests
  ``horizon``: model choice, spreads and folds are measured over the same 28 days as before, and
  the steps past them take the calibration of the last steps (``quantiles``, ``levels``). Ad hoc
  forecasts (a CSV, the Upload page, one SKU) keep the horizon asked for.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from invdash.forecast.registry import available_models
from invdash.schema import ConfigError

__all__ = ["ForecastOptions", "planning_days", "REVIEW_DAYS", "UNKNOWN_LEAD_TIME_DAYS"]

#: The policy's default review period R (``policy.params.PolicyParams.review_period_days``).
REVIEW_DAYS = 7
#: The lead time taken for a product without one (``policy.demand.DEFAULT_LEAD_TIME_DAYS``).
UNKNOWN_LEAD_TIME_DAYS = 7.0


def planning_days(products: pd.DataFrame | None, review_days: int = REVIEW_DAYS) -> int:
    """Days a stored run must forecast for ordering: the longest lead time of ``products``
    (mean + 2 sd, whole days up) plus ``review_days``; products without a lead time count
    ``UNKNOWN_LEAD_TIME_DAYS``. 0 without products."""
    if products is None or products.empty:
        return 0
    def column(name: str) -> np.ndarray:
        values = products[name] if name in products else pd.Series(np.nan, index=products.index)
        return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)

    lead, sd = column("lead_time_days"), column("lead_time_sd_days")
    lead = np.where(np.isfinite(lead) & (lead > 0), lead, UNKNOWN_LEAD_TIME_DAYS)
    sd = np.where(np.isfinite(sd) & (sd > 0), sd, 0.0)
    return int(math.ceil(float(np.max(lead + 2.0 * sd)))) + int(review_days)


@dataclass(frozen=True)
class ForecastOptions:
    """How ``run_forecast`` forecasts.

    Args:
        horizon: periods to forecast, h; None takes ``grain.default_horizon`` (28 days,
            13 weeks, 12 months).
        model: ``auto`` (backtest-driven choice per SKU) or one name of ``available_models()``.
        seed: seed of every stochastic model.
        folds: backtest origins (0: no backtest; auto then uses ETS for every SKU).
        use_neural: add the global neural model to the auto set.
        skus: forecast only these SKUs (default all); kept as a tuple.
        freq: the grain: ``auto`` (detected from the dates, ``grain.detect_grain``) or ``D``,
            ``W``, ``M``; weekly and monthly sales are forecast in weeks and months.
        runner: where the per-SKU steps run (``invdash.distributed.make_runner``); None runs
            them in this process. Any runner gives the same result.
        country: ISO code whose public holidays the fast models learn as events
            (``calendar.with_public_holidays``; the store's runs pass ``Settings.country``);
            None: no public holidays (the global model reads its own calendar).
        plan_days: forecast at least this many days (``planning_days``; module docstring); the
            backtest keeps ``horizon``. 0: the horizon.

    Raises:
        ConfigError: an unknown model, a horizon below 1 or negative folds.
    """

    horizon: int | None = None
    model: str = "auto"
    seed: int = 0
    folds: int = 3
    use_neural: bool = False
    skus: tuple[str, ...] | None = None
    freq: str = "auto"
    runner: Any = None
    country: str | None = None
    plan_days: int = 0

    def __post_init__(self) -> None:
        if self.skus is not None:
            object.__setattr__(self, "skus", tuple(str(s) for s in self.skus))
        if self.model not in available_models():
            raise ConfigError(
                f"unknown model {self.model!r}; choose one of: {', '.join(available_models())}."
            )
        if self.horizon is not None and self.horizon < 1:
            raise ConfigError(f"horizon must be a positive number of periods, got {self.horizon}.")
        if self.folds < 0:
            raise ConfigError(f"folds must be >= 0, got {self.folds}.")
        if self.plan_days < 0:
            raise ConfigError(f"plan_days must be >= 0, got {self.plan_days}.")

    def reach(self, horizon: int, days_per_period: float) -> int:
        """Periods the run forecasts: ``horizon`` (the backtested one), or more when
        ``plan_days`` need more."""
        return max(horizon, math.ceil(self.plan_days / days_per_period))
