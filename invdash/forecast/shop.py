"""``ShopDays``: the statistics of a whole shop that each SKU's models use.

A leaf record (``panel.shop_days`` computes it), so a panel of some SKUs (``invdash.distributed``
runs SKU partitions) can carry the whole shop's calendar and season at every backtest cut-off.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["ShopDays"]


@dataclass(frozen=True)
class ShopDays:
    """A panel's shop-wide calendar: the statistics pooled over all its SKUs that the models
    of every single SKU use (``shop_days`` computes them).

    Attributes:
        open_weekdays: which weekdays (Monday = 0) the shop trades on, shape (7,).
        closed_days: days masked out of ``fit_values`` (closed weekdays and dates), shape (T,).
        weekday_share: the shop's share of demand per weekday, shape (7,).
    """

    open_weekdays: np.ndarray
    closed_days: np.ndarray
    weekday_share: np.ndarray
    #: The whole panel's yearly profiles at this cut-off and the SKUs of their rows (None
    #: without a yearly season), so a part's SKUs keep the season pooled over the whole shop.
    yearly: np.ndarray | None = None
    yearly_skus: np.ndarray | None = None
