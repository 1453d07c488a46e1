"""Grain: detection (daily, weekly at any anchor, monthly start or end), refusal of mixed grains,
forecasts at the grain (dates on the grain, horizon in periods), aggregation on request."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from invdash.forecast.engine import run_forecast
from invdash.forecast.grain import Grain, detect_grain, resolve_grain, to_grain
from invdash.forecast.options import ForecastOptions
from invdash.schema import ConfigError, InvalidDataError
from invdash.store import fill_missing_days


def _series(dates: pd.DatetimeIndex, n_skus: int = 6, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frames = [
        pd.DataFrame({"sku": f"S{k}", "date": dates,
                      "qty": rng.poisson(20 + 5 * k, len(dates)).astype(float) + 1})
        for k in range(n_skus)
    ]
    return pd.concat(frames, ignore_index=True)


def test_detects_daily_weekly_and_monthly_anchors():
    assert detect_grain(_series(pd.date_range("2024-01-01", periods=60))).freq == "D"
    weds = pd.date_range("2024-01-03", periods=30, freq="W-WED")
    assert detect_grain(_series(weds)) == Grain("W-WED")
    assert detect_grain(_series(pd.date_range("2020-01-01", periods=30, freq="MS"))).freq == "MS"
    assert detect_grain(_series(pd.date_range("2020-01-31", periods=30, freq="ME"))).freq == "ME"


def test_store_filler_days_do_not_hide_a_weekly_grain():
    weekly = _series(pd.date_range("2024-01-07", periods=40, freq="W-SUN"))
    filled = fill_missing_days(weekly)
    assert len(filled) > 6 * len(weekly)  # the store's daily zero filler
    assert detect_grain(filled) == Grain("W-SUN")
    pd.testing.assert_frame_equal(
        to_grain(filled, Grain("W-SUN"))[["sku", "date", "qty"]],
        weekly.sort_values(["sku", "date"]).reset_index(drop=True),
    )


def test_mixed_grains_are_refused_naming_rows_of_each():
    weekly = _series(pd.date_range("2024-01-01", periods=30, freq="W-MON"), n_skus=4)
    daily = _series(pd.date_range("2024-03-05", periods=5), n_skus=1).assign(sku="D1")
    with pytest.raises(InvalidDataError, match="mixes grains") as err:
        detect_grain(pd.concat([weekly, daily], ignore_index=True))
    assert "S0 on 2024-01-01" in str(err.value) and "D1 on 2024-03-05" in str(err.value)


def test_weekly_forecast_dates_lie_on_the_grain_and_horizon_counts_weeks():
    dates = pd.date_range("2022-01-05", periods=120, freq="W-WED")
    run = run_forecast(_series(dates), ForecastOptions(horizon=8, folds=2))
    assert run.freq == "W-WED" and run.horizon == 8
    for _, rows in run.forecasts.groupby("sku"):
        expected = pd.date_range(dates[-1], periods=9, freq="W-WED")[1:]
        assert list(pd.to_datetime(rows["date"])) == list(expected)


def test_monthly_month_end_forecast_and_default_horizon():
    dates = pd.date_range("2015-01-31", periods=60, freq="ME")
    run = run_forecast(_series(dates), ForecastOptions(folds=2))
    assert run.freq == "ME" and run.horizon == 12
    got = pd.to_datetime(run.forecasts["date"])
    assert got.dt.is_month_end.all() and got.min() == pd.Timestamp("2020-01-31")
    # A level of about 20-45 units a month stays monthly, not a daily 1/30 of it.
    assert run.forecasts.groupby("sku")["mean"].mean().between(15, 60).all()


def test_forced_weekly_aggregates_daily_sales_and_refuses_a_finer_grain():
    daily = _series(pd.date_range("2024-01-01", periods=70), n_skus=2)  # Monday..Sunday x 10
    assert resolve_grain(daily, "W") == Grain("W-MON")
    weekly = to_grain(daily, Grain("W-MON"))
    assert len(weekly) == 20
    assert weekly["qty"].sum() == pytest.approx(daily["qty"].sum())
    monthly = _series(pd.date_range("2020-01-01", periods=30, freq="MS"))
    with pytest.raises(ConfigError, match="finer grain"):
        resolve_grain(monthly, "D")


def test_cli_forecasts_a_weekly_csv_in_weeks_and_aggregates_with_freq(tmp_path):
    from invdash.cli import main

    dates = pd.date_range("2023-01-02", periods=60, freq="W-MON")
    path = tmp_path / "weekly.csv"
    _series(dates).assign(date=lambda f: f["date"].dt.strftime("%Y-%m-%d")).to_csv(
        path, index=False)
    out = tmp_path / "out.csv"
    assert main(["forecast", "--csv", str(path), "--horizon", "3", "--out", str(out),
                 "--quiet", "--folds", "2"]) == 0
    got = pd.read_csv(out, parse_dates=["date"])
    assert set(got["date"]) == set(pd.date_range(dates[-1], periods=4, freq="W-MON")[1:])
    assert main(["forecast", "--csv", str(path), "--horizon", "2", "--out", str(out),
                 "--quiet", "--freq", "M", "--folds", "1"]) == 0
    monthly = pd.read_csv(out, parse_dates=["date"])
    assert monthly["date"].dt.is_month_start.all() and monthly["mean"].mean() > 60
