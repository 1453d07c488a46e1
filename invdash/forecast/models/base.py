"""The estimator contract every forecaster follows (sklearn style).

- ``__init__`` stores hyper-parameters unchanged and runs no logic.
- ``fit(sales, *, products=None) -> self``: ``sales`` is the long frame ``sku, date, qty, price,
  promo, stockout`` (gap-free, see ``store.load_sales``); ``products`` optionally gives static
  features (``sku, name, category, ...``). State learned in ``fit`` ends in ``_``.
- ``predict(h, *, future=None) -> forecasts``: ``h`` days after each SKU's last date; ``future``
  optionally gives known future ``sku, date, price, promo``. Returns the forecast frame
  ``sku, date, model, mean, p05 .. p99`` (``schema.FORECAST_COLUMNS``): non-negative, quantiles not
  crossed, ``h`` rows per SKU.
- ``predict`` before ``fit`` raises ``NotFittedError``.
- Randomness comes only from the ``seed`` hyper-parameter.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from invdash.schema import (
    DATE,
    FORECAST_COLUMNS,
    MEAN,
    MODEL,
    QUANTILE_COLUMNS,
    QUANTILES,
    SKU,
    NotFittedError,
)

__all__ = ["Forecaster", "check_is_fitted", "future_dates", "finalize_forecasts"]


class Forecaster:
    """Base class: subclasses implement ``fit`` and ``predict``; ``name`` labels ``model``."""

    name: str = "base"

    def get_params(self) -> dict[str, Any]:
        """Hyper-parameters as given to ``__init__`` (sklearn style)."""
        return {k: v for k, v in vars(self).items() if not k.endswith("_")}

    def fit(self, sales: pd.DataFrame, *, products: pd.DataFrame | None = None) -> Forecaster:
        raise NotImplementedError

    def predict(self, h: int, *, future: pd.DataFrame | None = None) -> pd.DataFrame:
        raise NotImplementedError


def check_is_fitted(model: Forecaster, attribute: str) -> None:
    """Raise ``NotFittedError`` if ``model`` lacks the fitted ``attribute``."""
    if getattr(model, attribute, None) is None:
        raise NotFittedError(
            f"{type(model).__name__} is not fitted yet; call fit(sales) first."
        )


def future_dates(last_dates: pd.Series, h: int) -> pd.DataFrame:
    """``sku, date`` rows for ``h`` days after each SKU's last date (indexed by sku)."""
    offsets = pd.to_timedelta(np.arange(1, h + 1), unit="D")
    skus = np.repeat(last_dates.index.to_numpy(), h)
    last = pd.to_datetime(last_dates.to_numpy()).to_numpy()
    dates = (last[:, None] + offsets.to_numpy()[None, :]).ravel()
    return pd.DataFrame({SKU: skus, DATE: pd.to_datetime(dates)})


def finalize_forecasts(forecasts: pd.DataFrame, model_name: str) -> pd.DataFrame:
    """Clip at zero, sort quantiles so they never cross, set ``model`` and column order."""
    frame = forecasts.copy()
    frame[MODEL] = frame[MODEL] if MODEL in frame else model_name
    values = np.clip(frame[list(QUANTILE_COLUMNS)].to_numpy(dtype=float), 0.0, None)
    frame[list(QUANTILE_COLUMNS)] = np.sort(values, axis=1)
    frame[MEAN] = np.clip(frame[MEAN].to_numpy(dtype=float), 0.0, None)
    assert len(QUANTILE_COLUMNS) == len(QUANTILES)
    return frame[list(FORECAST_COLUMNS)].reset_index(drop=True)
