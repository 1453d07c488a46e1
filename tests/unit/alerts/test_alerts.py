"""Alerts: each kind fires for the right reason, and the list is ranked by money at risk."""

from __future__ import annotations

import pandas as pd
import pytest

from invdash.alerts import apply_alert_state, compute_alerts, rank_alerts
from invdash.schema import QUANTILE_COLUMNS

TODAY = pd.Timestamp("2024-01-10")


def forecasts(sku_means: dict[str, float]) -> pd.DataFrame:
    """Poisson-like forecasts: quantiles mean +- a spread of 2 sqrt(mean)."""
    rows = []
    for sku, mean in sku_means.items():
        spread = 2 * mean**0.5
        levels = [
            max(mean + z * spread / 2, 0) for z in (-1.64, -1.28, -0.67, 0, 0.67, 1.28, 1.64, 2.33)
        ]
        for day in pd.date_range(TODAY + pd.Timedelta(days=1), periods=14):
            rows.append(
                {
                    "sku": sku,
                    "date": day,
                    "model": "hand",
                    "mean": mean,
                    **dict(zip(QUANTILE_COLUMNS, levels, strict=True)),
                }
            )
    return pd.DataFrame(rows)


def policy(rows: list[dict]) -> pd.DataFrame:
    base = {
        "stockout_probability": 0.0,
        "expected_short_units": 0.0,
        "lead_time_days": 7.0,
        "on_hand": 10.0,
        "stockout_date": pd.NaT,
        "excess_units": 0.0,
        "excess_value": 0.0,
        "order_up_to": 20.0,
        "days_of_cover": 5.0,
        "demand_daily_mean": 2.0,
    }
    return pd.DataFrame([{**base, **row} for row in rows])


PRODUCTS = pd.DataFrame(
    {
        "sku": ["A", "B", "C"],
        "name": ["Mug", "Towel", "Lamp"],
        "category": ["Kitchen", "Bath", "Home"],
        "unit_cost": [2.0, 4.0, 10.0],
        "unit_price": [5.0, 9.0, 30.0],
    }
)


def sales(qty_by_sku: dict[str, float], *, last: pd.Timestamp = TODAY) -> pd.DataFrame:
    days = pd.date_range(end=last, periods=7)
    return pd.DataFrame(
        [{"sku": s, "date": d, "qty": q} for s, q in qty_by_sku.items() for d in days]
    )


def alerts_for(table, sold, *, on_hand=None, last=TODAY):
    means = dict(zip(table["sku"], table["demand_daily_mean"], strict=True))
    stock = on_hand if on_hand is not None else pd.DataFrame({"sku": table["sku"], "on_hand": 1.0})
    return compute_alerts(
        table,
        sales=sales(sold, last=last),
        forecasts=forecasts(means),
        products=PRODUCTS,
        on_hand=stock,
        today=TODAY,
    )


def test_stockout_risk_is_valued_at_the_expected_lost_sales():
    table = policy([{"sku": "A", "stockout_probability": 0.6, "expected_short_units": 4.0}])
    found = alerts_for(table, {"A": 2.0})
    row = found[found["type"] == "stockout_risk"].iloc[0]
    assert row["alert_key"] == "stockout_risk:A" and row["money_at_risk"] == 4.0 * 5.0
    assert "60% chance of running out" in row["reason"]


def test_overstock_is_valued_at_the_capital_tied_up():
    table = policy([{"sku": "C", "excess_units": 30.0, "excess_value": 300.0}])
    row = alerts_for(table, {"C": 2.0}).query("type == 'overstock'").iloc[0]
    assert row["money_at_risk"] == 300.0 and row["category"] == "Home"


def test_demand_far_above_the_forecast_interval_is_flagged_with_the_gap():
    table = policy([{"sku": "B", "demand_daily_mean": 2.0}])
    found = alerts_for(table, {"B": 10.0})
    row = found[found["type"] == "demand_shift"].iloc[0]
    # sold 70 in 7 days against a forecast of 14: gap 56 units x price 9
    assert row["money_at_risk"] == pytest.approx(56 * 9.0)
    assert "above" in row["reason"]
    assert alerts_for(table, {"B": 2.0}).query("type == 'demand_shift'").empty


def test_stale_sales_and_a_missing_stock_count_are_data_alerts():
    table = policy([{"sku": "A"}, {"sku": "B"}])
    found = alerts_for(
        table,
        {"A": 2.0, "B": 2.0},
        last=TODAY - pd.Timedelta(days=30),
        on_hand=pd.DataFrame({"sku": ["A"], "on_hand": [3.0]}),
    )
    stale = found[found["type"] == "stale_data"].set_index("sku")
    assert "no stock count" in stale.at["B", "reason"]
    assert "last sale recorded is" in stale.at["*", "reason"]


def test_alerts_are_ranked_by_money_at_risk():
    table = policy(
        [
            {"sku": "A", "stockout_probability": 0.5, "expected_short_units": 1.0},
            {"sku": "B", "stockout_probability": 0.9, "expected_short_units": 10.0},
            {"sku": "C", "excess_units": 5.0, "excess_value": 50.0},
        ]
    )
    found = alerts_for(table, {"A": 2.0, "B": 2.0, "C": 2.0})
    assert found["alert_key"].tolist()[:3] == ["stockout_risk:B", "overstock:C", "stockout_risk:A"]
    assert found["money_at_risk"].is_monotonic_decreasing
    shuffled = found.sample(frac=1.0, random_state=1)
    pd.testing.assert_frame_equal(rank_alerts(shuffled), found)


def test_snoozed_alerts_reopen_when_the_snooze_runs_out():
    found = pd.DataFrame({"alert_key": ["overstock:A", "overstock:B", "overstock:C"]})
    state = pd.DataFrame(
        {
            "alert_key": ["overstock:A", "overstock:B"],
            "status": ["snoozed", "snoozed"],
            "snooze_until": [TODAY + pd.Timedelta(days=3), TODAY - pd.Timedelta(days=1)],
            "user": ["ann", "ann"],
        }
    )
    status = apply_alert_state(found, state, today=TODAY).set_index("alert_key")["status"]
    assert status.to_dict() == {
        "overstock:A": "snoozed",
        "overstock:B": "open",
        "overstock:C": "open",
    }
