"""Per-SKU covariates of the panel: category codes (pooling) and price / promotion matrices.

Prices are forward filled along each SKU's periods (a day without a row keeps the last price);
planned rows from ``--future`` extend the matrices past the data, so the global model reads
known future prices and promotions. Promotion flags missing are 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from invdash.forecast.grain import Grain, period_range, to_grain
from invdash.schema import DATE, PRICE, PROMO, SKU

__all__ = ["category_codes", "covariate_matrices"]


def category_codes(skus: pd.Index, products: pd.DataFrame | None) -> np.ndarray | None:
    if products is None or "category" not in products.columns:
        return None
    category = products.assign(sku=products[SKU].astype(str)).set_index(SKU)["category"]
    labels = category[~category.index.duplicated()].reindex(skus).fillna("").astype(str)
    return pd.factorize(labels)[0]


def covariate_matrices(
    sales: pd.DataFrame, future: pd.DataFrame | None, skus: pd.Index,
    dates: pd.DatetimeIndex, grain: Grain,
) -> dict[str, np.ndarray | None]:
    """``price`` (forward filled) and ``promo`` matrices over the data and any planned periods."""
    if PRICE not in sales.columns or sales[PRICE].isna().all():
        return {"price": None, "promo": None}
    frames = [sales] if future is None else [sales, to_grain(future.assign(qty=0.0), grain)]
    rows = pd.concat(frames, ignore_index=True)
    rows = rows.assign(date=pd.to_datetime(rows[DATE]), sku=rows[SKU].astype(str))
    end = max(rows[DATE].max(), dates[-1])
    span = period_range(dates[0], end, grain)
    price = rows.pivot_table(index=SKU, columns=DATE, values=PRICE, aggfunc="mean")
    price = price.reindex(index=skus, columns=span).ffill(axis=1).bfill(axis=1)
    promo = None
    if PROMO in rows.columns:
        promo = rows.pivot_table(index=SKU, columns=DATE, values=PROMO, aggfunc="max")
        promo = promo.reindex(index=skus, columns=span).fillna(0.0).to_numpy(dtype=float)
    return {"price": price.to_numpy(dtype=float), "promo": promo}

