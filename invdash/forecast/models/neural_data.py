"""Dense panel arrays, calendar and known-future covariates for the global neural forecaster.

Design: the long sales frame (``sku, date, qty, price, promo, stockout``) becomes one dense array
``values`` of shape ``(n_skus, n_days, 4)`` on a single global calendar, with the per-day channels
``DAY_CHANNELS``:

- ``qty``: units sold, set to 0 on days that are not observed;
- ``observed``: 1 on days the SKU was on sale with stock; 0 before its first date, after its last
  date and on stock-out days (censored demand, masked out of the loss and the input statistics);
- ``promo``: promotion intensity in [0, 1];
- ``log_price_rel``: log of the price relative to the SKU's usual (median) price, clipped to
  [-2, 2]; 0 where the price is unknown.

Training windows and prediction contexts are slices of this array (gathered in torch, see
``neural.py``), so SKUs with different first and last dates share one representation: days outside
a SKU's life are simply unobserved. Calendar features (day of week and day of year as sin/cos) are
computed once per global day. Everything here is numpy/pandas; nothing touches torch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from invdash.schema import DATE, PRICE, PROMO, QTY, SKU, STOCKOUT, InvalidDataError

__all__ = [
    "DAY_CHANNELS",
    "N_CALENDAR_FEATURES",
    "DemandPanel",
    "build_panel",
    "calendar_features",
    "future_covariates",
    "log_price_relative",
    "sample_origins",
]

DAY_CHANNELS = ("qty", "observed", "promo", "log_price_rel")
N_CALENDAR_FEATURES = 4
_MAX_LOG_PRICE_REL = 2.0


@dataclass(frozen=True)
class DemandPanel:
    """Dense daily arrays for all SKUs on one calendar.

    Attributes:
        skus: SKU labels, shape ``(n_skus,)``, sorted.
        start: the first calendar day (index 0).
        values: ``(n_skus, n_days, 4)`` float32, channels ``DAY_CHANNELS``.
        first_index: index of each SKU's first sales row.
        last_index: index of each SKU's last sales row (the forecast starts the day after).
        usual_price: each SKU's median positive price (NaN if unknown).
        last_price: each SKU's last known positive price (NaN if unknown).
    """

    skus: np.ndarray
    start: pd.Timestamp
    values: np.ndarray
    first_index: np.ndarray
    last_index: np.ndarray
    usual_price: np.ndarray
    last_price: np.ndarray

    @property
    def last_dates(self) -> pd.Series:
        """Each SKU's last date, indexed by SKU (the input of ``base.future_dates``)."""
        dates = self.start + pd.to_timedelta(self.last_index, unit="D")
        return pd.Series(dates, index=pd.Index(self.skus, name=SKU))


def _column(sales: pd.DataFrame, name: str, default: float) -> np.ndarray:
    if name not in sales:
        return np.full(len(sales), default, dtype=float)
    return pd.to_numeric(sales[name], errors="coerce").to_numpy(dtype=float)


def _price_levels(codes: np.ndarray, day: np.ndarray, price: np.ndarray, n: int):
    """Median and last known positive price per SKU code (NaN where none)."""
    known = np.isfinite(price) & (price > 0)
    frame = pd.DataFrame({"code": codes[known], "day": day[known], "price": price[known]})
    usual = np.full(n, np.nan)
    last = np.full(n, np.nan)
    if len(frame):
        grouped = frame.sort_values(["code", "day"]).groupby("code")["price"]
        usual[grouped.median().index] = grouped.median().to_numpy()
        last[grouped.last().index] = grouped.last().to_numpy()
    return usual, last


