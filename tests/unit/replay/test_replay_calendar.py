"""The forecasts behind a replay and the policy calibration see the calendar a stored forecast run
sees: the user events and the shop country's public holidays (``ForecastOptions.country``)."""

from __future__ import annotations

from dataclasses import replace

import duckdb
import numpy as np
import pandas as pd

from invdash import store
from invdash.forecast.engine import run_forecast
from invdash.forecast.options import ForecastOptions
from invdash.policy.calibration import ForecastCache
from invdash.reorder import runs as reorder_runs
from invdash.replay import InvdashPolicyOptions, ReplayParams, replay_forecast_cache
from invdash.replay import policies as replay_policies
from invdash.replay.forecasts import ReplayForecasts, choice_run

START = pd.Timestamp("2024-04-01")
#: A promotion every 10 days from 2024-01-05, past and planned (within 14 days of START too).
PROMO_DAYS = pd.date_range("2024-01-05", "2024-05-01", freq="10D")
EVENTS = pd.DataFrame({"date": PROMO_DAYS, "event": "promo"})
OPTIONS = ForecastOptions(horizon=14, model="auto", folds=2, country="GB")


def _sales(n_days: int = 130) -> pd.DataFrame:
    """Three SKUs selling four times their rate on promotion days."""
    rng = np.random.default_rng(7)
    days = pd.date_range("2024-01-01", periods=n_days, freq="D")
    lift = np.where(days.isin(PROMO_DAYS), 4.0, 1.0)
    rows = [
        (f"S-{i}", day, float(rng.poisson(rate * boost)))
        for i, rate in enumerate((3.0, 6.0, 10.0)) for day, boost in zip(days, lift, strict=True)
    ]
    return pd.DataFrame(rows, columns=["sku", "date", "qty"])


def _history(origin: pd.Timestamp = START) -> pd.DataFrame:
    sales = _sales()
    return sales[sales["date"] < origin].reset_index(drop=True)


def _promo_mean(forecasts: pd.DataFrame) -> float:
    return float(forecasts.loc[pd.to_datetime(forecasts["date"]).isin(PROMO_DAYS), "mean"].sum())


def test_a_choice_point_forecasts_as_a_run_with_the_same_calendar():
    engine = run_forecast(_history(), OPTIONS, events=EVENTS)
    frame, _ = choice_run(_history(), None, START, options=OPTIONS, events=EVENTS)
    pd.testing.assert_frame_equal(
        frame.reset_index(drop=True), engine.forecasts.reset_index(drop=True)
    )
    plain = run_forecast(_history(), replace(OPTIONS, country=None))
    assert _promo_mean(frame) > 1.5 * _promo_mean(plain.forecasts), "the planned promos count"


def test_the_calibration_cache_forecasts_as_the_stored_run():
    cache = ForecastCache(None, model="auto", horizon=14, folds=2, country="GB", events=EVENTS)
    assert cache.options() == OPTIONS
    engine = run_forecast(_history(), OPTIONS, events=EVENTS)
    pd.testing.assert_frame_equal(cache.forecasts(_history(), START), engine.forecasts)


def test_refits_between_choice_points_see_the_planned_events():
    origin = START + pd.Timedelta(days=3)
    made = {}
    for name, events in (("calendar", EVENTS), ("none", None)):
        cache = ReplayForecasts(None, model="auto", horizon=14, folds=2, country="GB",
                                events=events, anchor=START, choose_every_days=14)
        cache.forecasts(_history(START), START)
        made[name] = cache.forecasts(_history(origin), origin)
        assert cache.counts == {"choice": 1, "refit": 1}
    assert _promo_mean(made["calendar"]) > 1.5 * _promo_mean(made["none"])


def test_a_replay_cache_takes_the_options_calendar():
    params = ReplayParams(start=START, days=14, lead_time_days=3)
    options = InvdashPolicyOptions(folds=2, country="DE", events=EVENTS)
    cache = replay_forecast_cache(_sales(), None, params=params, options=options)
    assert cache.country == "DE"
    pd.testing.assert_frame_equal(cache.events, EVENTS)


def _shop(monkeypatch) -> duckdb.DuckDBPyConnection:
    monkeypatch.setenv("INVDASH_COUNTRY", "DE")
    conn = duckdb.connect(":memory:")
    store.migrate(conn)
    conn.execute("INSERT INTO events VALUES ('2024-04-05', 'promo', NULL, NULL)")
    return conn


def test_store_replays_use_the_shop_country_and_stored_events(monkeypatch):
    conn = _shop(monkeypatch)
    options = replay_policies.store_policy_options(conn, "auto", calibration_origins=2)
    assert (options.country, options.calibration_origins) == ("DE", 2)
    assert list(options.events["event"]) == ["promo"]


def test_rerun_calibration_forecasts_with_the_shop_calendar(monkeypatch):
    conn = _shop(monkeypatch)
    seen = []
    real = reorder_runs.ForecastCache

    class Recording(real):
        def forecasts(self, history, as_of):
            seen.append((self.options().country, list(self.events["event"])))
            return super().forecasts(history, as_of)

    monkeypatch.setattr(reorder_runs, "ForecastCache", Recording)
    monkeypatch.setattr(reorder_runs.store, "load_sales", lambda _conn: _history())
    monkeypatch.setattr(reorder_runs.store, "load_products", lambda _conn: pd.DataFrame(
        {"sku": ["S-0", "S-1", "S-2"], "lead_time_days": 3.0}))
    reorder_runs.rerun_calibration(conn, reorder_runs.PolicyParams(), origins=1)
    assert seen and set(map(str, seen)) == {str(("DE", ["promo"]))}
