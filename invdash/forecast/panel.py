"""The dense SKU x day panel that the fast models, the backtest and the fusion share.

Design:
- The long sales frame is pivoted once into a float matrix ``actual`` (n SKUs x T days). A cell is
  NaN before the SKU's first row and on stock-out days (censored demand is unknown demand, not
  zero demand); a day without a row inside a SKU's range is a zero sale.
- ``fit_values`` is ``actual`` with shop-closed days also NaN. A weekday is *closed* when the
  whole panel sells (almost) nothing on it (the Online Retail shop never trades on Saturdays);
  a date is closed when every observed SKU sold zero on it (Christmas). Models learn from open
  days only and forecast zero on closed weekdays through the weekday profile.
- Every model here is vectorised over SKUs: recursions loop over days, never over SKUs, so
  10,000 SKUs x 730 days costs a few numpy passes instead of 10,000 model fits.
- Quantiles come from a gamma distribution with the forecast mean and variance
  ``dispersion * scale * mean`` (a constant index of dispersion per SKU, as for negative-binomial
  counts). ``scale`` is calibrated on the backtest by the fusion step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from invdash.forecast.calendar import (
    EventCodes,
    event_code_matrix,
    select_event_rows,
    with_pooled_lifts,
)
from invdash.forecast.covariates import category_codes, covariate_matrices
from invdash.forecast.gamma import count_quantiles, gamma_quantiles
from invdash.forecast.grain import (
    DAILY,
    Grain,
    detect_grain,
    period_range,
    periods_per_year,
    to_grain,
)
from invdash.forecast.price import PricePrior
from invdash.forecast.season import has_yearly_history, yearly_profiles
from invdash.forecast.shop import (
    ShopDays,
    closed_mask_from,
    closed_weekdays_from,
    weekday_share_from,
)
from invdash.schema import (
    DATE,
    MEAN,
    MODEL,
    QTY,
    QUANTILE_COLUMNS,
    SKU,
    STOCKOUT,
)

__all__ = [
    "Panel", "to_panel", "truncate_panel", "weekday_profile", "dispersion_index",
    "gamma_quantiles", "count_quantiles", "panel_forecast_frame", "future_weekdays",
    "shop_weekday_share", "ShopDays", "shop_days", "future_period_dates", "with_yearly",
    "row_covariates", "actual_matrix",
]

_SEASON_YEARS = 50


@dataclass(frozen=True)
class Panel:
    """SKU x day matrices (see the module docstring).

    Attributes:
        skus: SKU ids, shape (n,).
        dates: the T consecutive days.
        actual: observed demand, NaN before the first row and on stock-out days, shape (n, T).
        fit_values: ``actual`` with shop-closed days also NaN.
        last_index: index of each SKU's last row (forecasts start the day after), shape (n,).
        open_weekdays: which weekdays (Monday = 0) the shop trades on, shape (7,).
    """

    skus: np.ndarray
    dates: pd.DatetimeIndex
    actual: np.ndarray
    fit_values: np.ndarray
    last_index: np.ndarray
    open_weekdays: np.ndarray
    #: The shop's weekday shares (see ``shop_weekday_share``) when they come from a larger
    #: panel than this one (the explanation refits alternative histories of one SKU in its
    #: shop's context); None: computed from this panel.
    weekday_share: np.ndarray | None = None
    #: When this panel holds some SKUs of a larger one (``invdash.distributed`` runs SKU
    #: partitions): the larger panel's ``ShopDays`` at each backtest origin (day index), so
    #: ``truncate_panel`` uses the whole shop's closures and weekday share, not this part's.
    shop_at: Mapping[int, ShopDays] | None = None
    #: The grain of ``dates`` (daily unless the sales are weekly or monthly, see ``grain.py``).
    grain: Grain = DAILY
    #: Category code per SKU for pooled yearly profiles (``season.py``); None: the shop only.
    category: np.ndarray | None = None
    #: Price and promotion flag per SKU and period, (n, T + F): the F periods after the data
    #: hold planned values (``--future``); None when the sales carry no prices.
    price: np.ndarray | None = None
    promo: np.ndarray | None = None
    #: Yearly profiles (n, S) learnt from this panel's own periods (``with_yearly``); None when
    #: the panel spans too little time for a yearly season.
    yearly: np.ndarray | None = None
    #: User events per SKU and period (``calendar.EventCodes``, (n, T + F)); None: no events.
    events: EventCodes | None = None
    #: Pooled price and promotion effects (``price.PricePrior``) when they come from a larger
    #: panel than this one (a SKU chunk or part, an explanation's alternative histories);
    #: None: learnt from this panel.
    price_prior: PricePrior | None = None

    @property
    def last_dates(self) -> pd.Series:
        """Each SKU's last date, indexed by SKU."""
        return pd.Series(self.dates[self.last_index], index=pd.Index(self.skus, name=SKU))

    def integer_rows(self) -> np.ndarray:
        """True for SKUs whose known demand is whole units (their quantiles are rounded)."""
        known = np.nan_to_num(self.actual)
        return np.all(np.abs(known - np.round(known)) < 1e-9, axis=1)

    def history_days(self) -> np.ndarray:
        """Number of days with a fit value per SKU."""
        return np.sum(~np.isnan(self.fit_values), axis=1)


