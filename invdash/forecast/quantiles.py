"""Calibrated quantiles: gamma quantiles whose spread is tuned on the backtest.

Design: every forecast's quantiles come from a gamma with the forecast mean and variance
``k * D * mean`` (``panel.gamma_quantiles``; D is each SKU's index of dispersion). A gamma keeps
quantiles non-negative and ordered, puts the median at 0 for sparse SKUs, and widens with the
level as count data do. The scalar ``k`` per demand class is chosen on the out-of-sample
backtest forecasts of the *chosen* candidates, minimising the scaled pinball loss over a grid
(pinball loss is a proper score, so its minimiser is the calibrated spread); among spreads
within 1 % of the best loss the one whose 80 % interval covers closest to 80 % wins.

Widening with the horizon: the variance index of step ``j`` (1..h) is ``k * D * (1 + g * (j - 1)
/ 28 periods)``: the level a forecast starts from is itself uncertain and that error adds up over
the steps (for a local-level model the forecast variance grows linearly in the step). ``g`` is
chosen per class from ``GROWTH_GRID`` jointly with ``k``, so a class whose errors do not grow
keeps ``g = 0``.

Whole units: quantiles of SKUs sold in whole units are whole numbers (``gamma.count_quantiles``,
the pinball-optimal choice for counts). An interval with whole-unit ends covers at least its
nominal share (a Poisson(2) [p10, p90] = [0, 4] covers 95 %), so among spreads with nearly the
best pinball loss the one covering closest to 80 % is taken: that reports the coverage honestly
with the ends counted as inside, rather than shrinking the ends below what the counts support.

Levels: ``k`` and ``g`` set the gamma's spread, not the shape of its tails, and a spread chosen
for the pinball loss over all levels can still cover 0.84 at 80 % and 0.89 at 95 % (measured
on Australian retail and orange juice). So after ``k`` and ``g``, each class and horizon bucket
gets a map of quantile levels from the PITs of its backtest actuals (``levels.py``: the level
at which the gamma is read so that a share tau of actuals falls below the tau-quantile); the
forecast's quantiles are the gamma's at the mapped levels (``calibrated_quantiles``), for
p10 .. p90 only: p05, p95 and p99 stay at the gamma's own levels for the policy (``levels.py``
says why). Whole
units are handled there with their interval ends counted as inside (see ``levels.py``).
Everything is fitted on the run's own rolling-origin folds, all before the forecast origin; the
held-out check is ``benchmarks/bench_accuracy.py --coverage``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from invdash.forecast.fusion import combine_by_choice
from invdash.forecast.levels import (
    LEVEL_BUCKETS,
    gamma_quantiles_at,
    horizon_buckets,
    inclusive_level_map,
    keep_model_tails,
    pit_bounds,
    shrink_levels,
)
from invdash.forecast.metrics import interval_coverage, scaled_pinball_loss
from invdash.forecast.panel import count_quantiles
from invdash.forecast.results import BacktestResult
from invdash.schema import QUANTILE_COLUMNS, QUANTILES, SKU

__all__ = [
    "SPREAD_GRID", "LOW_GRID", "GROWTH_GRID", "SPL_TOLERANCE", "calibrate_spread", "variance_index",
    "calibrated_quantiles", "calibrate_levels",
]

SPREAD_GRID = (0.25, 0.35, 0.5, 0.7, 1.0, 1.4, 2.0, 2.8, 4.0)
#: Searched only when a class's best spread is the grid's smallest: long, smooth series (monthly
#: turnover) whose history varies far more than their forecast errors.
LOW_GRID = (0.03, 0.05, 0.08, 0.12, 0.18)
GROWTH_GRID = (0.0, 0.5, 1.5)
#: Weight of a backtest fold's PITs relative to the next later fold's: calibration drifts (on
#: Australian retail each later fold's 80 % interval covered 2-5 points more), so the latest
#: fold, the nearest to the forecast, counts most (1, 1/2, 1/4 for three folds).
RECENCY_WEIGHT = 0.25
_GROWTH_PERIODS = 28.0


def _growth(h: int, g: float) -> np.ndarray:
    """The factor ``1 + g * (j - 1) / 28`` of steps j = 1..h."""
    return 1.0 + g * np.arange(h) / _GROWTH_PERIODS


def variance_index(
    dispersion: np.ndarray, classes: np.ndarray, table: pd.DataFrame, h: int
) -> np.ndarray:
    """Variance index per SKU and step, (n, h): ``D * k * (1 + g * (j - 1) / 28)`` with the
    class's ``spread`` k and ``growth`` g from ``calibrate_spread`` (class ``all`` as fallback).
    """
    by_class = table.set_index("demand_class")
    fallback = by_class.loc["all"] if "all" in by_class.index else pd.Series(
        {"spread": 1.0, "growth": 0.0}
    )
    spread = pd.Series(classes).map(by_class["spread"]).fillna(fallback["spread"]).to_numpy()
    growth = pd.Series(classes).map(by_class["growth"]).fillna(fallback["growth"]).to_numpy()
    steps = np.arange(h)[None, :] / _GROWTH_PERIODS
    return (dispersion * spread)[:, None] * (1.0 + growth[:, None] * steps)
SPL_TOLERANCE = 0.01
_P10, _P90 = QUANTILE_COLUMNS.index("p10"), QUANTILE_COLUMNS.index("p90")


def _fold_mean(fold, choices: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
    """The chosen candidates' out-of-sample means of ``rows`` of one fold, (n, h)."""
    by_sku = choices.set_index(SKU)
    chosen = by_sku["model"].reindex(fold.skus[rows]).to_numpy()
    members = dict(zip(by_sku["model"], by_sku["members"], strict=True))
    return combine_by_choice({m: v[rows] for m, v in fold.means.items()}, chosen, members)


