"""Explanations that agree with themselves: every driver's words carry the sign and size of its
contribution; events, prices and the global model are explained additively; weekly and monthly
forecasts are explained in weeks and months; a global model's booster is trained once."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from invdash import explain
from invdash.demo import make_sales
from invdash.explain.drivers import DRIVERS, EVENT, PROMOTION, TREND, WEEKDAY
from invdash.forecast.engine import run_forecast
from invdash.forecast.grain import Grain, to_grain
from invdash.forecast.models.global_model import GlobalBoostForecaster
from invdash.forecast.options import ForecastOptions

_EFFECT = re.compile(r"(adds|takes off) (\d+) units over the (\d+) (day|week|month)s")


def _assert_consistent(explanation: explain.Explanation) -> set[str]:
    """Each driver's text names its own sign and rounded size; returns the drivers that moved."""
    rebuilt = explanation.base_value + explanation.contributions.sum(axis=1).to_numpy()
    np.testing.assert_allclose(rebuilt, explanation.forecast, atol=1e-3, rtol=1e-3)
    totals = explanation.contributions.sum(axis=0)
    moved = set()
    for driver, total in totals.items():
        text = explanation.feature_values[driver]
        found = _EFFECT.search(text)
        if abs(total) < 0.5:
            assert found is None and "less than 1 unit" in text, (driver, total, text)
            continue
        assert found is not None, (driver, total, text)
        assert found.group(1) == ("adds" if total > 0 else "takes off"), (driver, total, text)
        assert int(found.group(2)) == round(abs(total)), (driver, total, text)
        assert int(found.group(3)) == len(explanation.dates)
        moved.add(driver)
    return moved


def _events_case():
    days = pd.date_range("2024-01-01", periods=300)
    sale = [days[80], days[81], days[200], days[201]]
    planned = pd.date_range(days[-1] + pd.Timedelta(days=3), periods=2)
    rng = np.random.default_rng(4)
    rows = [(f"S{i}", d, float(rng.poisson(30.0 if (i == 0 and d in sale) else 8.0)))
            for i in range(5) for d in days]
    sales = pd.DataFrame(rows, columns=["sku", "date", "qty"])
    events = pd.DataFrame({"date": [*sale, *planned], "event": "Sale", "sku": "S0"})
    return sales, events, planned


def test_every_driver_type_says_its_own_sign_and_size():
    moved: set[str] = set()
    sales = make_sales(10, 420, seed=3)
    run = run_forecast(sales, ForecastOptions(horizon=14, seed=0))
    explainer = explain.ForecastExplainer(sales, run)
    for sku in run.choices["sku"]:
        moved |= _assert_consistent(explainer.explain(sku))
    days = pd.date_range("2024-01-01", periods=200)
    promo = np.zeros(200)
    promo[-30::3] = 1.0
    price = np.where(np.arange(200) % 40 == 5, 3.0, 5.0)  # price cuts, no promo flag
    qty = np.where(promo > 0, 30.0, 10.0) + np.where(price < 5, 12.0, 0.0) + np.arange(200) * 0.05
    priced = pd.DataFrame({"sku": "P-1", "date": days, "qty": qty, "price": price,
                           "promo": promo})
    run = run_forecast(priced, ForecastOptions(horizon=7, model="ma", folds=0))
    moved |= _assert_consistent(explain.explain_run(priced, run, sku="P-1"))
    sales, events, _ = _events_case()
    run = run_forecast(sales, ForecastOptions(horizon=7, model="ma", folds=0), events=events)
    moved |= _assert_consistent(explain.explain_run(sales, run, sku="S0", events=events))
    assert {PROMOTION, EVENT, TREND, WEEKDAY} <= moved
    assert len(moved) >= len(DRIVERS) - 1, moved


def test_a_planned_event_is_credited_to_the_event_driver_on_its_days():
    sales, events, planned = _events_case()
    run = run_forecast(sales, ForecastOptions(horizon=7, model="ets", folds=0), events=events)
    explanation = explain.explain_run(sales, run, sku="S0", events=events)
    on_days = explanation.contributions.loc[planned, EVENT]
    assert (on_days > 5).all(), on_days
    assert explanation.contributions[EVENT].drop(index=planned).abs().max() < 0.5
    other = explain.explain_run(sales, run, sku="S1", events=events)
    assert np.allclose(other.contributions[EVENT], 0.0)


def test_the_global_model_is_explained_additively_with_one_booster(monkeypatch):
    sales = make_sales(12, 300, seed=1)
    run = run_forecast(sales, ForecastOptions(horizon=14, model="lgbm", folds=0))
    trained = []
    original = GlobalBoostForecaster._train

    def counting(self, panel, h):
        trained.append(h)
        return original(self, panel, h)

    monkeypatch.setattr(GlobalBoostForecaster, "_train", counting)
    explainer = explain.ForecastExplainer(sales, run)
    for sku in run.choices["sku"][:4]:
        _assert_consistent(explainer.explain(sku))
    assert len(trained) == 1


@pytest.mark.parametrize(("grain", "unit"), [(Grain("W-MON"), "week"), (Grain("MS"), "month")])
def test_weekly_and_monthly_forecasts_are_explained_in_their_periods(grain, unit):
    sales = to_grain(make_sales(6, 900, seed=2), grain)
    run = run_forecast(sales, ForecastOptions(model="ets", folds=0))
    explanation = explain.explain_run(sales, run, sku=run.choices["sku"].iloc[0])
    _assert_consistent(explanation)
    assert explanation.dates.equals(pd.DatetimeIndex(explanation.dates))
    assert f"units/{unit}" in explanation.feature_values["recent level"]
    assert np.allclose(explanation.contributions[WEEKDAY], 0.0)


def test_the_global_model_is_explained_exactly_on_its_own_features():
    sales = make_sales(12, 300, seed=1)
    run = run_forecast(sales, ForecastOptions(horizon=14, model="lgbm", folds=0))
    explainer = explain.ForecastExplainer(sales, run)
    sku = run.choices["sku"].iloc[2]
    view = explain.explain_global_features(explainer, sku)
    rebuilt = view.base * np.exp(view.bias + view.log_contributions.sum(axis=1).to_numpy())
    np.testing.assert_allclose(rebuilt, view.forecast, rtol=1e-6)
    shown = run.forecasts[run.forecasts["sku"] == sku].sort_values("date")["mean"].to_numpy()
    np.testing.assert_allclose(view.forecast, shown, rtol=1e-6)  # lgbm alone: its own forecast
    factors = view.factors()
    assert set(factors.index) == set(view.log_contributions.columns)
    assert (factors > 0).all()
