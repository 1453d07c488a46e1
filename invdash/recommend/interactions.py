"""Purchases from order lines, and the index and sparse matrices every model shares.

Design: the models never see raw order lines. ``clean_purchases`` keeps real purchases (positive
quantity, not a cancellation invoice ``C...``, a non-empty SKU) once, and ``build_interactions``
turns them into integer indices: one item index, one customer index, a customers x items matrix of
"number of distinct orders that contained the item" and each customer's time-ordered item sequence.
Guest orders (no customer id) still count as baskets for bought-together and popularity.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from invdash.schema import SKU, InvalidDataError

__all__ = [
    "ORDER_ID",
    "CUSTOMER_ID",
    "TS",
    "ORDER_LINE_COLUMNS",
    "clean_purchases",
    "Interactions",
    "build_interactions",
]

ORDER_ID = "order_id"
CUSTOMER_ID = "customer_id"
TS = "ts"
ORDER_LINE_COLUMNS = (ORDER_ID, CUSTOMER_ID, SKU, TS, "qty")


def clean_purchases(order_lines: pd.DataFrame) -> pd.DataFrame:
    """Real purchases from order lines: ``order_id, customer_id, sku, ts, qty``.

    Drops returns (qty <= 0), cancellation invoices (order id starting with ``C``) and empty SKUs.
    ``customer_id`` stays missing (``None``) for guest orders.

    Raises:
        InvalidDataError: a required column is missing or ``ts`` does not parse.
    """
    missing = [c for c in ORDER_LINE_COLUMNS if c not in order_lines.columns]
    if missing:
        raise InvalidDataError(
            f"order lines are missing column(s) {', '.join(missing)}; expected "
            "order_id, customer_id, sku, ts, qty (and optionally price)."
        )
    lines = order_lines[list(ORDER_LINE_COLUMNS)].copy()
    lines[ORDER_ID] = lines[ORDER_ID].astype(str)
    lines[SKU] = lines[SKU].astype(str).str.strip()
    lines["qty"] = pd.to_numeric(lines["qty"], errors="coerce")
    try:
        lines[TS] = pd.to_datetime(lines[TS])
    except (ValueError, TypeError) as err:
        raise InvalidDataError(f"order lines ts does not parse as timestamps: {err}") from err
    customer = lines[CUSTOMER_ID]
    customer = customer.where(customer.notna(), None).astype(object)
    lines[CUSTOMER_ID] = [
        None if c is None or str(c).strip() in ("", "nan") else str(c) for c in customer
    ]
    keep = (lines["qty"] > 0) & ~lines[ORDER_ID].str.upper().str.startswith("C")
    keep &= lines[SKU].ne("") & lines[SKU].ne("nan") & lines[TS].notna()
    return lines[keep].sort_values([TS, ORDER_ID], kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class Interactions:
    """Integer-indexed purchases shared by the models.

    Attributes:
        skus: item index -> SKU (sorted).
        customers: customer index -> customer id (sorted).
        user_items: customers x items CSR, number of distinct orders with the item.
        basket_items: orders x items CSR (binary), every order including guest orders.
        sequences: per customer, item indices in purchase order (order time, then line order).
        recency: customers x items CSR, sum over the orders of exp(-age_days / half_life).
        end: the last purchase time in the data.
        buys: one row per (customer, order, item) bought: ``customer``, ``order``, ``item``
            (indices) and ``ts``, in time order; what the repeat and neighbourhood models read.
    """

    skus: np.ndarray
    customers: np.ndarray
    user_items: sp.csr_matrix
    basket_items: sp.csr_matrix
    sequences: list[np.ndarray]
    recency: sp.csr_matrix
    end: pd.Timestamp
    buys: pd.DataFrame

    def orders_per_customer(self) -> np.ndarray:
        """Number of distinct orders of each customer index."""
        orders = self.buys.groupby("customer")["order"].nunique()
        return orders.reindex(np.arange(len(self.customers)), fill_value=0).to_numpy()

    def item_index(self) -> dict[str, int]:
        """SKU -> item index (built once per instance; callers only read it)."""
        return self._memo("_item_index", self.skus)

    def customer_index(self) -> dict[str, int]:
        """Customer id -> customer index (built once per instance: a list of recommendations
        asks for it once per customer, and rebuilding it each time cost minutes)."""
        return self._memo("_customer_index", self.customers)

    def _memo(self, name: str, keys: Sequence) -> dict[str, int]:
        index = self.__dict__.get(name)
        if index is None:
            index = {key: i for i, key in enumerate(keys)}
            object.__setattr__(self, name, index)  # a frozen dataclass: a cache, not a field
        return index


def build_interactions(purchases: pd.DataFrame, *, half_life_days: float = 60.0) -> Interactions:
    """Index cleaned purchases (see ``clean_purchases``) into the shared matrices.

    Args:
        purchases: output of ``clean_purchases``.
        half_life_days: half-life of the recency weight exp(-ln2 * age / half_life), in days.
    """
    if purchases.empty:
        raise InvalidDataError(
            "no purchases to learn from (every order line is a return, a "
            "cancellation or has no SKU); load order lines first."
        )
    skus, item_codes = np.unique(purchases[SKU].to_numpy(dtype=str), return_inverse=True)
    orders, order_codes = np.unique(purchases[ORDER_ID].to_numpy(dtype=str), return_inverse=True)
    basket = sp.csr_matrix(
        (np.ones(len(purchases), dtype=np.float32), (order_codes, item_codes)),
        shape=(len(orders), len(skus)),
    )
    basket.data[:] = 1.0
    known = purchases[CUSTOMER_ID].notna().to_numpy()
    cust_col = purchases.loc[known, CUSTOMER_ID].to_numpy(dtype=str)
    customers, cust_codes = np.unique(cust_col, return_inverse=True)
    items_known = item_codes[known]
    end = pd.Timestamp(purchases[TS].max())
    # One count per (customer, order, item): repeated lines of an item in an order are one buy.
    frame = pd.DataFrame(
        {
            "customer": cust_codes,
            "order": order_codes[known],
            "item": items_known,
            "ts": purchases.loc[known, TS].to_numpy(),
        }
    )
    frame = frame.drop_duplicates(["customer", "order", "item"], keep="first")
    frame = frame.reset_index(drop=True)
    age_days = (end - pd.to_datetime(frame["ts"])).dt.total_seconds().to_numpy() / 86400.0
    decay = np.exp(-np.log(2.0) * age_days / half_life_days).astype(np.float32)
    shape = (len(customers), len(skus))
    pairs = (frame["customer"], frame["item"])
    user_items = sp.csr_matrix((np.ones(len(frame), np.float32), pairs), shape)
    recency = sp.csr_matrix((decay, pairs), shape)
    user_items.sum_duplicates()
    recency.sum_duplicates()
    codes = frame["customer"].to_numpy()
    items = frame["item"].to_numpy()
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(customers) + 1))
    sequences = [items[order[bounds[u] : bounds[u + 1]]] for u in range(len(customers))]
    return Interactions(
        skus=skus,
        customers=customers,
        user_items=user_items,
        basket_items=basket,
        sequences=sequences,
        recency=recency,
        end=end,
        buys=frame,
    )