def _fold_losses(
    fold, choices: pd.DataFrame, rows: np.ndarray, grid: tuple[float, ...]
) -> pd.DataFrame:
    by_sku = choices.set_index(SKU)
    skus = fold.skus[rows]
    mean = _fold_mean(fold, choices, rows)
    actual = fold.actual[rows]
    out = []
    h = mean.shape[1]
    for k in grid:
        for g in GROWTH_GRID:
            out.append(_losses(fold, rows, mean, actual, by_sku["demand_class"].reindex(skus),
                               k, (fold.dispersion[rows] * k)[:, None] * _growth(h, g)[None, :]))
            out[-1]["growth"] = g
    return pd.concat(out, ignore_index=True)


def _losses(  # noqa: PLR0913 - one grid point's arrays
    fold, rows: np.ndarray, mean: np.ndarray, actual: np.ndarray,
    classes: pd.Series, k: float, index: np.ndarray,
) -> pd.DataFrame:
    quantiles = count_quantiles(mean, index, fold.integer_rows[rows])
    return pd.DataFrame({
        "demand_class": classes.to_numpy(), "spread": k,
        "spl": scaled_pinball_loss(actual, quantiles, fold.scale_abs[rows]),
        "coverage80": interval_coverage(actual, quantiles[:, :, _P10], quantiles[:, :, _P90]),
    })


def _sampled_rows(
    backtest: BacktestResult, choices: pd.DataFrame, *, max_skus: int, seed: int
) -> list[tuple]:
    """``(fold, rows)``: the rows of each fold with a choice, at most ``max_skus`` (seeded)."""
    rng = np.random.default_rng(seed)
    out = []
    for fold in backtest.folds:
        known = np.flatnonzero(pd.Index(fold.skus).isin(choices[SKU]))
        if len(known) > max_skus:
            known = np.sort(rng.choice(known, max_skus, replace=False))
        out.append((fold, known))
    return out


