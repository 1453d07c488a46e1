"""Known answers for the textbook inventory formulas (numbers from the cited textbook examples)."""

from __future__ import annotations

import pytest

from invdash.policy import (
    base_stock_level,
    economic_order_quantity,
    newsvendor_expected_cost,
    newsvendor_normal,
    normal_loss,
    reorder_point_fill_rate,
)
from invdash.schema import ConfigError


def test_normal_newsvendor_matches_the_textbook_example():
    """Snyder & Shen, *Fundamentals of Supply Chain Theory*, Example 4.1 (also stockpyl's
    ``newsvendor_normal`` doc example): h = 0.18, p = 0.70, mu = 50, sigma = 8 gives
    S* = 56.60 and g(S*) = 2.00."""
    result = newsvendor_normal(holding_cost=0.18, stockout_cost=0.70, mean=50, sd=8)
    assert result.base_stock == pytest.approx(56.60, abs=0.01)
    assert result.expected_cost == pytest.approx(2.00, abs=0.01)


def test_newsvendor_cost_is_lowest_at_the_optimum():
    kwargs = {"holding_cost": 0.18, "stockout_cost": 0.70, "mean": 50, "sd": 8}
    best = newsvendor_normal(**kwargs)
    assert newsvendor_expected_cost(best.base_stock, **kwargs) == pytest.approx(best.expected_cost)
    for other in (50.0, 54.0, 59.0, 64.0):
        assert newsvendor_expected_cost(other, **kwargs) > best.expected_cost


@pytest.mark.parametrize(
    ("z", "loss"), [(0.0, 0.3989), (1.0, 0.0833), (2.0, 0.0085), (-1.0, 1.0833)]
)
def test_standard_normal_loss_function_matches_the_table(z, loss):
    """Standard normal loss table (e.g. Silver, Pyke & Peterson, Appendix B): L(z)."""
    assert normal_loss(z) == pytest.approx(loss, abs=1e-4)


def test_base_stock_level_with_lead_time():
    """S = mu L + z sigma sqrt(L): mu = 100 a week, sigma = 20, L = 4 weeks, 95 %:
    400 + 1.6449 x 20 x 2 = 465.79."""
    level = base_stock_level(
        service_level=0.95, mean_per_period=100, sd_per_period=20, lead_time_periods=4
    )
    assert level == pytest.approx(465.79, abs=0.01)


def test_r_q_reorder_point_for_a_fill_rate_target():
    """(r, Q) with the normal loss function: beta = 0.95, Q = 100, mu_L = 200, sigma_L = 20 needs
    L(k) = 100 x 0.05 / 20 = 0.25, k = 0.3449 (table: L(0.34) = 0.2518, L(0.35) = 0.2481), so
    r = 200 + 0.3449 x 20 = 206.90."""
    r = reorder_point_fill_rate(
        fill_rate=0.95, order_quantity=100, lead_time_mean=200, lead_time_sd=20
    )
    assert r == pytest.approx(206.90, abs=0.02)


def test_eoq_matches_the_textbook_example():
    """Snyder & Shen, Example 3.1 (stockpyl ``economic_order_quantity`` doc example):
    K = 8, h = 0.225, lambda = 1300 a year gives Q* = 304.05 and g(Q*) = 68.41."""
    result = economic_order_quantity(fixed_cost=8, holding_cost=0.225, demand_rate=1300)
    assert result.order_quantity == pytest.approx(304.05, abs=0.01)
    assert result.annual_cost == pytest.approx(68.41, abs=0.01)


def test_eoq_refuses_a_zero_holding_cost():
    with pytest.raises(ConfigError, match="holding_cost must be > 0"):
        economic_order_quantity(fixed_cost=8, holding_cost=0, demand_rate=1300)
