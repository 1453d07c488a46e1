"""Public holidays join the user events without a pandas FutureWarning (all-NA object columns
in ``pd.concat``), typed as ``validate_events`` types the user's rows."""

from __future__ import annotations

import warnings

import pandas as pd

from invdash.forecast.calendar import validate_events, with_public_holidays
from invdash.forecast.grain import DAILY

USER = pd.DataFrame({"date": ["2011-02-01", "2011-02-08"], "event": ["sale", "launch"],
                     "sku": ["A", None]})


def test_holidays_join_user_events_without_a_future_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        events = with_public_holidays(USER, country="GB", start=pd.Timestamp("2011-01-01"),
                                      end=pd.Timestamp("2011-03-01"), grain=DAILY)
    assert {"sale", "launch", "New Year's Day"} <= set(events["event"])
    assert events.loc[events["event"] == "sale", "sku"].tolist() == ["A"]
    assert events.loc[events["event"] == "New Year's Day", "sku"].isna().all()
    assert events.dtypes.equals(validate_events(USER).dtypes)


def test_holidays_alone_are_typed_as_user_events():
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        events = with_public_holidays(None, country="GB", start=pd.Timestamp("2011-01-01"),
                                      end=pd.Timestamp("2011-03-01"), grain=DAILY)
    assert events.dtypes.equals(validate_events(USER).dtypes)