def _closed_weekdays(actual: np.ndarray, dates: pd.DatetimeIndex, grain: Grain) -> np.ndarray:
    return closed_weekdays_from(np.nansum(actual, axis=0), actual.shape[0], dates, grain)


def _build_fit_values(
    actual: np.ndarray, dates: pd.DatetimeIndex, open_weekdays: np.ndarray, grain: Grain
) -> np.ndarray:
    fit_values = actual.copy()
    observed, totals = np.sum(~np.isnan(actual), axis=0), np.nansum(actual, axis=0)
    closed = closed_mask_from(observed, totals, actual.shape[0], dates, open_weekdays, grain)
    fit_values[:, closed] = np.nan
    return fit_values


def to_panel(
    sales: pd.DataFrame, *, grain: Grain | None = None, products: pd.DataFrame | None = None,
    future: pd.DataFrame | None = None, events: pd.DataFrame | None = None,
) -> Panel:
    """Pivot a long sales frame (``sku, date, qty`` [, ``stockout``]) into a ``Panel``.

    Args:
        sales: long sales frame.
        grain: the grain to pivot at (default: detected, ``grain.detect_grain``); rows are
            summed into its periods first (``grain.to_grain``).
        products: optional ``sku, category``: categories pool the yearly season.
        future: optional planned ``sku, date, price, promo`` after the data (``Panel.price``).
        events: optional user events ``date, event[, sku | category]``, past and planned
            (``Panel.events``, ``calendar.event_code_matrix``).
    """
    grain = detect_grain(sales) if grain is None else grain
    sales = to_grain(sales, grain)
    dates_all = pd.to_datetime(sales[DATE]).dt.normalize()
    dates = period_range(dates_all.min(), dates_all.max(), grain)
    skus, actual, last = actual_matrix(sales, dates, grain)
    open_weekdays = _closed_weekdays(actual, dates, grain)
    panel = Panel(
        skus=np.asarray(skus, dtype=object), dates=dates, actual=actual,
        fit_values=_build_fit_values(actual, dates, open_weekdays, grain), last_index=last,
        open_weekdays=open_weekdays, grain=grain, category=category_codes(skus, products),
        **covariate_matrices(sales, future, skus, dates, grain),
        events=event_code_matrix(events, skus, dates, grain, products),
    )
    return with_yearly(panel)


