"""The forecast run: backtest the models, fuse per SKU, calibrate quantiles, forecast.

Flow of ``run_forecast(sales, model="auto")``:
1. Pivot the sales into a ``Panel`` (stock-out days censored, closed days detected) and give
   every SKU a demand class (``classify.py``).
2. Rolling-origin backtest of the auto model set on ``folds`` origins before the end of the data
   (``backtest.py``); nothing after an origin is seen by that fold.
3. Per SKU, the candidate (a model or an equal-weight combination) with the best backtest RMSSE,
   shrunk towards its class (``fusion.py``); the choice and why are recorded.
4. Quantile spread per demand class tuned on the backtest (``quantiles.py``).
5. Each model that any SKU needs is fitted once on all data; means are combined per SKU and turned
   into calibrated gamma quantiles ``p05 .. p99``.
SKUs with less than ``min_history_days`` (28) known days are ``new``: the similar-products model
when it is installed and product names are given, else the mean of the days seen.

``model=NAME`` skips the choice: that model for every SKU (still backtested for the table).
The global neural model joins the auto set only with ``use_neural=True``: it pays off on large
panels with covariates and a GPU, and costs minutes on a CPU.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from invdash.forecast.backtest import (
    BacktestResult,
    backtest_panel,
    fold_metrics,
    forecast_matrices,
    summarise,
)
from invdash.forecast.base import Forecaster, finalize_forecasts
from invdash.forecast.baseline import (
    MovingAverageForecaster,
    PanelForecaster,
    SeasonalNaiveForecaster,
    TrendMovingAverageForecaster,
)
from invdash.forecast.classify import classify_panel
from invdash.forecast.fusion import choose_models, combine_by_choice
from invdash.forecast.global_model import GlobalBoostForecaster
from invdash.forecast.grain import min_history_periods, resolve_run_grain, to_grain
from invdash.forecast.intermittent import CrostonForecaster, SBAForecaster, TSBForecaster
from invdash.forecast.panel import (
    Panel,
    count_quantiles,
    dispersion_index,
    panel_forecast_frame,
    to_panel,
    weekday_profile,
)
from invdash.forecast.quantiles import calibrate_spread, variance_index
from invdash.forecast.statistical import ArimaForecaster, DampedTrendForecaster, ETSForecaster
from invdash.schema import SKU, ConfigError, InvalidDataError, validate_sales

__all__ = [
    "ForecastRun", "MODELS", "AUTO_MODELS", "run_forecast", "available_models",
    "auto_model_factories",
]

Progress = Callable[[int, int, str], None]

MODELS: dict[str, type[Forecaster]] = {
    "naive": SeasonalNaiveForecaster, "ma": MovingAverageForecaster,
    "ma_trend": TrendMovingAverageForecaster, "ets": ETSForecaster,
    "holt": DampedTrendForecaster, "arima": ArimaForecaster, "croston": CrostonForecaster,
    "sba": SBAForecaster, "tsb": TSBForecaster, "lgbm": GlobalBoostForecaster,
}
try:  # the neural and similar-products models are optional parts (other modules)
    from invdash.forecast.neural import GlobalNeuralForecaster

    MODELS["neural"] = GlobalNeuralForecaster
except ImportError:  # pragma: no cover - depends on the install
    pass
try:
    from invdash.forecast.coldstart import SimilarProductForecaster

    MODELS["coldstart"] = SimilarProductForecaster
except ImportError:  # pragma: no cover
    pass

#: The fast models the auto pipeline backtests and fuses.
AUTO_MODELS = ("naive", "ma", "ets", "holt", "sba", "tsb", "lgbm")


@dataclass(frozen=True)
class ForecastRun:
    """A forecast run: forecasts, the per-SKU choice, the backtest table and run facts.

    Attributes:
        forecasts: ``sku, date, model, mean, p05 .. p99``; ``model`` is the chosen candidate.
        choices: ``sku, model, demand_class, reason, score`` (score: backtest RMSSE).
        backtest: ``model, demand_class, n_skus, mase, rmsse, wape, bias, spl, coverage80``.
        device: ``cpu`` or the CUDA device name when the neural model ran.
        duration_s: wall time of the run, in seconds.
        horizon: periods forecast (days, weeks or months: see ``freq``).
        model_param: the ``model`` argument (``auto`` or a model name).
        run_id, created_at, data_version: set when the run comes from the store.
    """

    forecasts: pd.DataFrame
    choices: pd.DataFrame
    backtest: pd.DataFrame
    device: str
    duration_s: float
    horizon: int
    model_param: str
    run_id: str | None = None
    created_at: pd.Timestamp | None = None
    data_version: str | None = None
    #: The grain forecast at (``grain.Grain.freq``: ``D``, ``W-MON`` .., ``MS``, ``ME``).
    freq: str = "D"


def available_models() -> list[str]:
    """Names accepted by ``model=`` / ``--model``: ``auto`` plus every registered model."""
    return ["auto", *MODELS]


def auto_model_factories(*, seed: int = 0, use_neural: bool = False) -> dict[str, Callable]:
    """Factories of the auto model set (plus ``neural`` when asked for and installed)."""
    names = [*AUTO_MODELS, *(["neural"] if use_neural and "neural" in MODELS else [])]
    return {name: partial(MODELS[name], seed=seed) for name in names}


def _check_arguments(model: str, horizon: int | None, folds: int) -> None:
    if model not in available_models():
        raise ConfigError(
            f"unknown model {model!r}; choose one of: {', '.join(available_models())}."
        )
    if horizon is not None and horizon < 1:
        raise ConfigError(f"horizon must be a positive number of periods, got {horizon}.")
    if folds < 0:
        raise ConfigError(f"folds must be >= 0, got {folds}.")


def _select_skus(
    sales: pd.DataFrame, skus: list[str] | None, unsold: set[str]
) -> pd.DataFrame:
    if not skus:
        return sales
    wanted = {str(s) for s in skus}
    picked = sales[sales[SKU].astype(str).isin(wanted)]
    missing = sorted(wanted - set(picked[SKU].astype(str)) - unsold)
    if picked.empty or missing:
        raise InvalidDataError(
            f"{len(missing)} requested SKU(s) have no sales (first: {', '.join(missing[:3])}); "
            "check --sku against the sales data."
        )
    return picked


def run_forecast(  # noqa: PLR0913 - the documented engine API
    sales: pd.DataFrame, *, products: pd.DataFrame | None = None, horizon: int | None = None,
    model: str = "auto", future: pd.DataFrame | None = None, seed: int = 0, folds: int = 3,
    skus: list[str] | None = None, progress: Progress | None = None, use_neural: bool = False,
    freq: str = "auto",
) -> ForecastRun:
    """Forecast every SKU ``horizon`` days ahead (see the module docstring for the flow).

    Args:
        sales: daily sales ``sku, date, qty`` [, ``price, promo, stockout``].
        products: optional product table (``sku, name, ...``) for the cold-start and neural models.
        horizon: periods to forecast, h (default ``grain.default_horizon``: 28 days, 13 weeks,
            12 months).
        model: ``auto`` (backtest-driven choice per SKU) or one name of ``available_models()``.
        future: optional known future ``sku, date, price, promo`` for models that use it.
        seed: seed of every stochastic model.
        folds: backtest origins (0: no backtest; auto then uses ETS for every SKU).
        skus: only these SKUs (default all).
        progress: optional ``callable(done, total, message)``.
        use_neural: add the global neural model to the auto set.
        freq: the grain: ``auto`` (detected from the dates, ``grain.detect_grain``) or ``D``,
            ``W``, ``M``; weekly and monthly sales are forecast in weeks and months.

    Raises:
        InvalidDataError: bad sales frame or unknown SKUs. ConfigError: bad arguments.
    """
    started = time.perf_counter()
    _check_arguments(model, horizon, folds)
    grain, horizon = resolve_run_grain(
        validate_sales(sales), freq, horizon, model=model, use_neural=use_neural
    )
    cold_start = _can_cold_start(products) and model == "auto" and grain.kind == "D"
    unsold = _unsold_skus(sales, products) if cold_start else set()
    sales = _select_skus(sales, skus, unsold)
    panel = to_panel(sales, grain=grain, products=products, future=future)
    names = list(auto_model_factories(seed=seed, use_neural=use_neural)) if model == "auto" else [
        model
    ]
    factories = {name: partial(MODELS[name], seed=seed) for name in names}
    backtest = _try_backtest(panel, factories, folds, horizon, sales, products, progress)
    choices = _choose(panel, backtest, model, cold_start=cold_start)
    if grain.kind != "D":
        sales = to_grain(sales, grain)
    spreads = _spreads(backtest, choices, seed)
    needed = sorted({m for members in choices["members"] for m in members})
    if progress is not None:
        progress(0, len(needed), "fitting the chosen models on all data")
    outputs = {
        name: _fit_predict(
            MODELS[name](seed=seed), panel, horizon, sales=sales, products=products,
            future=future,
        )
        for name in needed
    }
    forecasts = _assemble(panel, choices, outputs, spreads, horizon)
    if unsold:
        wanted = unsold & {str(s) for s in skus} if skus else unsold
        forecasts, choices = _add_unsold(forecasts, choices, sales, products, horizon, seed, wanted)
    if progress is not None:
        progress(len(needed), len(needed), "forecast done")
    return ForecastRun(
        forecasts=forecasts, choices=choices.drop(columns="members"),
        backtest=_backtest_table(backtest, choices, spreads), device=_device("neural" in needed),
        duration_s=time.perf_counter() - started, horizon=horizon, model_param=model,
        freq=grain.freq,
    )


def _device(neural_ran: bool) -> str:
    if not neural_ran:
        return "cpu"
    from invdash.forecast.device import device_name

    return device_name()


def _try_backtest(  # noqa: PLR0913 - run_forecast's inputs
    panel: Panel, factories: dict[str, Callable], folds: int, horizon: int,
    sales: pd.DataFrame, products: pd.DataFrame | None, progress: Progress | None,
) -> BacktestResult | None:
    if folds == 0 or len(panel.dates) - horizon * folds < min_history_periods(panel.grain):
        return None
    return backtest_panel(
        panel, factories, folds=folds, horizon=horizon, sales=sales, products=products,
        progress=progress,
    )


def _can_cold_start(products: pd.DataFrame | None) -> bool:
    return (
        "coldstart" in MODELS and products is not None and "name" in products.columns
        and products["name"].notna().any()
    )


def _unsold_skus(sales: pd.DataFrame, products: pd.DataFrame) -> set[str]:
    """Catalogue SKUs without any sales row (forecast from similar products)."""
    return set(products[SKU].astype(str)) - set(sales[SKU].astype(str))


def _add_unsold(  # noqa: PLR0913 - run_forecast's inputs
    forecasts: pd.DataFrame, choices: pd.DataFrame, sales: pd.DataFrame,
    products: pd.DataFrame, horizon: int, seed: int, unsold: set[str],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Forecasts and choices for catalogue SKUs that never sold, from similar products."""
    if not unsold:
        return forecasts, choices
    model = MODELS["coldstart"](seed=seed).fit(sales, products=products)
    extra = model.predict(horizon)
    extra = finalize_forecasts(extra[extra[SKU].astype(str).isin(unsold)], "coldstart")
    extra["model"] = "coldstart"
    rows = pd.DataFrame({
        SKU: sorted(unsold), "model": "coldstart", "members": [("coldstart",)] * len(unsold),
        "demand_class": "new", "reason": "no sales yet: demand of products with similar names",
        "score": np.nan,
    })
    return (
        pd.concat([forecasts, extra], ignore_index=True),
        pd.concat([choices, rows], ignore_index=True),
    )


