"""Stock of the demo shop: a day-by-day replenishment simulation that censors demand.

Design: the shop reviews each SKU once a week (its own weekday) and orders up to
``S = bias_i * E[demand over L_i + 7 days] + z_i * (1.5 * sqrt(that demand) + lead_sd_i * daily)``,
rounded up to whole packs and at least the MOQ. Realised lead times are normal around the
supplier's mean (``lead_time_days``, ``lead_time_sd_days``), at least one day. Sales are
``min(demand, on hand)``: a day that starts with no stock sells nothing, and the inventory
history records ``on_hand = 0`` at its end, which ``store.load_sales`` reads as a stockout
(censored demand).

Stockouts come from realistic causes: planners with thin safety stock (``z`` below 1 for 30% of
SKUs), biased forecasts, variable lead times, and supplier disruptions (15% of SKUs get one window
of 20-50 days in which no order can be placed). Discontinued SKUs stop being re-ordered two weeks
before their demand ends, so some of them keep dead stock.

The loop runs over days and is vectorised over SKUs, so 10,000 SKUs x 730 days take well under a
second. Orders that have not arrived by the last day are the shop's open purchase orders.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from invdash.demo.demand import Demand

__all__ = ["Stock", "simulate_stock"]

_REVIEW_DAYS = 7


@dataclass(frozen=True)
class Stock:
    """Outcome of the replenishment simulation.

    Attributes:
        sold: units sold per SKU and day (demand censored by stock).
        on_hand: units on hand at the end of each day.
        orders: one row per replenishment order: ``sku_index, order_day, qty, arrival_day``
            (day indices; ``arrival_day >= n_days`` means still open at the end).
    """

    sold: np.ndarray
    on_hand: np.ndarray
    orders: pd.DataFrame


@dataclass(frozen=True)
class _Policy:
    window: np.ndarray
    cumulative: np.ndarray
    bias: np.ndarray
    z: np.ndarray
    lead_mean: np.ndarray
    lead_sd: np.ndarray
    pack: np.ndarray
    moq: np.ndarray

    def target(self, rows: np.ndarray, day: int) -> np.ndarray:
        """Order-up-to level S of ``rows`` on ``day``."""
        cover = self.cumulative[rows, day + self.window[rows]] - self.cumulative[rows, day]
        daily = cover / self.window[rows]
        safety = self.z[rows] * (1.5 * np.sqrt(cover) + self.lead_sd[rows] * daily)
        return np.maximum(self.bias[rows] * cover + safety, 0.0)

    def order_qty(self, rows: np.ndarray, need: np.ndarray) -> np.ndarray:
        """Whole packs covering ``need``, at least the MOQ (0 where nothing is needed)."""
        packs = np.ceil(np.maximum(need, 0.0) / self.pack[rows]) * self.pack[rows]
        return np.where(need > 0, np.maximum(packs, self.moq[rows]), 0.0)


def _policy(products: pd.DataFrame, demand: Demand, rng: np.random.Generator) -> _Policy:
    n_skus = len(products)
    lead_mean = products["lead_time_days"].to_numpy(dtype=float)
    window = np.ceil(lead_mean).astype(int) + _REVIEW_DAYS
    padded = np.concatenate(
        [demand.mean, np.repeat(demand.mean[:, -1:], window.max() + 1, axis=1)], axis=1
    )
    cumulative = np.concatenate([np.zeros((n_skus, 1)), np.cumsum(padded, axis=1)], axis=1)
    thin = rng.random(n_skus) < 0.30
    z = np.where(thin, rng.uniform(-0.3, 0.8, n_skus), rng.uniform(1.0, 2.0, n_skus))
    return _Policy(
        window=window, cumulative=cumulative, bias=rng.lognormal(0.0, 0.15, n_skus), z=z,
        lead_mean=lead_mean, lead_sd=products["lead_time_sd_days"].to_numpy(dtype=float),
        pack=products["pack_size"].to_numpy(dtype=float), moq=products["moq"].to_numpy(dtype=float),
    )


def _disruptions(n_skus: int, n_days: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    hit = rng.random(n_skus) < 0.15
    start = np.where(hit, (rng.uniform(0.1, 0.9, n_skus) * n_days).astype(int), n_days)
    return start, start + rng.integers(20, 51, n_skus)


def simulate_stock(
    products: pd.DataFrame, demand: Demand, rng: np.random.Generator
) -> Stock:
    """Run the weekly order-up-to simulation (see the module docstring).

    Args:
        products: the catalogue (``lead_time_days``, ``lead_time_sd_days``, ``moq``, ``pack_size``).
        demand: the shop's demand matrices.
        rng: the shop's random generator.

    Returns:
        Sales, end-of-day stock and the replenishment orders.
    """
    n_skus, n_days = demand.qty.shape
    policy = _policy(products, demand, rng)
    blocked_from, blocked_to = _disruptions(n_skus, n_days, rng)
    review_day = rng.integers(0, _REVIEW_DAYS, n_skus)
    stop_ordering = demand.last_order_day - 14
    max_lead = int(np.ceil((policy.lead_mean + 4 * policy.lead_sd).max())) + 1
    arrivals = np.zeros((n_skus, n_days + max_lead + 1))
    on_hand, on_order = np.zeros(n_skus), np.zeros(n_skus)
    sold, stock_end = np.zeros((n_skus, n_days)), np.zeros((n_skus, n_days))
    orders: list[tuple[np.ndarray, ...]] = []
    for day in range(n_days):
        launching = np.flatnonzero(demand.first_day == day)
        on_hand[launching] += np.round(policy.target(launching, day))
        on_hand += arrivals[:, day]
        on_order -= arrivals[:, day]
        sold[:, day] = np.minimum(demand.qty[:, day], on_hand)
        on_hand -= sold[:, day]
        stock_end[:, day] = on_hand
        rows = np.flatnonzero(
            (review_day == day % _REVIEW_DAYS) & (demand.first_day <= day)
            & (day < stop_ordering) & ((day < blocked_from) | (day >= blocked_to))
        )
        qty = policy.order_qty(rows, policy.target(rows, day) - on_hand[rows] - on_order[rows])
        rows, qty = rows[qty > 0], qty[qty > 0]
        noise = rng.normal(0.0, 1.0, rows.size)
        lead = np.clip(
            np.round(policy.lead_mean[rows] + policy.lead_sd[rows] * noise), 1, max_lead
        ).astype(int)
        arrivals[rows, day + lead] += qty
        on_order[rows] += qty
        orders.append((rows, np.full(rows.size, day), qty, day + lead))
    columns = ["sku_index", "order_day", "qty", "arrival_day"]
    order_frame = pd.DataFrame(
        {name: np.concatenate([o[k] for o in orders]) for k, name in enumerate(columns)}
    )
    return Stock(sold=sold, on_hand=stock_end, orders=order_frame)