def actual_matrix(
    sales: pd.DataFrame, dates: pd.DatetimeIndex, grain: Grain
) -> tuple[pd.Index, np.ndarray, np.ndarray]:
    """Sorted SKUs, the ``actual`` matrix over ``dates`` (module docstring) and each SKU's last
    period index, from a long frame already at ``grain`` whose dates lie within ``dates``."""
    dates_all = pd.to_datetime(sales[DATE]).dt.normalize()
    sku_codes, skus = pd.factorize(sales[SKU].astype(str), sort=True)
    if grain.kind == "D":
        day = ((dates_all - dates[0]).dt.days).to_numpy()
    else:
        day = dates.get_indexer(dates_all)
    n, t = len(skus), len(dates)
    first = np.full(n, t, dtype=np.int64)
    last = np.full(n, -1, dtype=np.int64)
    np.minimum.at(first, sku_codes, day)
    np.maximum.at(last, sku_codes, day)
    columns = np.arange(t)
    in_range = (columns[None, :] >= first[:, None]) & (columns[None, :] <= last[:, None])
    actual = np.where(in_range, 0.0, np.nan)
    actual[sku_codes, day] = pd.to_numeric(sales[QTY]).to_numpy(dtype=float)
    if STOCKOUT in sales.columns:
        stockout = sales[STOCKOUT].fillna(False).to_numpy(dtype=bool)
        actual[sku_codes[stockout], day[stockout]] = np.nan
    return skus, actual, last


def with_yearly(panel: Panel) -> Panel:
    """The panel with its yearly profiles (``season.yearly_profiles`` on the weekday-adjusted
    fit values), computed once per panel so every model of a fold shares them."""
    if not has_yearly_history(len(panel.dates), panel.grain):
        return replace(panel, yearly=None)
    profile = weekday_profile(panel)
    season = profile[:, panel.dates.weekday.to_numpy()]
    adjusted = np.where(season > 0, panel.fit_values / np.maximum(season, 1e-12), np.nan)
    groups = np.zeros(len(panel.skus), dtype=int) if panel.category is None else panel.category
    # Only the last _SEASON_YEARS years shape the profile (measured on Australian retail:
    # the last 6 years gave RMSSE 0.819, all 33 years 0.811, so the window is wide).
    recent = int(_SEASON_YEARS * periods_per_year(panel.grain))
    profiles = yearly_profiles(
        adjusted[:, -recent:], panel.dates[-recent:], panel.grain, groups
    )
    return replace(panel, yearly=profiles)


def row_covariates(panel: Panel, row: int, n: int) -> dict[str, np.ndarray | None]:
    """SKU ``row``'s per-SKU fields (category, price, promo, yearly) repeated for ``n`` rows:
    the keyword arguments of a panel of ``n`` alternative histories of that SKU."""
    fields = {"category": panel.category, "price": panel.price, "promo": panel.promo,
              "yearly": panel.yearly}
    out = {k: None if v is None else np.repeat(v[row:row + 1], n, axis=0)
           for k, v in fields.items()}
    return {**out, "events": select_event_rows(panel.events, np.repeat(row, n))}



def truncate_panel(panel: Panel, origin: int) -> Panel:
    """The panel as it was known before day index ``origin`` (SKUs without data then dropped)."""
    actual = panel.actual[:, :origin]
    keep = np.any(~np.isnan(actual), axis=1)
    actual, dates = actual[keep], panel.dates[:origin]
    if panel.shop_at is not None:  # a part of a larger panel: that panel's calendar
        shop = panel.shop_at[origin]
        skus = panel.skus[keep]
        yearly = None if shop.yearly is None else shop.yearly[
            pd.Index(shop.yearly_skus).get_indexer(skus)
        ]
        return replace(
            panel, skus=skus, dates=dates, actual=actual,
            fit_values=np.where(shop.closed_days[None, :], np.nan, actual),
            last_index=np.minimum(panel.last_index, origin - 1)[keep],
            open_weekdays=shop.open_weekdays, weekday_share=shop.weekday_share, shop_at=None,
            category=None if panel.category is None else panel.category[keep],
            price=None if panel.price is None else panel.price[keep],
            promo=None if panel.promo is None else panel.promo[keep], yearly=yearly,
            events=with_pooled_lifts(select_event_rows(panel.events, keep), shop.event_lifts),
            price_prior=shop.price_prior,
        )
    # Closed weekdays are re-detected from the days before the origin only (no look-ahead).
    open_weekdays = _closed_weekdays(actual, dates, panel.grain)
    truncated = replace(
        panel, skus=panel.skus[keep], dates=dates, actual=actual,
        fit_values=_build_fit_values(actual, dates, open_weekdays, panel.grain),
        last_index=np.minimum(panel.last_index, origin - 1)[keep], open_weekdays=open_weekdays,
        category=None if panel.category is None else panel.category[keep],
        price=None if panel.price is None else panel.price[keep],
        promo=None if panel.promo is None else panel.promo[keep],
        events=select_event_rows(panel.events, keep), price_prior=None,
    )
    # The season is re-learnt from the periods before the origin only (no look-ahead).
    return with_yearly(truncated)


