"""The settings of a forecast run, checked once: ``ForecastOptions``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from invdash.forecast.registry import available_models
from invdash.schema import ConfigError

__all__ = ["ForecastOptions"]


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
