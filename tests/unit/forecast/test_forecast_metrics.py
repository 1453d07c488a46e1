"""Metrics known answers and demand classes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from invdash.forecast.classify import classify_demand
from invdash.forecast.metrics import (
    interval_coverage,
    mase,
    naive_scales,
    rmsse,
    scaled_pinball_loss,
    wape_parts,
)
from invdash.forecast.panel import count_quantiles, gamma_quantiles


def test_mase_and_rmsse_worked_example():
    """train 1,3,1,3: mean|diff| = 2, mean diff^2 = 4; actual 2,2 vs forecast 3,1."""
    scale_abs, scale_sq = naive_scales(np.array([[1.0, 3.0, 1.0, 3.0]]))
    actual, forecast = np.array([[2.0, 2.0]]), np.array([[3.0, 1.0]])
    assert scale_abs[0] == pytest.approx(2.0) and scale_sq[0] == pytest.approx(4.0)
    assert mase(actual, forecast, scale_abs)[0] == pytest.approx(0.5)
    assert rmsse(actual, forecast, scale_sq)[0] == pytest.approx(0.5)


def test_unknown_days_are_not_scored():
    actual = np.array([[2.0, np.nan]])
    assert mase(actual, np.array([[3.0, 100.0]]), np.array([1.0]))[0] == pytest.approx(1.0)


def test_constant_history_gets_unit_scale_not_zero():
    scale_abs, scale_sq = naive_scales(np.array([[np.nan, 5.0, 5.0, 5.0]]))
    assert scale_abs[0] == 1.0 and scale_sq[0] == 1.0


def test_wape_and_bias_parts():
    abs_error, error, actual_sum = wape_parts(np.array([[10.0, 0.0]]), np.array([[8.0, 1.0]]))
    assert (abs_error[0], error[0], actual_sum[0]) == (3.0, -1.0, 10.0)


def test_pinball_loss_known_answer():
    """y = 10, median forecast 8: loss 0.5 * 2 = 1; scale 2 -> 0.5."""
    loss = scaled_pinball_loss(np.array([[10.0]]), np.array([[[8.0]]]), np.array([2.0]), (0.5,))
    assert loss[0] == pytest.approx(0.5)


def test_interval_coverage_counts_inclusive_edges():
    covered = interval_coverage(np.array([[1.0, 5.0, 9.0]]), np.full((1, 3), 1.0),
                                np.full((1, 3), 5.0))
    assert covered[0] == pytest.approx(2 / 3)


def test_gamma_quantiles_match_the_distribution():
    """Mean 4, variance 8 (index 2): gamma(shape 2, scale 2); its median is 3.3567."""
    quantiles = gamma_quantiles(np.array([[4.0]]), np.array([2.0]))
    assert quantiles[0, 0, 3] == pytest.approx(3.3567, rel=1e-3)
    assert (np.diff(quantiles[0, 0]) >= 0).all()


def test_count_quantiles_of_poisson_like_counts_are_whole_numbers():
    """Poisson(2) has p90 = 4 (F(3) = 0.857, F(4) = 0.947)."""
    quantiles = count_quantiles(np.array([[2.0]]), np.array([1.0]), np.array([True]))
    assert quantiles[0, 0, 5] == 4.0
    assert np.all(quantiles == np.round(quantiles))


def _series(sku: str, values: list[float]) -> pd.DataFrame:
    days = pd.date_range("2024-01-01", periods=len(values), freq="D")
    return pd.DataFrame({"sku": sku, "date": days, "qty": values})


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([5.0, 6.0, 5.0, 4.0] * 15, "smooth"),
        ([1.0, 20.0, 2.0, 30.0] * 15, "erratic"),
        ([0.0, 0.0, 5.0, 0.0] * 15, "intermittent"),
        ([0.0, 0.0, 1.0, 0.0, 0.0, 40.0] * 10, "lumpy"),
        ([3.0, 0.0, 2.0] * 5, "new"),
    ],
)
def test_demand_classes(values, expected):
    classes = classify_demand(_series("A", values))
    assert classes["demand_class"].iloc[0] == expected


def test_adi_excludes_stockout_days():
    sales = _series("A", [4.0] * 60)
    sales.loc[30:, "qty"] = 0.0
    sales["stockout"] = sales.index >= 30
    row = classify_demand(sales).iloc[0]
    assert row["adi"] == pytest.approx(1.0)
    assert row["demand_class"] == "smooth"
