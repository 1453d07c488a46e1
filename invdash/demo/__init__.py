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

from invdash import store
from invdash.demo.catalog import make_catalog
from invdash.demo.demand import Demand, make_demand
from invdash.demo.orders import make_customers, make_order_lines
from invdash.demo.stock import Stock, simulate_stock
from invdash.schema import DATE, PRICE, PROMO, QTY, SKU, ConfigError
from invdash.store.demo import rebuild_table

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


@dataclass(frozen=True)
class _Simulation:
    products: pd.DataFrame
    demand: Demand
    stock: Stock


def _simulate(
    n_skus: int, n_days: int, rng: np.random.Generator, end_date: pd.Timestamp
) -> _Simulation:
    dates = pd.date_range(end=pd.Timestamp(end_date).normalize(), periods=n_days, freq="D")
    products = make_catalog(n_skus, rng)
    demand = make_demand(products, dates, rng)
    return _Simulation(products, demand, simulate_stock(products, demand, rng))


def _active(simulation: _Simulation) -> np.ndarray:
    """Mask of each SKU's days from its first day on (row-major order is SKU, then day)."""
    n_days = simulation.demand.qty.shape[1]
    return np.arange(n_days)[None, :] >= simulation.demand.first_day[:, None]


def _long_keys(simulation: _Simulation, active: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """SKU and date columns of the active SKU-days (boolean masks gather faster than indices)."""
    skus = np.repeat(simulation.products["sku"].to_numpy(), active.sum(axis=1))
    dates = np.broadcast_to(simulation.demand.dates.to_numpy(), active.shape)[active]
    return skus, dates


def _sales_frame(simulation: _Simulation) -> pd.DataFrame:
    active = _active(simulation)
    skus, dates = _long_keys(simulation, active)
    return pd.DataFrame({
        SKU: skus,
        DATE: dates,
        QTY: simulation.stock.sold[active],
        PRICE: simulation.demand.price[active],
        PROMO: simulation.demand.promo[active],
    })


def _inventory_frame(simulation: _Simulation) -> pd.DataFrame:
    active = _active(simulation)
    skus, dates = _long_keys(simulation, active)
    return pd.DataFrame({SKU: skus, "as_of": dates, "on_hand": simulation.stock.on_hand[active]})


def _purchase_orders_frame(simulation: _Simulation) -> pd.DataFrame:
    orders = simulation.stock.orders
    dates = simulation.demand.dates
    products = simulation.products
    supplier_no = pd.factorize(products["supplier"], sort=True)[0][orders["sku_index"]]
    order_day = dates[orders["order_day"].to_numpy()].strftime("%Y%m%d").to_numpy()
    po_id = pd.Series(order_day).str.cat(pd.Series(supplier_no + 1).astype(str).str.zfill(2), "-")
    frame = pd.DataFrame({
        "po_id": "PO-" + po_id,
        SKU: products["sku"].to_numpy()[orders["sku_index"]],
        QTY: orders["qty"].to_numpy(),
        "eta": dates[0] + pd.to_timedelta(orders["arrival_day"].to_numpy(), unit="D"),
        "status": np.where(orders["arrival_day"].to_numpy() >= len(dates), "open", "received"),
    })
    return frame.sort_values(["eta", "po_id", SKU], ignore_index=True)


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
    return _sales_frame(_simulate(n_skus, n_days, rng, DEFAULT_END_DATE))


def _make_shop(
    n_skus: int, n_days: int, seed: int, end_date: pd.Timestamp, progress: Progress
) -> DemoShop:
    _check_inputs(n_skus, n_days, seed)
    rng = np.random.default_rng(seed)
    progress(1, 4, "simulating demand and stock")
    simulation = _simulate(n_skus, n_days, rng, end_date)
    progress(2, 4, "generating customers and order lines")
    customers = make_customers(simulation.products, rng)
    order_lines = make_order_lines(
        simulation.products, simulation.stock.sold, simulation.demand, customers, rng
    )
    return DemoShop(
        products=simulation.products[_PRODUCT_COLUMNS].copy(),
        sales=_sales_frame(simulation),
        inventory=_inventory_frame(simulation),
        purchase_orders=_purchase_orders_frame(simulation),
        order_lines=order_lines,
        customers=customers,
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


def _summarise(shop: DemoShop, rows: dict[str, int], seconds: float) -> DemoSummary:
    sales = shop.sales
    stockouts = shop.inventory["on_hand"].to_numpy() <= 0
    # Sales and inventory rows are the same SKU-days in the same order.
    zero_sales = sales[QTY].to_numpy() == 0
    return DemoSummary(
        n_skus=len(shop.products), n_days=int(sales[DATE].nunique()),
        first_date=sales[DATE].min(), last_date=sales[DATE].max(), rows=rows,
        units_sold=float(sales[QTY].sum()), revenue=float((sales[QTY] * sales[PRICE]).sum()),
        stockout_days=int((stockouts & zero_sales).sum()),
        open_purchase_orders=int((shop.purchase_orders["status"] == "open").sum()),
        seconds=seconds,
    )


def build_demo(
    conn: duckdb.DuckDBPyConnection,
    *,
    n_skus: int = 500,
    n_days: int = 730,
    seed: int = 7,
    progress: Progress | None = None,
) -> DemoSummary:
    """Generate a demo shop and write it into the database, replacing the core tables' content.

    Runs in one transaction: the database holds either the old data or the whole new shop. The
    ingest log is emptied too, so files ingested before can be loaded again.

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
    shop = _make_shop(n_skus, n_days, seed, DEFAULT_END_DATE, report)
    report(3, 4, "writing the database")
    tables = {
        "products": shop.products, "sales": shop.sales, "inventory": shop.inventory,
        "purchase_orders": shop.purchase_orders, "order_lines": shop.order_lines,
        "ingest_log": pd.DataFrame(),
    }
    with store.transaction(conn):
        rows = {table: rebuild_table(conn, table, frame) for table, frame in tables.items()}
    report(4, 4, "done")
    rows.pop("ingest_log")
    return _summarise(shop, rows, time.perf_counter() - started)
