"""Customers and order lines of the demo shop, consistent with its daily sales.

Design: order lines are the sales split into pieces, so the two tables always agree.
1. Every sku-day's units sold are split into 1..qty lines (most lines carry one or two units).
2. Each day's lines are sorted by category, then collection (colour), then at random, and cut into
   baskets of about 2.2 lines; so items of one collection ("Kitchen Sage" mugs, bowls and plates)
   are bought together far more often than chance, the co-purchase signal recommenders learn.
   A third of the lines get a random sort position instead, so baskets also mix collections and
   categories (about half of the item pairs in a basket share a collection).
3. Each basket goes to a customer (about 40 per SKU): 80% of the time one whose favourite
   category is the basket's, weighted by a log-normal activity, so some customers buy again and
   again while most order a few times a year.

Only the last ``order_line_days`` days get order lines (a year at most, and fewer for big shops, so
the table stays near ``MAX_ORDER_LINES`` rows and the database stays fast). Within that window,
order-line units per sku and day equal ``sales.qty`` exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "MAX_ORDER_LINES", "ORDER_LINE_DAYS", "order_line_days", "make_customers", "make_order_lines",
]

ORDER_LINE_DAYS = 365
MAX_ORDER_LINES = 400_000
_UNITS_PER_LINE = 1.6
_LINES_PER_BASKET = 2.2
_STRAY_LINES = 1 / 3
_HOUR_WEIGHTS = np.array(
    [1, 1, 0.5, 0.3, 0.3, 0.5, 1, 2, 3, 4, 5, 5, 6, 6, 5, 5, 5, 5, 6, 8, 9, 8, 5, 2], dtype=float
)


def order_line_days(units_per_day: np.ndarray) -> int:
    """How many trailing days get order lines: at most a year and about ``MAX_ORDER_LINES``.

    Args:
        units_per_day: units sold per day over the whole shop, shape (n_days,).
    """
    units_from_end = np.cumsum(np.asarray(units_per_day)[::-1])
    fits = int(np.searchsorted(units_from_end, MAX_ORDER_LINES * _UNITS_PER_LINE))
    return int(min(len(units_per_day), ORDER_LINE_DAYS, max(fits, 28)))


def make_customers(products: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Customers ``customer_id, favourite_category, activity`` (40 per SKU, at least 50).

    Args:
        products: the catalogue.
        rng: the shop's random generator.
    """
    n_customers = max(50, 40 * len(products))
    categories = products["category"].to_numpy()
    return pd.DataFrame({
        "customer_id": [f"C{k:07d}" for k in range(1, n_customers + 1)],
        "favourite_category": rng.choice(categories, n_customers),
        "activity": rng.lognormal(0.0, 1.0, n_customers),
    })


