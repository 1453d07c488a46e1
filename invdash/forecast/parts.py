"""Results of SKU parts put back together in the whole panel's order.

Used by the chunked run (``forecast.chunked``, chunks of SKUs in turn) and by the distributed
runner (``invdash.distributed``, SKU partitions on Ray): parts are contiguous ranges of the
sorted SKUs, so concatenating in part order is panel order.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from invdash.forecast.backtest import summarise
from invdash.forecast.results import BacktestFold, BacktestResult
from invdash.schema import SKU

__all__ = ["merge_backtests", "merge_forecasts"]


def _merge_fold(folds: list[BacktestFold]) -> BacktestFold:
    first = folds[0]
    return BacktestFold(
        origin=first.origin,
        skus=np.concatenate([f.skus for f in folds]),
        actual=np.concatenate([f.actual for f in folds]),
        scale_abs=np.concatenate([f.scale_abs for f in folds]),
        scale_sq=np.concatenate([f.scale_sq for f in folds]),
        dispersion=np.concatenate([f.dispersion for f in folds]),
        means={m: np.concatenate([f.means[m] for f in folds]) for m in first.means},
        integer_rows=np.concatenate([f.integer_rows for f in folds]),
    )


def merge_backtests(parts: Sequence[BacktestResult], models: Sequence[str]) -> BacktestResult:
    """One ``BacktestResult`` from the partitions' (in partition order), as the whole panel's.

    Args:
        parts: ``backtest_panel`` of each partition, in partition order.
        models: the backtested model names in the order they were backtested.
    """
    rank = {name: k for k, name in enumerate(models)}
    per_sku = pd.concat([p.per_sku for p in parts], ignore_index=True)
    # The whole-panel backtest writes fold by fold, model by model, SKUs in panel order.
    order = per_sku.assign(_rank=per_sku["model"].map(rank)).sort_values(
        ["fold", "_rank"], kind="stable"
    ).index
    per_sku = per_sku.loc[order].reset_index(drop=True)
    folds = tuple(_merge_fold([p.folds[k] for p in parts]) for k in range(len(parts[0].folds)))
    classes = pd.concat([p.classes for p in parts], ignore_index=True)
    return BacktestResult(per_sku, summarise(per_sku), folds, classes)


def merge_forecasts(parts: Sequence[pd.DataFrame], skus: np.ndarray) -> pd.DataFrame:
    """Concatenate forecast frames and order them by the SKUs' position in ``skus`` (stable,
    so each SKU's days keep their order)."""
    frame = pd.concat(list(parts), ignore_index=True)
    position = pd.Series(np.arange(len(skus)), index=pd.Index(skus))
    order = np.argsort(position.reindex(frame[SKU]).to_numpy(), kind="stable")
    return frame.iloc[order].reset_index(drop=True)
