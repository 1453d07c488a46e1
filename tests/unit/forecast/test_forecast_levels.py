"""Quantile levels recalibrated on earlier folds give calibrated intervals on a later fold."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from invdash.forecast.backtest import BacktestFold, BacktestResult
from invdash.forecast.levels import gamma_quantiles_at, keep_model_tails, level_map, pit_bounds
from invdash.forecast.quantiles import calibrate_spread, calibrated_quantiles
from invdash.schema import QUANTILE_COLUMNS, QUANTILES

P10, P90 = QUANTILE_COLUMNS.index("p10"), QUANTILE_COLUMNS.index("p90")
P95, P99 = QUANTILE_COLUMNS.index("p95"), QUANTILE_COLUMNS.index("p99")


def _actuals(kind: str, mean: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Demand the gamma model misjudges: heavy-tailed (lognormal level) or plain Poisson."""
    if kind == "heavy":  # continuous, lognormal noise: a heavier right tail than any gamma
        return mean * rng.lognormal(-0.18, 0.6, mean.shape)
    return rng.poisson(mean).astype(float)


def _fold(kind: str, seed: int, mean_level: float, n: int = 300, h: int = 14) -> BacktestFold:
    rng = np.random.default_rng(seed)
    mean = np.full((n, h), mean_level) * rng.uniform(0.5, 1.5, (n, 1))
    return BacktestFold(
        origin=pd.Timestamp("2024-01-01") + pd.Timedelta(days=14 * seed),
        skus=np.array([f"S{i:03d}" for i in range(n)]), actual=_actuals(kind, mean, rng),
        scale_abs=np.full(n, mean_level / 2), scale_sq=np.full(n, mean_level),
        dispersion=np.ones(n), means={"ma": mean}, integer_rows=np.full(n, kind != "heavy"),
    )


def _calibrate(folds: tuple[BacktestFold, ...]) -> pd.DataFrame:
    skus = folds[0].skus
    choices = pd.DataFrame({"sku": skus, "model": "ma", "members": [("ma",)] * len(skus),
                            "demand_class": "erratic"})
    backtest = BacktestResult(per_sku=pd.DataFrame(), summary=pd.DataFrame(), folds=folds,
                              classes=choices[["sku", "demand_class"]])
    return calibrate_spread(backtest, choices)


def _coverage(table: pd.DataFrame, fold: BacktestFold) -> tuple[float, float, float]:
    mean = fold.means["ma"]
    quantiles = calibrated_quantiles(mean, fold.dispersion, np.array(["erratic"] * len(mean)),
                                     table, fold.integer_rows)
    y = fold.actual
    inside = (y >= quantiles[:, :, P10]) & (y <= quantiles[:, :, P90])
    return inside.mean(), (y <= quantiles[:, :, P95]).mean(), (y <= quantiles[:, :, P99]).mean()


@pytest.mark.parametrize(("kind", "mean_level"), [("heavy", 40.0), ("poisson", 2.0)])
def test_intervals_calibrated_on_earlier_folds_cover_on_a_later_one(kind, mean_level):
    """Fitted on two folds, checked on a third drawn afresh: the 80 % interval (whole-unit ends
    counted as inside for the Poisson counts) covers 0.77-0.83."""
    table = _calibrate((_fold(kind, 1, mean_level), _fold(kind, 2, mean_level)))
    cover80, _, _ = _coverage(table, _fold(kind, 3, mean_level))
    assert 0.77 <= cover80 <= 0.83


def test_p95_and_p99_stay_the_model_gammas_own():
    """The map moves the interval levels only: p95 and p99 (what the policy fits its daily
    gamma to) are the spread's gamma quantiles (within the 0.5 % of the level table) or the
    mapped p90 where that lies higher; the p99 of
    the heavy-tailed data then covers less than 99 % a day, which the policy's own tail fit
    over lead time + review takes up (``policy.calibration.tail_level_cv``)."""
    table = _calibrate((_fold("heavy", 1, 40.0), _fold("heavy", 2, 40.0)))
    fold = _fold("heavy", 3, 40.0)
    classes = np.array(["erratic"] * len(fold.skus))
    mapped = calibrated_quantiles(fold.means["ma"], fold.dispersion, classes, table,
                                  fold.integer_rows)
    plain = calibrated_quantiles(fold.means["ma"], fold.dispersion, classes,
                                 table.drop(columns=["levels", "level_horizon"]),
                                 fold.integer_rows)
    assert mapped[:, :, P99] == pytest.approx(plain[:, :, P99], rel=0.005)
    # here the mapped p90 lies above the gamma's p95: p95 is lifted to it, the columns ordered
    lifted = np.maximum(plain[:, :, P95], mapped[:, :, P90])
    assert mapped[:, :, P95] == pytest.approx(lifted, rel=0.005)
    assert not np.allclose(mapped[:, :, P10], plain[:, :, P10], rtol=0.01)


def test_tail_levels_go_back_to_nominal_and_stay_ordered():
    levels = np.array([[0.07, 0.17, 0.37, 0.57, 0.81, 0.91, 0.96, 0.998],
                       [0.01, 0.03, 0.2, 0.5, 0.8, 0.97, 0.98, 0.999]])
    kept = keep_model_tails(levels)
    assert kept[0] == pytest.approx([0.05, 0.17, 0.37, 0.57, 0.81, 0.91, 0.95, 0.99])
    assert kept[1] == pytest.approx([0.03, 0.03, 0.2, 0.5, 0.8, 0.97, 0.97, 0.99])


def test_without_level_recalibration_the_heavy_tail_is_missed():
    """The same data through the spread alone (the levels dropped): the 80 % interval is off
    the band, so the coverage test above can fail."""
    table = _calibrate((_fold("heavy", 1, 40.0), _fold("heavy", 2, 40.0)))
    cover80, _, _ = _coverage(table.drop(columns=["levels", "level_horizon"]),
                              _fold("heavy", 3, 40.0))
    assert not 0.77 <= cover80 <= 0.83


def test_uniform_pits_keep_the_nominal_levels():
    pits = (np.arange(20_000) + 0.5) / 20_000
    assert level_map(pits, pits) == pytest.approx(np.asarray(QUANTILES), abs=1e-3)


def test_pit_of_a_count_spans_its_probability_mass():
    lower, upper = pit_bounds(np.array([[0.0, 3.0]]), np.array([[2.0, 2.0]]), np.ones((1, 2)),
                              np.array([True]))
    assert lower[0, 0] == 0.0 and 0.0 < upper[0, 0] < lower[0, 1] < upper[0, 1] < 1.0


def test_table_gamma_quantiles_match_scipy():
    from scipy import special

    mean = np.array([[0.3, 5.0, 80.0]])
    levels = np.broadcast_to(np.array([0.02, 0.4, 0.93]), (1, 3, 3))
    got = gamma_quantiles_at(mean, np.full((1, 3), 2.0), levels)
    shape = mean[..., None] / 2.0
    expected = special.gammaincinv(shape, levels) * 2.0
    assert got == pytest.approx(expected, rel=0.01, abs=1e-6)
