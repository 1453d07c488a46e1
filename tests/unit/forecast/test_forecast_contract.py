"""One contract suite for every forecaster in the registry (like sklearn's parametrize_with_checks).

Every model: fit returns self; same seed, same output; the output passes ``validate_forecasts``;
no negatives; quantiles never cross; ``h`` rows per SKU on consecutive days after each SKU's last
date; predict before fit raises ``NotFittedError``; the input frame is not mutated. The neural
model runs a tiny randomly initialised config on CPU.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from invdash.demo import make_sales
from invdash.forecast.registry import MODELS
from invdash.schema import FORECAST_COLUMNS, QUANTILE_COLUMNS, NotFittedError, validate_forecasts

H = 10
TINY = {
    "neural": {"context_days": 28, "horizon_days": 7, "d_model": 16, "n_layers": 1,
               "n_heads": 2, "max_epochs": 1, "windows_per_epoch": 64, "batch_size": 32},
    "arima": {"fit_days": 60},
}


def make_model(name: str):
    return MODELS[name](seed=0, **TINY.get(name, {}))


@pytest.fixture(scope="module")
def sales() -> pd.DataFrame:
    return make_sales(5, 70, seed=3)


@pytest.fixture(scope="module")
def products(sales) -> pd.DataFrame:
    skus = sorted(sales["sku"].unique())
    return pd.DataFrame({"sku": skus, "name": [f"blue mug {i}" for i in range(len(skus))],
                         "category": "kitchen"})


@pytest.fixture(scope="module")
def fitted_outputs(sales, products) -> dict:
    outputs = {}
    for name in MODELS:
        frame = sales.copy()
        model = make_model(name)
        returned = model.fit(frame, products=products)
        outputs[name] = (model, returned, frame, model.predict(H))
    return outputs


@pytest.mark.parametrize("name", list(MODELS))
def test_fit_returns_self(name, fitted_outputs):
    model, returned, _, _ = fitted_outputs[name]
    assert returned is model


@pytest.mark.parametrize("name", list(MODELS))
def test_output_schema_and_values(name, fitted_outputs):
    forecasts = fitted_outputs[name][3]
    validate_forecasts(forecasts)
    assert list(forecasts.columns) == list(FORECAST_COLUMNS)
    assert (forecasts[["mean", *QUANTILE_COLUMNS]].to_numpy() >= 0).all()
    quantiles = forecasts[list(QUANTILE_COLUMNS)].to_numpy()
    assert (np.diff(quantiles, axis=1) >= -1e-9).all()


@pytest.mark.parametrize("name", list(MODELS))
def test_h_consecutive_days_after_each_skus_last_date(name, fitted_outputs, sales):
    forecasts = fitted_outputs[name][3]
    last = sales.groupby("sku")["date"].max()
    assert set(forecasts["sku"]) == set(last.index)
    for sku, rows in forecasts.groupby("sku"):
        expected = pd.date_range(last[sku] + pd.Timedelta(days=1), periods=H, freq="D")
        assert list(pd.to_datetime(rows["date"])) == list(expected)


@pytest.mark.parametrize("name", list(MODELS))
def test_same_seed_same_output(name, fitted_outputs, sales, products):
    again = make_model(name).fit(sales.copy(), products=products).predict(H)
    pd.testing.assert_frame_equal(again, fitted_outputs[name][3])


@pytest.mark.parametrize("name", list(MODELS))
def test_input_frame_not_mutated(name, fitted_outputs, sales):
    pd.testing.assert_frame_equal(fitted_outputs[name][2], sales)


@pytest.mark.parametrize("name", list(MODELS))
def test_predict_before_fit_raises(name):
    with pytest.raises(NotFittedError, match="not fitted yet"):
        make_model(name).predict(H)


@pytest.mark.parametrize("name", [n for n in MODELS if n not in ("neural", "coldstart")])
def test_stockout_days_are_not_zero_demand(name):
    days = pd.date_range("2024-01-01", periods=84, freq="D")
    qty = np.where(np.arange(84) >= 56, 0.0, 10.0)
    sales = pd.DataFrame({"sku": "A", "date": days, "qty": qty, "stockout": np.arange(84) >= 56})
    forecasts = make_model(name).fit(sales).predict(7)
    assert forecasts["mean"].mean() > 5.0
