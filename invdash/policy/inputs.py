"""Per-SKU inputs of the policy: stock counts, open orders and product columns, aligned to SKUs.

Private helpers shared by ``table`` and ``projection``: a missing SKU gets a stated default
(0 on hand, nothing on order), an order without an ETA or already overdue arrives on day 1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from invdash.schema import SKU

__all__: list[str] = []


def _per_sku(
    frame: pd.DataFrame | None, skus: np.ndarray, column: str, default: float
) -> np.ndarray:
    if frame is None or frame.empty or column not in frame:
        return np.full(len(skus), default)
    table = frame.assign(**{SKU: frame[SKU].astype(str)}).groupby(SKU)[column].sum()
    return table.reindex(skus).fillna(default).to_numpy(dtype=float)


def _on_order(on_order: pd.DataFrame | None, skus: np.ndarray) -> np.ndarray:
    column = "on_order" if on_order is not None and "on_order" in on_order else "qty"
    return _per_sku(on_order, skus, column, 0.0)


def _arrivals(
    on_order: pd.DataFrame | None, skus: np.ndarray, as_of: pd.Timestamp, n_days: int
) -> np.ndarray:
    """Units arriving per SKU and day 1..n_days (overdue orders on day 1; no ETA: day 1)."""
    arrivals = np.zeros((len(skus), n_days))
    if on_order is None or on_order.empty:
        return arrivals
    qty_col = "on_order" if "on_order" in on_order else "qty"
    position = {sku: i for i, sku in enumerate(skus)}
    eta = (
        pd.to_datetime(on_order["eta"])
        if "eta" in on_order
        else pd.Series(pd.NaT, index=on_order.index)
    )
    days = ((eta - as_of).dt.days.fillna(1).clip(lower=1) - 1).astype(int)
    for sku, day, qty in zip(on_order[SKU].astype(str), days, on_order[qty_col], strict=True):
        if sku in position and day < n_days:
            arrivals[position[sku], day] += float(qty)
    return arrivals


def _product_column(products: pd.DataFrame, skus: np.ndarray, column: str) -> np.ndarray:
    if column not in products:
        return np.full(len(skus), np.nan)
    table = products.assign(**{SKU: products[SKU].astype(str)}).set_index(SKU)[column]
    return table.reindex(skus).to_numpy(dtype=float)
