"""Some rows of panels that share one shop, as one panel (the chunked run's sample and parts).

Every per-SKU field is taken row by row, including the rows of the whole shop's yearly
profiles at each backtest origin (``Panel.shop_at``); the shop-wide fields (dates, calendar,
weekday share, grain) come from the first panel, so the panels must be parts of one shop
(``pooled.chunk_panel``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from invdash.forecast.panel import Panel
from invdash.forecast.shop import ShopDays

__all__ = ["stack_panels"]

_ROW_FIELDS = ("skus", "actual", "fit_values", "last_index", "category", "price", "promo",
               "yearly")


def _stack(values: list) -> np.ndarray | None:
    return None if values[0] is None else np.concatenate(values)


def _stack_shop(days: list[ShopDays], rows: list[np.ndarray]) -> ShopDays:
    first = days[0]  # the event lifts, like the calendar, are the whole shop's
    if first.yearly is None:
        return first
    return replace(
        first, yearly=np.concatenate([d.yearly[r] for d, r in zip(days, rows, strict=True)]),
        yearly_skus=np.concatenate([d.yearly_skus[r] for d, r in zip(days, rows, strict=True)]),
    )


def stack_panels(panels: Sequence[Panel], rows: Sequence[np.ndarray] | None = None) -> Panel:
    """The ``rows`` (boolean masks; default all) of ``panels``, concatenated in order.

    Args:
        panels: parts of one shop over the same dates.
        rows: per panel, the SKUs to keep.
    """
    rows = [np.ones(len(p.skus), dtype=bool) for p in panels] if rows is None else list(rows)
    fields = {
        name: _stack([None if getattr(p, name) is None else getattr(p, name)[r]
                      for p, r in zip(panels, rows, strict=True)])
        for name in _ROW_FIELDS
    }
    first = panels[0]
    shop_at = None if first.shop_at is None else {
        cut: _stack_shop([p.shop_at[cut] for p in panels], rows) for cut in first.shop_at
    }
    events = None if first.events is None else replace(first.events, codes=np.concatenate(
        [p.events.codes[r] for p, r in zip(panels, rows, strict=True)]
    ))
    return replace(first, shop_at=shop_at, events=events, **fields)
