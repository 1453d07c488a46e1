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
- Event factors (``event_code_matrix``, ``event_factors``): every user event is a code per SKU
  and period (the SKU named, the SKUs of the category named, or every SKU), over the data and
  the planned periods after it. Its lift is learnt from its past occurrences: demand on the
  event's periods over the SKU's trailing mean of non-event periods, pooled over the SKUs it
  applies to and shrunk to each SKU by its number of event periods (``m / (m + 5)``); the pooled
  lift itself is shrunk to 1 by its count (``M / (M + 2)``). The fast models divide the past by
  the factor and multiply the forecast by it; the global model learns on top of it. An event
  that never happened before has no lift to learn and leaves the forecast as it is.
- Public holidays as events (``with_public_holidays``): when a run names a country, its public
  holidays and the retail events join the user events as shop-wide events over the data and
  the horizon, so the fast models learn each holiday's lift from its past years like any user
  event. Daily and weekly panels only: a month holds a fixed holiday every year, which the
  yearly season already carries.
- A month-day on which the shop sold nothing in every year the panel covers it (and that is a
  holiday or lies between 24 December and 2 January) is a yearly closure; forecasts on it are 0.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from invdash.forecast.grain import Grain, period_range, period_start
from invdash.schema import DATE, SKU, InvalidDataError

__all__ = [
    "holiday_calendar", "retail_events", "event_features", "EVENT_COLUMNS",
    "validate_events", "yearly_closed_days", "DEFAULT_COUNTRY", "EventCodes",
    "event_code_matrix", "event_factors", "event_window", "pooled_event_lifts", "select_event_rows",
    "with_pooled_lifts", "event_lift_sums", "lifts_from_sums", "with_public_holidays",
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


def with_public_holidays(
    events: pd.DataFrame | None, *, country: str | None, start: pd.Timestamp,
    end: pd.Timestamp, grain: Grain,
) -> pd.DataFrame | None:
    """``events`` with ``country``'s public holidays and the retail events from ``start`` to
    ``end`` added as shop-wide rows (module docstring); unchanged without a country or on a
    monthly grain.

    Raises:
        InvalidDataError: an unknown country code.
    """
    if not country or grain.kind == "M":
        return events
    holidays = holiday_calendar(pd.Timestamp(start), pd.Timestamp(end), country=country)
    # Typed as ``validate_events`` types them: concatenating all-NA object columns is deprecated
    # in pandas (a FutureWarning about how the result's dtypes are chosen).
    shop_wide = pd.Series(pd.NA, index=holidays.index, dtype="string")
    holidays = holidays.assign(**{SKU: shop_wide, "category": shop_wide})
    if events is None or events.empty:
        return holidays
    return pd.concat([validate_events(events), holidays], ignore_index=True)


def _bad_rows(name: str, column: str, rows: pd.Index, fix: str) -> InvalidDataError:
    lines = ", ".join(str(int(i) + 2) for i in rows[:3])
    return InvalidDataError(
        f"{name}: column {column} has {len(rows)} bad value(s) (first at line(s) {lines}, "
        f"header = line 1); {fix}"
    )


def validate_events(events: pd.DataFrame, *, name: str = "events") -> pd.DataFrame:
    """Check a user events frame ``date, event[, sku | category]``; returns a clean copy.

    Args:
        events: the frame, one row per event day (a header row on line 1 of its file).
        name: the file name for messages.

    Raises:
        InvalidDataError: missing columns, dates that do not parse, empty event names, or a row
            naming both a SKU and a category (file, column, first lines and the fix named).
    """
    frame = events.copy()
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in (DATE, "event") if c not in frame.columns]
    if missing:
        raise InvalidDataError(
            f"{name} is missing column(s) {', '.join(missing)}; expected date, event and "
            "optionally sku or category."
        )
    frame = frame.reset_index(drop=True)
    frame[DATE] = pd.to_datetime(frame[DATE], errors="coerce")
    bad = frame.index[frame[DATE].isna()]
    if len(bad):
        raise _bad_rows(name, DATE, bad, "they are not dates; use YYYY-MM-DD.")
    frame["event"] = frame["event"].astype("string").str.strip()
    empty = frame.index[frame["event"].isna() | (frame["event"] == "")]
    if len(empty):
        raise _bad_rows(name, "event", empty, "give every row an event name.")
    for column in (SKU, "category"):
        if column not in frame:
            frame[column] = pd.NA
        text = frame[column].astype("string").str.strip()
        frame[column] = text.where(text != "", pd.NA)
    both = frame.index[frame[SKU].notna() & frame["category"].notna()]
    if len(both):
        raise _bad_rows(name, "sku", both, "name a sku or a category on a row, not both "
                        "(leave both empty for the whole shop).")
    frame[DATE] = frame[DATE].dt.normalize()
    return frame[[DATE, "event", SKU, "category"]].astype({"event": str})