def _grid_losses(
    backtest: BacktestResult, choices: pd.DataFrame, grid: tuple[float, ...], *,
    max_skus: int, seed: int,
) -> pd.DataFrame | None:
    sampled = _sampled_rows(backtest, choices, max_skus=max_skus, seed=seed)
    pieces = [_fold_losses(fold, choices, rows, grid) for fold, rows in sampled if len(rows)]
    if not pieces:
        return None
    losses = pd.concat(pieces, ignore_index=True)
    losses = pd.concat([losses, losses.assign(demand_class="all")], ignore_index=True)
    return losses.groupby(["demand_class", "spread", "growth"]).mean().reset_index()


def calibrate_spread(
    backtest: BacktestResult, choices: pd.DataFrame, *, max_skus: int = 1500, seed: int = 0,
    tolerance: float = SPL_TOLERANCE,
) -> pd.DataFrame:
    """Spread factor ``k`` per demand class minimising backtest scaled pinball loss.

    Args:
        backtest: backtest with out-of-sample means.
        choices: ``sku, model, members, demand_class`` from ``fusion.choose_models``.
        max_skus: SKUs sampled per fold (the grid search is the costly part).
        seed: seed of that sample.
        tolerance: spreads within this share of the best loss compete on coverage.

    Returns:
        Frame ``demand_class, spread, growth, spl, coverage80`` (one row per class, plus
        ``all``).
    """
    table = _grid_losses(backtest, choices, SPREAD_GRID, max_skus=max_skus, seed=seed)
    if table is None:
        return pd.DataFrame({"demand_class": ["all"], "spread": [1.0], "growth": [0.0],
                             "spl": [np.nan], "coverage80": [np.nan]})
    floor = table.loc[table.groupby("demand_class")["spl"].idxmin(), "spread"]
    if (floor == SPREAD_GRID[0]).any():  # the best spread lies below the grid: search lower
        low = _grid_losses(backtest, choices, LOW_GRID, max_skus=max_skus, seed=seed)
        table = pd.concat([table, low], ignore_index=True)
    # The growth is the one with the best pinball loss; the coverage rule below then only picks
    # among spreads, so a steady class is not given a growth that a narrower spread offsets.
    best_growth = table.loc[table.groupby("demand_class")["spl"].idxmin(), ["demand_class",
                                                                          "growth"]]
    table = table.merge(best_growth, on=["demand_class", "growth"])
    # Among spreads within ``tolerance`` of the best pinball loss, take the one whose 80 %
    # interval coverage is closest to 80 %: whole-unit quantiles make the inclusive interval of
    # a pinball-optimal count forecast cover more than 80 % (Poisson(2): [0, 4] covers 95 %).
    best_loss = table.groupby("demand_class")["spl"].transform("min")
    near = table[table["spl"] <= best_loss * (1 + tolerance)].copy()
    near["gap"] = (near["coverage80"] - 0.8).abs()
    best = near.loc[near.groupby("demand_class")["gap"].idxmin()]
    best = best.drop(columns="gap").reset_index(drop=True)
    return calibrate_levels(backtest, choices, best, max_skus=max_skus, seed=seed)


def _pit_cells(
    backtest: BacktestResult, choices: pd.DataFrame, table: pd.DataFrame, *,
    max_skus: int, seed: int,
) -> pd.DataFrame:
    """PIT interval, class and horizon bucket of every scored backtest cell under ``table``."""
    classes_by_sku = choices.set_index(SKU)["demand_class"]
    pieces = []
    sampled = _sampled_rows(backtest, choices, max_skus=max_skus, seed=seed)
    for age, (fold, rows) in enumerate(reversed(sampled)):
        if not len(rows):
            continue
        mean = _fold_mean(fold, choices, rows)
        classes = classes_by_sku.reindex(fold.skus[rows]).to_numpy()
        index = variance_index(fold.dispersion[rows], classes, table, mean.shape[1])
        lower, upper = pit_bounds(fold.actual[rows], mean, index, fold.integer_rows[rows])
        buckets = np.broadcast_to(horizon_buckets(mean.shape[1], mean.shape[1]), mean.shape)
        pieces.append(pd.DataFrame({
            "demand_class": np.repeat(classes, mean.shape[1]), "bucket": buckets.ravel(),
            "lower": lower.ravel(), "upper": upper.ravel(), "weight": RECENCY_WEIGHT**age,
        }))
    cells = pd.concat(pieces, ignore_index=True) if pieces else pd.DataFrame(
        columns=["demand_class", "bucket", "lower", "upper", "weight"])
    return cells.dropna(subset=["lower", "upper"])


