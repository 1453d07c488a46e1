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
Steps 1, 3, 4 pool statistics over SKUs (closed days, weekday share, class averages, spreads)
and run here; steps 2 and 5 are per SKU given those: ``backtest_panel`` and ``fit_and_assemble``,
in this process or, with ``ForecastOptions(runner=invdash.distributed.RayRunner(...))``, on SKU
partitions.

The global neural model joins the auto set only with ``use_neural=True``: it pays off on large
panels with covariates and a GPU, and costs minutes on a CPU.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from invdash.forecast.backtest import (
    backtest_panel,
    fold_metrics,
    forecast_matrices,
    summarise,
)
from invdash.forecast.calendar import with_public_holidays
from invdash.forecast.classify import classify_panel
from invdash.forecast.fold_errors import fold_errors
from invdash.forecast.fusion import choose_models, combine_by_choice
from invdash.forecast.grain import Grain, min_history_periods, resolve_run_grain, to_grain
from invdash.forecast.models.base import Forecaster, finalize_forecasts
from invdash.forecast.models.baseline import (
    PanelForecaster,
)
from invdash.forecast.newskus import can_cold_start, unsold_forecasts, unsold_skus
from invdash.forecast.options import ForecastOptions
from invdash.forecast.panel import (
    Panel,
    dispersion_index,
    panel_forecast_frame,
    to_panel,
    weekday_profile,
)
from invdash.forecast.quantiles import calibrate_spread, calibrated_quantiles
from invdash.forecast.registry import MODELS, auto_model_factories
from invdash.forecast.results import BacktestResult, ForecastRun
from invdash.schema import DATE, SKU, InvalidDataError, validate_sales

__all__ = [
    "run_forecast", "fit_and_assemble", "choose_for_classes", "spreads_for", "backtest_table",
    "run_events",
]

Progress = Callable[[int, int, str], None]
#: Runs the per-SKU steps: ``.backtest`` like ``backtest_panel``, ``.forecast`` like
#: ``fit_and_assemble`` (``invdash.distributed.RayRunner``); None runs them here.
Runner = Any


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


def run_forecast(  # noqa: PLR0913 - the run's data frames (sales, products, future, events)
    sales: pd.DataFrame, options: ForecastOptions | None = None, *,
    products: pd.DataFrame | None = None, future: pd.DataFrame | None = None,
    progress: Progress | None = None, events: pd.DataFrame | None = None,
) -> ForecastRun:
    """Forecast every SKU ``options.horizon`` days ahead (see the module docstring for the flow).

    Args:
        sales: daily sales ``sku, date, qty`` [, ``price, promo, stockout``].
        options: horizon, model, seed, backtest folds, neural model, SKUs (default
            ``ForecastOptions()``: 28 days, ``auto``, every SKU).
        products: optional product table (``sku, name, ...``) for the cold-start and neural models.
        future: optional known future ``sku, date, price, promo`` for models that use it.
        progress: optional ``callable(done, total, message)``.
        events: optional user events ``date, event[, sku | category]``, past and planned
            (``calendar.event_factors``: a planned event moves the forecast by its past lift).

    Raises:
        InvalidDataError: bad sales frame or unknown SKUs.
    """
    started = time.perf_counter()
    options = options or ForecastOptions()
    model, seed, folds = options.model, options.seed, options.folds
    use_neural, skus = options.use_neural, list(options.skus) if options.skus else None
    grain, horizon = resolve_run_grain(
        validate_sales(sales), options.freq, options.horizon, model=model, use_neural=use_neural
    )
    # ``horizon`` is backtested; ``reach`` (>= horizon: ``ForecastOptions.plan_days``) forecast.
    reach = options.reach(horizon, grain.days_per_period)
    cold_start = "coldstart" in MODELS and can_cold_start(products, model, grain.kind)
    unsold = unsold_skus(sales[SKU].unique(), products) if cold_start else set()
    sales = _select_skus(sales, skus, unsold)
    events = run_events(sales, events, country=options.country, grain=grain, horizon=reach)
    panel = to_panel(sales, grain=grain, products=products, future=future, events=events)
    names = list(auto_model_factories(
        seed=seed, use_neural=use_neural, grain=grain.kind
    )) if model == "auto" else [
        model
    ]
    factories = {name: partial(MODELS[name], seed=seed) for name in names}
    runner = options.runner
    backtest = _try_backtest(panel, factories, folds, horizon, sales, products, progress, runner)
    choices = _choose(panel, backtest, model, cold_start=cold_start)
    if grain.kind != "D":
        sales = to_grain(sales, grain)
    spreads = _spreads(backtest, choices, seed)
    needed = sorted({m for members in choices["members"] for m in members})
    if progress is not None:
        progress(0, len(needed), "fitting the chosen models on all data")
    forecasts = (runner.forecast if runner else fit_and_assemble)(
        panel, choices, spreads=spreads, horizon=reach, seed=seed, sales=sales,
        products=products, future=future,
    )
    if unsold:
        wanted = unsold & {str(s) for s in skus} if skus else unsold
        forecasts, choices = _add_unsold(forecasts, choices, sales, products, reach, seed, wanted)
    if progress is not None:
        progress(len(needed), len(needed), "forecast done")
    return ForecastRun(
        forecasts=forecasts, choices=choices.drop(columns="members"),
        backtest=_backtest_table(backtest, choices, spreads), device=_device("neural" in needed),
        duration_s=time.perf_counter() - started, horizon=reach, model_param=model,
        freq=grain.freq,
        fold_errors=(
            fold_errors(backtest, choices, spreads, model=model) if grain.kind == "D" else None
        ),
        country=options.country,
    )


