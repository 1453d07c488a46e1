"""The global neural forecaster: contract, determinism, covariates, censoring, devices.

Tiny configurations keep every fit to a second or two on 2 CPU cores.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from invdash.forecast.models.neural import GlobalNeuralForecaster
from invdash.forecast.models.neural_data import build_panel, future_covariates
from invdash.schema import (
    FORECAST_COLUMNS,
    QUANTILE_COLUMNS,
    ConfigError,
    NotFittedError,
    validate_forecasts,
)

TINY = {
    "context_days": 28, "horizon_days": 14, "d_model": 16, "n_layers": 1, "n_heads": 2,
    "max_epochs": 2, "windows_per_epoch": 512, "batch_size": 128, "learning_rate": 1e-2,
}


def promo_sales(n_skus: int = 24, n_days: int = 140, seed: int = 0, lift: float = 3.0):
    """Poisson demand with a weekly pattern; promo days (10 %) multiply demand by ``lift``."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2024-01-01", periods=n_days, freq="D")
    level = np.exp(rng.normal(1.5, 0.6, n_skus))[:, None]
    weekly = 1.0 + 0.3 * np.sin(2 * np.pi * dates.dayofweek.to_numpy()[None, :] / 7)
    promo = (rng.random((n_skus, n_days)) < 0.1).astype(float)
    qty = rng.poisson(level * weekly * (1.0 + (lift - 1.0) * promo)).astype(float)
    return pd.DataFrame({
        "sku": np.repeat([f"S{i:02d}" for i in range(n_skus)], n_days),
        "date": np.tile(dates, n_skus), "qty": qty.ravel(), "price": 10.0,
        "promo": promo.ravel(), "stockout": False,
    })


@pytest.fixture(scope="module")
def sales() -> pd.DataFrame:
    return promo_sales()


@pytest.fixture(scope="module")
def fitted(sales) -> GlobalNeuralForecaster:
    return GlobalNeuralForecaster(seed=0, **TINY).fit(sales)


def test_fit_returns_self(sales):
    model = GlobalNeuralForecaster(seed=0, **TINY)
    assert model.fit(sales) is model
    assert model.device_ == "cpu"
    assert len(model.train_loss_) == TINY["max_epochs"]


def test_forecast_contract(fitted, sales):
    forecasts = fitted.predict(10)
    validate_forecasts(forecasts)
    assert list(forecasts.columns) == list(FORECAST_COLUMNS)
    assert (forecasts.groupby("sku").size() == 10).all()
    assert set(forecasts["sku"]) == set(sales["sku"])
    assert (forecasts["model"] == "neural").all()
    values = forecasts[["mean", *QUANTILE_COLUMNS]].to_numpy()
    assert (values >= 0).all()
    assert (np.diff(forecasts[list(QUANTILE_COLUMNS)].to_numpy(), axis=1) >= 0).all()
    first = forecasts.groupby("sku")["date"].min()
    assert (first == sales["date"].max() + pd.Timedelta(days=1)).all()


def test_predict_before_fit_raises():
    with pytest.raises(NotFittedError, match="not fitted yet"):
        GlobalNeuralForecaster(**TINY).predict(7)


def test_same_seed_same_output_on_cpu(sales, fitted):
    again = GlobalNeuralForecaster(seed=0, **TINY).fit(sales)
    pd.testing.assert_frame_equal(fitted.predict(14), again.predict(14))
    other = GlobalNeuralForecaster(seed=1, **TINY).fit(sales)
    assert not np.allclose(fitted.predict(14)["mean"], other.predict(14)["mean"])


def test_fit_does_not_mutate_sales(sales):
    before = sales.copy()
    GlobalNeuralForecaster(**{**TINY, "max_epochs": 1}).fit(sales)
    pd.testing.assert_frame_equal(sales, before)


def test_horizon_beyond_training_repeats_last_week(fitted):
    forecasts = fitted.predict(30)
    assert (forecasts.groupby("sku").size() == 30).all()
    one = forecasts[forecasts["sku"] == "S00"]["mean"].to_numpy()
    np.testing.assert_allclose(one[14:21], one[7:14])
    np.testing.assert_allclose(one[21:28], one[7:14])


