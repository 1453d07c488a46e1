"""The grain of a sales file: daily, weekly (any anchor weekday) or monthly (start or end).

Design:
- The grain is read from the dates that carry a sale (``qty > 0``). Zero rows say nothing
  about the grain: the store fills every day between a SKU's first and last row with zeros
  (``store.fill_missing_days``), so a weekly file arrives here with six filler days per week.
  Looking at sold dates lets every front end (CLI, pages, replay) hand the store's frame to the
  engine unchanged.
- ``W-MON`` .. ``W-SUN``: every sold date is the same weekday. ``MS``: every sold date is the 1st
  of its month; ``ME``: the last day. Anything else is daily. Fewer than ``_MIN_DATES`` distinct
  sold dates cannot show a grain and count as daily.
- A file mixing grains (most sold dates on one anchor, some not) is refused with rows of each,
  rather than read as daily demand with holes.
- ``to_grain`` sums the rows into the periods of the grain (a period is labelled by its anchor
  date, the way the file labels it), so filler zeros vanish and a daily file asked for as weekly
  (``--freq W``) is aggregated; an incomplete last period of such an aggregation is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from invdash.schema import DATE, PRICE, PROMO, QTY, SKU, STOCKOUT, ConfigError, InvalidDataError

__all__ = [
    "Grain", "FREQ_CHOICES", "detect_grain", "resolve_grain", "to_grain", "period_range",
    "season_length", "periods_per_year", "DAILY", "min_history_periods", "default_horizon",
    "check_daily_only_models", "resolve_run_grain",
]

FREQ_CHOICES = ("auto", "D", "W", "M")
_WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
_MIN_DATES = 3
#: A file where at least this share of sold dates sits on one anchor, but not all, mixes grains.
_MIXED_SHARE = 0.6


@dataclass(frozen=True)
class Grain:
    """A grain: ``freq`` is a pandas frequency (``D``, ``W-MON`` .. ``W-SUN``, ``MS``, ``ME``)."""

    freq: str

    @property
    def kind(self) -> str:
        """``D``, ``W`` or ``M``."""
        return self.freq[0]

    @property
    def label(self) -> str:
        """Words for messages: ``daily``, ``weekly (Monday)``, ``monthly (month start)``."""
        if self.kind == "D":
            return "daily"
        if self.kind == "W":
            day = _WEEKDAYS.index(self.freq[2:])
            return f"weekly ({pd.Timestamp('2024-01-01') + pd.Timedelta(days=day):%A})"
        return "monthly (month start)" if self.freq == "MS" else "monthly (month end)"

    @property
    def days_per_period(self) -> float:
        """Mean length of a period in days (1, 7 or 365.25 / 12)."""
        return {"D": 1.0, "W": 7.0, "M": 365.25 / 12}[self.kind]


DAILY = Grain("D")


def season_length(grain: Grain) -> int:
    """The short season in periods: 7 (weekdays) for days, 52 (weeks a year) for weeks, 12
    (months) for months."""
    return {"D": 7, "W": 52, "M": 12}[grain.kind]


def min_history_periods(grain: Grain) -> int:
    """Known periods a SKU needs before it is scored and modelled as not ``new``: 28 days,
    13 weeks (a quarter) or 12 months (a year)."""
    return {"D": 28, "W": 13, "M": 12}[grain.kind]


def default_horizon(grain: Grain) -> int:
    """The default forecast horizon in periods: 28 days, 13 weeks or 12 months."""
    return {"D": 28, "W": 13, "M": 12}[grain.kind]


def periods_per_year(grain: Grain) -> float:
    """Periods in a year: 365.25, 52.18 or 12."""
    return 365.25 / grain.days_per_period


def _sold_dates(sales: pd.DataFrame) -> pd.Series:
    sold = sales[pd.to_numeric(sales[QTY], errors="coerce") > 0]
    return pd.to_datetime(sold[DATE]).dt.normalize()


def _example_rows(sales: pd.DataFrame, mask: pd.Series, n: int = 2) -> str:
    rows = sales.loc[mask[mask].index[:n]]
    return ", ".join(
        f"row {i} ({r[SKU]} on {pd.Timestamp(r[DATE]).date()})" for i, r in rows.iterrows()
    )


def _mixed_error(sales: pd.DataFrame, on_anchor: pd.Series, what: str) -> InvalidDataError:
    return InvalidDataError(
        f"sales.date mixes grains: {on_anchor.sum()} sold rows are {what} (e.g. "
        f"{_example_rows(sales, on_anchor)}) but {(~on_anchor).sum()} are not (e.g. "
        f"{_example_rows(sales, ~on_anchor)}); give one row per day, per week or per month for "
        "the whole file, or pass --freq D|W|M to aggregate."
    )


def detect_grain(sales: pd.DataFrame) -> Grain:
    """The grain of ``sales`` (see the module docstring).

    Raises:
        InvalidDataError: the sold dates mix grains (rows of each are named).
    """
    dates = _sold_dates(sales)
    distinct = pd.DatetimeIndex(np.unique(dates.to_numpy()))
    if len(distinct) < _MIN_DATES:
        return DAILY
    enough = len(distinct) >= 2 * _MIN_DATES
    for freq, on_anchor in (("MS", distinct.is_month_start), ("ME", distinct.is_month_end)):
        share = float(np.mean(on_anchor))
        if share == 1.0 and _spacing_days(distinct) >= 28:
            return Grain(freq)
        if share >= _MIXED_SHARE and enough:
            word = "month starts" if freq == "MS" else "month ends"
            flag = dates.dt.is_month_start if freq == "MS" else dates.dt.is_month_end
            raise _mixed_error(sales.loc[dates.index], flag, f"on {word}")
    counts = np.bincount(distinct.weekday, minlength=7)
    top = int(np.argmax(counts))
    share = counts[top] / len(distinct)
    if share == 1.0:
        return Grain(f"W-{_WEEKDAYS[top]}")
    if share >= _MIXED_SHARE and enough:
        on_top = dates.dt.weekday == top
        raise _mixed_error(sales.loc[dates.index], on_top, f"on {_WEEKDAYS[top].title()}days")
    return DAILY


def _spacing_days(distinct: pd.DatetimeIndex) -> float:
    return float(np.median(np.diff(np.sort(distinct.to_numpy())).astype("timedelta64[D]")
                           .astype(float)))


def resolve_grain(sales: pd.DataFrame, freq: str = "auto") -> Grain:
    """The grain to forecast at: detected (``auto``) or forced (``D``, ``W``, ``M``).

    A forced ``W`` keeps the file's anchor weekday when the file is weekly (else Monday, the
    ISO week start); a forced ``M`` keeps month end when the file uses month ends (else month
    start). A forced grain finer than the file's is refused.

    Raises:
        ConfigError: unknown ``freq`` or a grain finer than the data.
        InvalidDataError: ``auto`` on a file mixing grains.
    """
    if freq not in FREQ_CHOICES and freq not in ("MS", "ME") and not str(freq).startswith("W-"):
        raise ConfigError(f"freq must be one of {', '.join(FREQ_CHOICES)}, got {freq!r}.")
    if freq == "auto":
        return detect_grain(sales)
    if len(freq) > 1:
        return Grain(freq)
    try:
        found = detect_grain(sales)
    except InvalidDataError:
        found = DAILY  # a forced grain aggregates whatever the file holds
    order = "DWM"
    if order.index(found.kind) > order.index(freq):
        raise ConfigError(
            f"--freq {freq} asks for a finer grain than the data, which is {found.label}; "
            f"use --freq auto or --freq {found.kind}."
        )
    if found.kind == freq:
        return found
    return Grain("W-MON") if freq == "W" else Grain("MS")


def period_start(dates: pd.Series, grain: Grain) -> pd.Series:
    """The anchor date of the period holding each date."""
    dates = pd.to_datetime(dates).dt.normalize()
    if grain.kind == "D":
        return dates
    if grain.kind == "W":
        anchor = _WEEKDAYS.index(grain.freq[2:])
        return dates - pd.to_timedelta((dates.dt.weekday - anchor) % 7, unit="D")
    first = dates.dt.to_period("M").dt.start_time
    return first if grain.freq == "MS" else dates.dt.to_period("M").dt.end_time.dt.normalize()


def period_range(start: pd.Timestamp, end: pd.Timestamp, grain: Grain) -> pd.DatetimeIndex:
    """Consecutive anchor dates of ``grain`` from ``start`` to ``end`` (both anchors)."""
    return pd.date_range(start, end, freq=grain.freq)


def to_grain(sales: pd.DataFrame, grain: Grain) -> pd.DataFrame:
    """``sales`` summed into the periods of ``grain`` (daily: returned unchanged).

    ``qty`` is summed, ``price`` averaged, ``promo`` the largest, ``stockout`` True when most of
    the period's rows were stock-outs. A new frame; the input is not changed.
    """
    if grain.kind == "D":
        return sales
    frame = sales.copy()
    frame[DATE] = period_start(frame[DATE], grain)
    rules = {QTY: "sum", PRICE: "mean", PROMO: "max", STOCKOUT: "mean"}
    agg = {c: rule for c, rule in rules.items() if c in frame.columns}
    out = frame.groupby([SKU, DATE], sort=True).agg(agg).reset_index()
    if STOCKOUT in out:
        out[STOCKOUT] = out[STOCKOUT].astype(float) > 0.5
    return _drop_incomplete_last(out, sales, grain)


def _drop_incomplete_last(
    out: pd.DataFrame, sales: pd.DataFrame, grain: Grain
) -> pd.DataFrame:
    """Drop the last period of an aggregation when the source ends before that period does."""
    if _already_at_grain(sales, grain):
        return out
    last_day = pd.to_datetime(sales[DATE]).max().normalize()
    last_period = out[DATE].max()
    if grain.kind == "W":
        period_end = last_period + pd.Timedelta(days=6)
    elif grain.freq == "MS":
        period_end = last_period + pd.offsets.MonthEnd(0)
    else:
        period_end = last_period
    if last_day >= period_end:
        return out
    return out[out[DATE] < last_period].reset_index(drop=True)


def _already_at_grain(sales: pd.DataFrame, grain: Grain) -> bool:
    """True when every sold date is already an anchor (a weekly file, not an aggregation)."""
    dates = _sold_dates(sales)
    return bool(len(dates)) and bool((period_start(dates, grain) == dates).all())


def check_daily_only_models(grain: Grain, model: str, *, use_neural: bool) -> None:
    """Refuse the neural and similar-products models on weekly or monthly sales (they forecast
    days only).

    Raises:
        ConfigError: such a model was asked for on non-daily sales.
    """
    if grain.kind == "D":
        return
    wanted = {model} | ({"neural"} if use_neural else set())
    daily_only = sorted(wanted & {"neural", "coldstart"})
    if daily_only:
        raise ConfigError(
            f"model {daily_only[0]} forecasts days only and the sales are {grain.label}; "
            "use --model auto or a fast model (ets, holt, ma, ...), or --freq D."
        )


def resolve_run_grain(
    sales: pd.DataFrame, freq: str, horizon: int | None, *, model: str, use_neural: bool
) -> tuple[Grain, int]:
    """The grain and horizon (periods; default ``default_horizon``) of a forecast run, with the
    models checked against the grain (``check_daily_only_models``)."""
    grain = resolve_grain(sales, freq)
    check_daily_only_models(grain, model, use_neural=use_neural)
    return grain, default_horizon(grain) if horizon is None else horizon