def _shrunk_map(cells: pd.DataFrame, parent: np.ndarray) -> np.ndarray:
    fitted = inclusive_level_map(cells["lower"].to_numpy(float), cells["upper"].to_numpy(float),
                       cells["weight"].to_numpy(float))
    return shrink_levels(fitted, len(cells), parent)


def calibrate_levels(
    backtest: BacktestResult, choices: pd.DataFrame, table: pd.DataFrame, *,
    max_skus: int = 1500, seed: int = 0,
) -> pd.DataFrame:
    """``table`` with a ``levels`` column: per class, the mapped quantile levels, an array
    (``LEVEL_BUCKETS``, len(QUANTILES)) of one row per horizon bucket (``levels.level_map`` of
    the PITs of the backtest cells under the class's spread and growth, shrunk bucket -> class
    -> all -> nominal), and ``level_horizon``, the backtest horizon the buckets divide.
    """
    cells = _pit_cells(backtest, choices, table, max_skus=max_skus, seed=seed)
    horizon = max((fold.actual.shape[1] for fold in backtest.folds), default=1)
    nominal = np.asarray(QUANTILES, dtype=float)
    shop = _shrunk_map(cells, nominal)
    maps = []
    for demand_class in table["demand_class"]:
        own = cells if demand_class == "all" else cells[cells["demand_class"] == demand_class]
        overall = shop if demand_class == "all" else _shrunk_map(own, shop)
        by_bucket = own.groupby("bucket")
        maps.append(keep_model_tails(np.stack([
            _shrunk_map(by_bucket.get_group(b), overall) if b in by_bucket.groups else overall
            for b in range(LEVEL_BUCKETS)
        ])))
    return table.assign(levels=maps, level_horizon=horizon)


def _cell_levels(classes: np.ndarray, table: pd.DataFrame, h: int) -> np.ndarray:
    """Mapped levels per SKU and step, (n, h, len(QUANTILES)); nominal for unknown classes."""
    by_class = dict(zip(table["demand_class"], table["levels"], strict=True))
    nominal = np.tile(np.asarray(QUANTILES, dtype=float), (LEVEL_BUCKETS, 1))
    fallback = by_class.get("all", nominal)
    per_sku = np.stack([by_class.get(c, fallback) for c in classes]) if len(classes) else (
        np.zeros((0, LEVEL_BUCKETS, len(QUANTILES))))
    buckets = horizon_buckets(h, int(table["level_horizon"].iloc[0]))
    return per_sku[:, buckets, :]


def calibrated_quantiles(
    mean: np.ndarray, dispersion: np.ndarray, classes: np.ndarray, table: pd.DataFrame,
    integer_rows: np.ndarray,
) -> np.ndarray:
    """The forecast quantiles, (n, h, len(QUANTILES)): the gamma with the class's variance
    index (``variance_index``) read at the class and bucket's mapped levels (``calibrate_levels``),
    whole numbers for SKUs sold in whole units (``ceil(q - 0.5)`` as ``count_quantiles``). A
    ``table`` without levels gives ``count_quantiles`` at the nominal levels.
    """
    h = mean.shape[1]
    index = variance_index(dispersion, classes, table, h)
    if "levels" not in table or not len(mean):
        return count_quantiles(mean, index, integer_rows)
    quantiles = gamma_quantiles_at(mean, index, _cell_levels(classes, table, h))
    whole = np.clip(np.ceil(quantiles - 0.5), 0.0, None)
    return np.where(np.asarray(integer_rows, bool)[:, None, None], whole, quantiles)
