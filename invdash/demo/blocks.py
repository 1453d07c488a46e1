"""The demo shop simulated in blocks of SKUs, so memory stays bounded as the shop grows.

Design: demand and stock are ``(n_skus, n_days)`` matrices, about 15 of them; at 100,000 SKUs x
730 days each is 584 MB. So the catalogue (one row per SKU, small) is drawn whole, and demand and
stock are simulated for one block of SKUs at a time (contiguous in SKU order), each block written
out before the next is drawn.

Randomness: block 0 continues the shop's own generator (``default_rng(seed)``, after the
catalogue) and block ``k >= 1`` has its own, ``default_rng([seed, k])``; customers and order lines
then continue the shop's generator. A block holds ``BLOCK_CELLS`` SKU-days (10,000 SKUs at 730
days), so every shop of one block (the default 500 SKUs, and every shop up to 10,000 SKUs x 730
days) is exactly the shop the single-matrix generator drew before blocks existed, and a bigger
shop is the same for a given seed however it is written (tested).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from invdash.demo.demand import Demand, make_demand
from invdash.demo.stock import Stock, simulate_stock
from invdash.schema import DATE, PRICE, PROMO, QTY, SKU

__all__ = [
    "BLOCK_CELLS", "Simulation", "Block", "block_bounds", "simulate", "simulate_blocks",
    "sales_frame", "inventory_frame", "purchase_orders_frame",
]

#: SKU-days per random block (10,000 SKUs x 730 days).
BLOCK_CELLS = 7_300_000


@dataclass(frozen=True)
class Simulation:
    """Demand and stock of some SKUs (``products`` rows, in SKU order)."""

    products: pd.DataFrame
    demand: Demand
    stock: Stock


@dataclass(frozen=True)
class Block:
    """One simulated block and the long frames it writes.

    Attributes:
        start: position of the block's first SKU in the catalogue.
        simulation: the block's matrices.
        sales, inventory, purchase_orders: the block's rows of those tables.
    """

    start: int
    simulation: Simulation
    sales: pd.DataFrame
    inventory: pd.DataFrame
    purchase_orders: pd.DataFrame


def block_bounds(n_skus: int, n_days: int, *, block_cells: int | None = None) -> list[range]:
    """The SKU positions of each block (``BLOCK_CELLS`` SKU-days, at least one SKU each)."""
    size = max(1, (BLOCK_CELLS if block_cells is None else block_cells) // n_days)
    return [range(start, min(start + size, n_skus)) for start in range(0, n_skus, size)]


def simulate(
    products: pd.DataFrame, dates: pd.DatetimeIndex, rng: np.random.Generator
) -> Simulation:
    """Demand and stock of ``products`` over ``dates`` from one generator."""
    demand = make_demand(products, dates, rng)
    return Simulation(products, demand, simulate_stock(products, demand, rng))


def simulate_blocks(
    products: pd.DataFrame, dates: pd.DatetimeIndex, rng: np.random.Generator, *, seed: int,
    block_cells: int | None = None,
) -> Iterator[Block]:
    """Simulate the catalogue block by block (see the module docstring); yields each block."""
    suppliers = pd.factorize(products["supplier"], sort=True)[0]
    for k, rows in enumerate(block_bounds(len(products), len(dates), block_cells=block_cells)):
        block_rng = rng if k == 0 else np.random.default_rng([seed, k])
        # Built in a helper, so no name here holds the last block while the next is drawn.
        yield _block(products, rows, dates, block_rng, suppliers)


def _block(
    products: pd.DataFrame, rows: range, dates: pd.DatetimeIndex, rng: np.random.Generator,
    suppliers: np.ndarray,
) -> Block:
    part = products.iloc[rows.start:rows.stop].reset_index(drop=True)
    simulation = simulate(part, dates, rng)
    return Block(
        start=rows.start, simulation=simulation, sales=sales_frame(simulation),
        inventory=inventory_frame(simulation),
        purchase_orders=purchase_orders_frame(simulation, suppliers[rows.start:rows.stop]),
    )


def _active(simulation: Simulation) -> np.ndarray:
    """Mask of each SKU's days from its first day on (row-major order is SKU, then day)."""
    n_days = simulation.demand.qty.shape[1]
    return np.arange(n_days)[None, :] >= simulation.demand.first_day[:, None]


def _long_keys(simulation: Simulation, active: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """SKU and date columns of the active SKU-days (boolean masks gather faster than indices)."""
    skus = np.repeat(simulation.products["sku"].to_numpy(), active.sum(axis=1))
    dates = np.broadcast_to(simulation.demand.dates.to_numpy(), active.shape)[active]
    return skus, dates


def sales_frame(simulation: Simulation) -> pd.DataFrame:
    """``sku, date, qty, price, promo`` of the active SKU-days."""
    active = _active(simulation)
    skus, dates = _long_keys(simulation, active)
    return pd.DataFrame({
        SKU: skus,
        DATE: dates,
        QTY: simulation.stock.sold[active],
        PRICE: simulation.demand.price[active],
        PROMO: simulation.demand.promo[active],
    })


def inventory_frame(simulation: Simulation) -> pd.DataFrame:
    """``sku, as_of, on_hand`` (end of day) of the active SKU-days."""
    active = _active(simulation)
    skus, dates = _long_keys(simulation, active)
    return pd.DataFrame({SKU: skus, "as_of": dates, "on_hand": simulation.stock.on_hand[active]})


def purchase_orders_frame(simulation: Simulation, supplier_no: np.ndarray) -> pd.DataFrame:
    """``po_id, sku, qty, eta, status`` of the replenishment orders.

    Args:
        simulation: the SKUs' simulation.
        supplier_no: each SKU's supplier number in the whole catalogue (sorted names), so a
            block's purchase-order ids are the whole shop's.
    """
    orders = simulation.stock.orders
    dates = simulation.demand.dates
    products = simulation.products
    supplier = supplier_no[orders["sku_index"].to_numpy()]
    order_day = dates[orders["order_day"].to_numpy()].strftime("%Y%m%d").to_numpy()
    po_id = pd.Series(order_day).str.cat(pd.Series(supplier + 1).astype(str).str.zfill(2), "-")
    frame = pd.DataFrame({
        "po_id": "PO-" + po_id,
        SKU: products["sku"].to_numpy()[orders["sku_index"]],
        QTY: orders["qty"].to_numpy(),
        "eta": dates[0] + pd.to_timedelta(orders["arrival_day"].to_numpy(), unit="D"),
        "status": np.where(orders["arrival_day"].to_numpy() >= len(dates), "open", "received"),
    })
    return frame.sort_values(["eta", "po_id", SKU], ignore_index=True)
