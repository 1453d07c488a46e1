"""Rolling-origin backtest: every model forecasts ``horizon`` days from ``folds`` past origins.

Design:
- Origins are the last ``folds`` non-overlapping windows before the end of the data:
  ``T - horizon * folds, ..., T - horizon``. At each origin every model is fitted on the days
  *before* the origin only (``panel.truncate_panel`` for the fast models, a date filter of the
  sales frame for the others), so no fold sees its own test days (tested).
- Only SKUs with at least ``min_history_days`` known days before the origin and one known test
  day are scored; stock-out test days are not scored (censored demand).
- Metrics per SKU and fold (``metrics.py``); quantiles come from each model (the fast models'
  gamma quantiles with the unscaled dispersion). ``summary`` aggregates by model and demand
  class (means over SKU-folds; WAPE and bias as ratios of sums) and adds class ``all``.
- The out-of-sample means are kept per fold (``BacktestFold``) for the fusion step; quantiles
  are not kept (memory), fusion rebuilds them from the means.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from invdash.forecast.classify import classify_panel
from invdash.forecast.grain import min_history_periods, resolve_grain
from invdash.forecast.metrics import (
    interval_coverage,
    mase,
    naive_scales,
    rmsse,
    scaled_pinball_loss,
    wape_parts,
)
from invdash.forecast.models.base import Forecaster
from invdash.forecast.models.baseline import PanelForecaster
from invdash.forecast.panel import (
    Panel,
    count_quantiles,
    dispersion_index,
    to_panel,
    truncate_panel,
    weekday_profile,
)
from invdash.forecast.registry import auto_model_factories
from invdash.forecast.results import BacktestFold, BacktestResult
from invdash.schema import DATE, MEAN, QUANTILE_COLUMNS, SKU, ConfigError, validate_sales

__all__ = [
    "BacktestFold", "BacktestResult", "run_backtest", "backtest_panel", "summarise", "fold_metrics",
    "forecast_matrices", "METRIC_COLUMNS",
]

Progress = Callable[[int, int, str], None]
METRIC_COLUMNS = ("mase", "rmsse", "wape", "bias", "spl", "coverage80")


def run_backtest(  # noqa: PLR0913 - the documented engine API
    sales: pd.DataFrame, *, models: Mapping[str, Callable[[], Forecaster]] | None = None,
    folds: int = 3, horizon: int = 28, products: pd.DataFrame | None = None, seed: int = 0,
    progress: Progress | None = None, freq: str = "auto",
) -> BacktestResult:
    """Backtest ``models`` (name -> factory; default: the auto set) on ``sales``.

    Args:
        sales: daily sales ``sku, date, qty`` [, ``price, promo, stockout``].
        models: model factories by name, e.g. ``{"ets": ETSForecaster}``; default the auto set.
        folds: number of rolling origins.
        horizon: days forecast from each origin.
        products: optional product table passed to models that use it.
        seed: seed handed to every model factory that takes one.
        progress: optional ``callable(done, total, message)``.
        freq: the grain (``auto``: detected; ``D``, ``W``, ``M``); ``horizon`` counts periods.

    Raises:
        ConfigError: ``folds`` or ``horizon`` below 1, or too little history for the folds.
        InvalidDataError: ``freq="auto"`` on a file mixing grains.
    """
    validate_sales(sales)
    grain = resolve_grain(sales, freq)
    if models is None:
        models = auto_model_factories(seed=seed, grain=grain.kind)
    panel = to_panel(sales, grain=grain)
    if not all(isinstance(factory(), PanelForecaster) for factory in models.values()) and (
        grain.kind != "D"
    ):
        raise ConfigError(f"the models given forecast days only; the sales are {grain.label}.")
    return backtest_panel(
        panel, models, folds=folds, horizon=horizon, sales=sales, products=products,
        progress=progress,
    )


def _origins(panel: Panel, folds: int, horizon: int) -> list[int]:
    if folds < 1 or horizon < 1:
        raise ConfigError(f"folds and horizon must be >= 1, got folds={folds}, horizon={horizon}.")
    first = len(panel.dates) - horizon * folds
    need = min_history_periods(panel.grain)
    unit = {"D": "days", "W": "weeks", "M": "months"}[panel.grain.kind]
    if first < need:
        raise ConfigError(
            f"{len(panel.dates)} {unit} of sales are too few for {folds} folds of {horizon} "
            f"{unit} (need {need} {unit} of history before the first origin); lower --folds or "
            "--horizon."
        )
    return [first + horizon * k for k in range(folds)]


def backtest_panel(  # noqa: PLR0913 - run_backtest plus the panel
    panel: Panel, models: Mapping[str, Callable[[], Forecaster]], *, folds: int, horizon: int,
    sales: pd.DataFrame | None = None, products: pd.DataFrame | None = None,
    progress: Progress | None = None, min_history_days: int | None = None,
) -> BacktestResult:
    """``run_backtest`` on an already pivoted panel (``sales`` only for non-panel models).

    ``min_history_days``: known periods a SKU needs before an origin to be scored (default
    ``grain.min_history_periods``: 28 days, 13 weeks, 12 months)."""
    if min_history_days is None:
        min_history_days = min_history_periods(panel.grain)
    classes = classify_panel(panel, min_history_days=min_history_days)
    origins = _origins(panel, folds, horizon)
    total, done = len(origins) * len(models), 0
    fold_results, rows = [], []
    for k, origin in enumerate(origins):
        train = truncate_panel(panel, origin)
        keep = train.history_days() >= min_history_days
        rows_in_full = np.searchsorted(panel.skus, train.skus)
        actual = panel.actual[rows_in_full, origin:origin + horizon]
        keep &= np.any(~np.isnan(actual), axis=1)
        scale_abs, scale_sq = naive_scales(train.actual[keep])
        dispersion = dispersion_index(train, weekday_profile(train))[keep]
        means = {}
        for name, factory in models.items():
            if progress is not None:
                progress(done, total, f"backtest fold {k + 1}/{len(origins)}: {name}")
            mean, quantiles = _fold_forecast(factory(), train, horizon, sales, products)
            mean, quantiles = mean[keep], quantiles[keep]
            means[name] = mean
            rows.append(fold_metrics(
                train.skus[keep], name, k, actual[keep], mean, quantiles, scale_abs, scale_sq
            ))
            done += 1
        fold_results.append(BacktestFold(
            origin=panel.dates[origin], skus=train.skus[keep], actual=actual[keep],
            scale_abs=scale_abs, scale_sq=scale_sq, dispersion=dispersion, means=means,
            integer_rows=train.integer_rows()[keep],
        ))
    if progress is not None:
        progress(total, total, "backtest done")
    per_sku = pd.concat(rows, ignore_index=True).merge(
        classes[[SKU, "demand_class"]], on=SKU, how="left"
    )
    return BacktestResult(per_sku, summarise(per_sku), tuple(fold_results), classes)


def _fold_forecast(
    model: Forecaster, train: Panel, horizon: int, sales: pd.DataFrame | None,
    products: pd.DataFrame | None,
) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(model, PanelForecaster):
        mean = model.fit_panel(train).predict_mean(horizon)
        return mean, count_quantiles(mean, model.dispersion_, train.integer_rows())
    if sales is None:
        raise ConfigError(f"model {type(model).__name__} needs the sales frame for a backtest.")
    cutoff = train.dates[-1]
    history = sales[pd.to_datetime(sales[DATE]) <= cutoff]
    history = history[history[SKU].astype(str).isin(set(train.skus))]
    forecasts = model.fit(history, products=products).predict(horizon)
    return forecast_matrices(forecasts, train, horizon)


def forecast_matrices(
    forecasts: pd.DataFrame, panel: Panel, horizon: int
) -> tuple[np.ndarray, np.ndarray]:
    """(n, h) means and (n, h, q) quantiles of a forecast frame, rows in ``panel.skus`` order.

    Day ``j`` is ``last date + j + 1`` of each SKU; missing cells are 0.
    """
    frame = forecasts.copy()
    frame[SKU] = frame[SKU].astype(str)
    row = pd.Index(panel.skus).get_indexer(frame[SKU])
    if panel.grain.kind == "D":
        last = pd.Series(panel.dates[panel.last_index], index=panel.skus)
        offset = (pd.to_datetime(frame[DATE]) - frame[SKU].map(last)).dt.days.fillna(0)
        offset = offset.to_numpy(dtype=np.int64) - 1  # SKUs outside the panel map to -1
    else:
        extended = pd.date_range(
            panel.dates[0], periods=len(panel.dates) + horizon, freq=panel.grain.freq
        )
        position = extended.get_indexer(pd.to_datetime(frame[DATE]))
        offset = np.where(row >= 0, position - panel.last_index[row] - 1, -1)
    ok = (row >= 0) & (offset >= 0) & (offset < horizon)
    mean = np.zeros((len(panel.skus), horizon))
    quantiles = np.zeros((len(panel.skus), horizon, len(QUANTILE_COLUMNS)))
    mean[row[ok], offset[ok]] = frame[MEAN].to_numpy(dtype=float)[ok]
    quantiles[row[ok], offset[ok]] = frame[list(QUANTILE_COLUMNS)].to_numpy(dtype=float)[ok]
    return mean, quantiles


def fold_metrics(  # noqa: PLR0913 - one fold's matrices
    skus: np.ndarray, name: str, fold: int, actual: np.ndarray, mean: np.ndarray,
    quantiles: np.ndarray, scale_abs: np.ndarray, scale_sq: np.ndarray,
) -> pd.DataFrame:
    """Per-SKU metrics of one model on one fold (rows of ``per_sku`` without the class)."""
    abs_error, error, actual_sum = wape_parts(actual, mean)
    lower, upper = quantiles[:, :, QUANTILE_COLUMNS.index("p10")], quantiles[
        :, :, QUANTILE_COLUMNS.index("p90")
    ]
    with np.errstate(invalid="ignore", divide="ignore"):
        wape = np.where(actual_sum > 0, abs_error / np.maximum(actual_sum, 1e-12), np.nan)
        bias = np.where(actual_sum > 0, error / np.maximum(actual_sum, 1e-12), np.nan)
    return pd.DataFrame({
        SKU: skus, "model": name, "fold": fold,
        "mase": mase(actual, mean, scale_abs), "rmsse": rmsse(actual, mean, scale_sq),
        "wape": wape, "bias": bias,
        "spl": scaled_pinball_loss(actual, quantiles, scale_abs),
        "coverage80": interval_coverage(actual, lower, upper),
        "abs_error": abs_error, "error": error, "actual_sum": actual_sum,
    })


def summarise(per_sku: pd.DataFrame) -> pd.DataFrame:
    """Aggregate per-SKU metrics by ``model`` and ``demand_class`` (plus class ``all``)."""
    both = pd.concat([per_sku, per_sku.assign(demand_class="all")], ignore_index=True)
    grouped = both.groupby(["model", "demand_class"], sort=True)
    summary = grouped.agg(
        n_skus=(SKU, "nunique"), mase=("mase", "mean"), rmsse=("rmsse", "mean"),
        spl=("spl", "mean"), coverage80=("coverage80", "mean"),
        abs_error=("abs_error", "sum"), error=("error", "sum"), actual_sum=("actual_sum", "sum"),
    ).reset_index()
    denominator = summary["actual_sum"].where(summary["actual_sum"] > 0)
    summary["wape"] = summary["abs_error"] / denominator
    summary["bias"] = summary["error"] / denominator
    return summary[["model", "demand_class", "n_skus", *METRIC_COLUMNS]]