def _choose(
    panel: Panel, backtest: BacktestResult | None, model: str, *, cold_start: bool
) -> pd.DataFrame:
    """Choice per SKU: backtest winner (auto), the requested model, or the new-SKU rule."""
    classes = classify_panel(panel, min_history_days=min_history_periods(panel.grain))
    if model != "auto":
        chosen = pd.DataFrame({
            SKU: panel.skus, "model": model, "members": [(model,)] * len(panel.skus),
            "reason": f"requested model {model}", "score": np.nan,
        })
    elif backtest is not None:
        chosen = choose_models(backtest)
        chosen = chosen[chosen["demand_class"] != "new"].drop(columns="demand_class")
    else:
        chosen = pd.DataFrame(columns=[SKU, "model", "members", "reason", "score"])
    frame = classes[[SKU, "demand_class"]].merge(chosen, on=SKU, how="left")
    return _fill_unchosen(frame, has_backtest=backtest is not None, cold_start=cold_start)


def _fill_unchosen(frame: pd.DataFrame, *, has_backtest: bool, cold_start: bool) -> pd.DataFrame:
    missing = frame["model"].isna()
    new = missing & (frame["demand_class"] == "new")
    rest = missing & ~new
    frame.loc[new, "model"] = "coldstart" if cold_start else "ma"
    frame.loc[new, "reason"] = (
        "new SKU (under 28 days of history): demand of products with similar names"
        if cold_start else "new SKU (under 28 days of history): mean of the days seen"
    )
    frame.loc[rest, "model"] = "ets"
    frame.loc[rest, "reason"] = (
        "not scored in the backtest (no test days): exponential smoothing"
        if has_backtest else "too little history for a backtest: exponential smoothing"
    )
    frame.loc[missing, "members"] = frame.loc[missing, "model"].map(lambda m: (m,))
    frame["score"] = pd.to_numeric(frame["score"], errors="coerce")
    return frame[[SKU, "model", "members", "demand_class", "reason", "score"]]


