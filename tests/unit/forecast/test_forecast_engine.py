"""Backtest, fusion, calibration and the forecast run (the engine API the CLI and pages use)."""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd
import pytest

from invdash.demo import make_sales
from invdash.forecast.backtest import run_backtest
from invdash.forecast.engine import run_forecast
from invdash.forecast.fusion import choose_models
from invdash.forecast.models.baseline import MovingAverageForecaster, SeasonalNaiveForecaster
from invdash.forecast.models.statistical import ETSForecaster
from invdash.forecast.options import ForecastOptions
from invdash.forecast.registry import available_models
from invdash.forecast.results import ForecastRun
from invdash.schema import ConfigError, InvalidDataError, validate_forecasts

FAST = {"naive": SeasonalNaiveForecaster, "ma": MovingAverageForecaster, "ets": ETSForecaster}


@pytest.fixture(scope="module")
def demo_sales() -> pd.DataFrame:
    return make_sales(40, 400, seed=1)


@pytest.fixture(scope="module")
def demo_run(demo_sales) -> ForecastRun:
    return run_forecast(demo_sales, ForecastOptions(horizon=14))


def test_backtest_never_sees_the_days_after_its_origin(demo_sales):
    """Changing every day of the last test window leaves the earlier folds unchanged."""
    first = run_backtest(demo_sales, models=FAST, folds=2, horizon=14)
    tampered = demo_sales.copy()
    last_window = tampered["date"] > tampered["date"].max() - pd.Timedelta(days=14)
    tampered.loc[last_window, "qty"] *= 50
    second = run_backtest(tampered, models=FAST, folds=2, horizon=14)
    for name in FAST:
        np.testing.assert_array_equal(first.folds[0].means[name], second.folds[0].means[name])
        np.testing.assert_array_equal(first.folds[1].means[name], second.folds[1].means[name])
    assert first.folds[1].origin == demo_sales["date"].max() - pd.Timedelta(days=13)


def test_backtest_summary_has_every_model_and_class_all(demo_sales):
    result = run_backtest(demo_sales, models=FAST, folds=2, horizon=14)
    assert set(result.summary["model"]) == set(FAST)
    assert "all" in set(result.summary["demand_class"])
    assert list(result.summary.columns) == [
        "model",
        "demand_class",
        "n_skus",
        "mase",
        "rmsse",
        "wape",
        "bias",
        "spl",
        "coverage80",
    ]


def test_backtest_with_too_little_history_says_what_to_change(demo_sales):
    short = demo_sales[demo_sales["date"] < demo_sales["date"].min() + pd.Timedelta(days=50)]
    with pytest.raises(ConfigError, match="too few"):
        run_backtest(short, models=FAST, folds=3, horizon=28)


class _Oracle(MovingAverageForecaster):
    """Knows the true level of the constructed case (10 units a day)."""

    name = "oracle"

    def _fit_state(self, panel, deseason):  # noqa: ARG002
        return np.full(len(panel.skus), 10.0)


def test_fusion_picks_the_better_model_on_a_constructed_case():
    rng = np.random.default_rng(0)
    days = pd.date_range("2024-01-01", periods=200, freq="D")
    qty = np.r_[np.full(150, 40.0), rng.poisson(10, 50)].astype(float)  # level shift
    sales = pd.DataFrame({"sku": "A", "date": days, "qty": qty})
    models = {"ma": partial(MovingAverageForecaster, window_days=140), "oracle": _Oracle}
    result = run_backtest(sales, models=models, folds=2, horizon=14)
    choice = choose_models(result, max_members=1).iloc[0]
    assert choice["model"] == "oracle"
    assert "lowest backtest RMSSE" in choice["reason"]


def test_run_forecast_api_shape(demo_run, demo_sales):
    assert isinstance(demo_run, ForecastRun)
    validate_forecasts(demo_run.forecasts)
    counts = demo_run.forecasts.groupby("sku").size()
    assert (counts == 14).all() and len(counts) == demo_sales["sku"].nunique()
    assert list(demo_run.choices.columns) == ["sku", "model", "demand_class", "reason", "score"]
    assert demo_run.device == "cpu" and demo_run.model_param == "auto"
    chosen = demo_run.choices.set_index("sku")["model"]
    per_row = demo_run.forecasts.drop_duplicates("sku").set_index("sku")["model"]
    pd.testing.assert_series_equal(per_row.sort_index(), chosen.sort_index(), check_names=False)


def test_run_forecast_is_deterministic(demo_sales, demo_run):
    again = run_forecast(demo_sales, ForecastOptions(horizon=14))
    pd.testing.assert_frame_equal(again.forecasts, demo_run.forecasts)