def weekday_profile(panel: Panel, *, weeks: int = 26, prior_weight: float = 30.0) -> np.ndarray:
    """Multiplicative weekday index per SKU, shape (n, 7), mean 1 over the 7 weekdays.

    Each SKU's index (mean demand per weekday over the last ``weeks`` weeks, divided by its
    overall mean) is shrunk towards the panel's index with weight ``nonzero / (nonzero +
    prior_weight)``, so sparse SKUs borrow the shop's weekly rhythm. Closed weekdays get 0.
    Weekly and monthly panels have no weekday rhythm: all ones.
    """
    if panel.grain.kind != "D":
        return np.ones((len(panel.skus), 7))
    values = panel.fit_values[:, -weeks * 7:]
    weekday = panel.dates[-values.shape[1]:].weekday.to_numpy()
    sku_means = np.stack(
        [_nanmean(values[:, weekday == d], axis=1) for d in range(7)], axis=1
    )
    sku_means = np.where(np.isnan(sku_means), 0.0, sku_means)
    shares = sku_means / np.maximum(sku_means.sum(axis=1, keepdims=True), 1e-12)
    panel_share = (
        _weekday_share(sku_means, panel.open_weekdays)
        if panel.weekday_share is None else panel.weekday_share
    )
    nonzero = np.sum(values > 0, axis=1).astype(float)
    weight = (nonzero / (nonzero + prior_weight))[:, None]
    profile = weight * shares + (1.0 - weight) * panel_share[None, :]
    profile = np.where(panel.open_weekdays[None, :], profile, 0.0)
    profile = profile / np.maximum(profile.sum(axis=1, keepdims=True), 1e-12)
    return profile * 7.0


def _weekday_share(sku_means: np.ndarray, open_weekdays: np.ndarray) -> np.ndarray:
    return weekday_share_from(sku_means.sum(axis=0), open_weekdays)


def shop_weekday_share(panel: Panel, *, weeks: int = 26) -> np.ndarray:
    """The shop's share of demand per weekday (shape (7,), sums to 1; closed weekdays 0)."""
    if panel.weekday_share is not None:
        return panel.weekday_share
    if panel.grain.kind != "D":
        return np.full(7, 1 / 7)
    values = panel.fit_values[:, -weeks * 7:]
    weekday = panel.dates[-values.shape[1]:].weekday.to_numpy()
    sku_means = np.stack([_nanmean(values[:, weekday == d], axis=1) for d in range(7)], axis=1)
    return _weekday_share(np.where(np.isnan(sku_means), 0.0, sku_means), panel.open_weekdays)


def shop_days(panel: Panel) -> ShopDays:
    """The pooled calendar of ``panel`` (all of a shop's SKUs), for panels of some of them."""
    return ShopDays(
        open_weekdays=panel.open_weekdays,
        # All-unknown days are closed or unobserved for every SKU; masking them is a no-op.
        closed_days=np.all(np.isnan(panel.fit_values), axis=0),
        weekday_share=shop_weekday_share(panel),
        yearly=panel.yearly,
        yearly_skus=None if panel.yearly is None else panel.skus,
    )


