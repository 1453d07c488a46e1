"""SKU partitions of a panel that give the same forecasts as the whole panel.

Design: a forecast run pools a few statistics over all SKUs (the shop's closed weekdays and
dates and its weekday share, for the whole panel and for each backtest origin); everything
else is per SKU. ``split_panel`` computes the pooled statistics once on the driver and gives
every partition a copy (``Panel.weekday_share`` and ``Panel.shop_at``), so ``backtest_panel``
and ``fit_and_assemble`` on a partition compute exactly the rows the whole panel would.
``merge_backtests`` puts the partitions' results back in the order the whole-panel backtest
writes them (fold, model, SKU), so the fusion and the spread calibration that follow on the
driver see identical inputs.

Partitions are contiguous ranges of the panel's sorted SKUs, so concatenating their results in
partition order is panel order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

# _origins is backtest_panel's own rule for where it cuts: reusing it keeps the two in step.
from invdash.forecast.backtest import _origins, summarise
from invdash.forecast.calendar import select_event_rows, with_pooled_lifts
from invdash.forecast.models.baseline import shop_event_lifts, shop_price_prior
from invdash.forecast.panel import Panel, shop_days, shop_weekday_share, truncate_panel
from invdash.forecast.parts import merge_backtests, merge_forecasts
from invdash.forecast.results import BacktestFold, BacktestResult
from invdash.forecast.shop import ShopDays

__all__ = [
    "join_backtests","split_panel", "backtest_origins", "merge_backtests", "merge_forecasts"]


def backtest_origins(panel: Panel, *, folds: int, horizon: int) -> list[int]:
    """The day indices where ``backtest_panel`` cuts ``panel`` (the same rule)."""
    return _origins(panel, folds, horizon)


def split_panel(
    panel: Panel, n_parts: int, *, origins: Sequence[int] = (), rows: np.ndarray | None = None
) -> list[Panel]:
    """Up to ``n_parts`` contiguous SKU ranges of ``panel`` (or of its ``rows``), each carrying
    the whole panel's weekday share and its ``ShopDays`` at every backtest origin.

    Args:
        panel: the whole shop's panel; the pooled statistics always come from all of it.
        n_parts: wanted partitions (fewer when there are fewer SKUs).
        origins: backtest origins (``backtest_origins``); empty for the final fits.
        rows: boolean mask of the SKUs to partition (default: all).
    """
    shop_at = {int(o): _shop_at(truncate_panel(panel, int(o))) for o in origins}
    share = shop_weekday_share(panel)
    events = with_pooled_lifts(panel.events, shop_event_lifts(panel))
    prior = shop_price_prior(panel)
    index = np.flatnonzero(np.ones(len(panel.skus), dtype=bool) if rows is None else rows)
    if len(index) == 0:
        return []
    bounds = np.unique(np.linspace(0, len(index), min(n_parts, len(index)) + 1).astype(int))
    parts = []
    for start, stop in zip(bounds[:-1], bounds[1:], strict=True):
        take = index[start:stop]
        parts.append(replace(
            panel, skus=panel.skus[take], actual=panel.actual[take],
            fit_values=panel.fit_values[take], last_index=panel.last_index[take],
            weekday_share=share, shop_at=shop_at, **_rows(panel, take),
            events=select_event_rows(events, take), price_prior=prior,
        ))
    return parts


def _shop_at(truncated: Panel) -> ShopDays:
    """The whole panel's pooled calendar at one cut-off, with its pooled event lifts and
    price effects."""
    return replace(shop_days(truncated), event_lifts=shop_event_lifts(truncated),
                   price_prior=shop_price_prior(truncated))


def _rows(panel: Panel, take: np.ndarray) -> dict[str, np.ndarray | None]:
    """The per-SKU covariates and yearly profiles of rows ``take`` (None stays None): the
    profiles were pooled over the whole panel, so a part keeps the whole shop's season (and
    its events carry the whole panel's pooled lifts, ``split_panel``)."""
    fields = {"category": panel.category, "price": panel.price, "promo": panel.promo,
              "yearly": panel.yearly}
    return {k: None if v is None else v[take] for k, v in fields.items()}


def join_backtests(
    per_sku: BacktestResult, pooled: BacktestResult, models: Sequence[str]
) -> BacktestResult:
    """One ``BacktestResult`` from the partitioned models' and the pooled models' (both over
    the whole panel's SKUs, in panel order), models in ``models`` order as a local run has them."""
    rank = {name: k for k, name in enumerate(models)}
    frame = pd.concat([per_sku.per_sku, pooled.per_sku], ignore_index=True)
    order = frame.assign(_rank=frame["model"].map(rank)).sort_values(
        ["fold", "_rank"], kind="stable"
    ).index
    frame = frame.loc[order].reset_index(drop=True)
    folds = tuple(
        replace(mine, means={
            name: mine.means[name] if name in mine.means else _aligned(theirs, name, mine.skus)
            for name in models
        })
        for mine, theirs in zip(per_sku.folds, pooled.folds, strict=True)
    )
    return BacktestResult(frame, summarise(frame), folds, per_sku.classes)


def _aligned(fold: BacktestFold, name: str, skus: np.ndarray) -> np.ndarray:
    """``fold.means[name]`` with its rows in the order of ``skus`` (NaN for a SKU it lacks)."""
    rows = pd.Index(fold.skus).get_indexer(skus)
    means = fold.means[name][np.maximum(rows, 0)].astype(float)
    means[rows < 0] = np.nan
    return means
