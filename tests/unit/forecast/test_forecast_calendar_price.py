"""Holiday features, the yearly season, and the direction of the price effect."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from invdash.forecast.calendar import event_features, holiday_calendar, validate_events
from invdash.forecast.grain import DAILY
from invdash.forecast.models.global_model import GlobalBoostForecaster
from invdash.forecast.panel import to_panel
from invdash.schema import InvalidDataError


def test_holiday_calendar_has_moving_holidays_and_retail_events():
    calendar = holiday_calendar(pd.Timestamp("2024-01-01"), pd.Timestamp("2025-12-31"))
    days = set(zip(calendar["date"], calendar["event"], strict=True))
    assert (pd.Timestamp("2024-03-29"), "Good Friday") in days
    assert (pd.Timestamp("2025-04-18"), "Good Friday") in days  # Easter moves
    assert (pd.Timestamp("2025-11-28"), "Black Friday") in days
    features = event_features(pd.date_range("2025-12-20", "2025-12-26"), calendar)
    assert features.loc["2025-12-25", "is_holiday"] == 1.0
    assert features.loc["2025-12-23", "days_to_holiday"] == 1.0  # Christmas Eve next
    assert features.loc["2025-12-20", "days_to_christmas"] == 5.0


def test_user_events_join_the_calendar_and_bad_dates_are_named():
    events = validate_events(pd.DataFrame({"Date": ["2025-06-14"], "Event": ["Summer sale"]}))
    calendar = holiday_calendar(pd.Timestamp("2025-06-01"), pd.Timestamp("2025-06-30"),
                                events=events)
    assert "Summer sale" in set(calendar["event"])
    with pytest.raises(InvalidDataError, match="not dates"):
        validate_events(pd.DataFrame({"date": ["soon"], "event": ["x"]}))


def _priced_sales(seed: int = 0) -> pd.DataFrame:
    """40 SKUs x 400 days; demand falls with price (elasticity -2) on random price cuts."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2024-01-01", periods=400)
    frames = []
    for k in range(40):
        cut = rng.random(len(dates)) < 0.15
        price = np.where(cut, 7.0, 10.0)
        qty = rng.poisson(8 * (price / 10.0) ** -2.0)
        frames.append(pd.DataFrame({"sku": f"S{k:02d}", "date": dates, "qty": qty.astype(float),
                                    "price": price, "promo": cut.astype(float)}))
    return pd.concat(frames, ignore_index=True)


def test_a_planned_price_cut_raises_the_global_forecast():
    sales = _priced_sales()
    future_dates = pd.date_range("2025-02-04", periods=14)
    plan = pd.DataFrame({"date": future_dates})
    regular = to_panel(sales, grain=DAILY)
    cut = to_panel(sales, grain=DAILY, future=pd.concat(
        [plan.assign(sku=f"S{k:02d}", price=7.0, promo=1.0) for k in range(40)]))
    base = GlobalBoostForecaster(n_estimators=60).fit_panel(regular).predict_mean(14)
    lifted = GlobalBoostForecaster(n_estimators=60).fit_panel(cut).predict_mean(14)
    assert lifted.sum() > 1.3 * base.sum()
