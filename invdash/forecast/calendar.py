"""The shop's calendar: public holidays, retail events, user events and yearly closures.

Design:
- Public holidays come from the ``holidays`` package for ``Settings.country`` (offline: the
  package computes the dates, nothing is fetched). Moving holidays (Easter, Whit Monday) land on
  their own date each year.
- Retail events that no public calendar holds are added by rule: Black Friday (the day after
  the fourth Thursday of November), Cyber Monday, Christmas Eve and New Year's Eve.
- User events (``date, event[, sku | category]``, past and planned) join the calendar; an event
  without ``sku``/``category`` applies to the whole shop.
- ``event_features`` turns a calendar into per-date columns the global model reads: a holiday
  flag, an event id, the days to the next and since the last holiday, days to Christmas.
- A month-day on which the shop sold nothing in every year the panel covers it (and that is a
  holiday or lies between 24 December and 2 January) is a yearly closure; forecasts on it are 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from invdash.schema import DATE, SKU, InvalidDataError

__all__ = [
    "holiday_calendar", "retail_events", "event_features", "EVENT_COLUMNS",
    "validate_events", "yearly_closed_days", "DEFAULT_COUNTRY",
]

#: The demo shop and the Online Retail sample are UK shops; ``INVDASH_COUNTRY`` overrides.
DEFAULT_COUNTRY = "GB"
EVENT_COLUMNS = ("is_holiday", "event_code", "days_to_holiday", "days_since_holiday",
                 "days_to_christmas")
_HORIZON_CAP = 30


def retail_events(years: range) -> pd.DataFrame:
    """Black Friday, Cyber Monday, Christmas Eve, New Year's Eve for ``years``: ``date, event``."""
    rows = []
    for year in years:
        november = pd.date_range(f"{year}-11-01", f"{year}-11-30")
        thanksgiving = november[november.weekday == 3][3]
        rows += [
            (thanksgiving + pd.Timedelta(days=1), "Black Friday"),
            (thanksgiving + pd.Timedelta(days=4), "Cyber Monday"),
            (pd.Timestamp(f"{year}-12-24"), "Christmas Eve"),
            (pd.Timestamp(f"{year}-12-31"), "New Year's Eve"),
        ]
    return pd.DataFrame(rows, columns=[DATE, "event"])


