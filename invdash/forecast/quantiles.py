"""Calibrated quantiles: gamma quantiles whose spread is tuned on the backtest.

Design: every forecast's quantiles come from a gamma with the forecast mean and variance
``k * D * mean`` (``panel.gamma_quantiles``; D is each SKU's index of dispersion). A gamma keeps
quantiles non-negative and ordered, puts the median at 0 for sparse SKUs, and widens with the
level as count data do. The scalar ``k`` per demand class is chosen on the out-of-sample
backtest forecasts of the *chosen* candidates, minimising the scaled pinball loss over a grid
(pinball loss is a proper score, so its minimiser is the calibrated spread); among spreads
within 1 % of the best loss the one whose 80 % interval covers closest to 80 % wins.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from invdash.forecast.fusion import combine_by_choice
from invdash.forecast.metrics import interval_coverage, scaled_pinball_loss
from invdash.forecast.panel import count_quantiles
from invdash.forecast.results import BacktestResult
from invdash.schema import QUANTILE_COLUMNS, SKU

__all__ = ["SPREAD_GRID", "calibrate_spread"]

SPREAD_GRID = (0.25, 0.35, 0.5, 0.7, 1.0, 1.4, 2.0, 2.8, 4.0)
_SPL_TOLERANCE = 0.01
_P10, _P90 = QUANTILE_COLUMNS.index("p10"), QUANTILE_COLUMNS.index("p90")


def _fold_losses(fold, choices: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    by_sku = choices.set_index(SKU)
    skus = fold.skus[rows]
    chosen = by_sku["model"].reindex(skus).to_numpy()
    members = dict(zip(by_sku["model"], by_sku["members"], strict=True))
    mean = combine_by_choice({m: v[rows] for m, v in fold.means.items()}, chosen, members)
    actual = fold.actual[rows]
    out = []
    for k in SPREAD_GRID:
        quantiles = count_quantiles(mean, fold.dispersion[rows] * k, fold.integer_rows[rows])
        out.append(pd.DataFrame({
            "demand_class": by_sku["demand_class"].reindex(skus).to_numpy(), "spread": k,
            "spl": scaled_pinball_loss(actual, quantiles, fold.scale_abs[rows]),
            "coverage80": interval_coverage(actual, quantiles[:, :, _P10], quantiles[:, :, _P90]),
        }))
    return pd.concat(out, ignore_index=True)


def calibrate_spread(
    backtest: BacktestResult, choices: pd.DataFrame, *, max_skus: int = 1500, seed: int = 0
) -> pd.DataFrame:
    """Spread factor ``k`` per demand class minimising backtest scaled pinball loss.

    Args:
        backtest: backtest with out-of-sample means.
        choices: ``sku, model, members, demand_class`` from ``fusion.choose_models``.
        max_skus: SKUs sampled per fold (the grid search is the costly part).
        seed: seed of that sample.

    Returns:
        Frame ``demand_class, spread, spl, coverage80`` (one row per class, plus ``all``).
    """
    rng = np.random.default_rng(seed)
    pieces = []
    for fold in backtest.folds:
        known = np.flatnonzero(pd.Index(fold.skus).isin(choices[SKU]))
        if len(known) > max_skus:
            known = np.sort(rng.choice(known, max_skus, replace=False))
        if len(known):
            pieces.append(_fold_losses(fold, choices, known))
    if not pieces:
        return pd.DataFrame(
            {"demand_class": ["all"], "spread": [1.0], "spl": [np.nan], "coverage80": [np.nan]}
        )
    losses = pd.concat(pieces, ignore_index=True)
    losses = pd.concat([losses, losses.assign(demand_class="all")], ignore_index=True)
    table = losses.groupby(["demand_class", "spread"]).mean().reset_index()
    # Among spreads within 1 % of the best pinball loss, take the one whose 80 % interval
    # coverage is closest to 80 %: whole-unit quantiles make the inclusive interval of a
    # pinball-optimal count forecast cover more than 80 % (Poisson(2): [0, 4] covers 95 %).
    best_loss = table.groupby("demand_class")["spl"].transform("min")
    near = table[table["spl"] <= best_loss * (1 + _SPL_TOLERANCE)].copy()
    near["gap"] = (near["coverage80"] - 0.8).abs()
    best = near.loc[near.groupby("demand_class")["gap"].idxmin()]
    return best.drop(columns="gap").reset_index(drop=True)
