"""The policy table: safety stock, reorder point, order-up-to and the suggested order per SKU.

Design (a periodic-review (R, S) policy with MOQ and pack rounding):
- S (order-up-to) covers demand over L + R at the SKU's service level, on gamma distributions
  matched to the exact moments of D_{L+R} and D_L (smooth in the inputs, so S never falls
  when the service level or the lead time grows): for ``cycle`` service, the service-level
  quantile; for ``fill_rate`` service, the smallest S whose expected units short per cycle,
  E[(D_{L+R} - S)^+] - E[(D_L - S)^+], is at most (1 - beta) E[D_R] (the standard
  periodic-review fill-rate equation, exact for backorders; a simulated check is in the tests).
  With lost sales (``PolicyParams.unmet_demand="lost"``, the default) a stockout leaves the next
  cycle more stock than with backorders, and that S overshoots (target 0.90 -> 0.93-0.95 on
  simulated gamma demand); where L <= R, S is then solved on the lost-sales cycle instead
  (``lost_sales.py``, within a point of the target in simulation).
- order_up_to = ceil(S), the smallest whole level meeting the target; safety stock =
  max(0, S - E[D_{L+R}]) (shown, never negative). With lost sales S can lie below the mean
  demand over L + R at a low target (a steady seller of 10 a day, L = R = 7, at 0.80: about
  115 < 140); flooring S at that mean made such SKUs overshoot (0.90 -> 93 % in simulation).
- reorder_point is the review trigger: a review orders when the inventory position is at or below
  it. In a periodic review without a fixed ordering cost, skipping an order means the next one
  arrives only after R + L days, which the position then has to cover at the service level, i.e.
  the position must reach S; so reorder_point = order_up_to - 1 unit (order whenever short of S
  by a unit or more). The lead-time-only level E[D_L] + SS is ``lead_time_point``: below it, a
  delivery ordered today already arrives too late (the chart and the alerts use it).
- Order: need = order_up_to - (on hand + on order); 0 if the position is above the reorder point,
  else need rounded up to whole packs and at least the MOQ (itself rounded up to whole packs).
- Service level per SKU: a per-SKU override, else its ABC class's level, else the default.
  ABC by forecast revenue (A: first 80 %, B: next 15 %, C: rest); XYZ by the daily coefficient of
  variation of the forecast distribution (X < 0.5 <= Y < 1.0 <= Z).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from invdash.policy.demand import DailyDemand, ProtectionDemand, protection_demand
from invdash.policy.inputs import _arrivals, _on_order, _per_sku, _product_column
from invdash.policy.lost_sales import lost_sales_order_up_to
from invdash.policy.params import PolicyParams
from invdash.schema import DATE, MEAN, POLICY_COLUMNS, SKU, InvalidDataError

__all__ = [
    "compute_policy",
    "forecast_revenue",
    "classify_abc",
    "classify_xyz",
    "round_order_quantity",
    "solve_order_up_to",
    "POLICY_COLUMNS",
]

_BISECTION_STEPS = 40


def classify_abc(revenue: pd.Series) -> pd.Series:
    """ABC class by cumulative share of revenue: A up to 80 %, B up to 95 %, C the rest.

    The largest seller is always A. Example: revenues a=70, b=20, c=6, d=4 have cumulative
    shares 70 %, 90 %, 96 %, 100 % and classes A, B, C, C.
    """
    total = float(revenue.sum())
    if total <= 0:
        return pd.Series("C", index=revenue.index)
    ordered = revenue.sort_values(ascending=False, kind="stable")
    share = ordered.cumsum() / total
    first = np.arange(len(ordered)) == 0
    classes = np.select([first | (share <= 0.80 + 1e-12), share <= 0.95 + 1e-12], ["A", "B"], "C")
    return pd.Series(classes, index=ordered.index).reindex(revenue.index)


def classify_xyz(cv: pd.Series) -> pd.Series:
    """XYZ class by the coefficient of variation of daily demand: X < 0.5 <= Y < 1.0 <= Z."""
    return pd.Series(np.select([cv < 0.5, cv < 1.0], ["X", "Y"], "Z"), index=cv.index)


def round_order_quantity(need: np.ndarray, *, moq: np.ndarray, pack_size: np.ndarray) -> np.ndarray:
    """Order quantity: 0 when ``need`` <= 0 (1e-9), else whole packs covering ``need`` and the MOQ.

    Example: need 13, MOQ 20, pack 12 gives 24 (MOQ 20 rounds up to 2 packs); need 30 gives 36.
    """
    pack = np.where(np.isfinite(pack_size) & (pack_size > 0), pack_size, 1.0)
    moq = np.where(np.isfinite(moq) & (moq > 0), moq, 0.0)
    wanted = np.maximum(need, moq)
    rounded = np.ceil(np.round(wanted / pack, 9)) * pack
    # Needs below a billionth of a unit are float noise from subtracting levels, not a need.
    return np.where(need > 1e-9, rounded, 0.0)


def _gamma_fit(mean: np.ndarray, var: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, gamma shape k and scale theta matched to a mean and variance (per SKU)."""
    var = np.maximum(var, 1e-9 * np.maximum(mean, 1e-9))
    positive = mean > 0
    shape = np.where(positive, mean**2 / var, 1.0)
    scale = np.where(positive, var / np.where(positive, mean, 1.0), 0.0)
    return mean, shape, scale


