"""The seeded demo shop: a realistic e-commerce business to explore invdash without own data.

Design: one ``numpy.random.Generator`` (``default_rng(seed)``) flows through four stages, so the
same seed always gives identical frames:

1. ``catalog``: readable, unique product titles by category ("Stoneware Coffee Mug 350ml Sage"),
   suppliers with lead times and their variability, MOQ, pack sizes, unit cost and price.
2. ``demand``: daily demand matrices with weekly and yearly seasonality, trends, promotions with
   price cuts, slow and intermittent movers, launches and discontinued items.
3. ``stock``: a weekly order-up-to replenishment simulation; sales are demand censored by stock,
   so the shop has stockout periods (zero sales at zero stock, recorded in the inventory history),
   a current stock position and open purchase orders with future ETAs.
4. ``orders``: customers and order lines that split the sales into baskets with co-purchase
   structure (collections bought together, loyal repeat customers).

``make_sales`` runs stages 1-3 and returns only the sales frame (the benchmarks' input);
``make_shop`` returns every frame; ``build_demo`` writes them into a database.

Frames: ``sales`` has one row per SKU and day, gap-free from each SKU's first day (day 0, or its
launch) to the shop's last day ``end_date``; ``qty`` is whole units >= 0 and ``promo`` is 0.0/1.0.
``inventory`` holds the end-of-day stock for the same SKU-days (the last day is the current
snapshot). ``order_lines`` cover only the last ``order_line_days`` days (see ``orders.py``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd

from invdash.demo.blocks import Block, block_bounds, sales_frame, simulate, simulate_blocks
from invdash.demo.catalog import make_catalog
from invdash.demo.orders import make_customers, make_order_lines, order_line_days
from invdash.schema import DATE, PRICE, QTY, SKU, ConfigError
from invdash.store.demo import (
    append_staged,
    commit_staged,
    drop_staged,
    read_sales_since,
    stage_tables,
    staging_memory,
)

__all__ = [
    "DEFAULT_END_DATE", "MAX_SKUS", "MAX_DAYS", "DemoShop", "DemoSummary", "make_sales",
    "make_shop", "build_demo",
]

#: The shop's last day unless told otherwise (fixed, so a seed always gives the same shop).
DEFAULT_END_DATE = pd.Timestamp("2025-10-31")
MAX_SKUS = 100_000
MAX_DAYS = 3_650
_MIN_DAYS = 28
_PRODUCT_COLUMNS = [
    "sku", "name", "category", "unit_cost", "unit_price", "supplier", "lead_time_days",
    "lead_time_sd_days", "moq", "pack_size", "product_type", "collection",
]

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class DemoShop:
    """Every frame of a demo shop (columns as in the database tables of the same name).

    Attributes:
        products: ``sku, name, category, unit_cost, unit_price, supplier, lead_time_days,
            lead_time_sd_days, moq, pack_size`` plus ``product_type, collection``.
        sales: ``sku, date, qty, price, promo``.
        inventory: ``sku, as_of, on_hand`` (end of day).
        purchase_orders: ``po_id, sku, qty, eta, status`` (``received`` or ``open``).
        order_lines: ``order_id, line_no, customer_id, sku, ts, qty, price``.
        customers: ``customer_id, favourite_category, activity``.
    """

    products: pd.DataFrame
    sales: pd.DataFrame
    inventory: pd.DataFrame
    purchase_orders: pd.DataFrame
    order_lines: pd.DataFrame
    customers: pd.DataFrame


@dataclass(frozen=True)
class DemoSummary:
    """What ``build_demo`` wrote.

    Attributes:
        n_skus: products.
        n_days: days of history.
        first_date: the first day of sales.
        last_date: the last day of sales (the shop's "today").
        rows: rows written per table.
        units_sold: total units sold.
        revenue: total revenue (units x price paid).
        stockout_days: SKU-days with zero stock and zero sales.
        open_purchase_orders: open purchase-order lines (ETA after ``last_date``).
        seconds: wall time of the build.
    """

    n_skus: int
    n_days: int
    first_date: pd.Timestamp
    last_date: pd.Timestamp
    rows: dict[str, int] = field(default_factory=dict)
    units_sold: float = 0.0
    revenue: float = 0.0
    stockout_days: int = 0
    open_purchase_orders: int = 0
    seconds: float = 0.0

    def describe(self) -> str:
        """A few human-readable lines for the CLI."""
        tables = ", ".join(f"{table} {count:,}" for table, count in self.rows.items())
        return "\n".join([
            f"demo shop: {self.n_skus:,} SKUs x {self.n_days:,} days "
            f"({self.first_date.date()} .. {self.last_date.date()}), built in {self.seconds:.1f} s",
            f"rows: {tables}",
            f"units sold {self.units_sold:,.0f}, revenue {self.revenue:,.0f}, "
            f"stockout SKU-days {self.stockout_days:,}, "
            f"open purchase-order lines {self.open_purchase_orders:,}",
        ])


def _check_inputs(n_skus: int, n_days: int, seed: int) -> None:
    if isinstance(n_skus, bool) or not isinstance(n_skus, int | np.integer) or not (
        1 <= n_skus <= MAX_SKUS
    ):
        raise ConfigError(f"n_skus must be a whole number from 1 to {MAX_SKUS:,}, got {n_skus!r}.")
    if isinstance(n_days, bool) or not isinstance(n_days, int | np.integer) or not (
        _MIN_DAYS <= n_days <= MAX_DAYS
    ):
        raise ConfigError(
            f"n_days must be a whole number from {_MIN_DAYS} to {MAX_DAYS:,}, got {n_days!r}."
        )
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ConfigError(f"seed must be a whole number >= 0, got {seed!r}.")


def _dates(n_days: int, end_date: pd.Timestamp) -> pd.DatetimeIndex:
    return pd.date_range(end=pd.Timestamp(end_date).normalize(), periods=n_days, freq="D")


def _simulate(n_skus: int, n_days: int, rng: np.random.Generator, end_date: pd.Timestamp):
    """Every SKU's demand and stock from one generator (the single-block shop; benchmarks)."""
    return simulate(make_catalog(n_skus, rng), _dates(n_days, end_date), rng)


_sales_frame = sales_frame


def make_sales(n_skus: int, n_days: int, seed: int = 0) -> pd.DataFrame:
    """Daily sales of a seeded demo shop: the input of tests and benchmarks.

    The same frame as ``make_shop(n_skus, n_days, seed).sales``: one row per SKU and day, gap-free
    from each SKU's first day (launched SKUs start late) to ``DEFAULT_END_DATE``; zero sales on
    stockout days are included (``make_shop``'s inventory explains them).

    Args:
        n_skus: number of SKUs (1 to ``MAX_SKUS``).
        n_days: days of history (28 to ``MAX_DAYS``).
        seed: seed of ``numpy.random.default_rng``.

    Returns:
        ``sku, date, qty, price, promo`` sorted by SKU and date.

    Raises:
        ConfigError: ``n_skus`` or ``n_days`` out of range.
    """
    _check_inputs(n_skus, n_days, seed)
    rng = np.random.default_rng(seed)
    products = make_catalog(n_skus, rng)
    blocks = simulate_blocks(products, _dates(n_days, DEFAULT_END_DATE), rng, seed=seed)
    return pd.concat([block.sales for block in blocks], ignore_index=True)


class _Tally:
    """What the summary reports, summed over blocks."""

    def __init__(self, n_days: int) -> None:
        self.units_per_day = np.zeros(n_days)
        self.first_day = n_days
        self.units_sold = self.revenue = 0.0
        self.stockout_days = self.open_purchase_orders = 0

    def add(self, block: Block) -> None:
        sales = block.sales
        self.units_per_day += block.simulation.stock.sold.sum(axis=0)
        self.first_day = min(self.first_day, int(block.simulation.demand.first_day.min()))
        self.units_sold += float(sales[QTY].sum())
        self.revenue += float((sales[QTY] * sales[PRICE]).sum())
        # Sales and inventory rows are the same SKU-days in the same order.
        empty = block.inventory["on_hand"].to_numpy() <= 0
        self.stockout_days += int((empty & (sales[QTY].to_numpy() == 0)).sum())
        self.open_purchase_orders += int((block.purchase_orders["status"] == "open").sum())

    def summary(self, dates: pd.DatetimeIndex, rows: dict[str, int], seconds: float):
        return DemoSummary(
            n_skus=rows.get("products", 0), n_days=len(dates) - self.first_day,
            first_date=dates[self.first_day], last_date=dates[-1], rows=rows,
            units_sold=self.units_sold, revenue=self.revenue, stockout_days=self.stockout_days,
            open_purchase_orders=self.open_purchase_orders, seconds=seconds,
        )


def _window_matrices(
    products: pd.DataFrame, window_sales: pd.DataFrame, dates: pd.DatetimeIndex
) -> tuple[np.ndarray, np.ndarray]:
    """Units sold and price per SKU (catalogue order) and day of the order-line window."""
    sold = np.zeros((len(products), len(dates)))
    price = np.zeros_like(sold)
    row = pd.Index(products["sku"]).get_indexer(window_sales[SKU])
    day = dates.get_indexer(pd.to_datetime(window_sales[DATE]))
    sold[row, day] = window_sales[QTY].to_numpy(dtype=float)
    price[row, day] = window_sales[PRICE].to_numpy(dtype=float)
    return sold, price


def _order_lines(
    products: pd.DataFrame, tally: _Tally, dates: pd.DatetimeIndex, read_window: Callable,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Customers and order lines; ``read_window(first_date)`` gives the sales rows from then."""
    customers = make_customers(products, rng)
    window = dates[-order_line_days(tally.units_per_day):]
    sold, price = _window_matrices(products, read_window(window[0]), window)
    return customers, make_order_lines(products, sold, price, window, customers, rng)


def _make_shop(
    n_skus: int, n_days: int, seed: int, end_date: pd.Timestamp, progress: Progress
) -> DemoShop:
    _check_inputs(n_skus, n_days, seed)
    rng = np.random.default_rng(seed)
    progress(1, 4, "simulating demand and stock")
    products, dates = make_catalog(n_skus, rng), _dates(n_days, end_date)
    tally, parts = _Tally(n_days), []
    for block in simulate_blocks(products, dates, rng, seed=seed):
        tally.add(block)
        parts.append((block.sales, block.inventory, block.purchase_orders))
    sales, inventory, purchase_orders = (
        pd.concat([part[k] for part in parts], ignore_index=True) for k in range(3)
    )
    progress(2, 4, "generating customers and order lines")
    customers, order_lines = _order_lines(
        products, tally, dates, lambda first: sales[sales[DATE] >= first], rng
    )
    return DemoShop(
        products=products[_PRODUCT_COLUMNS].copy(), sales=sales, inventory=inventory,
        purchase_orders=purchase_orders.sort_values(["eta", "po_id", SKU], ignore_index=True),
        order_lines=order_lines, customers=customers,
    )


def _no_progress(step: int, total: int, label: str) -> None:  # noqa: ARG001
    return None


def make_shop(
    n_skus: int = 500, n_days: int = 730, seed: int = 7, end_date: pd.Timestamp | None = None
) -> DemoShop:
    """Every frame of a seeded demo shop (see the module docstring).

    Args:
        n_skus: number of SKUs (1 to ``MAX_SKUS``).
        n_days: days of history (28 to ``MAX_DAYS``).
        seed: seed of ``numpy.random.default_rng``; the same seed gives identical frames.
        end_date: the shop's last day ("today"); default ``DEFAULT_END_DATE``.

    Raises:
        ConfigError: ``n_skus`` or ``n_days`` out of range.
    """
    end = DEFAULT_END_DATE if end_date is None else pd.Timestamp(end_date)
    return _make_shop(n_skus, n_days, seed, end, _no_progress)


_BLOCK_TABLES = ("sales", "inventory", "purchase_orders")
_TABLES = ("products", *_BLOCK_TABLES, "order_lines")


def _write_blocks(  # noqa: PLR0913 - the shop's parts
    conn: duckdb.DuckDBPyConnection, products: pd.DataFrame, dates: pd.DatetimeIndex,
    rng: np.random.Generator, seed: int, report: Progress,
) -> tuple[_Tally, dict[str, int]]:
    """Simulate block by block into the staging tables (``store.demo``); rows per table."""
    rows = dict.fromkeys(_TABLES, 0)
    rows["products"] = append_staged(conn, {"products": products[_PRODUCT_COLUMNS]})
    tally = _Tally(len(dates))
    total = len(block_bounds(len(products), len(dates)))
    for k, block in enumerate(simulate_blocks(products, dates, rng, seed=seed)):
        report(1, 4, f"simulating and writing SKUs: block {k + 1}/{total}")
        tally.add(block)
        for table in _BLOCK_TABLES:
            rows[table] += len(getattr(block, table))
        append_staged(conn, {table: getattr(block, table) for table in _BLOCK_TABLES})
        del block  # the next block is drawn before the loop rebinds the name
    return tally, rows


def _build(conn: duckdb.DuckDBPyConnection, n_skus: int, n_days: int, seed: int,
           report: Progress) -> tuple[_Tally, dict[str, int], pd.DatetimeIndex]:
    rng = np.random.default_rng(seed)
    products, dates = make_catalog(n_skus, rng), _dates(n_days, DEFAULT_END_DATE)
    stage_tables(conn, _TABLES)
    tally, rows = _write_blocks(conn, products, dates, rng, seed, report)
    report(2, 4, "generating customers and order lines")
    _, order_lines = _order_lines(
        products, tally, dates, lambda first: read_sales_since(conn, first), rng
    )
    report(3, 4, "writing the database")
    rows["order_lines"] = append_staged(conn, {"order_lines": order_lines})
    commit_staged(conn, _TABLES, emptied=("ingest_log",))
    return tally, rows, dates


def build_demo(
    conn: duckdb.DuckDBPyConnection,
    *,
    n_skus: int = 500,
    n_days: int = 730,
    seed: int = 7,
    progress: Progress | None = None,
) -> DemoSummary:
    """Generate a demo shop and write it into the database, replacing the core tables' content.

    The shop is simulated and written in blocks of SKUs (``blocks.py``) into staging tables,
    so memory stays bounded at any size (``store.demo``); the tables hold exactly
    ``make_shop``'s frames. One last transaction swaps them in: the database holds either the
    old data or the whole new shop. The ingest log is emptied too, so files ingested before can
    be loaded again.

    Args:
        conn: a read-write connection (``store.connect``).
        n_skus: number of SKUs.
        n_days: days of history.
        seed: seed of ``numpy.random.default_rng``.
        progress: called as ``progress(step, total_steps, label)`` before each stage.

    Returns:
        A ``DemoSummary`` of what was written.

    Raises:
        ConfigError: ``n_skus`` or ``n_days`` out of range.
    """
    report = progress or _no_progress
    started = time.perf_counter()
    _check_inputs(n_skus, n_days, seed)
    try:
        with staging_memory(conn):
            tally, rows, dates = _build(conn, n_skus, n_days, seed, report)
    except BaseException:
        drop_staged(conn, _TABLES)
        raise
    report(4, 4, "done")
    return tally.summary(dates, rows, time.perf_counter() - started)