def holiday_calendar(
    start: pd.Timestamp, end: pd.Timestamp, *, country: str = DEFAULT_COUNTRY,
    events: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every holiday and event from ``start`` to ``end``: ``date, event`` (one row per pair).

    Args:
        start, end: the first and last date wanted.
        country: ISO 3166 code for the ``holidays`` package (``GB``, ``DE``, ``US`` ...).
        events: optional user events ``date, event`` (shop-wide rows are used here).

    Raises:
        InvalidDataError: an unknown country code.
    """
    import holidays

    years = range(pd.Timestamp(start).year, pd.Timestamp(end).year + 1)
    try:
        public = holidays.country_holidays(country, years=list(years))
    except NotImplementedError as err:
        raise InvalidDataError(
            f"country {country!r} is not known to the holidays package; set INVDASH_COUNTRY to "
            "an ISO code such as GB, DE or US."
        ) from err
    frame = pd.DataFrame(
        [(pd.Timestamp(d), str(name)) for d, name in public.items()], columns=[DATE, "event"]
    )
    frame = pd.concat([frame, retail_events(years)], ignore_index=True)
    if events is not None and len(events):
        shop_wide = events
        for column in (SKU, "category"):
            if column in shop_wide:
                shop_wide = shop_wide[shop_wide[column].isna()]
        frame = pd.concat([frame, shop_wide[[DATE, "event"]]], ignore_index=True)
    inside = (frame[DATE] >= pd.Timestamp(start)) & (frame[DATE] <= pd.Timestamp(end))
    return frame[inside].drop_duplicates().sort_values([DATE, "event"]).reset_index(drop=True)


def validate_events(events: pd.DataFrame, *, name: str = "events") -> pd.DataFrame:
    """Check a user events frame ``date, event[, sku | category]``; returns a clean copy.

    Raises:
        InvalidDataError: missing columns or dates that do not parse (first rows named).
    """
    frame = events.copy()
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in (DATE, "event") if c not in frame.columns]
    if missing:
        raise InvalidDataError(
            f"{name} is missing column(s) {', '.join(missing)}; expected date, event and "
            "optionally sku or category."
        )
    frame[DATE] = pd.to_datetime(frame[DATE], errors="coerce")
    bad = frame.index[frame[DATE].isna()]
    if len(bad):
        raise InvalidDataError(
            f"{name}.date has {len(bad)} values that are not dates (first rows: "
            f"{', '.join(str(i) for i in bad[:3])}); use YYYY-MM-DD."
        )
    frame["event"] = frame["event"].astype(str).str.strip()
    return frame


def event_features(dates: pd.DatetimeIndex, calendar: pd.DataFrame) -> pd.DataFrame:
    """Per-date features (``EVENT_COLUMNS``) of ``dates`` from a ``holiday_calendar``.

    ``event_code`` is a stable number per event name (0: none), the day counts are capped at
    30 so far-away holidays look alike.
    """
    dates = pd.DatetimeIndex(dates).normalize()
    day = dates.to_numpy().astype("datetime64[D]").astype(np.int64)
    hol = np.unique(calendar[DATE].to_numpy().astype("datetime64[D]").astype(np.int64))
    names = calendar.groupby(DATE)["event"].first()
    codes = {name: k + 1 for k, name in enumerate(sorted(calendar["event"].unique()))}
    code = pd.Series(dates).map(names).map(codes).fillna(0).to_numpy(dtype=float)
    if len(hol) == 0:
        hol = np.array([day.min() - 10 * _HORIZON_CAP], dtype=np.int64)
    after = np.searchsorted(hol, day, side="left")
    before = np.searchsorted(hol, day, side="right") - 1
    to_next = np.where(after < len(hol), hol[np.minimum(after, len(hol) - 1)] - day, _HORIZON_CAP)
    since = np.where(before >= 0, day - hol[np.maximum(before, 0)], _HORIZON_CAP)
    christmas = pd.to_datetime({"year": dates.year, "month": 12, "day": 25})
    to_christmas = (christmas.to_numpy() - dates.to_numpy()).astype("timedelta64[D]").astype(int)
    return pd.DataFrame({
        "is_holiday": np.isin(day, hol).astype(float), "event_code": code,
        "days_to_holiday": np.minimum(to_next, _HORIZON_CAP).astype(float),
        "days_since_holiday": np.minimum(since, _HORIZON_CAP).astype(float),
        "days_to_christmas": np.clip(to_christmas, -10, 60).astype(float),
    }, index=dates)


def yearly_closed_days(
    dates: pd.DatetimeIndex, shop_total: np.ndarray, calendar: pd.DataFrame
) -> set[tuple[int, int]]:
    """Month-days ``(month, day)`` the shop was closed (sold nothing) every year it saw them.

    Only holidays and the days from 24 December to 2 January qualify, so a slow day in June is
    never taken for a closure.

    Args:
        dates: daily dates of the panel.
        shop_total: the shop's units per date (NaN: unknown), shape (len(dates),).
        calendar: ``holiday_calendar`` over the same span.
    """
    frame = pd.DataFrame({"month": dates.month, "day": dates.day, "total": shop_total})
    frame = frame[np.isfinite(frame["total"])]
    grouped = frame.groupby(["month", "day"])["total"].max()
    closed = set(grouped[grouped <= 0].index)
    holiday_days = {(d.month, d.day) for d in pd.DatetimeIndex(calendar[DATE])}
    festive = {(12, d) for d in range(24, 32)} | {(1, 1), (1, 2)}
    return {md for md in closed if md in holiday_days or md in festive}