def _gamma_loss(
    level: np.ndarray, mean: np.ndarray, shape: np.ndarray, scale: np.ndarray
) -> np.ndarray:
    """E[(X - level)^+] for X ~ Gamma(k, theta): mu Q(k + 1, s/theta) - s Q(k, s/theta)."""
    x = level / np.where(scale > 0, scale, 1.0)
    loss = mean * special.gammaincc(shape + 1, x) - level * special.gammaincc(shape, x)
    return np.where(scale > 0, np.maximum(loss, 0.0), np.maximum(mean - level, 0.0))


def solve_order_up_to(
    demand: ProtectionDemand, service_level: np.ndarray, *, service_measure: str,
    unmet_demand: str = "backorder",
) -> np.ndarray:
    """S per SKU meeting its service level, on gammas matched to the protection-demand moments.

    Example: D_{L+R} with mean 140 and variance 140, cycle service 0.95: S = 160.0.
    cycle: S = F^-1(service_level). fill_rate: the smallest S with
    E[(D_{L+R} - S)^+] - E[(D_L - S)^+] <= (1 - beta) (E[D_{L+R}] - E[D_L]), by bisection;
    with ``unmet_demand="lost"``, SKUs whose lead time is at most R are then solved on the
    lost-sales cycle (``lost_sales.solve_lost_sales``, at most the backorder S).
    """
    protection_mean, shape_lr, scale_lr = _gamma_fit(demand.protection_mean, demand.protection_var)
    if service_measure == "cycle":
        return special.gammaincinv(shape_lr, service_level) * scale_lr
    backorder = _backorder_fill_rate_level(demand, service_level)
    if unmet_demand != "lost" or demand.review_mean is None:
        return backorder
    return lost_sales_order_up_to(demand, service_level, backorder)


def _backorder_fill_rate_level(demand: ProtectionDemand, service_level: np.ndarray) -> np.ndarray:
    """The smallest S meeting the backorder fill-rate equation (bisection)."""
    protection_mean, shape_lr, scale_lr = _gamma_fit(demand.protection_mean, demand.protection_var)
    lead_mean, shape_l, scale_l = _gamma_fit(demand.lead_mean, demand.lead_var)
    allowed = (1 - service_level) * (protection_mean - lead_mean)
    low = np.zeros_like(protection_mean)
    high = protection_mean + 20 * np.sqrt(shape_lr) * scale_lr + 1.0
    for _ in range(_BISECTION_STEPS):
        mid = (low + high) / 2
        short = _gamma_loss(mid, protection_mean, shape_lr, scale_lr) - _gamma_loss(
            mid, lead_mean, shape_l, scale_l
        )
        ok = short <= allowed
        high, low = np.where(ok, mid, high), np.where(ok, low, mid)
    return np.where(protection_mean > 0, high, 0.0)


