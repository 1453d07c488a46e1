"""A stored run reaches past the longest lead time, so the December peak is ordered for and
Christmas stock bought ahead of it is not overstock (``forecast.options.planning_days``).

The shop: six Christmas SKUs (2/day, 25/day through December, 40-day lead time; the category
gives the yearly profile its weight) and a steady mug, two years of daily sales to 31 October
2025. The policy orders over L + R = 47+ days, past the 28-day horizon; before, the days after
the horizon repeated November's last week.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from invdash import store
from invdash.forecast.engine import run_forecast
from invdash.forecast.options import ForecastOptions, planning_days
from invdash.forecast.stored import forecast_and_store, save_run
from invdash.policy import PolicyParams
from invdash.reorder import prepare_reorder_run

END = pd.Timestamp("2025-10-31")


XMAS = [f"XMAS-{i}" for i in range(6)]


def _shop_sales(seed: int = 3) -> pd.DataFrame:
    days = pd.date_range(END - pd.Timedelta(days=729), END, freq="D")
    rng = np.random.default_rng(seed)
    peak = np.where(days.month == 12, 25.0, 2.0)
    frames = [pd.DataFrame({"sku": sku, "date": days, "qty": rng.poisson(peak).astype(float)})
              for sku in XMAS]
    frames.append(pd.DataFrame({"sku": "MUG-1", "date": days,
                                "qty": rng.poisson(5.0, len(days)).astype(float)}))
    return pd.concat(frames, ignore_index=True)


PRODUCTS = pd.DataFrame({
    "sku": [*XMAS, "MUG-1"], "name": [f"Glass Bauble Set {i}" for i in range(6)] + ["Mug"],
    "category": ["Festive"] * 6 + ["Kitchen"], "unit_cost": 3.0, "unit_price": 9.0,
    "supplier": ["North"] * 6 + ["South"], "lead_time_days": [40.0] * 6 + [7.0],
    "lead_time_sd_days": [5.0] * 6 + [1.0], "moq": 1.0, "pack_size": 1.0,
})


@pytest.fixture
def shop(tmp_path):
    path = tmp_path / "shop.duckdb"
    conn = store.connect(path)
    with store.transaction(conn):
        store.upsert_frame(conn, "products", PRODUCTS)
        store.upsert_frame(conn, "sales", _shop_sales())
        # Christmas stock in: about November's and most of December's demand.
        store.upsert_frame(conn, "inventory", pd.DataFrame(
            {"sku": [*XMAS, "MUG-1"], "as_of": END, "on_hand": [700.0] * 6 + [60.0]}))
    yield conn
    conn.close()


def test_planning_days_are_the_longest_lead_time_with_two_sd_plus_the_review_period():
    assert planning_days(PRODUCTS) == 40 + 10 + 7
    assert planning_days(PRODUCTS, review_days=14) == 64
    unknown = PRODUCTS.assign(lead_time_days=np.nan, lead_time_sd_days=np.nan)
    assert planning_days(unknown) == 7 + 7, "no lead time counts the policy's 7 days"
    assert planning_days(None) == 0 and planning_days(PRODUCTS.iloc[:0]) == 0
    # The constants mirror the policy's defaults (forecast may not import policy).
    from invdash.policy.demand import DEFAULT_LEAD_TIME_DAYS

    assert PolicyParams().review_period_days == 7 and DEFAULT_LEAD_TIME_DAYS == 7.0


def test_the_run_forecasts_the_planning_days_and_backtests_the_horizon_unchanged():
    sales = _shop_sales()
    short = run_forecast(sales, ForecastOptions(model="ets"))
    long = run_forecast(sales, ForecastOptions(model="ets", plan_days=57))
    assert short.horizon == 28 and long.horizon == 57
    assert long.forecasts.groupby("sku").size().eq(57).all()
    assert long.forecasts["date"].max() == END + pd.Timedelta(days=57)
    pd.testing.assert_frame_equal(short.backtest, long.backtest)
    first = long.forecasts[long.forecasts["date"] <= END + pd.Timedelta(days=28)]
    np.testing.assert_allclose(first["mean"].to_numpy(), short.forecasts["mean"].to_numpy())
    # An explicit horizon longer than the planning days is kept.
    assert run_forecast(sales, ForecastOptions(model="ets", horizon=60, plan_days=57)).horizon == 60


def test_a_stored_run_reaches_the_lead_time_so_the_peak_is_ordered_and_not_overstock(shop):
    run = forecast_and_store(shop)
    assert run.horizon == planning_days(PRODUCTS) == 57
    lines = prepare_reorder_run(shop, PolicyParams()).table.set_index("sku").loc[XMAS]
    # Demand over L + R (about 47 days from 1 November: ~60 in November, ~425 to 17 December).
    assert (lines["protection_demand_mean"] > 300).all()
    assert (lines["excess_units"] == 0).all(), "stock bought before the peak is not overstock"


def test_a_run_stopping_at_28_days_misses_the_peak_the_failure_this_guards(shop):
    sales, products = store.load_sales(shop), store.load_products(shop)
    save_run(shop, run_forecast(sales, ForecastOptions(), products=products),
             data_version=store.data_version(shop))
    lines = prepare_reorder_run(shop, PolicyParams()).table.set_index("sku").loc[XMAS]
    assert (lines["protection_demand_mean"] < 200).all()
    assert (lines["excess_units"] > 0).all()
