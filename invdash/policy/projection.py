"""Projected on-hand stock per SKU and day, with open purchase orders arriving.

Monte Carlo over the forecast days (the same gamma day distributions as the policy), lost sales:
stock_t = max(stock_{t-1} + received_t - demand_t, 0). The p10/p50/p90 bands are quantiles of
the simulated stock each day; ``stockout_probability`` is the share of paths at zero that day.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from invdash.policy.demand import daily_demand
from invdash.policy.inputs import _arrivals, _per_sku
from invdash.schema import DATE, SKU, InvalidDataError

__all__ = ["project_stock"]


def project_stock(  # noqa: PLR0913 - the documented policy API
    forecasts: pd.DataFrame,
    on_hand: pd.DataFrame,
    purchase_orders: pd.DataFrame | None,
    *,
    as_of: pd.Timestamp | str | None = None,
    seed: int = 0,
    n_samples: int = 500,
) -> pd.DataFrame:
    """Projected on-hand stock bands per SKU and forecast day.

    Example: 100 on hand, a steady 10 a day and a PO of 50 arriving on day 5 gives a p50 of
    90, 80, 70, 60, 100, 90, ... units.

    Args:
        forecasts: forecast frame (one model per SKU); days on or before ``as_of`` are ignored.
        on_hand: ``sku, on_hand`` (a missing SKU starts at 0).
        purchase_orders: open orders ``sku, qty, eta`` (overdue or without ETA: day 1); None = none.
        as_of: the day the stock is counted (default: the day before the first forecast date).
        seed: random seed.
        n_samples: simulated paths per SKU.

    Returns:
        Frame ``sku, date, p10, p50, p90, stockout_probability`` (units; probability 0..1).
    """
    dates = pd.to_datetime(forecasts[DATE])
    as_of = pd.Timestamp(as_of) if as_of is not None else dates.min() - pd.Timedelta(days=1)
    future = forecasts[dates > as_of]
    if future.empty:
        raise InvalidDataError(
            f"the forecasts end on or before {as_of.date()}; nothing to project."
        )
    daily = daily_demand(future)
    n_days = daily.mean.shape[1]
    arrivals = _arrivals(purchase_orders, daily.skus, as_of, n_days)
    stock = np.tile(np.maximum(_per_sku(on_hand, daily.skus, "on_hand", 0.0), 0.0), (n_samples, 1))
    positive = daily.mean > 0
    shape = np.where(positive, daily.mean**2 / np.where(positive, daily.var, 1.0), 1.0)
    scale = np.where(positive, daily.var / np.where(positive, daily.mean, 1.0), 0.0)
    bands = np.empty((4, len(daily.skus), n_days))
    for day in range(n_days):
        rng = np.random.default_rng([seed, day])
        demand = rng.gamma(shape[:, day], scale[:, day], size=stock.shape)
        stock = np.maximum(stock + arrivals[:, day] - demand, 0.0)
        bands[:3, :, day] = np.quantile(stock, [0.1, 0.5, 0.9], axis=0)
        bands[3, :, day] = (stock <= 0).mean(axis=0)
    valid = np.arange(n_days)[None, :] < daily.horizon[:, None]
    sku_index, day_index = np.nonzero(valid)
    start = pd.to_datetime(daily.start[sku_index])
    return pd.DataFrame(
        {
            SKU: daily.skus[sku_index],
            DATE: start + pd.to_timedelta(day_index, unit="D"),
            "p10": bands[0, sku_index, day_index],
            "p50": bands[1, sku_index, day_index],
            "p90": bands[2, sku_index, day_index],
            "stockout_probability": bands[3, sku_index, day_index],
        }
    )
