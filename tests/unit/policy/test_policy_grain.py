"""The policy at weekly and monthly grain: lead times stay in days, forecasts are spread."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from invdash.forecast.engine import run_forecast
from invdash.forecast.grain import Grain, to_grain
from invdash.forecast.options import ForecastOptions
from invdash.policy import PolicyParams, compute_policy, daily_demand
from invdash.policy.inputs import spread_to_days

SKUS = ["S0", "S1", "S2"]


@pytest.fixture(scope="module")
def daily_sales() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    days = pd.date_range("2023-01-02", periods=364)
    rows = [(f"S{i}", d, float(rng.poisson(5 + 3 * i))) for i in range(3) for d in days]
    return pd.DataFrame(rows, columns=["sku", "date", "qty"])


def _policy(sales: pd.DataFrame) -> pd.DataFrame:
    run = run_forecast(sales, ForecastOptions(model="ma", folds=0))
    products = pd.DataFrame({"sku": SKUS, "lead_time_days": [14, 14, 14]})
    on_hand = pd.DataFrame({"sku": SKUS, "on_hand": [0, 0, 0]})
    return compute_policy(
        run.forecasts, products, on_hand, None, params=PolicyParams(service_level=0.95)
    ).set_index("sku")


def test_spread_to_days_known_answer():
    skus, dates, mean, var = spread_to_days(
        np.array(["A", "A"]), pd.Series(pd.to_datetime(["2024-01-01", "2024-01-08"])),
        np.array([70.0, 14.0]), np.array([140.0, 7.0]),
    )
    assert len(dates) == 14 and dates[0] == pd.Timestamp("2024-01-01")
    assert dates[-1] == pd.Timestamp("2024-01-14")
    np.testing.assert_allclose(mean[:7], 10.0)
    np.testing.assert_allclose(var[7:], 1.0)
    assert (skus == "A").all()


def test_month_end_rows_cover_their_own_month():
    _, dates, mean, _ = spread_to_days(
        np.array(["A"] * 3), pd.Series(pd.to_datetime(["2024-01-31", "2024-02-29", "2024-03-31"])),
        np.array([31.0, 58.0, 62.0]), np.array([31.0, 58.0, 62.0]),
    )
    assert dates[0] == pd.Timestamp("2024-01-01") and dates[-1] == pd.Timestamp("2024-03-31")
    np.testing.assert_allclose(mean[31:60], 2.0)


@pytest.mark.parametrize("grain", [Grain("W-MON"), Grain("MS")])
def test_coarse_forecast_gives_the_daily_policy(daily_sales, grain):
    daily = _policy(daily_sales)
    coarse = _policy(to_grain(daily_sales, grain))
    for column in ("reorder_point", "order_up_to", "demand_daily_mean"):
        ratio = coarse[column] / daily[column]
        assert ratio.between(0.8, 1.25).all(), (column, ratio.tolist())
    # safety stock stays the size of the daily one (not 7x or 30x off, not zero)
    assert (coarse["safety_stock"] > 0.4 * daily["safety_stock"]).all()
    assert (coarse["safety_stock"] < 2.5 * daily["safety_stock"]).all()


def test_weekly_daily_demand_is_per_day(daily_sales):
    weekly = to_grain(daily_sales, Grain("W-MON"))
    run = run_forecast(weekly, ForecastOptions(model="ma", folds=0, horizon=4))
    demand = daily_demand(run.forecasts)
    assert (demand.horizon == 28).all()
    week_total = run.forecasts.groupby("sku")["mean"].sum().reindex(demand.skus)
    np.testing.assert_allclose(demand.mean.sum(axis=1), week_total.to_numpy())
