"""The stock policy: safety stock, reorder point and order-up-to from the forecast distribution.

Forecast frames here are hand-made: every day of a SKU has the same gamma distribution with the
given mean and standard deviation, written out as the quantile columns a forecaster returns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from invdash.policy import (
    PolicyParams,
    classify_abc,
    compute_policy,
    lead_time_demand,
    project_stock,
    round_order_quantity,
    textbook_policy,
)
from invdash.schema import QUANTILE_COLUMNS, QUANTILES, ConfigError, InvalidDataError

AS_OF = pd.Timestamp("2024-01-01")


def make_forecasts(specs: list[tuple[str, float, float]], *, days: int = 28) -> pd.DataFrame:
    """One row per SKU and day from ``(sku, mean, sd)``: gamma quantiles, 0 for mean 0."""
    rows = []
    for sku, mean, sd in specs:
        quantiles = (
            [0.0] * len(QUANTILES)
            if mean == 0
            else [
                float(stats.gamma.ppf(q, (mean / sd) ** 2, scale=sd**2 / mean)) for q in QUANTILES
            ]
        )
        for day in pd.date_range(AS_OF + pd.Timedelta(days=1), periods=days):
            rows.append(
                {
                    "sku": sku,
                    "date": day,
                    "model": "hand",
                    "mean": mean,
                    **dict(zip(QUANTILE_COLUMNS, quantiles, strict=True)),
                }
            )
    return pd.DataFrame(rows)


def make_products(
    skus: list[str],
    *,
    lead_time_days: float = 7.0,
    lead_time_sd_days: float = 0.0,
    moq: float = 0.0,
    pack_size: float = 1.0,
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sku": skus,
            "name": [f"Item {s}" for s in skus],
            "supplier": "Acme",
            "lead_time_days": lead_time_days,
            "lead_time_sd_days": lead_time_sd_days,
            "moq": moq,
            "pack_size": pack_size,
            "unit_cost": 2.0,
            "unit_price": 5.0,
        }
    )


def policy_for(
    forecasts: pd.DataFrame, products: pd.DataFrame, *, on_hand: float = 0.0, **params: object
) -> pd.DataFrame:
    stock = pd.DataFrame({"sku": products["sku"], "on_hand": on_hand})
    return compute_policy(
        forecasts, products, stock, None, params=PolicyParams(**params), as_of=AS_OF
    )


def test_lead_time_demand_of_a_steady_seller_matches_the_sum_of_its_days():
    forecasts = make_forecasts([("A", 10.0, 3.0)])
    demand = lead_time_demand(
        forecasts, make_products(["A"]), params=PolicyParams(), n_samples=4000
    )
    row = demand.iloc[0]
    assert row["protection_days"] == 14
    assert row["protection_demand_mean"] == pytest.approx(140, rel=0.02)
    # Daily variance is max(3^2, Poisson 10) = 10, so the 14-day sd is sqrt(140) = 11.8.
    assert row["protection_demand_sd"] == pytest.approx(np.sqrt(140), rel=0.08)


def test_lead_time_variability_widens_the_distribution():
    forecasts = make_forecasts([("A", 10.0, 3.0)])
    fixed = lead_time_demand(forecasts, make_products(["A"]), params=PolicyParams())
    variable = lead_time_demand(
        forecasts, make_products(["A"], lead_time_sd_days=2.0), params=PolicyParams()
    )
    # sd over L + R with random L: sqrt(E[L+R] var + mean^2 var(L)) = sqrt(140 + 100 * 4) = 23.2
    assert variable["protection_demand_sd"].iloc[0] == pytest.approx(np.sqrt(540), rel=0.1)
    assert variable["protection_demand_sd"].iloc[0] > 1.5 * fixed["protection_demand_sd"].iloc[0]


def test_cycle_service_order_up_to_is_the_quantile_of_lead_time_demand():
    forecasts = make_forecasts([("A", 10.0, 3.0)])
    table = policy_for(forecasts, make_products(["A"]), service_measure="cycle", n_samples=4000)
    # Gamma sum over 14 days: mean 140, sd 11.8; its 95 % quantile is about 160.
    expected = stats.gamma.ppf(0.95, 140**2 / 140, scale=1.0)
    assert table["order_up_to"].iloc[0] == pytest.approx(expected, abs=3)
    assert table["safety_stock"].iloc[0] == pytest.approx(expected - 140, abs=3)


def test_intermittent_sku_gets_finite_non_negative_safety_stock_and_small_levels():
    forecasts = make_forecasts([("SLOW", 0.05, 0.3)])
    table = policy_for(forecasts, make_products(["SLOW"]))
    row = table.iloc[0]
    assert np.isfinite(row["safety_stock"]) and row["safety_stock"] >= 0
    assert 1 <= row["order_up_to"] <= 5, "0.7 units expected over 14 days: a handful at most"


def test_sku_without_demand_orders_nothing_and_says_why():
    forecasts = make_forecasts([("ZERO", 0.0, 0.0)])
    row = policy_for(forecasts, make_products(["ZERO"])).iloc[0]
    assert row["safety_stock"] == 0 and row["order_up_to"] == 0 and row["suggested_qty"] == 0
    assert "no forecast demand" in row["reason"]


def test_order_brings_the_position_up_to_the_target_in_whole_packs():
    forecasts = make_forecasts([("A", 10.0, 3.0)])
    products = make_products(["A"], moq=30, pack_size=12)
    row = policy_for(forecasts, products, on_hand=20.0).iloc[0]
    assert row["raw_qty"] == row["order_up_to"] - 20
    assert row["suggested_qty"] % 12 == 0 and row["suggested_qty"] >= max(30, row["raw_qty"])
    assert row["suggested_qty"] - row["raw_qty"] < 12 or row["suggested_qty"] == 36
    assert "packs of 12" in row["reason"]


def test_well_stocked_sku_orders_nothing_and_excess_is_valued_at_cost():
    forecasts = make_forecasts([("A", 1.0, 1.0)])
    row = policy_for(forecasts, make_products(["A"]), on_hand=500.0).iloc[0]
    assert row["suggested_qty"] == 0
    # excess = 500 - order_up_to - 60 days x 1 unit; valued at unit cost 2.
    assert row["excess_units"] == np.floor(500 - row["order_up_to"] - 60)
    assert row["excess_value"] == pytest.approx(2 * row["excess_units"])


def test_stockout_probability_and_date_follow_the_stock():
    forecasts = make_forecasts([("A", 10.0, 3.0)])
    empty = policy_for(forecasts, make_products(["A"]), on_hand=0.0).iloc[0]
    full = policy_for(forecasts, make_products(["A"]), on_hand=1000.0).iloc[0]
    assert empty["stockout_probability"] == pytest.approx(1.0)
    assert empty["stockout_date"] == AS_OF + pd.Timedelta(days=1)
    assert full["stockout_probability"] == 0 and pd.isna(full["stockout_date"])
    assert full["days_of_cover"] == pytest.approx(100)


def test_open_purchase_order_counts_in_the_position():
    forecasts = make_forecasts([("A", 10.0, 3.0)])
    products = make_products(["A"])
    on_hand = pd.DataFrame({"sku": ["A"], "on_hand": [10.0]})
    orders = pd.DataFrame(
        {"po_id": ["PO1"], "sku": ["A"], "qty": [100.0], "eta": [AS_OF + pd.Timedelta(days=3)]}
    )
    table = compute_policy(forecasts, products, on_hand, orders, params=PolicyParams(), as_of=AS_OF)
    assert table["on_order"].iloc[0] == 100 and table["inventory_position"].iloc[0] == 110


def test_abc_classes_by_revenue_share():
    revenue = pd.Series({"a": 70.0, "b": 20.0, "c": 6.0, "d": 4.0})
    assert classify_abc(revenue).to_dict() == {"a": "A", "b": "B", "c": "C", "d": "C"}


def test_service_level_overrides_sku_beats_class_beats_default():
    forecasts = make_forecasts([("A", 10.0, 3.0), ("B", 1.0, 1.0)])
    products = make_products(["A", "B"])
    overrides = pd.DataFrame(
        {"scope": ["abc", "sku"], "key": ["A", "B"], "service_level": [0.99, 0.8]}
    )
    table = compute_policy(
        forecasts,
        products,
        pd.DataFrame({"sku": [], "on_hand": []}),
        None,
        params=PolicyParams(abc_service_levels=(0.97, 0.9, 0.85)),
        as_of=AS_OF,
        overrides=overrides,
    )
    levels = table.set_index("sku")["service_level"].to_dict()
    assert levels == {"A": 0.99, "B": 0.8}


def test_compute_policy_does_not_mutate_its_inputs():
    forecasts = make_forecasts([("A", 10.0, 3.0), ("B", 0.2, 0.5)])
    products = make_products(["A", "B"], moq=5, pack_size=2)
    on_hand = pd.DataFrame({"sku": ["A", "B"], "on_hand": [3.0, 0.0]})
    orders = pd.DataFrame({"sku": ["A"], "qty": [4.0], "eta": [AS_OF]})
    copies = [frame.copy() for frame in (forecasts, products, on_hand, orders)]
    compute_policy(forecasts, products, on_hand, orders, params=PolicyParams(), as_of=AS_OF)
    for before, after in zip(copies, (forecasts, products, on_hand, orders), strict=True):
        pd.testing.assert_frame_equal(before, after)


def test_same_seed_same_numbers():
    forecasts = make_forecasts([("A", 4.0, 3.0)])
    first = policy_for(forecasts, make_products(["A"], lead_time_sd_days=2))
    second = policy_for(forecasts, make_products(["A"], lead_time_sd_days=2))
    pd.testing.assert_frame_equal(first, second)


def test_forecasts_in_the_past_are_refused_with_a_fix():
    forecasts = make_forecasts([("A", 4.0, 3.0)])
    with pytest.raises(InvalidDataError, match="run a new forecast"):
        compute_policy(
            forecasts,
            make_products(["A"]),
            pd.DataFrame({"sku": [], "on_hand": []}),
            None,
            params=PolicyParams(),
            as_of=AS_OF + pd.Timedelta(days=60),
        )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("service_level", 95, "service_level must be a fraction"),
        ("review_period_days", 0, "review_period_days must be an integer >= 1"),
        ("service_measure", "alpha", "service_measure must be one of"),
        ("lead_time_days", -2, "lead_time_days must be > 0"),
    ],
)
def test_policy_params_name_the_bad_parameter(field, value, message):
    with pytest.raises(ConfigError, match=message):
        PolicyParams(**{field: value})


def test_projected_stock_falls_with_demand_and_jumps_when_a_po_arrives():
    forecasts = make_forecasts([("A", 10.0, 3.0)], days=10)
    on_hand = pd.DataFrame({"sku": ["A"], "on_hand": [100.0]})
    orders = pd.DataFrame({"sku": ["A"], "qty": [50.0], "eta": [AS_OF + pd.Timedelta(days=5)]})
    bands = project_stock(forecasts, on_hand, orders, as_of=AS_OF, n_samples=2000)
    p50 = bands["p50"].to_numpy()
    assert p50[:4] == pytest.approx([90, 80, 70, 60], abs=2)
    assert p50[4] == pytest.approx(100, abs=3)
    assert (bands["p10"] <= bands["p50"]).all() and (bands["p50"] <= bands["p90"]).all()


def test_textbook_policy_is_z_sigma_sqrt_l_plus_r_from_a_moving_average():
    days = pd.date_range("2024-01-01", periods=28)
    sales = pd.DataFrame({"sku": "A", "date": days, "qty": np.tile([8.0, 12.0], 14)})
    table = textbook_policy(
        sales, make_products(["A"]), service_level=0.95, lead_time_days=9, review_period_days=7
    )
    sigma = np.std(np.tile([8.0, 12.0], 14), ddof=1)
    safety = 1.6449 * sigma * 4.0
    row = table.iloc[0]
    assert row["safety_stock"] == pytest.approx(safety, rel=1e-3)
    assert row["reorder_point"] == pytest.approx(10 * 9 + safety, rel=1e-3)
    assert row["order_up_to"] == pytest.approx(10 * 16 + safety, rel=1e-3)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    mean=st.floats(0.02, 50.0),
    cv=st.floats(0.2, 3.0),
    levels=st.tuples(st.floats(0.5, 0.995), st.floats(0.5, 0.995)),
    measure=st.sampled_from(["fill_rate", "cycle"]),
)
def test_safety_stock_never_falls_as_service_level_grows(mean, cv, levels, measure):
    forecasts = make_forecasts([("A", mean, mean * cv)], days=14)
    low, high = sorted(levels)
    products = make_products(["A"], lead_time_sd_days=1.0)
    kwargs = {"service_measure": measure, "n_samples": 300}
    first = policy_for(forecasts, products, service_level=low, **kwargs).iloc[0]
    second = policy_for(forecasts, products, service_level=high, **kwargs).iloc[0]
    assert second["safety_stock"] >= first["safety_stock"] - 1e-9
    assert second["order_up_to"] >= first["order_up_to"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    mean=st.floats(0.02, 50.0),
    cv=st.floats(0.2, 3.0),
    lead_times=st.tuples(st.integers(1, 30), st.integers(1, 30)),
    measure=st.sampled_from(["fill_rate", "cycle"]),
)
def test_safety_stock_never_falls_as_lead_time_grows(mean, cv, lead_times, measure):
    forecasts = make_forecasts([("A", mean, mean * cv)], days=14)
    short, long = sorted(lead_times)
    kwargs = {"service_measure": measure, "n_samples": 300, "service_level": 0.95}
    first = policy_for(forecasts, make_products(["A"], lead_time_days=short), **kwargs).iloc[0]
    second = policy_for(forecasts, make_products(["A"], lead_time_days=long), **kwargs).iloc[0]
    assert second["safety_stock"] >= first["safety_stock"] - 1e-9


@settings(max_examples=60, deadline=None)
@given(
    need=st.floats(-50, 500),
    moq=st.sampled_from([0.0, 1.0, 5.0, 24.0, 100.0]),
    pack=st.sampled_from([1.0, 2.0, 6.0, 12.0, 50.0]),
)
def test_orders_are_zero_or_whole_packs_at_least_the_moq(need, moq, pack):
    qty = float(
        round_order_quantity(np.array([need]), moq=np.array([moq]), pack_size=np.array([pack]))[0]
    )
    if need <= 1e-9:
        assert qty == 0
    else:
        assert qty >= moq and qty >= need
        assert qty / pack == pytest.approx(round(qty / pack))
        assert qty - max(need, moq) < pack + 1e-9


def _backorder_fill_rate(  # noqa: PLR0913 - one per system input
    order_up_to: float,
    *,
    mean: float,
    sd: float,
    lead_time_days: int,
    review_period_days: int,
    days: int = 30_000,
) -> float:
    """Simulate a periodic-review (R, S) system with backorders and gamma daily demand."""
    rng = np.random.default_rng(1)
    demand = rng.gamma((mean / sd) ** 2, sd**2 / mean, days)
    net, pipeline, short = order_up_to, {}, 0.0
    for day in range(days):
        net += pipeline.pop(day, 0.0)
        if day % review_period_days == 0:
            position = net + sum(pipeline.values())
            if position < order_up_to:
                pipeline[day + lead_time_days] = order_up_to - position
        short += demand[day] - min(max(net, 0.0), demand[day])
        net -= demand[day]
    return 1 - short / demand.sum()


@pytest.mark.parametrize(("mean", "sd", "lead_time_days"), [(5.0, 4.0, 5), (20.0, 8.0, 10)])
def test_fill_rate_target_is_met_when_the_forecast_is_right(mean, sd, lead_time_days):
    """Oracle: order up to the policy's S every 7 days in a simulated backorder system whose daily
    demand is the forecast distribution; the fill rate lands on the 95 % target (+- 1 point).
    (Lost sales: ``test_lost_sales.py``.)"""
    forecasts = make_forecasts([("A", mean, sd)])
    row = policy_for(forecasts, make_products(["A"], lead_time_days=lead_time_days),
                     unmet_demand="backorder").iloc[0]
    achieved = _backorder_fill_rate(
        row["order_up_to"], mean=mean, sd=sd, lead_time_days=lead_time_days, review_period_days=7
    )
    assert achieved == pytest.approx(0.95, abs=0.01)