def _service_levels(
    skus: np.ndarray, abc: pd.Series, params: PolicyParams, overrides: pd.DataFrame | None
) -> np.ndarray:
    levels = pd.Series(params.service_level, index=skus, dtype=float)
    if params.abc_service_levels is not None:
        levels = abc.map(dict(zip("ABC", params.abc_service_levels, strict=True))).astype(float)
    if overrides is not None and not overrides.empty:
        for scope, by in (("abc", abc), ("sku", pd.Series(skus, index=skus))):
            chosen = overrides[overrides["scope"] == scope]
            mapped = by.map(
                dict(zip(chosen["key"].astype(str), chosen["service_level"], strict=True))
            )
            levels = mapped.fillna(levels).astype(float)
    return levels.to_numpy()


def _stockout_dates(daily: DailyDemand, on_hand: np.ndarray, arrivals: np.ndarray) -> np.ndarray:
    """First forecast day on which the mean demand path exhausts the stock (NaT if none)."""
    horizon = daily.mean.shape[1]
    available = on_hand[:, None] + np.cumsum(arrivals[:, :horizon], axis=1)
    demand = np.cumsum(daily.mean, axis=1)
    valid = np.arange(horizon)[None, :] < daily.horizon[:, None]
    short = (demand > available + 1e-9) & valid & (daily.mean.sum(axis=1, keepdims=True) > 0)
    first = np.where(short.any(axis=1), short.argmax(axis=1), -1)
    start = pd.to_datetime(daily.start)
    dates = start + pd.to_timedelta(np.maximum(first, 0), unit="D")
    return np.where(first >= 0, dates.to_numpy(), np.datetime64("NaT"))


def _reason(row: Any) -> str:
    position = (
        f"position {row.inventory_position:g} (on hand {row.on_hand:g} + on order {row.on_order:g})"
    )
    if row.demand_daily_mean <= 0:
        return f"no forecast demand; {position}"
    if row.suggested_qty > 0:
        urgency = (
            "below lead-time cover"
            if row.inventory_position < row.lead_time_point
            else "below order-up-to"
        )
        rounding = f"rounded to packs of {row.pack_size:g}" + (
            f", MOQ {row.moq:g}" if row.moq > 0 else ""
        )
        return (
            f"{urgency}: order {row.suggested_qty:g} = up-to {row.order_up_to:g} - {position} "
            f"= {row.raw_qty:g}, {rounding}"
        )
    if row.excess_units > 0:
        return (
            f"excess {row.excess_units:g} units beyond order-up-to {row.order_up_to:g}; {position}"
        )
    return f"{position} covers order-up-to {row.order_up_to:g}"


def _order_by(
    as_of: pd.Timestamp, position: np.ndarray, reorder_point: np.ndarray, daily_mean: np.ndarray
) -> np.ndarray:
    days = np.where(
        daily_mean > 0, (position - reorder_point) / np.where(daily_mean > 0, daily_mean, 1), np.inf
    )
    days = np.clip(np.floor(days), 0, 3650)
    dates = as_of + pd.to_timedelta(np.where(np.isfinite(days), days, 0), unit="D")
    return np.where(np.isfinite(days) & (daily_mean > 0), dates.to_numpy(), np.datetime64("NaT"))


def forecast_revenue(
    forecasts: pd.DataFrame, products: pd.DataFrame, *, as_of: pd.Timestamp
) -> pd.Series:
    """Forecast revenue a day per SKU, the ABC ranking: mean daily forecast after ``as_of``
    times ``unit_price`` (``unit_cost`` where no price, 1 where neither), indexed by sorted sku.

    A SKU's value depends on its own rows only, so the values of SKU chunks concatenated equal
    the whole frame's (``compute_policy(shop_revenue=...)`` on chunks). Example: forecasts of 2
    and 4 units on two days at a price of 5 give 15.
    """
    future = forecasts[pd.to_datetime(forecasts[DATE]) > as_of]
    daily_mean = future.groupby(future[SKU].astype(str), sort=True)[MEAN].mean()
    skus = daily_mean.index.to_numpy()
    price = _product_column(products, skus, "unit_price")
    price = np.where(
        np.isfinite(price),
        price,
        np.nan_to_num(_product_column(products, skus, "unit_cost"), nan=1.0),
    )
    return pd.Series(daily_mean.to_numpy() * price, index=daily_mean.index)


