"""Which SKUs are planned on a day, and their lead times in whole days.

Shared by the live reorder calibration (``invdash.reorder``) and the policy replay
(``invdash.replay``), so both plan the same SKUs with the same lead-time rule: a product's own
``lead_time_days`` rounded to whole days (at least 0), ``DEFAULT_LEAD_TIME_DAYS`` where unknown,
or one given lead time for every SKU.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from invdash.policy.demand import DEFAULT_LEAD_TIME_DAYS
from invdash.schema import DATE, SKU

__all__ = ["LEAD_TIME", "product_column", "whole_lead_time_days", "planning_products"]

LEAD_TIME = "lead_time_days"


def product_column(products: pd.DataFrame | None, skus: list[str], column: str) -> np.ndarray:
    """``products[column]`` aligned to ``skus`` as floats (NaN where unknown or absent)."""
    if products is None or column not in products.columns:
        return np.full(len(skus), np.nan)
    known = products.drop_duplicates(SKU)
    values = known.set_index(known[SKU].astype(str))[column]
    return pd.to_numeric(values.reindex(skus), errors="coerce").to_numpy(dtype=float)


def whole_lead_time_days(
    products: pd.DataFrame | None, skus: list[str], *, lead_time_days: int | None = None
) -> np.ndarray:
    """Lead time L per SKU in whole days: ``lead_time_days`` for all when given, else each
    product's own (rounded, >= 0), ``DEFAULT_LEAD_TIME_DAYS`` (7) where unknown.

    Example: products with lead times 6.6 and NaN give ``[7, 7]``; ``lead_time_days=3`` gives
    ``[3, 3]``.
    """
    if lead_time_days is not None:
        return np.full(len(skus), int(lead_time_days), dtype=int)
    lead = product_column(products, skus, LEAD_TIME)
    default = int(DEFAULT_LEAD_TIME_DAYS)
    return np.where(np.isfinite(lead), np.maximum(np.round(lead), 0), default).astype(int)


def planning_products(
    sales: pd.DataFrame,
    products: pd.DataFrame | None,
    *,
    start: pd.Timestamp,
    lead_time_days: int | None = None,
) -> pd.DataFrame:
    """One product row per SKU sold before ``start``, with whole-day ``lead_time_days``.

    ``lead_time_days`` overrides every SKU's lead time and makes it exact
    (``lead_time_sd_days = 0``); otherwise each product's own lead time is used (7 where unknown).
    Other product columns (``moq``, ``pack_size``, ``unit_cost`` ...) are kept.
    """
    first_sale = sales.assign(**{DATE: pd.to_datetime(sales[DATE])}).groupby(SKU)[DATE].min()
    skus = sorted(first_sale.index[first_sale < pd.Timestamp(start)].astype(str))
    base = pd.DataFrame({SKU: skus})
    if products is not None and len(products):
        known = products.assign(**{SKU: products[SKU].astype(str)}).drop_duplicates(SKU)
        base = base.merge(known, on=SKU, how="left")
    base[LEAD_TIME] = whole_lead_time_days(base, skus, lead_time_days=lead_time_days)
    if lead_time_days is not None or "lead_time_sd_days" not in base:
        base["lead_time_sd_days"] = 0.0
    base["lead_time_sd_days"] = base["lead_time_sd_days"].fillna(0.0)
    return base
