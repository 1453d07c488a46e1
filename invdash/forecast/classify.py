"""Demand classes from ADI and CV^2 (Syntetos, Boylan & Croston 2005), plus ``new``.

- ADI (average demand interval) = known days / days with demand.
- CV^2 = squared coefficient of variation of the nonzero demand sizes.
- Cut-offs 1.32 (ADI) and 0.49 (CV^2): ``smooth`` (regular, stable sizes), ``erratic``
  (regular, variable sizes), ``intermittent`` (sparse, stable sizes), ``lumpy`` (sparse and
  variable). A SKU with fewer than ``min_history_days`` known days is ``new``.
Known days exclude stock-out and shop-closed days (``Panel.fit_values``), and only the last
``window_days`` count, so the class describes current behaviour.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from invdash.forecast.panel import Panel, to_panel
from invdash.schema import SKU, validate_sales

__all__ = [
    "DEMAND_CLASSES", "ADI_CUTOFF", "CV2_CUTOFF", "classify_panel", "classify_demand",
]

DEMAND_CLASSES = ("smooth", "erratic", "intermittent", "lumpy", "new")
ADI_CUTOFF = 1.32
CV2_CUTOFF = 0.49


def classify_panel(
    panel: Panel, *, min_history_days: int = 28, window_days: int = 365
) -> pd.DataFrame:
    """Frame ``sku, adi, cv2, demand_class`` for every SKU of ``panel``."""
    values = panel.fit_values[:, -window_days:]
    known = np.sum(~np.isnan(values), axis=1)
    positive = np.where(np.isnan(values), 0.0, values)
    nonzero = np.sum(positive > 0, axis=1)
    adi = np.where(nonzero > 0, known / np.maximum(nonzero, 1), np.inf)
    sizes = np.where(positive > 0, positive, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nanmean(np.where(nonzero[:, None] > 0, sizes, 0.0), axis=1)
        var = np.nanvar(np.where(nonzero[:, None] > 0, sizes, 0.0), axis=1)
    cv2 = np.where(nonzero > 0, var / np.maximum(mean, 1e-12) ** 2, 0.0)
    sparse = adi >= ADI_CUTOFF
    variable = cv2 >= CV2_CUTOFF
    classes = np.select(
        [panel.history_days() < min_history_days, sparse & variable, sparse, variable],
        ["new", "lumpy", "intermittent", "erratic"], default="smooth",
    )
    return pd.DataFrame({SKU: panel.skus, "adi": adi, "cv2": cv2, "demand_class": classes})


def classify_demand(sales: pd.DataFrame, *, min_history_days: int = 28) -> pd.DataFrame:
    """Demand class per SKU of a long sales frame (see the module docstring).

    Args:
        sales: daily sales ``sku, date, qty`` [, ``stockout``].
        min_history_days: SKUs with fewer known days are ``new``.

    Returns:
        Frame ``sku, adi, cv2, demand_class``.
    """
    validate_sales(sales)
    return classify_panel(to_panel(sales), min_history_days=min_history_days)
