"""The backtest's forecasts of the chosen candidates per SKU and fold, kept for the calibration.

The reorder calibration (``policy.calibration``) compares past forecasts with what was then sold
over each SKU's protection window L + R. The forecast run has already made such forecasts: its
rolling-origin backtest, where each fold's models were fitted on the days before the origin only.
This module turns those folds into ``FoldErrors`` with the run's own choice per SKU and its
calibrated spread (the same combination and variance index as ``engine._auto_rows``), so the
stored run carries them and ``invdash reorder`` needs no engine call.

Daily forecasts per test day are kept (not sums over one window): L comes from the products
table (master-data edits change it) and R is a reorder parameter, so the window is only known
when the policy runs; the daily values give the sum over any window up to the horizon.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from invdash.forecast.fusion import choose_models, combine_by_choice
from invdash.forecast.quantiles import variance_index
from invdash.forecast.results import BacktestResult, FoldErrors
from invdash.schema import SKU

__all__ = ["fold_errors"]


def fold_errors(
    backtest: BacktestResult | None, choices: pd.DataFrame, spreads: pd.DataFrame, *,
    model: str,
) -> FoldErrors | None:
    """Per SKU and fold: the chosen candidate's out-of-sample daily means, their calibrated
    gamma variance (floored at the Poisson variance, as the policy's ``daily_demand`` does) and
    the actual sales (NaN on censored days).

    With ``model="auto"`` the candidate of fold k is the one ``choose_models`` picks on the
    *other* folds (leave one fold out): the run's own choice was made on every fold, so its
    errors on them are optimistic (on a 60-SKU demo shop about 30 % too small a calibrated
    level uncertainty). SKUs scored in fold k only keep the run's choice.

    Args:
        backtest: the run's backtest (None: no folds, returns None).
        choices: ``sku, model, members, demand_class`` of the run.
        spreads: ``demand_class, spread, growth`` from ``quantiles.calibrate_spread``.
        model: the run's ``model`` argument (``auto`` or one model for every SKU).

    Returns:
        The rows of every fold whose SKUs have a choice backtested in that fold, or None.
    """
    if backtest is None or not backtest.folds:
        return None
    parts = []
    for k, fold in enumerate(backtest.folds):
        held_out = _held_out_choices(backtest, choices, k) if model == "auto" else choices
        by_sku = held_out.set_index(SKU)
        members = dict(zip(held_out["model"], held_out["members"], strict=False))
        parts.append(_one_fold(k, fold, by_sku, members, spreads))
    parts = [p for p in parts if p is not None]
    if not parts:
        return None
    return FoldErrors(
        sku=np.concatenate([p[0] for p in parts]),
        fold=np.concatenate([p[1] for p in parts]),
        origin=np.concatenate([p[2] for p in parts]),
        mean=np.concatenate([p[3] for p in parts]),
        variance=np.concatenate([p[4] for p in parts]),
        actual=np.concatenate([p[5] for p in parts]),
    )


def _held_out_choices(backtest: BacktestResult, choices: pd.DataFrame, k: int) -> pd.DataFrame:
    others = tuple(f for j, f in enumerate(backtest.folds) if j != k)
    if not others:
        return choices
    chosen = choose_models(replace(backtest, folds=others))
    chosen = chosen[chosen["demand_class"] != "new"].set_index(SKU)
    out = choices.set_index(SKU)
    shared = out.index.intersection(chosen.index)
    out.loc[shared, "model"] = chosen.loc[shared, "model"]
    out.loc[shared, "members"] = chosen.loc[shared, "members"]
    return out.reset_index()


def _one_fold(
    k: int, fold, by_sku: pd.DataFrame, members: dict, spreads: pd.DataFrame
) -> tuple[np.ndarray, ...] | None:
    chosen = by_sku["model"].reindex(fold.skus).to_numpy()
    ok = pd.notna(chosen)
    ok[ok] = [set(members[m]) <= set(fold.means) for m in chosen[ok]]
    if not ok.any():
        return None
    mean = combine_by_choice({m: v[ok] for m, v in fold.means.items()}, chosen[ok], members)
    mean = np.clip(np.nan_to_num(mean), 0.0, None)
    classes = by_sku["demand_class"].reindex(fold.skus[ok]).to_numpy()
    index = variance_index(fold.dispersion[ok], classes, spreads, mean.shape[1])
    n = int(ok.sum())
    return (
        fold.skus[ok].astype(str), np.full(n, k, dtype=np.int32),
        np.full(n, np.datetime64(pd.Timestamp(fold.origin), "D")),
        mean.astype(np.float32), np.maximum(index * mean, mean).astype(np.float32),
        fold.actual[ok].astype(np.float32),
    )