def test_new_sku_with_short_history_is_forecast(sales):
    late = sales[(sales["sku"] == "S00")].tail(10).assign(sku="NEW")
    model = GlobalNeuralForecaster(**TINY).fit(pd.concat([sales, late], ignore_index=True))
    forecasts = model.predict(7)
    assert (forecasts["sku"] == "NEW").sum() == 7


def test_bad_context_days_is_a_config_error(sales):
    with pytest.raises(ConfigError, match="context_days must be a multiple of 7"):
        GlobalNeuralForecaster(**{**TINY, "context_days": 30}).fit(sales)


def test_promotion_in_future_raises_the_forecast():
    """Trained where promotions triple demand, a promo in ``future`` lifts the forecast."""
    sales = promo_sales(n_skus=40, n_days=168, lift=3.0)
    params = {**TINY, "d_model": 32, "max_epochs": 4, "windows_per_epoch": 2048}
    model = GlobalNeuralForecaster(seed=0, **params).fit(sales)
    plain = model.predict(7)
    future = plain[["sku", "date"]].assign(promo=1.0, price=10.0)
    promoted = model.predict(7, future=future)
    assert promoted["mean"].sum() > 1.5 * plain["mean"].sum()


def test_stockout_days_are_censored_not_zero_demand():
    """Zero sales on stock-out days do not drag the forecast to zero."""
    sales = promo_sales(n_skus=24, n_days=140, lift=1.0)
    last_weeks = sales["date"] > sales["date"].max() - pd.Timedelta(days=14)
    hit = last_weeks & (sales["sku"] == "S03")
    censored = sales.assign(qty=sales["qty"].where(~hit, 0.0), stockout=hit)
    as_zero = censored.assign(stockout=False)
    model = GlobalNeuralForecaster(seed=0, **TINY)
    with_censoring = model.fit(censored).predict(7)
    without = GlobalNeuralForecaster(seed=0, **TINY).fit(as_zero).predict(7)
    level = sales[(sales["sku"] == "S03") & ~last_weeks]["qty"].mean()
    censored_mean = with_censoring[with_censoring["sku"] == "S03"]["mean"].mean()
    zero_mean = without[without["sku"] == "S03"]["mean"].mean()
    assert censored_mean > 0.5 * level
    assert censored_mean > 1.4 * zero_mean


def test_panel_marks_stockouts_unobserved(tiny_sales):
    frame = tiny_sales.assign(stockout=False)
    frame.loc[frame.index[0], "stockout"] = True
    panel = build_panel(frame)
    assert panel.values[0, 0, 1] == 0.0
    assert panel.values[0, 0, 0] == 0.0
    assert panel.values[0, 4, 1] == 0.0  # A-1's missing day 2024-03-05 is unobserved too
    assert panel.values[2, 9, 2] == 1.0  # C-3's promo day


def test_future_covariates_default_and_given(tiny_sales):
    panel = build_panel(tiny_sales)
    default = future_covariates(panel, 3, None)
    assert default.shape == (3, 3, 2)
    assert (default[..., 0] == 0).all()
    future = pd.DataFrame({
        "sku": ["C-3"], "date": [pd.Timestamp("2024-03-16")], "promo": [1.0], "price": [3.0],
    })
    given = future_covariates(panel, 3, future)
    assert given[2, 1, 0] == 1.0
    assert given[2, 1, 1] == pytest.approx(np.log(0.5))
    assert given[2, 0, 0] == 0.0


def test_title_embeddings_as_static_feature(sales):
    names = {f"S{i:02d}": ("Ceramic Mug" if i % 2 else "Garden Hose") for i in range(24)}
    products = pd.DataFrame({"sku": list(names), "name": list(names.values()),
                             "category": ["kitchen" if i % 2 else "garden" for i in range(24)]})
    model = GlobalNeuralForecaster(**{**TINY, "max_epochs": 1}, use_text=True)
    forecasts = model.fit(sales, products=products).predict(7)
    validate_forecasts(forecasts)
    assert model.categories_ == ["garden", "kitchen"]


@pytest.mark.gpu
def test_trains_and_predicts_on_cuda(sales):
    model = GlobalNeuralForecaster(**TINY).fit(sales)
    assert model.device_.startswith("cuda")
    validate_forecasts(model.predict(14))