def test_80_percent_interval_covers_about_80_percent_on_held_out_days(demo_sales):
    """Calibrated on inner folds, checked on the 28 days after the data the run saw."""
    cutoff = demo_sales["date"].max() - pd.Timedelta(days=28)
    result = run_forecast(demo_sales[demo_sales["date"] <= cutoff], ForecastOptions(horizon=28))
    merged = result.forecasts.merge(demo_sales, on=["sku", "date"])
    covered = ((merged["qty"] >= merged["p10"]) & (merged["qty"] <= merged["p90"])).mean()
    assert 0.72 <= covered <= 0.92


def test_single_model_and_sku_selection(demo_sales):
    skus = sorted(demo_sales["sku"].unique())[:2]
    result = run_forecast(demo_sales, ForecastOptions(horizon=7, model="ets", folds=0, skus=skus))
    assert set(result.forecasts["sku"]) == set(skus)
    assert set(result.forecasts["model"]) == {"ets"}


def test_new_skus_get_a_forecast_with_a_reason(demo_sales):
    end = demo_sales["date"].max()
    new = pd.DataFrame(
        {"sku": "NEW-1", "date": pd.date_range(end - pd.Timedelta(days=9), end), "qty": 3.0}
    )
    result = run_forecast(
        pd.concat([demo_sales, new], ignore_index=True), ForecastOptions(horizon=7)
    )
    row = result.choices.set_index("sku").loc["NEW-1"]
    assert row["demand_class"] == "new" and "new SKU" in row["reason"]
    assert result.forecasts.loc[result.forecasts["sku"] == "NEW-1", "mean"].sum() > 0


def test_unknown_model_and_sku_are_actionable_errors(demo_sales):
    with pytest.raises(ConfigError, match="unknown model 'prophet'"):
        run_forecast(demo_sales, ForecastOptions(model="prophet"))
    with pytest.raises(InvalidDataError, match="have no sales"):
        run_forecast(demo_sales, ForecastOptions(skus=["NOPE"]))
    assert available_models()[0] == "auto" and "ets" in available_models()


def test_progress_is_reported(demo_sales):
    calls = []
    run_forecast(
        demo_sales, ForecastOptions(horizon=7), progress=lambda d, t, m: calls.append((d, t, m))
    )
    assert calls and calls[-1][0] == calls[-1][1]


def test_run_round_trips_through_the_store(tmp_path, demo_run):
    from invdash import store
    from invdash.forecast.stored import load_latest_run, save_run
    from invdash.store.forecasts import list_runs

    conn = store.connect(tmp_path / "f.duckdb")
    try:
        run_id = save_run(conn, demo_run, data_version="v1")
        loaded = load_latest_run(conn, data_version="v1")
        assert loaded is not None and loaded.run_id == run_id
        assert load_latest_run(conn, data_version="v2") is None
        assert len(loaded.forecasts) == len(demo_run.forecasts)
        assert list_runs(conn)["run_id"].tolist() == [run_id]
        pd.testing.assert_frame_equal(
            loaded.forecasts.reset_index(drop=True),
            demo_run.forecasts.sort_values(["sku", "date"]).reset_index(drop=True),
            check_dtype=False,
        )
    finally:
        conn.close()


def test_a_stored_run_keeps_the_country_of_its_holidays_whatever_the_setting_now(
    tmp_path, demo_run, monkeypatch
):
    """Explanations refit a stored run with its own calendar: a run made without public
    holidays stays without them when the shop's country is set later, and a GB run stays GB."""
    from dataclasses import replace

    from invdash import store
    from invdash.forecast.stored import load_run, save_run

    monkeypatch.setenv("INVDASH_COUNTRY", "US")
    conn = store.connect(tmp_path / "f.duckdb")
    try:
        plain = save_run(conn, replace(demo_run, country=None), data_version="v1")
        british = save_run(conn, replace(demo_run, country="GB"), data_version="v1")
        assert load_run(conn, plain).country is None
        assert load_run(conn, british).country == "GB"
    finally:
        conn.close()


def test_new_and_unsold_skus_use_similar_products_when_names_are_given(demo_sales):
    end = demo_sales["date"].max()
    new = pd.DataFrame(
        {"sku": "NEW-1", "date": pd.date_range(end - pd.Timedelta(days=9), end), "qty": 3.0}
    )
    sales = pd.concat([demo_sales, new], ignore_index=True)
    skus = sorted(sales["sku"].unique())
    products = pd.DataFrame(
        {"sku": [*skus, "UNSOLD-1"], "name": [f"ceramic mug {i}" for i in range(len(skus) + 1)]}
    )
    result = run_forecast(sales, ForecastOptions(horizon=7, folds=2), products=products)
    choices = result.choices.set_index("sku")
    assert choices.loc["NEW-1", "model"] == "coldstart"
    assert choices.loc["UNSOLD-1", "demand_class"] == "new"
    assert (result.forecasts.groupby("sku").size() == 7).all()
    assert "UNSOLD-1" in set(result.forecasts["sku"])
    validate_forecasts(result.forecasts)
