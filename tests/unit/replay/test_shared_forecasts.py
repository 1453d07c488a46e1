"""A replay's forecasts shared between calls (``replay_forecast_cache``): the curve after a
replay, or a replay at another target, runs no forecast again and gives the same numbers."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from invdash.policy import calibration
from invdash.replay import (
    InvdashPolicyOptions,
    ReplayParams,
    compare_policies,
    fill_rate_curve,
    replay_forecast_cache,
)
from invdash.replay import forecasts as replay_forecasts

START = pd.Timestamp("2024-03-01")
OPTIONS = InvdashPolicyOptions(model="ma", calibration_origins=2)


def _sales() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    days = pd.date_range("2024-01-01", periods=110, freq="D")
    rates = [0.4, 3.0, 8.0]
    return pd.DataFrame(
        [(f"S-{i}", day, float(rng.poisson(r))) for i, r in enumerate(rates) for day in days],
        columns=["sku", "date", "qty"],
    )


@pytest.mark.parametrize("every", [None, 28])
def test_calls_sharing_a_cache_forecast_once_and_equal_unshared_calls(monkeypatch, every):
    sales, params = _sales(), ReplayParams(start=START, days=28, lead_time_days=3)
    options = replace(OPTIONS, choose_every_days=every)
    runs = []
    # The whole engine (ForecastCache) or the replay's fits (ReplayForecasts: choice or refit).
    module, name = (calibration, "run_forecast") if every is None else (
        replay_forecasts, "fit_and_assemble"
    )
    real = getattr(module, name)
    monkeypatch.setattr(module, name, lambda *a, **k: runs.append(1) or real(*a, **k))

    cache = replay_forecast_cache(sales, None, params=params, options=options)
    shared = compare_policies(sales, params=params, service_level=0.9, options=options, cache=cache)
    first = len(runs)
    assert first > 0
    curve = fill_rate_curve(
        sales, params=params, service_levels=(0.9, 0.97), options=options, cache=cache
    )
    again = compare_policies(sales, params=params, service_level=0.97, options=options, cache=cache)
    assert len(runs) == first, "no forecast runs again for the curve or another target"

    alone = compare_policies(sales, params=params, service_level=0.9, options=options)
    pd.testing.assert_frame_equal(shared.summary, alone.summary)
    at_97 = curve[np.isclose(curve["service_level"], 0.97)].drop(columns="service_level")
    pd.testing.assert_frame_equal(
        at_97.sort_values("policy").reset_index(drop=True),
        again.summary.sort_values("policy").reset_index(drop=True),
        check_dtype=False,
    )
