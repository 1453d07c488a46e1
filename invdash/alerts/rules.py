"""Alerts: what needs a planner's attention, ranked by the money at risk, each with a reason.

Design (pure functions over the policy table, sales and products):
- ``stockout_risk``: the chance of running out before the next possible delivery (an order placed
  today arrives after the lead time) is at least ``min_stockout_probability``. Money at risk: the
  expected units short over the lead time x unit price (lost margin and revenue).
- ``overstock``: stock beyond the order-up-to level plus ``excess_cover_days`` of demand. Money at
  risk: the excess units x unit cost (capital tied up).
- ``demand_shift``: the last ``recent_days`` of sales fall outside the forecast's central 90 %
  interval for the same number of days (normal approximation of the sum of the gamma days).
  Money at risk: |actual - forecast| x unit price.
- ``stale_data``: no sales recorded for any SKU for ``stale_after_days`` before ``today``
  (one alert for the shop), or a forecast SKU without a stock count. Money at risk: a week of the
  SKU's forecast revenue (what a wrong number could cost), the shop's for the shop alert.
- Keys are ``type:sku`` so an acknowledgement or snooze (``alert_state``) sticks to the problem.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from invdash.policy.window import shift_window
from invdash.reorder.numbers import days_of_cover, format_cover
from invdash.schema import DATE, QTY, SKU

__all__ = ["ALERT_TYPES", "ALERT_COLUMNS", "compute_alerts", "apply_alert_state", "rank_alerts"]

ALERT_TYPES = ("stockout_risk", "overstock", "demand_shift", "stale_data")
ALERT_COLUMNS = ("alert_key", "type", SKU, "name", "category", "money_at_risk", "reason")


def rank_alerts(alerts: pd.DataFrame) -> pd.DataFrame:
    """Alerts sorted by money at risk (largest first), ties by type and SKU."""
    return alerts.sort_values(
        ["money_at_risk", "type", SKU], ascending=[False, True, True], kind="stable"
    ).reset_index(drop=True)


def _prices(products: pd.DataFrame, skus: pd.Series) -> np.ndarray:
    table = products.assign(**{SKU: products[SKU].astype(str)}).set_index(SKU)
    price = table.get("unit_price", pd.Series(dtype=float)).reindex(skus)
    cost = table.get("unit_cost", pd.Series(dtype=float)).reindex(skus)
    return price.fillna(cost).fillna(0.0).to_numpy(dtype=float)


def _stockout(policy_table: pd.DataFrame, prices: np.ndarray, threshold: float) -> pd.DataFrame:
    hit = policy_table["stockout_probability"].to_numpy() >= threshold
    rows = policy_table[hit]
    money = rows["expected_short_units"].to_numpy() * prices[hit]
    reasons = [
        f"{p:.0%} chance of running out within the {lt:g}-day lead time (on hand {oh:g}); "
        f"about {short:.1f} units short"
        + (f", expected out on {pd.Timestamp(d).date()}" if pd.notna(d) else "")
        for p, lt, oh, short, d in zip(
            rows["stockout_probability"],
            rows["lead_time_days"],
            rows["on_hand"],
            rows["expected_short_units"],
            rows["stockout_date"],
            strict=True,
        )
    ]
    return pd.DataFrame(
        {
            "type": "stockout_risk",
            SKU: rows[SKU].to_numpy(),
            "money_at_risk": money,
            "reason": reasons,
        }
    )


def _overstock(policy_table: pd.DataFrame) -> pd.DataFrame:
    rows = policy_table[policy_table["excess_units"] > 0]
    # Recomputed, not read: a stored run may hold on_hand / 1e-25 as its "cover".
    cover = days_of_cover(rows["on_hand"], rows["demand_daily_mean"])
    reasons = [
        f"{units:g} units beyond order-up-to {up:g} plus the cover days; "
        + (f"{format_cover(days)} of cover" if np.isfinite(days) else "no forecast demand")
        for units, up, days in zip(rows["excess_units"], rows["order_up_to"], cover, strict=True)
    ]
    return pd.DataFrame(
        {
            "type": "overstock",
            SKU: rows[SKU].to_numpy(),
            "money_at_risk": rows["excess_value"].to_numpy(),
            "reason": reasons,
        }
    )


def _demand_shift(
    sales: pd.DataFrame, window: pd.DataFrame, products: pd.DataFrame, recent_days: int
) -> pd.DataFrame:
    skus = window[SKU].astype(str).to_numpy()
    expected = window["expected"].to_numpy(dtype=float)
    spread = window["spread"].to_numpy(dtype=float)
    dated = sales.assign(**{DATE: pd.to_datetime(sales[DATE]), SKU: sales[SKU].astype(str)})
    recent = dated[dated[DATE] > dated[DATE].max() - pd.Timedelta(days=recent_days)]
    actual = recent.groupby(SKU)[QTY].sum().reindex(skus).fillna(0.0).to_numpy()
    outside = (actual > expected + spread) | (actual < expected - spread)
    skus = pd.Series(skus[outside])
    gap = actual[outside] - expected[outside]
    reasons = [
        f"sold {a:g} in the last {recent_days} days; the forecast's 90 % range for {recent_days} "
        f"days is {max(e - s, 0):.0f}..{e + s:.0f} ({'above' if g > 0 else 'below'})"
        for a, e, s, g in zip(actual[outside], expected[outside], spread[outside], gap, strict=True)
    ]
    return pd.DataFrame(
        {
            "type": "demand_shift",
            SKU: skus.to_numpy(),
            "money_at_risk": np.abs(gap) * _prices(products, skus),
            "reason": reasons,
        }
    )


def _stale(  # noqa: PLR0913 - one input per check
    sales: pd.DataFrame,
    policy_table: pd.DataFrame,
    on_hand: pd.DataFrame,
    products: pd.DataFrame,
    today: pd.Timestamp,
    stale_after_days: int,
) -> pd.DataFrame:
    prices = _prices(products, policy_table[SKU].astype(str))
    week_revenue = policy_table["demand_daily_mean"].to_numpy() * 7 * prices
    counted = set(on_hand[SKU].astype(str)) if not on_hand.empty else set()
    missing = ~policy_table[SKU].astype(str).isin(counted).to_numpy()
    rows = [
        pd.DataFrame(
            {
                "type": "stale_data",
                SKU: policy_table[SKU].to_numpy()[missing],
                "money_at_risk": week_revenue[missing],
                "reason": "no stock count for this SKU; its stock is taken as 0. "
                "Load an inventory file.",
            }
        )
    ]
    last = pd.to_datetime(sales[DATE]).max() if not sales.empty else pd.NaT
    if pd.isna(last) or (today - last).days > stale_after_days:
        when = "no sales at all" if pd.isna(last) else f"the last sale recorded is {last.date()}"
        rows.append(
            pd.DataFrame(
                {
                    "type": ["stale_data"],
                    SKU: ["*"],
                    "money_at_risk": [float(week_revenue.sum())],
                    "reason": [
                        f"{when}, more than {stale_after_days} days before {today.date()}; "
                        "load recent sales so forecasts and orders are current."
                    ],
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def compute_alerts(  # noqa: PLR0913 - one input per alert kind, thresholds keyword-only
    policy_table: pd.DataFrame,
    *,
    sales: pd.DataFrame,
    forecasts: pd.DataFrame | None = None,
    products: pd.DataFrame,
    on_hand: pd.DataFrame,
    today: pd.Timestamp,
    window: pd.DataFrame | None = None,
    min_stockout_probability: float = 0.2,
    recent_days: int = 7,
    stale_after_days: int = 7,
) -> pd.DataFrame:
    """Every alert for the current policy, ranked by money at risk.

    Args:
        policy_table: ``policy.compute_policy`` output.
        sales: daily sales ``sku, date, qty``.
        forecasts: the forecast frame behind the policy (one model per SKU); not needed
            when ``window`` is given.
        products: ``sku, name, category, unit_cost, unit_price``.
        on_hand: latest stock counts ``sku, on_hand``.
        today: the current day (for the stale-data check).
        window: ``policy.window.shift_window(forecasts, recent_days)``, when stored (the
            same alerts).
        min_stockout_probability: stockout risk alerts from this probability on.
        recent_days: window of the demand-shift check, in days.
        stale_after_days: sales older than this many days count as stale.

    Returns:
        Frame ``ALERT_COLUMNS`` ranked by ``money_at_risk`` (currency), largest first.
    """
    prices = _prices(products, policy_table[SKU].astype(str))
    if window is None:
        window = shift_window(forecasts, recent_days)
    alerts = pd.concat(
        [
            _stockout(policy_table, prices, min_stockout_probability),
            _overstock(policy_table),
            _demand_shift(sales, window, products, recent_days),
            _stale(sales, policy_table, on_hand, products, pd.Timestamp(today), stale_after_days),
        ],
        ignore_index=True,
    )
    info = products.assign(**{SKU: products[SKU].astype(str)})
    info = info[[c for c in (SKU, "name", "category") if c in info]]
    alerts = alerts.merge(info, on=SKU, how="left")
    for column in ("name", "category"):
        alerts[column] = alerts[column].fillna("") if column in alerts else ""
    alerts["alert_key"] = alerts["type"] + ":" + alerts[SKU].astype(str)
    alerts["money_at_risk"] = alerts["money_at_risk"].astype(float).round(2)
    return rank_alerts(alerts[list(ALERT_COLUMNS)])


def apply_alert_state(
    alerts: pd.DataFrame, state: pd.DataFrame, *, today: pd.Timestamp
) -> pd.DataFrame:
    """Alerts with ``status`` (open / acknowledged / snoozed), ``snooze_until`` and ``user``.

    A snooze that has run out (``snooze_until`` before ``today``) counts as open again.
    """
    merged = alerts.merge(
        state[["alert_key", "status", "snooze_until", "user"]], on="alert_key", how="left"
    )
    until = pd.to_datetime(merged["snooze_until"])
    expired = (merged["status"] == "snoozed") & (until < pd.Timestamp(today))
    merged["status"] = merged["status"].where(~expired, "open").fillna("open")
    return merged
