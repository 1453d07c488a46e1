"""The model registry: every forecaster by its ``--model`` name, and the auto set.

A leaf of the forecast package above the models: the engine, the backtest and explanations look
models up here, so none of them imports another to find one. To add a model, write it in
``forecast/models/`` (the contract is in ``models/base.py``) and register it in ``MODELS``; add it
to ``AUTO_MODELS`` only when the backtest shows it pays its way on real data.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from invdash.forecast.models.base import Forecaster
from invdash.forecast.models.baseline import (
    MovingAverageForecaster,
    SeasonalNaiveForecaster,
    TrendMovingAverageForecaster,
)
from invdash.forecast.models.coldstart import SimilarProductForecaster
from invdash.forecast.models.global_model import GlobalBoostForecaster
from invdash.forecast.models.intermittent import CrostonForecaster, SBAForecaster, TSBForecaster
from invdash.forecast.models.neural import GlobalNeuralForecaster
from invdash.forecast.models.seasonal import HoltWintersForecaster
from invdash.forecast.models.statistical import (
    ArimaForecaster,
    DampedTrendForecaster,
    ETSForecaster,
)

__all__ = ["MODELS", "AUTO_MODELS", "COARSE_MODELS", "available_models", "auto_model_factories"]

MODELS: dict[str, type[Forecaster]] = {
    "naive": SeasonalNaiveForecaster,
    "ma": MovingAverageForecaster,
    "ma_trend": TrendMovingAverageForecaster,
    "ets": ETSForecaster,
    "holt": DampedTrendForecaster,
    "arima": ArimaForecaster,
    "croston": CrostonForecaster,
    "sba": SBAForecaster,
    "tsb": TSBForecaster,
    "lgbm": GlobalBoostForecaster,
    "hw": HoltWintersForecaster,
}
# torch and the sentence encoder are imported only when these models fit, so registering them
# costs nothing at import time.
MODELS["neural"] = GlobalNeuralForecaster
MODELS["coldstart"] = SimilarProductForecaster

#: The fast models the auto pipeline backtests and fuses.
AUTO_MODELS = ("naive", "ma", "ets", "holt", "sba", "tsb", "lgbm")
#: Added for weekly and monthly panels: Holt-Winters with each SKU's own yearly season (on days
#: it is plain ETS, so it would only cost time there).
COARSE_MODELS = ("hw",)


def available_models() -> list[str]:
    """Names accepted by ``model=`` / ``--model``: ``auto`` plus every registered model."""
    return ["auto", *MODELS]


def auto_model_factories(
    *, seed: int = 0, use_neural: bool = False, grain: str = "D"
) -> dict[str, Callable]:
    """Factories of the auto model set (plus ``neural`` when asked for and installed).

    ``grain``: the panel's grain kind (``D``, ``W``, ``M``); weeks and months add
    ``COARSE_MODELS``."""
    coarse = COARSE_MODELS if grain != "D" else ()
    names = [*AUTO_MODELS, *coarse, *(["neural"] if use_neural and "neural" in MODELS else [])]
    return {name: partial(MODELS[name], seed=seed) for name in names}