def _levels(
    demand: ProtectionDemand,
    params: PolicyParams,
    overrides: pd.DataFrame | None,
    revenue: pd.Series,
) -> pd.DataFrame:
    """Classes, service levels, safety stock, reorder point and order-up-to per SKU."""
    daily = demand.daily
    skus = daily.skus
    daily_mean = daily.mean.sum(axis=1) / np.maximum(daily.horizon, 1)
    daily_sd = np.sqrt(daily.var.sum(axis=1) / np.maximum(daily.horizon, 1))
    abc = classify_abc(revenue).reindex(skus).fillna("C")
    cv = pd.Series(
        np.where(daily_mean > 0, daily_sd / np.where(daily_mean > 0, daily_mean, 1), np.inf),
        index=skus,
    )
    service = _service_levels(skus, abc, params, overrides)
    target = solve_order_up_to(demand, service, service_measure=params.service_measure,
                               unmet_demand=params.unmet_demand)
    protection_mean = demand.protection_mean
    safety = np.maximum(target - protection_mean, 0.0)
    return pd.DataFrame(
        {
            SKU: skus,
            "service_level": service,
            "abc": abc.to_numpy(),
            "xyz": classify_xyz(cv).to_numpy(),
            "lead_time_days": demand.lead_time_days,
            "demand_daily_mean": daily_mean,
            "protection_demand_mean": protection_mean,
            "protection_demand_sd": np.sqrt(demand.protection_var),
            "safety_stock": safety,
            "lead_time_point": np.ceil(np.round(demand.lead_mean + safety, 9)),
            "reorder_point": np.maximum(np.ceil(np.round(target, 9)) - 1, 0),
            "order_up_to": np.ceil(np.round(target, 9)),
        }
    )


def compute_policy(  # noqa: PLR0913 - the documented policy API
    forecasts: pd.DataFrame,
    products: pd.DataFrame,
    on_hand: pd.DataFrame,
    on_order: pd.DataFrame | None,
    *,
    params: PolicyParams,
    as_of: pd.Timestamp | str | None = None,
    overrides: pd.DataFrame | None = None,
    seed: int = 0,  # noqa: ARG001 - stable API; the policy has no sampling
    shop_revenue: pd.Series | None = None,
) -> pd.DataFrame:
    """The stock policy and suggested order per SKU (the PolicyTable).

    Args:
        forecasts: forecast frame ``sku, date, model, mean, p05 .. p99``, one model per SKU;
            days on or before ``as_of`` are ignored.
        products: ``sku, lead_time_days, lead_time_sd_days, moq, pack_size, unit_cost,
            unit_price`` (missing values: lead time 7 days, no MOQ, pack of 1).
        on_hand: ``sku, on_hand`` (latest snapshot; a missing SKU has 0).
        on_order: open purchase orders ``sku, qty[, eta]`` or totals ``sku, on_order``; None = none.
        params: policy parameters.
        as_of: the decision day (default: the day before the first forecast date).
        overrides: service-level overrides ``scope ('abc'|'sku'), key, service_level``.
        seed: accepted for a stable API; the policy uses exact moments (no sampling), so the
            same inputs always give the same table.
        shop_revenue: ``forecast_revenue`` of every SKU of the shop, when ``forecasts`` holds a
            chunk of them: ABC classes rank over the whole shop, so chunks concatenated equal
            the whole table. None: the SKUs of ``forecasts``.

    Returns:
        Frame with ``POLICY_COLUMNS``, one row per forecast SKU. Inputs are not modified.

    Raises:
        InvalidDataError: bad forecasts or no forecast day after ``as_of``.
    """
    dates = pd.to_datetime(forecasts[DATE])
    as_of = pd.Timestamp(as_of) if as_of is not None else dates.min() - pd.Timedelta(days=1)
    future = forecasts[dates > as_of]
    if future.empty:
        raise InvalidDataError(
            f"the forecasts end on or before {as_of.date()}; "
            "run a new forecast for the current data."
        )
    demand = protection_demand(future, products, params=params)
    if shop_revenue is None:
        shop_revenue = forecast_revenue(future, products, as_of=as_of)
    table = _levels(demand, params, overrides, shop_revenue)
    skus = demand.daily.skus
    table["on_hand"] = np.maximum(_per_sku(on_hand, skus, "on_hand", 0.0), 0.0)
    table["on_order"] = _on_order(on_order, skus)
    table["inventory_position"] = table["on_hand"] + table["on_order"]
    table["raw_qty"] = table["order_up_to"] - table["inventory_position"]
    table["moq"] = np.nan_to_num(_product_column(products, skus, "moq"), nan=0.0)
    table["pack_size"] = np.nan_to_num(_product_column(products, skus, "pack_size"), nan=1.0)
    need = np.where(table["inventory_position"] <= table["reorder_point"], table["raw_qty"], 0.0)
    table["suggested_qty"] = round_order_quantity(
        need, moq=table["moq"].to_numpy(), pack_size=table["pack_size"].to_numpy()
    )
    table["unit_cost"] = np.nan_to_num(_product_column(products, skus, "unit_cost"), nan=0.0)
    _add_risk(table, demand, on_order, as_of, params)
    table["reason"] = [_reason(row) for row in table.itertuples(index=False)]
    return table[list(POLICY_COLUMNS)]


