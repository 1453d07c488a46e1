"""``ShopDays``: the statistics of a whole shop that each SKU's models use.

A leaf record (``panel.shop_days`` computes it), so a panel of some SKUs (``invdash.distributed``
runs SKU partitions) can carry the whole shop's calendar and season at every backtest cut-off.
The shop's calendar rules are here too, written on sums over SKUs (demand and observed SKUs
per date, mean demand per weekday), so the whole panel (``panel.py``) and SKU chunks added up
(``pooled.py``) apply one rule.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from invdash.forecast.grain import Grain
from invdash.forecast.price import PricePrior

__all__ = [
    "ShopDays", "closed_weekdays_from", "closed_dates_from", "closed_mask_from",
    "weekday_share_from",
]

#: A weekday whose share of the panel's volume is below this fraction of 1/7 is closed.
_CLOSED_WEEKDAY_SHARE = 0.05
#: Closed-date and closed-weekday detection needs at least this many SKUs with data.
_MIN_SKUS_FOR_CLOSURES = 5


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
    #: The whole panel's pooled log-lift per user event code at this cut-off
    #: (``calendar.pooled_event_lifts``; None without events), so a part's SKUs shrink their
    #: own event lifts to the whole shop's, as in the whole-panel run.
    event_lifts: tuple[float, ...] | None = None
    #: The whole panel's pooled price and promotion effects at this cut-off
    #: (``price.PricePrior``; None without prices), for the same reason.
    price_prior: PricePrior | None = None


def closed_weekdays_from(
    totals: np.ndarray, n_rows: int, dates: pd.DatetimeIndex, grain: Grain
) -> np.ndarray:
    """Open weekdays (shape (7,)) from the shop's demand per date ``totals`` over ``n_rows``
    SKUs: the panel's rule, from sums that SKU chunks add up (``forecast.pooled``)."""
    open_days = np.ones(7, dtype=bool)
    if n_rows < _MIN_SKUS_FOR_CLOSURES or grain.kind != "D":
        return open_days
    weekday = dates.weekday.to_numpy()
    by_weekday = np.array([totals[weekday == d].sum() for d in range(7)])
    counts = np.array([max((weekday == d).sum(), 1) for d in range(7)])
    share = (by_weekday / counts) / max((by_weekday / counts).sum(), 1e-12)
    if totals.sum() > 0 and len(dates) >= 28:
        open_days = share >= _CLOSED_WEEKDAY_SHARE / 7
    return open_days


def closed_dates_from(observed: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """Closed dates: at least ``_MIN_SKUS_FOR_CLOSURES`` SKUs observed and none sold; from the
    SKUs observed per date and the demand per date (sums over SKU chunks)."""
    return (observed >= _MIN_SKUS_FOR_CLOSURES) & (totals <= 0)


def closed_mask_from(  # noqa: PLR0913 - the pooled sums
    observed: np.ndarray, totals: np.ndarray, n_rows: int, dates: pd.DatetimeIndex,
    open_weekdays: np.ndarray, grain: Grain,
) -> np.ndarray:
    """Days masked out of ``fit_values`` (``_build_fit_values``' rule from pooled sums)."""
    closed = ~open_weekdays[dates.weekday.to_numpy()] if grain.kind == "D" else np.zeros(
        len(dates), dtype=bool
    )
    if n_rows >= _MIN_SKUS_FOR_CLOSURES:
        closed |= closed_dates_from(observed, totals)
    return closed


def weekday_share_from(totals: np.ndarray, open_weekdays: np.ndarray) -> np.ndarray:
    """The shop's weekday share from the sum over SKUs of their mean demand per weekday (7,)."""
    panel_share = totals / totals.sum() if totals.sum() > 0 else np.full(7, 1 / 7)
    panel_share = np.where(open_weekdays, panel_share, 0.0)
    if panel_share.sum() <= 0:
        panel_share = open_weekdays / open_weekdays.sum()
    return panel_share / panel_share.sum()
