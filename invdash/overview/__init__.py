"""Overview: the shop at a glance, computed from the store's aggregates (no I/O here).

- ``sales``: changes between windows and the category-filtered weekly trend behind the KPI cards.
- ``stock``: stock KPIs from history (fill rate, stockout rate, stock value, turns, days of supply).
"""

from __future__ import annotations

from invdash.overview.sales import categories_of, percent_change, weekly_trend
from invdash.overview.stock import StockKpis, shop_stock_kpis, stock_kpis

__all__ = [
    "percent_change",
    "weekly_trend",
    "categories_of",
    "StockKpis",
    "stock_kpis",
    "shop_stock_kpis",
]