def _add_risk(
    table: pd.DataFrame,
    demand: ProtectionDemand,
    on_order: pd.DataFrame | None,
    as_of: pd.Timestamp,
    params: PolicyParams,
) -> None:
    """Dates, stockout risk, cover and excess columns (in place on the new table).

    Stockout risk before the next possible delivery: D_L (gamma matched to its exact moments)
    exceeds the stock on hand plus the open orders due within the mean lead time.
    """
    skus = demand.daily.skus
    arrivals = _arrivals(on_order, skus, as_of, demand.daily.mean.shape[1] + params.max_days)
    lead = np.ceil(demand.lead_time_days).astype(int)
    arriving = np.array([arrivals[i, : lead[i]].sum() for i in range(len(skus))])
    on_hand = table["on_hand"].to_numpy()
    table["order_by_date"] = pd.to_datetime(
        _order_by(
            as_of,
            table["inventory_position"].to_numpy(),
            table["lead_time_point"].to_numpy(),
            table["demand_daily_mean"].to_numpy(),
        )
    )
    table["stockout_date"] = pd.to_datetime(_stockout_dates(demand.daily, on_hand, arrivals))
    available = on_hand + arriving
    lead_mean, shape_l, scale_l = _gamma_fit(demand.lead_mean, demand.lead_var)
    ratio = available / np.where(scale_l > 0, scale_l, 1.0)
    table["stockout_probability"] = np.where(
        scale_l > 0, special.gammaincc(shape_l, ratio), (lead_mean > available).astype(float)
    )
    table["expected_short_units"] = _gamma_loss(available, lead_mean, shape_l, scale_l)
    daily_mean = table["demand_daily_mean"].to_numpy()
    # Below a thousandth of a unit a day (one unit in ~3 years) there is no demand to cover:
    # NaN ("no demand"), not on_hand / 1e-25 (same rule as reorder.numbers.days_of_cover).
    has_demand = daily_mean >= 1e-3
    table["days_of_cover"] = np.where(
        has_demand, on_hand / np.where(has_demand, daily_mean, 1), np.nan
    )
    excess = (
        table["inventory_position"] - table["order_up_to"] - params.excess_cover_days * daily_mean
    )
    table["excess_units"] = np.floor(np.maximum(excess, 0.0))
    table["excess_value"] = table["excess_units"] * table["unit_cost"]