@dataclass(frozen=True)
class EventCodes:
    """User events as a code per SKU and period: ``codes`` (n, T + F), 0 where none, code
    ``k`` is ``names[k - 1]``."""

    codes: np.ndarray
    names: tuple[str, ...]
    #: Pooled log-lift per code (``pooled_event_lifts``) when it comes from a larger panel
    #: than this one (an explanation refits alternative histories of one SKU); None: learnt
    #: from this panel.
    pooled: tuple[float, ...] | None = None


def select_event_rows(events: EventCodes | None, rows: np.ndarray) -> EventCodes | None:
    """The ``EventCodes`` of panel rows ``rows`` (an index or a boolean mask)."""
    return None if events is None else replace(events, codes=events.codes[rows])


def with_pooled_lifts(events: EventCodes | None, lifts: tuple[float, ...] | None
                      ) -> EventCodes | None:
    """``events`` whose pooled lifts come from a larger panel (``lifts``; None: unchanged)."""
    return events if events is None or lifts is None else replace(events, pooled=lifts)


def _event_rows(events: pd.DataFrame, skus: pd.Index, categories: pd.Series) -> list[np.ndarray]:
    """For each event row, the panel rows it applies to."""
    everyone = np.arange(len(skus))
    sku_of = pd.Series(np.arange(len(skus)), index=skus.astype(str))
    out = []
    for sku, category in zip(events[SKU], events["category"], strict=True):
        if pd.notna(sku):
            out.append(sku_of.reindex([str(sku)]).dropna().to_numpy(dtype=int))
        elif pd.notna(category):
            out.append(np.flatnonzero(categories.to_numpy() == str(category)))
        else:
            out.append(everyone)
    return out


def event_code_matrix(  # noqa: PLR0913 - a panel's shape and how to code it
    events: pd.DataFrame | None, skus: pd.Index, dates: pd.DatetimeIndex, grain: Grain,
    products: pd.DataFrame | None = None, *, keep_empty: bool = False,
) -> EventCodes | None:
    """The ``EventCodes`` of ``events`` (``validate_events`` output) for a panel's SKUs and
    periods, extended past ``dates`` to the last planned event; None without events.

    Args:
        events: user events; rows before ``dates`` or naming unknown SKUs are left out.
        skus, dates, grain: the panel's SKUs, periods and grain.
        products: ``sku, category`` for events that name a category.
        keep_empty: all-zero codes rather than None when no event names these SKUs (a chunk
            of a shop whose other chunks have events keeps the shop's shape).
    """
    if events is None or events.empty:
        return None
    events = validate_events(events)
    starts = period_start(events[DATE], grain)
    span = period_range(dates[0], max(starts.max(), dates[-1]), grain)
    column = span.get_indexer(starts)
    names = tuple(sorted(events["event"].unique()))
    code = pd.Index(names).get_indexer(events["event"]) + 1
    categories = pd.Series("", index=skus.astype(str))
    if products is not None and "category" in products:
        known = products.assign(**{SKU: products[SKU].astype(str)}).drop_duplicates(SKU)
        categories = known.set_index(SKU)["category"].astype(str).reindex(categories.index)
    codes = np.zeros((len(skus), len(span)), dtype=np.int32)
    for rows, at, k in zip(_event_rows(events, skus, categories), column, code, strict=True):
        if at >= 0 and len(rows):
            codes[rows, at] = k
    return EventCodes(codes=codes, names=names) if codes.any() or keep_empty else None


def _trailing_baseline(values: np.ndarray, window: int) -> np.ndarray:
    """Mean of the known values in the ``window`` periods before each period (NaN: none)."""
    known = ~np.isnan(values)
    sums = np.concatenate([np.zeros((len(values), 1)), np.cumsum(np.nan_to_num(values), 1)], 1)
    counts = np.concatenate([np.zeros((len(values), 1)), np.cumsum(known, 1)], 1)
    stop = np.arange(values.shape[1])
    start = np.clip(stop - window, 0, None)
    count = counts[:, stop] - counts[:, start]
    return np.where(count >= 2, (sums[:, stop] - sums[:, start]) / np.maximum(count, 1), np.nan)


