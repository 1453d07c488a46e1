"""User events (``date, event[, sku | category]``): validation and their effect on forecasts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from invdash.forecast.calendar import validate_events
from invdash.forecast.engine import run_forecast
from invdash.forecast.options import ForecastOptions
from invdash.schema import InvalidDataError

DAYS = pd.date_range("2024-01-01", periods=300)
SALE_DAYS = [DAYS[80], DAYS[81], DAYS[82], DAYS[200], DAYS[201], DAYS[202]]
PLANNED = pd.date_range(DAYS[-1] + pd.Timedelta(days=6), periods=3)
PRODUCTS = pd.DataFrame({
    "sku": [f"S{i}" for i in range(8)],
    "category": ["garden"] * 4 + ["kitchen"] * 4,
})


def _sales(seed: int = 0) -> pd.DataFrame:
    """8 SKUs x 300 days, Poisson(8); garden SKUs sell 3x on the past summer-sale days."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(8):
        for day in DAYS:
            mean = 8.0 * (3.0 if i < 4 and day in SALE_DAYS else 1.0)
            rows.append((f"S{i}", day, float(rng.poisson(mean))))
    return pd.DataFrame(rows, columns=["sku", "date", "qty"])


def _events(scope: dict) -> pd.DataFrame:
    days = [*SALE_DAYS, *PLANNED]
    return pd.DataFrame({"date": days, "event": "Summer sale", **{k: v for k, v in scope.items()}})


def _forecast(events: pd.DataFrame | None, model: str) -> pd.DataFrame:
    run = run_forecast(_sales(), ForecastOptions(model=model, folds=0, horizon=14),
                       products=PRODUCTS, events=events)
    return run.forecasts.set_index(["sku", "date"])["mean"]


@pytest.mark.parametrize("model", ["ma", "ets", "lgbm"])
def test_a_planned_category_event_moves_only_that_category_on_those_days(model):
    plain = _forecast(None, model)
    with_event = _forecast(_events({"category": "garden"}), model)
    ratio = (with_event / plain).unstack("sku")
    on_days = ratio.index.isin(PLANNED)
    garden, kitchen = [f"S{i}" for i in range(4)], [f"S{i}" for i in range(4, 8)]
    assert (ratio.loc[on_days, garden] > 1.8).all().all(), ratio.loc[on_days]
    tolerance = 0.15 if model == "lgbm" else 0.05
    assert np.allclose(ratio.loc[on_days, kitchen], 1.0, atol=tolerance)
    assert np.allclose(ratio.loc[~on_days], 1.0, atol=tolerance)


def test_a_planned_sku_event_moves_only_that_sku():
    plain = _forecast(None, "ma")
    with_event = _forecast(_events({"sku": "S1"}), "ma")
    ratio = (with_event / plain).unstack("sku")
    on_days = ratio.index.isin(PLANNED)
    assert (ratio.loc[on_days, "S1"] > 1.8).all()
    assert np.allclose(ratio.drop(columns="S1"), 1.0)
    assert np.allclose(ratio.loc[~on_days, "S1"], 1.0, atol=0.05)


def test_an_event_without_history_leaves_the_forecast_alone():
    plain = _forecast(None, "ma")
    new = pd.DataFrame({"date": PLANNED, "event": "Launch party"})
    assert np.allclose(_forecast(new, "ma"), plain)


def test_event_rows_with_both_sku_and_category_are_refused_with_the_line():
    events = pd.DataFrame({"date": ["2024-05-01", "2024-05-02"], "event": ["a", "b"],
                           "sku": [None, "S1"], "category": [None, "garden"]})
    with pytest.raises(InvalidDataError, match=r"events.csv: column sku .* line\(s\) 3"):
        validate_events(events, name="events.csv")
    with pytest.raises(InvalidDataError, match="column event .*event name"):
        validate_events(pd.DataFrame({"date": ["2024-05-01"], "event": [" "]}), name="e.csv")