def _nanmean(values: np.ndarray, *, axis: int) -> np.ndarray:
    counts = np.sum(~np.isnan(values), axis=axis)
    sums = np.nansum(values, axis=axis)
    return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def _trailing_mean(values: np.ndarray, window: int, *, min_count: int) -> np.ndarray:
    """Mean of the known values in the ``window`` days *before* each day (NaN-aware)."""
    known = ~np.isnan(values)
    sums = np.zeros((values.shape[0], values.shape[1] + 1))
    counts = np.zeros_like(sums)
    np.cumsum(np.where(known, values, 0.0), axis=1, out=sums[:, 1:])
    np.cumsum(known, axis=1, out=counts[:, 1:])
    start = np.clip(np.arange(values.shape[1]) - window, 0, None)
    stop = np.arange(values.shape[1])
    window_sums = sums[:, stop] - sums[:, start]
    window_counts = counts[:, stop] - counts[:, start]
    return np.where(
        window_counts >= min_count, window_sums / np.maximum(window_counts, 1), np.nan
    )


def dispersion_index(panel: Panel, profile: np.ndarray, *, days: int = 182) -> np.ndarray:
    """Index of dispersion D = var / mean of daily demand around a local level, per SKU (>= 1).

    The local level is the trailing 28-day mean of the deseasonalised series times the weekday
    index, so level drift and the weekly rhythm do not count as noise.
    """
    values = panel.fit_values[:, -days - 28:]
    weekday = panel.dates[-values.shape[1]:].weekday.to_numpy()
    season = profile[:, weekday]
    deseason = np.where(season > 0, values / np.maximum(season, 1e-12), np.nan)
    fitted = _trailing_mean(deseason, 28, min_count=7) * season
    resid = (values - fitted)[:, 28:]
    mean = _nanmean(values[:, 28:], axis=1)
    var = _nanmean(resid**2, axis=1)
    ratio = np.where((mean > 0) & np.isfinite(var), var / np.maximum(mean, 1e-12), 1.0)
    return np.clip(ratio, 1.0, 1e6)


def future_period_dates(panel: Panel, h: int) -> np.ndarray:
    """Dates of the ``h`` periods after each SKU's last date, shape (n, h), datetime64."""
    if panel.grain.kind == "D":
        offsets = np.arange(1, h + 1).astype("timedelta64[D]")
        return panel.dates[panel.last_index].to_numpy()[:, None] + offsets[None, :]
    extended = pd.date_range(panel.dates[0], periods=len(panel.dates) + h, freq=panel.grain.freq)
    return extended.to_numpy()[panel.last_index[:, None] + np.arange(1, h + 1)[None, :]]


def future_weekdays(panel: Panel, h: int) -> np.ndarray:
    """Weekday (Monday = 0) of each of the ``h`` periods after each SKU's last date, (n, h)."""
    if panel.grain.kind != "D":
        dates = pd.DatetimeIndex(future_period_dates(panel, h).ravel())
        return dates.weekday.to_numpy().reshape(len(panel.skus), h)
    first = panel.dates[panel.last_index].weekday.to_numpy()
    return (first[:, None] + np.arange(1, h + 1)[None, :]) % 7


def panel_forecast_frame(
    panel: Panel, mean: np.ndarray, quantiles: np.ndarray, model: str | np.ndarray
) -> pd.DataFrame:
    """Long forecast frame ``sku, date, model, mean, p05..p99`` from (n, h) matrices."""
    n, h = mean.shape
    dates = future_period_dates(panel, h)
    frame = pd.DataFrame({
        SKU: np.repeat(panel.skus, h), DATE: pd.to_datetime(dates.ravel()),
        MODEL: np.repeat(np.broadcast_to(np.asarray(model, dtype=object), (n,)), h),
        MEAN: mean.ravel(),
    })
    for k, column in enumerate(QUANTILE_COLUMNS):
        frame[column] = quantiles[:, :, k].ravel()
    return frame