def log_price_relative(price: np.ndarray, usual: np.ndarray) -> np.ndarray:
    """``log(price / usual)`` clipped to +-2, 0 where either is unknown or not positive."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.log(price / usual)
    ratio = np.where(np.isfinite(ratio), ratio, 0.0)
    return np.clip(ratio, -_MAX_LOG_PRICE_REL, _MAX_LOG_PRICE_REL)


def build_panel(sales: pd.DataFrame) -> DemandPanel:
    """Turn the long sales frame into a ``DemandPanel`` (the input frame is not modified).

    Args:
        sales: long frame with ``sku, date, qty`` and optionally ``price, promo, stockout``;
            validated by the caller.

    Returns:
        The dense panel; stock-out days and days outside a SKU's life are unobserved.
    """
    codes, skus = pd.factorize(sales[SKU].astype(str), sort=True)
    dates = pd.to_datetime(sales[DATE]).dt.normalize()
    start = dates.min()
    day = (dates - start).dt.days.to_numpy()
    n_skus, n_days = len(skus), int(day.max()) + 1
    stockout = (
        sales[STOCKOUT].fillna(False).astype(bool).to_numpy()
        if STOCKOUT in sales
        else np.zeros(len(sales), dtype=bool)
    )
    qty = _column(sales, QTY, 0.0)
    price = _column(sales, PRICE, np.nan)
    usual, last = _price_levels(codes, day, price, n_skus)
    values = np.zeros((n_skus, n_days, len(DAY_CHANNELS)), dtype=np.float32)
    values[codes, day, 0] = np.where(stockout, 0.0, qty)
    values[codes, day, 1] = ~stockout
    values[codes, day, 2] = np.clip(np.nan_to_num(_column(sales, PROMO, 0.0)), 0.0, 1.0)
    values[codes, day, 3] = log_price_relative(price, usual[codes])
    first_index = np.full(n_skus, n_days, dtype=np.int64)
    np.minimum.at(first_index, codes, day)
    last_index = np.zeros(n_skus, dtype=np.int64)
    np.maximum.at(last_index, codes, day)
    return DemandPanel(
        skus=np.asarray(skus, dtype=object), start=pd.Timestamp(start), values=values,
        first_index=first_index, last_index=last_index, usual_price=usual, last_price=last,
    )


def calendar_features(dates: pd.DatetimeIndex) -> np.ndarray:
    """Day of week and day of year as sin/cos pairs, shape ``(len(dates), 4)``, float32."""
    dow = 2.0 * np.pi * dates.dayofweek.to_numpy() / 7.0
    doy = 2.0 * np.pi * (dates.dayofyear.to_numpy() - 1) / 365.25
    return np.stack([np.sin(dow), np.cos(dow), np.sin(doy), np.cos(doy)], axis=1).astype(
        np.float32
    )


def future_covariates(panel: DemandPanel, h: int, future: pd.DataFrame | None) -> np.ndarray:
    """Known future ``promo`` and ``log_price_rel`` per SKU and day, shape ``(n_skus, h, 2)``.

    Without ``future`` (or where it has no row): no promotion and the SKU's last known price.

    Args:
        panel: the fitted panel (its SKUs, last dates and price levels).
        h: forecast horizon in days after each SKU's last date.
        future: optional frame ``sku, date`` with ``price`` and/or ``promo``.

    Raises:
        InvalidDataError: ``future`` lacks ``sku`` or ``date``.
    """
    covariates = np.zeros((len(panel.skus), h, 2), dtype=np.float32)
    covariates[:, :, 1] = log_price_relative(panel.last_price, panel.usual_price)[:, None]
    if future is None or len(future) == 0:
        return covariates
    missing = [c for c in (SKU, DATE) if c not in future]
    if missing:
        raise InvalidDataError(
            f"future is missing column(s) {', '.join(missing)}; expected sku, date, price/promo."
        )
    position = pd.Series(np.arange(len(panel.skus)), index=panel.skus)
    rows = position.reindex(future[SKU].astype(str).to_numpy()).to_numpy()
    last = panel.start + pd.to_timedelta(panel.last_index, unit="D")
    dates = pd.to_datetime(future[DATE]).dt.normalize().to_numpy()
    known = np.isfinite(rows)
    rows = np.where(known, rows, 0).astype(np.int64)
    step = (dates - last.to_numpy()[rows]) // np.timedelta64(1, "D") - 1
    keep = known & (step >= 0) & (step < h)
    rows, step = rows[keep], step[keep].astype(np.int64)
    if PROMO in future:
        promo = np.clip(np.nan_to_num(_column(future, PROMO, 0.0)[keep]), 0.0, 1.0)
        covariates[rows, step, 0] = promo
    if PRICE in future:
        price = _column(future, PRICE, np.nan)[keep]
        given = np.isfinite(price) & (price > 0)
        relative = log_price_relative(price, panel.usual_price[rows])
        covariates[rows[given], step[given], 1] = relative[given]
    return covariates


def sample_origins(
    panel: DemandPanel, n_windows: int, rng: np.random.Generator, *, min_context_days: int = 7
) -> tuple[np.ndarray, np.ndarray]:
    """Draw training windows uniformly over all valid ``(sku, origin)`` pairs.

    The origin is the first forecast day; a pair is valid when the SKU has at least
    ``min_context_days`` of history before it and at least one target day on or after it.

    Returns:
        ``(sku_index, origin)``, each shape ``(n_windows,)`` in random order (drawn with
        replacement); empty when no SKU has enough history.
    """
    counts = np.maximum(panel.last_index - panel.first_index - min_context_days + 1, 0)
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    flat = rng.integers(0, total, size=n_windows)
    ends = np.cumsum(counts)
    sku_index = np.searchsorted(ends, flat, side="right")
    offset = flat - (ends[sku_index] - counts[sku_index])
    origin = panel.first_index[sku_index] + min_context_days + offset
    return sku_index.astype(np.int64), origin.astype(np.int64)
