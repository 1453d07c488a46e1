"""Stock KPIs from history: fill rate, stockout rate, stock value, turns and days of supply.

Lost sales are not recorded, so the fill rate is estimated: on a stockout day (``stockout`` in
the sales frame) the SKU's lost demand is its mean daily sales on in-stock days of the window.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from invdash.schema import DATE, QTY, SKU, STOCKOUT
from invdash.store import overview as overview_store

__all__ = ["StockKpis", "stock_kpis", "shop_stock_kpis"]


@dataclass(frozen=True)
class StockKpis:
    """Stock KPIs over a window of history.

    Attributes:
        fill_rate: units sold / (units sold + estimated lost units), 0..1 (NaN without sales).
        stockout_rate: share of SKU-days with zero stock, 0..1.
        stock_value: latest on-hand units x unit cost, in currency.
        turns: annualised cost of goods sold / stock value (per year).
        days_of_supply: stock value / daily cost of goods sold, in days.
        window_days: the history window, in days.
    """

    fill_rate: float
    stockout_rate: float
    stock_value: float
    turns: float
    days_of_supply: float
    window_days: int


def stock_kpis(
    sales: pd.DataFrame, inventory: pd.DataFrame, products: pd.DataFrame, *, window_days: int = 90
) -> StockKpis:
    """Compute the stock KPIs over the last ``window_days`` of sales.

    Example: one SKU selling 10 a day at cost 2 for 90 days with 300 on hand has stock value
    600, days of supply 30 and turns 365 / 30 = 12.2.

    Args:
        sales: daily sales ``sku, date, qty[, stockout]`` (gap-free, from ``store.load_sales``).
        inventory: snapshots ``sku, as_of, on_hand`` (the latest per SKU counts).
        products: ``sku, unit_cost`` (missing cost counts as 0).
        window_days: history window, in days.
    """
    dated = sales.assign(**{DATE: pd.to_datetime(sales[DATE]), SKU: sales[SKU].astype(str)})
    recent = dated[dated[DATE] > dated[DATE].max() - pd.Timedelta(days=window_days)]
    stockout = (
        recent[STOCKOUT].astype(bool)
        if STOCKOUT in recent
        else pd.Series(False, index=recent.index)
    )
    in_stock_mean = recent[~stockout].groupby(SKU)[QTY].mean()
    lost = recent[stockout][SKU].map(in_stock_mean).fillna(0.0).sum()
    sold = float(recent[QTY].sum())
    cost = (
        products.assign(**{SKU: products[SKU].astype(str)}).set_index(SKU)["unit_cost"].fillna(0.0)
    )
    latest = inventory.sort_values("as_of").groupby(inventory[SKU].astype(str))["on_hand"].last()
    stock_value = float((latest.clip(lower=0) * cost.reindex(latest.index).fillna(0.0)).sum())
    days = max(int(recent[DATE].nunique()), 1)
    daily_cogs = (
        float(
            (recent.groupby(SKU)[QTY].sum() * cost.reindex(recent[SKU].unique()).fillna(0.0)).sum()
        )
        / days
    )
    return StockKpis(
        fill_rate=sold / (sold + lost) if sold + lost > 0 else float("nan"),
        stockout_rate=float(stockout.mean()) if len(stockout) else float("nan"),
        stock_value=stock_value,
        turns=daily_cogs * 365 / stock_value if stock_value > 0 else float("nan"),
        days_of_supply=stock_value / daily_cogs if daily_cogs > 0 else float("inf"),
        window_days=int(window_days),
    )


def shop_stock_kpis(conn: duckdb.DuckDBPyConnection, *, window_days: int = 90) -> StockKpis | None:
    """``stock_kpis`` of the shop in the store (None before any sales are loaded), computed in
    DuckDB over the window (``store.overview.stock_window``): at 100,000 SKUs x 730 days the page
    reads one row instead of every sales and inventory row."""
    totals = overview_store.stock_window(conn, window_days=window_days)
    if not totals:
        return None
    sold, lost, value = totals["sold"], totals["lost"], totals["stock_value"]
    daily_cogs = totals["cogs"] / max(int(totals["window_days_seen"]), 1)
    return StockKpis(
        fill_rate=sold / (sold + lost) if sold + lost > 0 else float("nan"),
        stockout_rate=(
            totals["out_days"] / totals["sku_days"] if totals["sku_days"] else float("nan")
        ),
        stock_value=value,
        turns=daily_cogs * 365 / value if value > 0 else float("nan"),
        days_of_supply=value / daily_cogs if daily_cogs > 0 else float("inf"),
        window_days=int(window_days),
    )