def _split_into_lines(qty: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Split each positive ``qty`` into lines; returns (owner index per line, line qty)."""
    n_lines = 1 + rng.binomial(qty - 1, 1 - 1 / _UNITS_PER_LINE)
    first_line = np.concatenate([[0], np.cumsum(n_lines)[:-1]])
    first_unit = np.concatenate([[0], np.cumsum(qty)[:-1]])
    owner_of_unit = np.repeat(np.arange(qty.size), qty)
    rank = np.arange(owner_of_unit.size) - first_unit[owner_of_unit]
    lines_of_unit = n_lines[owner_of_unit]
    local = np.where(rank < lines_of_unit, rank, rng.integers(0, lines_of_unit))
    line_qty = np.bincount(first_line[owner_of_unit] + local, minlength=int(n_lines.sum()))
    return np.repeat(np.arange(qty.size), n_lines), line_qty.astype(float)


def _scatter(keys: np.ndarray, stray: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``keys`` with the ``stray`` entries replaced by random keys from the same range."""
    upper = int(keys.max()) + 1 if keys.size else 1
    return np.where(stray, rng.integers(0, upper, keys.size), keys)


def _assign_customers(
    basket_category: np.ndarray, customers: pd.DataFrame, rng: np.random.Generator
) -> np.ndarray:
    ids = customers["customer_id"].to_numpy()
    weight = customers["activity"].to_numpy()
    favourite = customers["favourite_category"].to_numpy()
    chosen = rng.choice(ids, basket_category.size, p=weight / weight.sum())
    loyal = rng.random(basket_category.size) < 0.8
    for category in np.unique(basket_category):
        fans = favourite == category
        rows = np.flatnonzero(loyal & (basket_category == category))
        if fans.any() and rows.size:
            fan_weight = weight[fans] / weight[fans].sum()
            chosen[rows] = rng.choice(ids[fans], rows.size, p=fan_weight)
    return chosen


def make_order_lines(  # noqa: PLR0913 - the window's matrices
    products: pd.DataFrame,
    sold: np.ndarray,
    price: np.ndarray,
    dates: pd.DatetimeIndex,
    customers: pd.DataFrame,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Order lines ``order_id, line_no, customer_id, sku, ts, qty, price`` (module docstring).

    Args:
        products: the catalogue (rows aligned with ``sold``).
        sold: units sold per SKU and day of the order-line window (``order_line_days``), whole
            numbers, shape (n_skus, window).
        price: price paid per SKU and day of the window, the same shape.
        dates: the window's days.
        customers: from ``make_customers``.
        rng: the shop's random generator.
    """
    sku_index, day = np.nonzero(sold > 0)
    owner, line_qty = _split_into_lines(sold[sku_index, day].astype(np.int64), rng)
    stray = rng.random(owner.size) < _STRAY_LINES
    category = products["category_index"].to_numpy()[sku_index[owner]]
    collection = pd.factorize(products["collection"])[0][sku_index[owner]]
    lines = pd.DataFrame({
        "sku_index": sku_index[owner], "day": day[owner], "qty": line_qty,
        "category": _scatter(category, stray, rng), "collection": _scatter(collection, stray, rng),
        "shuffle": rng.random(owner.size),
    }).sort_values(["day", "category", "collection", "shuffle"], ignore_index=True)
    day_changes = np.diff(lines["day"].to_numpy(), prepend=-1) != 0
    new_basket = day_changes | (rng.random(len(lines)) < 1 / _LINES_PER_BASKET)
    lines["basket"] = np.cumsum(new_basket) - 1
    lines = lines.groupby(["basket", "sku_index"], as_index=False, sort=True).agg(
        qty=("qty", "sum"), day=("day", "first")
    )
    baskets = lines.groupby("basket", sort=True)["day"].first()
    first_sku = lines.groupby("basket", sort=True)["sku_index"].first().to_numpy()
    seconds = (
        rng.choice(24, baskets.size, p=_HOUR_WEIGHTS / _HOUR_WEIGHTS.sum()) * 3600
        + rng.integers(0, 3600, baskets.size)
    )
    basket_ts = dates[baskets.to_numpy()] + pd.to_timedelta(seconds, unit="s")
    customer = _assign_customers(products["category"].to_numpy()[first_sku], customers, rng)
    order_rank = np.argsort(np.argsort(basket_ts.to_numpy(), kind="stable"), kind="stable")
    lines["order_id"] = np.char.add("ORD-", np.char.zfill((order_rank + 1).astype(str), 7))[
        lines["basket"].to_numpy()
    ]
    lines["customer_id"] = customer[lines["basket"].to_numpy()]
    lines["ts"] = basket_ts[lines["basket"].to_numpy()]
    lines["line_no"] = lines.groupby("basket").cumcount().astype(np.int32) + 1
    lines["sku"] = products["sku"].to_numpy()[lines["sku_index"].to_numpy()]
    lines["price"] = price[lines["sku_index"].to_numpy(), lines["day"].to_numpy()]
    columns = ["order_id", "line_no", "customer_id", "sku", "ts", "qty", "price"]
    return lines.sort_values(["ts", "order_id", "line_no"], ignore_index=True)[columns]