def _spreads(backtest: BacktestResult | None, choices: pd.DataFrame, seed: int) -> pd.DataFrame:
    if backtest is None:
        return pd.DataFrame({"demand_class": ["all"], "spread": [1.0], "growth": [0.0]})
    return calibrate_spread(backtest, choices[choices["score"].notna()], seed=seed)


def _fit_predict(  # noqa: PLR0913 - run_forecast's inputs
    model: Forecaster, panel: Panel, horizon: int, *, sales: pd.DataFrame,
    products: pd.DataFrame | None, future: pd.DataFrame | None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """(n, h) means (and the model's own quantiles when it is not a panel model)."""
    if isinstance(model, PanelForecaster):
        return model.fit_panel(panel).predict_mean(horizon), None
    frame = model.fit(sales, products=products).predict(horizon, future=future)
    return forecast_matrices(frame, panel, horizon)


def _assemble(
    panel: Panel, choices: pd.DataFrame, outputs: dict, spreads: pd.DataFrame, horizon: int
) -> pd.DataFrame:
    choices = choices.set_index(SKU).reindex(panel.skus)
    chosen = choices["model"].to_numpy()
    members = dict(zip(choices["model"], choices["members"], strict=False))
    mean = combine_by_choice({m: out[0] for m, out in outputs.items()}, chosen, members)
    dispersion = variance_index(dispersion_index(panel, weekday_profile(panel)),
                                choices["demand_class"].to_numpy(), spreads, horizon)
    quantiles = count_quantiles(mean, dispersion, panel.integer_rows())
    for name, (_, own) in outputs.items():
        if own is not None:  # a single non-panel model keeps its own quantiles
            rows = chosen == name
            quantiles[rows] = own[rows]
    frame = panel_forecast_frame(panel, mean, quantiles, chosen)
    del horizon
    return finalize_forecasts(frame, "auto")


def _auto_rows(
    backtest: BacktestResult, choices: pd.DataFrame, spreads: pd.DataFrame
) -> pd.DataFrame:
    """Per-SKU backtest rows of the fused forecast (model ``auto``): chosen candidates and
    calibrated quantiles. Chosen on the same folds, so optimistic: an honest out-of-sample score
    needs an outer origin (``benchmarks/bench_accuracy.py``)."""
    by_sku = choices.set_index(SKU)
    members = dict(zip(choices["model"], choices["members"], strict=False))
    rows = []
    for k, fold in enumerate(backtest.folds):
        chosen = by_sku["model"].reindex(fold.skus).to_numpy()
        ok = pd.notna(chosen)
        if not ok.any():
            continue
        mean = combine_by_choice({m: v[ok] for m, v in fold.means.items()}, chosen[ok], members)
        classes = by_sku["demand_class"].reindex(fold.skus[ok]).to_numpy()
        index = variance_index(fold.dispersion[ok], classes, spreads, mean.shape[1])
        quantiles = count_quantiles(mean, index, fold.integer_rows[ok])
        rows.append(fold_metrics(
            fold.skus[ok], "auto", k, fold.actual[ok], mean, quantiles, fold.scale_abs[ok],
            fold.scale_sq[ok],
        ))
    if not rows:
        return backtest.per_sku.iloc[:0]
    classes = backtest.classes[[SKU, "demand_class"]]
    return pd.concat(rows, ignore_index=True).merge(classes, on=SKU, how="left")


def _backtest_table(
    backtest: BacktestResult | None, choices: pd.DataFrame, spreads: pd.DataFrame
) -> pd.DataFrame:
    """Backtest summary by model and class; the fused ``auto`` rows are added when every
    candidate was backtested (auto runs)."""
    columns = ["model", "demand_class", "n_skus", "mase", "rmsse", "wape", "bias", "spl",
               "coverage80"]
    if backtest is None:
        return pd.DataFrame(columns=columns)
    per_sku = backtest.per_sku
    if all(set(m) <= set(backtest.folds[0].means) for m in choices["members"]):
        per_sku = pd.concat([per_sku, _auto_rows(backtest, choices, spreads)], ignore_index=True)
    return summarise(per_sku)[columns].reset_index(drop=True)