def _ok_cells(demand: np.ndarray, baseline: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return mask & np.isfinite(demand) & np.isfinite(baseline) & (baseline > 0)


def _pooled_sums(demand: np.ndarray, baseline: np.ndarray, mask: np.ndarray
                 ) -> tuple[float, float, int]:
    """Demand and baseline summed over the cells of one event, and their count (additive
    over SKUs, so chunks of SKUs add up to the whole shop's, ``lifts_from_sums``)."""
    ok = _ok_cells(demand, baseline, mask)
    return float(demand[ok].sum()), float(baseline[ok].sum()), int(ok.sum())


def _pooled_lift(demand_sum: float, baseline_sum: float, count: int) -> float:
    """The shrunk log-lift of one event over every row it applies to."""
    total = max(baseline_sum, 1e-9)
    return float(np.log(max(demand_sum / total, 1e-3)) * count / (count + 2))


def _lift(demand: np.ndarray, baseline: np.ndarray, mask: np.ndarray, pooled: float) -> np.ndarray:
    """Each row's lift of one event, shrunk to ``pooled`` (see the module docstring), (n,)."""
    ok = _ok_cells(demand, baseline, mask)
    rows_base = np.where(ok, baseline, 0.0).sum(1)
    rows_demand = np.where(ok, demand, 0.0).sum(1)
    seen = rows_base > 0
    own = np.log(np.where(seen, np.maximum(rows_demand, 1e-3 * rows_base), 1.0)
                 / np.where(seen, rows_base, 1.0))
    weight = ok.sum(1) / (ok.sum(1) + 5.0)
    return np.exp(np.clip(weight * own + (1 - weight) * pooled, np.log(0.1), np.log(10.0)))


def _baseline(adjusted: np.ndarray, past: np.ndarray, grain: Grain) -> np.ndarray:
    window = {"D": 28, "W": 8, "M": 6}[grain.kind]
    return _trailing_baseline(np.where(past == 0, adjusted, np.nan), window)


def pooled_event_lifts(
    adjusted: np.ndarray, events: EventCodes, grain: Grain
) -> tuple[float, ...]:
    """The pooled, shrunk log-lift of every code of ``events`` (0 for codes without a past)."""
    return lifts_from_sums(event_lift_sums(adjusted, events, grain))


def event_lift_sums(adjusted: np.ndarray, events: EventCodes, grain: Grain) -> np.ndarray:
    """Per code, ``(demand, baseline, cells)`` summed over this panel's SKUs, shape (K, 3):
    the additive part of ``pooled_event_lifts``, for chunks of a shop."""
    past = events.codes[:, :adjusted.shape[1]]
    baseline = _baseline(adjusted, past, grain)
    return np.array([_pooled_sums(adjusted, baseline, past == k) if (past == k).any()
                     else (0.0, 0.0, 0) for k in range(1, len(events.names) + 1)], dtype=float)


def lifts_from_sums(sums: np.ndarray) -> tuple[float, ...]:
    """The pooled log-lift per code from ``event_lift_sums`` (added up over chunks)."""
    return tuple(_pooled_lift(float(d), float(b), int(c)) for d, b, c in sums)


def event_factors(
    adjusted: np.ndarray, events: EventCodes | None, grain: Grain
) -> np.ndarray | None:
    """Multiplicative event factor per SKU and period, (n, T + F) (see the module docstring).

    Args:
        adjusted: the weekday- and season-adjusted history, NaN where unknown, shape (n, T).
        events: the panel's ``EventCodes`` (None: no events, returns None).
        grain: the panel's grain (the baseline is the last 28 days, 8 weeks or 6 months).
    """
    if events is None:
        return None
    past = events.codes[:, :adjusted.shape[1]]
    baseline = _baseline(adjusted, past, grain)
    pooled = events.pooled or pooled_event_lifts(adjusted, events, grain)
    factor = np.ones(events.codes.shape)
    for k in np.unique(past[past > 0]):
        lift = _lift(adjusted, baseline, past == k, pooled[k - 1])
        factor = np.where(events.codes == k, lift[:, None], factor)
    return factor


def event_window(factor: np.ndarray | None, first: np.ndarray, h: int) -> np.ndarray | float:
    """``factor`` at columns ``first + 0 .. h - 1`` per row, (n, h); 1 past its end or without
    events (``first``: each row's first column, shape (n,))."""
    if factor is None:
        return 1.0
    columns = np.asarray(first)[:, None] + np.arange(h)[None, :]
    padded = np.concatenate([factor, np.ones((len(factor), 1))], axis=1)
    return np.take_along_axis(padded, np.minimum(columns, factor.shape[1]), axis=1)


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
