"""Closed-form textbook inventory models, for known-answer tests and the replay baseline.

Each function names its formula and carries a worked example that a unit test checks:
- normal newsvendor: S* = mu + z sigma with z = Phi^-1(p / (p + h)); expected cost
  g(S*) = (h + p) sigma phi(z).
- standard normal loss L(z) = phi(z) - z (1 - Phi(z)) (expected shortage per unit sigma).
- base-stock level with lead time L: S = mu L + z sigma sqrt(L).
- (r, Q) with a fill-rate target: r = mu L + k sigma_L with L(k) = Q (1 - beta) / sigma_L.
- EOQ: Q* = sqrt(2 K D / h), annual cost sqrt(2 K D h).
- ``textbook_policy``: the (R, S) policy most spreadsheets use: a moving average and standard
  deviation of daily sales, normal demand, safety stock z sigma sqrt(L + R).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from invdash.schema import DATE, QTY, SKU, ConfigError, InvalidDataError

__all__ = [
    "NewsvendorResult",
    "EOQResult",
    "newsvendor_normal",
    "newsvendor_expected_cost",
    "normal_loss",
    "base_stock_level",
    "reorder_point_fill_rate",
    "economic_order_quantity",
    "textbook_policy",
]


@dataclass(frozen=True)
class NewsvendorResult:
    """Optimal newsvendor order: ``base_stock`` S* (units) and its ``expected_cost``."""

    base_stock: float
    expected_cost: float


@dataclass(frozen=True)
class EOQResult:
    """EOQ: ``order_quantity`` Q* (units) and ``annual_cost`` (ordering + holding per year)."""

    order_quantity: float
    annual_cost: float


def _positive(name: str, value: float) -> None:
    if not value > 0:
        raise ConfigError(f"{name} must be > 0, got {value!r}.")


def newsvendor_normal(
    *, holding_cost: float, stockout_cost: float, mean: float, sd: float
) -> NewsvendorResult:
    """Optimal order-up-to level and cost of the newsvendor with normal demand N(mu, sigma^2).

    S* = mu + z sigma, z = Phi^-1(p / (p + h)); g(S*) = (h + p) sigma phi(z).
    Example (Snyder & Shen, Example 4.1): h = 0.18, p = 0.70, mu = 50, sigma = 8 gives
    S* = 56.60 and g(S*) = 2.00.

    Args:
        holding_cost: h, cost per unit left over.
        stockout_cost: p, cost per unit short.
        mean: mu, mean demand (units).
        sd: sigma, demand standard deviation (units).
    """
    _positive("holding_cost", holding_cost)
    _positive("stockout_cost", stockout_cost)
    z = stats.norm.ppf(stockout_cost / (stockout_cost + holding_cost))
    return NewsvendorResult(
        base_stock=float(mean + z * sd),
        expected_cost=float((holding_cost + stockout_cost) * sd * stats.norm.pdf(z)),
    )


def normal_loss(z: float) -> float:
    """Standard normal loss L(z) = E[(Z - z)^+] = phi(z) - z (1 - Phi(z)).

    Example: L(0) = 0.3989, L(1) = 0.0833, L(2) = 0.0085 (standard tables).
    """
    return float(stats.norm.pdf(z) - z * stats.norm.sf(z))


def newsvendor_expected_cost(
    base_stock: float, *, holding_cost: float, stockout_cost: float, mean: float, sd: float
) -> float:
    """Expected cost of ordering up to ``base_stock`` S with normal demand.

    g(S) = h (S - mu) + (h + p) sigma L((S - mu) / sigma). Example: S = 56.60 with the
    ``newsvendor_normal`` example numbers gives 2.00.
    """
    z = (base_stock - mean) / sd
    return float(
        holding_cost * (base_stock - mean) + (holding_cost + stockout_cost) * sd * normal_loss(z)
    )


def base_stock_level(
    *, service_level: float, mean_per_period: float, sd_per_period: float, lead_time_periods: float
) -> float:
    """Base-stock level S = mu L + z sigma sqrt(L), z = Phi^-1(service_level).

    Example: service_level 0.95, mu = 100 per week, sigma = 20, L = 4 weeks gives
    S = 400 + 1.6449 * 40 = 465.79.
    """
    if not 0 < service_level < 1:
        raise ConfigError(f"service_level must be a fraction in (0, 1), got {service_level!r}.")
    z = stats.norm.ppf(service_level)
    return float(
        mean_per_period * lead_time_periods + z * sd_per_period * math.sqrt(lead_time_periods)
    )


def reorder_point_fill_rate(
    *, fill_rate: float, order_quantity: float, lead_time_mean: float, lead_time_sd: float
) -> float:
    """(r, Q) reorder point for a fill-rate target: r = mu_L + k sigma_L, L(k) = Q(1-beta)/sigma_L.

    Example (Silver, Pyke & Peterson style): beta = 0.95, Q = 100, mu_L = 200, sigma_L = 20:
    L(k) = 0.25, k = 0.3449, r = 206.90.

    Args:
        fill_rate: beta, target share of demand met from stock.
        order_quantity: Q, units per order.
        lead_time_mean: mu_L, mean demand over the lead time.
        lead_time_sd: sigma_L, standard deviation of lead-time demand.
    """
    target = order_quantity * (1 - fill_rate) / lead_time_sd
    if target >= normal_loss(-10):
        return float(lead_time_mean - 10 * lead_time_sd)
    k = optimize.brentq(lambda z: normal_loss(z) - target, -10, 10)
    return float(lead_time_mean + k * lead_time_sd)


def economic_order_quantity(
    *, fixed_cost: float, holding_cost: float, demand_rate: float
) -> EOQResult:
    """EOQ: Q* = sqrt(2 K D / h), cost g(Q*) = sqrt(2 K D h).

    Example (Snyder & Shen, Example 3.1): K = 8, h = 0.225, D = 1300 per year gives
    Q* = 304.05 and g = 68.41.
    """
    _positive("fixed_cost", fixed_cost)
    _positive("holding_cost", holding_cost)
    _positive("demand_rate", demand_rate)
    return EOQResult(
        order_quantity=math.sqrt(2 * fixed_cost * demand_rate / holding_cost),
        annual_cost=math.sqrt(2 * fixed_cost * demand_rate * holding_cost),
    )


def _lead_times(products: pd.DataFrame, skus: pd.Index, lead_time_days: float | None) -> np.ndarray:
    if lead_time_days is not None:
        return np.full(len(skus), float(lead_time_days))
    table = products.set_index(SKU)["lead_time_days"].reindex(skus)
    if table.isna().any():
        first = ", ".join(map(str, table[table.isna()].index[:3]))
        raise InvalidDataError(
            f"products.lead_time_days is missing for {int(table.isna().sum())} SKU(s) "
            f"(first: {first}); fill it or pass lead_time_days."
        )
    return table.to_numpy(dtype=float)


def textbook_policy(  # noqa: PLR0913 - the documented replay API
    sales: pd.DataFrame,
    products: pd.DataFrame,
    *,
    service_level: float,
    lead_time_days: float | None = None,
    review_period_days: int = 7,
    window_days: int = 28,
) -> pd.DataFrame:
    """The textbook (R, S) policy: normal demand from a moving average of daily sales.

    mu and sigma are the mean and standard deviation of the last ``window_days`` of daily sales;
    safety stock = z sigma sqrt(L + R), order-up-to S = mu (L + R) + safety stock,
    reorder point = mu L + safety stock, with z = Phi^-1(service_level).

    Args:
        sales: daily sales ``sku, date, qty`` (gap-free, as ``store.load_sales`` returns).
        products: ``sku, lead_time_days`` (used when ``lead_time_days`` is None).
        service_level: the cycle service level behind z, a fraction in (0, 1).
        lead_time_days: L for every SKU, in days; None takes it from ``products``.
        review_period_days: R, in days.
        window_days: the moving-average window, in days.

    Returns:
        Frame ``sku, safety_stock, reorder_point, order_up_to`` (units, one row per SKU).
    """
    if not 0 < service_level < 1:
        raise ConfigError(f"service_level must be a fraction in (0, 1), got {service_level!r}.")
    dated = sales[[SKU, DATE, QTY]].assign(**{DATE: pd.to_datetime(sales[DATE])})
    recent = dated[
        dated[DATE] > dated.groupby(SKU)[DATE].transform("max") - pd.Timedelta(days=window_days)
    ]
    stats_by_sku = recent.groupby(SKU)[QTY].agg(["mean", "std"]).fillna(0.0)
    lead = _lead_times(products, stats_by_sku.index, lead_time_days)
    z = stats.norm.ppf(service_level)
    safety = np.maximum(z * stats_by_sku["std"].to_numpy() * np.sqrt(lead + review_period_days), 0)
    mean = stats_by_sku["mean"].to_numpy()
    return pd.DataFrame(
        {
            SKU: stats_by_sku.index.astype(str),
            "safety_stock": safety,
            "reorder_point": mean * lead + safety,
            "order_up_to": mean * (lead + review_period_days) + safety,
        }
    ).reset_index(drop=True)
