"""Intervals widen with the horizon where errors grow, and the growth is calibrated per class."""

from __future__ import annotations

import numpy as np
import pandas as pd

from invdash.forecast.backtest import BacktestFold, BacktestResult
from invdash.forecast.gamma import count_quantiles
from invdash.forecast.quantiles import calibrate_spread, variance_index
from invdash.schema import QUANTILE_COLUMNS


def test_variance_index_grows_with_the_step_by_the_class_growth():
    table = pd.DataFrame({"demand_class": ["smooth", "all"], "spread": [2.0, 1.0],
                          "growth": [1.5, 0.0]})
    index = variance_index(np.array([3.0, 3.0]), np.array(["smooth", "lumpy"]), table, 29)
    assert index[0, 0] == 6.0 and index[0, 28] == 6.0 * (1 + 1.5)
    assert (index[1] == 3.0).all()  # unknown class: the "all" row, no growth


def _fold(noise_growth: float, seed: int = 0) -> BacktestFold:
    """200 SKUs x 28 steps, mean 50, errors whose variance grows by ``noise_growth`` a step."""
    rng = np.random.default_rng(seed)
    n, h = 200, 28
    sd = np.sqrt(50 * (1 + noise_growth * np.arange(h)))
    actual = np.clip(np.round(50 + rng.normal(0, 1, (n, h)) * sd), 0, None)
    return BacktestFold(
        origin=pd.Timestamp("2024-01-01"), skus=np.array([f"S{i:03d}" for i in range(n)]),
        actual=actual, scale_abs=np.full(n, 5.0), scale_sq=np.full(n, 50.0),
        dispersion=np.ones(n), means={"ma": np.full((n, h), 50.0)},
        integer_rows=np.ones(n, dtype=bool),
    )


def _calibrate(fold: BacktestFold) -> pd.DataFrame:
    choices = pd.DataFrame({"sku": fold.skus, "model": "ma", "members": [("ma",)] * len(fold.skus),
                            "demand_class": "smooth"})
    backtest = BacktestResult(per_sku=pd.DataFrame(), summary=pd.DataFrame(), folds=(fold,),
                              classes=choices[["sku", "demand_class"]])
    return calibrate_spread(backtest, choices).set_index("demand_class")


def test_growing_errors_get_widening_intervals_and_steady_errors_do_not():
    growing = _calibrate(_fold(noise_growth=0.2))
    steady = _calibrate(_fold(noise_growth=0.0))
    assert growing.loc["smooth", "growth"] > 0
    assert steady.loc["smooth", "growth"] == 0
    assert 0.77 <= growing.loc["smooth", "coverage80"] <= 0.83
    index = variance_index(np.ones(3), np.array(["smooth"] * 3), growing.reset_index(), 28)
    quantiles = count_quantiles(np.full((3, 28), 50.0), index, np.ones(3, dtype=bool))
    p10, p90 = QUANTILE_COLUMNS.index("p10"), QUANTILE_COLUMNS.index("p90")
    width = quantiles[:, :, p90] - quantiles[:, :, p10]
    assert width[:, -1].mean() > 1.5 * width[:, 0].mean()
