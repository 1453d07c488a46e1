"""The replay's forecasts (``replay.forecasts``): models chosen at choice points, refitted
between, no sales on or after an origin used, every origin forecast before the day-by-day replay
with progress."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from invdash.forecast.engine import run_forecast
from invdash.forecast.options import ForecastOptions
from invdash.replay import InvdashPolicyOptions, ReplayParams, compare_policies, policies
from invdash.replay import forecasts as replay_forecasts
from invdash.replay.forecasts import ReplayForecasts, choice_run, replay_origins
from invdash.schema import ConfigError

START = pd.Timestamp("2024-04-01")


def _sales(n_days: int = 130, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    days = pd.date_range("2024-01-01", periods=n_days, freq="D")
    rates = [0.3, 2.0, 6.0, 12.0]
    return pd.DataFrame(
        [(f"S-{i}", day, float(rng.poisson(r))) for i, r in enumerate(rates) for day in days],
        columns=["sku", "date", "qty"],
    )


def test_a_choice_point_forecasts_exactly_as_run_forecast():
    history = _sales()
    history = history[history["date"] < START]
    engine = run_forecast(history, ForecastOptions(horizon=14, model="auto", folds=2))
    frame, choice = choice_run(history, None, START,
                               options=ForecastOptions(horizon=14, model="auto", folds=2))
    pd.testing.assert_frame_equal(
        frame.reset_index(drop=True), engine.forecasts.reset_index(drop=True)
    )
    assert list(choice.choices["model"]) == list(engine.choices["model"])


def test_origins_between_choice_points_refit_the_chosen_models(monkeypatch):
    sales = _sales()
    backtests = []
    real = replay_forecasts.backtest_panel
    monkeypatch.setattr(
        replay_forecasts, "backtest_panel", lambda *a, **k: backtests.append(1) or real(*a, **k)
    )
    cache = ReplayForecasts(None, model="auto", horizon=14, folds=2, anchor=START,
                            choose_every_days=14)
    origins = [START + pd.Timedelta(days=d) for d in (0, 3, 7, 13, 14, 20)]
    frames = {o: cache.forecasts(sales[sales["date"] < o], o) for o in origins}
    assert len(backtests) == 2, "one backtest per choice point (START and START + 14)"
    assert cache.counts == {"choice": 2, "refit": 4}
    assert [cache.choice_point(o) for o in origins] == [START] * 4 + [origins[4]] * 2
    chosen = frames[START].groupby("sku")["model"].first()
    for origin in origins[1:4]:
        frame = frames[origin]
        assert frame["date"].min() == origin, "a refit forecasts from its own origin"
        pd.testing.assert_series_equal(frame.groupby("sku")["model"].first(), chosen)
        both = frame.merge(frames[START], on=["sku", "date"], suffixes=("", "_start"))
        assert len(both) and not np.allclose(both["mean"], both["mean_start"]), (
            "the refit learnt from the days since the choice point"
        )


def _spy_levels(monkeypatch) -> list[dict[pd.Timestamp, pd.DataFrame]]:
    """Record the invdash policy's table on each review day (the real ``compute_policy``) into
    the last dict of the returned list (append one per replay)."""
    runs: list[dict[pd.Timestamp, pd.DataFrame]] = []
    real = policies.compute_policy

    def spy(*args, **kwargs):
        table = real(*args, **kwargs)
        runs[-1][pd.Timestamp(kwargs["as_of"]) + pd.Timedelta(days=1)] = table
        return table

    monkeypatch.setattr(policies, "compute_policy", spy)
    return runs


def test_a_decision_on_day_d_uses_no_sales_on_or_after_d(monkeypatch):
    sales = _sales()
    cutoff = START + pd.Timedelta(days=14)  # a review day, between two choice points
    changed = sales.copy()
    after = changed["date"] >= cutoff
    changed.loc[after, "qty"] = changed.loc[after, "qty"] * 5 + 7
    params = ReplayParams(start=START, days=28, review_period_days=7, lead_time_days=3)
    options = InvdashPolicyOptions(model="lgbm", folds=2, calibration_origins=2,
                                   choose_every_days=10)
    levels, caches = _spy_levels(monkeypatch), []
    for frame in (sales, changed):
        levels.append({})
        cache = policies.replay_forecast_cache(frame, None, params=params, options=options)
        compare_policies(frame, params=params, service_level=0.9, options=options, cache=cache)
        caches.append(cache)
    reviews = pd.date_range(START, periods=4, freq="7D")
    assert sorted(levels[0]) == list(reviews)
    for day in reviews[reviews <= cutoff]:
        pd.testing.assert_frame_equal(levels[0][day], levels[1][day])
    for origin in [o for o in caches[0]._forecasts if o <= cutoff]:
        pd.testing.assert_frame_equal(caches[0]._forecasts[origin], caches[1]._forecasts[origin])
    assert caches[0].counts["refit"] > 0 and caches[0].counts["choice"] > 1
    last = reviews[-1]
    assert not levels[0][last]["order_up_to"].equals(levels[1][last]["order_up_to"])


def test_every_origin_is_forecast_before_the_replay_with_progress(monkeypatch):
    sales = _sales()
    params = ReplayParams(start=START, days=21, review_period_days=7, lead_time_days=5)
    options = InvdashPolicyOptions(model="ma", folds=2, calibration_origins=3)
    cache = policies.replay_forecast_cache(sales, None, params=params, options=options)
    prepared = {}
    real = ReplayForecasts.prepare

    def prepare(self, *args, **kwargs):
        real(self, *args, **kwargs)
        prepared.update(self.counts)

    monkeypatch.setattr(ReplayForecasts, "prepare", prepare)
    messages: list[tuple[float, str]] = []
    compare_policies(sales, params=params, options=options, cache=cache,
                     progress=lambda f, m: messages.append((f, m)))
    assert prepared == cache.counts, "the replay asked for no origin that was not prepared"
    origins = replay_origins(params, pd.Series(12, index=["S-0"]), calibration_origins=3,
                             first_day=sales["date"].min())
    assert sum(cache.counts.values()) == len(origins)
    fractions = [f for f, _ in messages]
    assert fractions == sorted(fractions) and 0.0 <= fractions[0] and fractions[-1] == 1.0
    assert messages[0][1].startswith(f"invdash forecasts: forecast 1/{len(origins)} from")
    assert "choosing models" in messages[0][1]


def test_replay_origins_walks_the_calibration_origins():
    params = ReplayParams(start=pd.Timestamp("2024-03-01"), days=14, review_period_days=7)
    origins = replay_origins(params, pd.Series([8, 10], index=["a", "b"]),
                             calibration_origins=2, first_day=pd.Timestamp("2024-01-01"))
    assert origins == list(pd.to_datetime(
        ["2024-02-13", "2024-02-20", "2024-02-27", "2024-03-01", "2024-03-08"]
    ))


def test_choose_every_days_is_checked():
    with pytest.raises(ConfigError, match="choose_every_days"):
        InvdashPolicyOptions(choose_every_days=0)
    assert InvdashPolicyOptions(choose_every_days=None).choose_every_days is None