def run_events(
    sales: pd.DataFrame, events: pd.DataFrame | None, *, country: str | None, grain: Grain,
    horizon: int,
) -> pd.DataFrame | None:
    """The run's events: the user's plus ``country``'s public holidays over the sales and the
    ``horizon`` periods after them (``calendar.with_public_holidays``)."""
    dates = pd.to_datetime(sales[DATE])
    step = pd.Timedelta(days=7 if grain.kind == "W" else 1)
    return with_public_holidays(events, country=country, start=dates.min(),
                                end=dates.max() + step * (horizon + 1), grain=grain)


def _device(neural_ran: bool) -> str:
    if not neural_ran:
        return "cpu"
    from invdash.runtime.device import device_name

    return device_name()


def _try_backtest(  # noqa: PLR0913 - run_forecast's inputs
    panel: Panel, factories: dict[str, Callable], folds: int, horizon: int,
    sales: pd.DataFrame, products: pd.DataFrame | None, progress: Progress | None,
    runner: Runner | None,
) -> BacktestResult | None:
    if folds == 0 or len(panel.dates) - horizon * folds < min_history_periods(panel.grain):
        return None
    return (runner.backtest if runner else backtest_panel)(
        panel, factories, folds=folds, horizon=horizon, sales=sales, products=products,
        progress=progress,
    )


def _add_unsold(  # noqa: PLR0913 - run_forecast's inputs
    forecasts: pd.DataFrame, choices: pd.DataFrame, sales: pd.DataFrame,
    products: pd.DataFrame, horizon: int, seed: int, unsold: set[str],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Forecasts and choices for catalogue SKUs that never sold, from similar products."""
    if not unsold:
        return forecasts, choices
    model = MODELS["coldstart"](seed=seed).fit(sales, products=products)
    extra, rows = unsold_forecasts(model, horizon, unsold)
    return (
        pd.concat([forecasts, extra], ignore_index=True),
        pd.concat([choices, rows], ignore_index=True),
    )


def _choose(
    panel: Panel, backtest: BacktestResult | None, model: str, *, cold_start: bool
) -> pd.DataFrame:
    """Choice per SKU: backtest winner (auto), the requested model, or the new-SKU rule."""
    classes = classify_panel(panel, min_history_days=min_history_periods(panel.grain))
    return choose_for_classes(classes, backtest, model, cold_start=cold_start)


def choose_for_classes(
    classes: pd.DataFrame, backtest: BacktestResult | None, model: str, *, cold_start: bool
) -> pd.DataFrame:
    """``_choose`` given every SKU's ``sku, demand_class`` (``classify_panel``; a chunked run
    concatenates its chunks')."""
    if model != "auto":
        chosen = pd.DataFrame({
            SKU: classes[SKU].to_numpy(), "model": model, "members": [(model,)] * len(classes),
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


def spreads_for(
    backtest: BacktestResult | None, choices: pd.DataFrame, seed: int
) -> pd.DataFrame:
    """The quantile spread and growth per demand class (step 4) from the backtest."""
    return _spreads(backtest, choices, seed)


def backtest_table(
    backtest: BacktestResult | None, choices: pd.DataFrame, spreads: pd.DataFrame
) -> pd.DataFrame:
    """The stored backtest summary by model and class (with the fused ``auto`` rows)."""
    return _backtest_table(backtest, choices, spreads)


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
    quantiles = calibrated_quantiles(mean, dispersion_index(panel, weekday_profile(panel)),
                                     choices["demand_class"].to_numpy(), spreads,
                                     panel.integer_rows())
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
        quantiles = calibrated_quantiles(mean, fold.dispersion[ok], classes, spreads,
                                         fold.integer_rows[ok])
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


def fit_and_assemble(  # noqa: PLR0913 - run_forecast's inputs
    panel: Panel, choices: pd.DataFrame, *, spreads: pd.DataFrame, horizon: int, seed: int,
    sales: pd.DataFrame, products: pd.DataFrame | None, future: pd.DataFrame | None,
    models: Mapping[str, Callable[[], Forecaster]] | None = None,
) -> pd.DataFrame:
    """Step 5 for the SKUs of ``panel``: fit the models they need, calibrated quantiles.

    A row depends only on its SKU, the panel's pooled calendar and ``spreads``, so SKU
    partitions (panels with ``shop_at``) concatenated give the whole panel's forecasts.
    ``sales``, ``products``, ``future`` are run_forecast's, for non-panel models. ``models``:
    factories that replace the registry's for some names (the chunked run's global booster
    trained on a sample, ``forecast.sampled``).
    """
    choices = choices[choices[SKU].isin(panel.skus)]
    needed = sorted({m for members in choices["members"] for m in members})
    factories = {name: partial(MODELS[name], seed=seed) for name in needed} | {
        name: factory for name, factory in (models or {}).items() if name in needed
    }
    outputs = {
        name: _fit_predict(
            factories[name](), panel, horizon, sales=sales, products=products, future=future,
        )
        for name in needed
    }
    return _assemble(panel, choices, outputs, spreads, horizon)
