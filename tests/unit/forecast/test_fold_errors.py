"""The fold forecasts kept for the calibration are honest: fold k's candidate is chosen on the
other folds, so a model that only looks good on fold k does not hide fold k's error."""

from __future__ import annotations

import numpy as np
import pandas as pd

from invdash.forecast.fold_errors import fold_errors
from invdash.forecast.fusion import choose_models
from invdash.forecast.results import BacktestFold, BacktestResult

H = 4


def _backtest() -> BacktestResult:
    """One SKU selling 10 a day. Model ``a`` is perfect on fold 0 and 1.8 too high on folds 1
    and 2 (mean error 1.2); model ``b`` is 1.5 too high everywhere. On all folds ``a`` wins;
    without fold 0, ``b`` does."""
    folds = []
    for k, a_level in enumerate((10.0, 11.8, 11.8)):
        folds.append(BacktestFold(
            origin=pd.Timestamp("2024-01-01") + pd.Timedelta(days=H * k),
            skus=np.array(["S"]), actual=np.full((1, H), 10.0), scale_abs=np.ones(1),
            scale_sq=np.ones(1), dispersion=np.full(1, 2.0),
            means={"a": np.full((1, H), a_level), "b": np.full((1, H), 11.5)},
            integer_rows=np.array([True]),
        ))
    classes = pd.DataFrame({"sku": ["S"], "adi": [1.0], "cv2": [0.1], "demand_class": ["smooth"]})
    return BacktestResult(pd.DataFrame(), pd.DataFrame(), tuple(folds), classes)


def test_each_fold_uses_the_candidate_chosen_on_the_other_folds():
    backtest = _backtest()
    choices = choose_models(backtest)
    assert choices.loc[0, "model"] == "a", "in sample, a wins"
    spreads = pd.DataFrame({"demand_class": ["all"], "spread": [1.0], "growth": [0.0]})
    rows = fold_errors(backtest, choices, spreads, model="auto")
    assert rows is not None
    assert list(rows.fold) == [0, 1, 2]
    # fold 0: b, chosen on folds 1 and 2 (the run's own choice a would show no error at all)
    np.testing.assert_allclose(rows.mean[0], 11.5)
    assert np.all(rows.mean[1] != 10.0) and np.all(rows.mean[2] != 10.0)
    np.testing.assert_allclose(rows.actual, 10.0)
    # variance index 2 x spread 1: twice the mean (above the Poisson floor)
    np.testing.assert_allclose(rows.variance, 2 * rows.mean, rtol=1e-6)
    fixed = fold_errors(backtest, choices, spreads, model="a")
    assert fixed is not None
    np.testing.assert_allclose(fixed.mean[0], 10.0)  # one model for every SKU: no choice
