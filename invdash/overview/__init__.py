"""Overview: the shop at a glance, computed from the store's aggregates (no I/O here).

- ``sales``: changes between windows and the category-filtered weekly trend behind the KPI cards.
- ``stock``: stock KPIs from history (fill rate, stockout rate, stock value, turns, days of supply).
- ``stored``: those aggregates stored per data state (``page_summaries``), read by the page.
"""

from __future__ import annotations

from invdash.overview.sales import categories_of, percent_change, weekly_trend
from invdash.overview.stock import StockKpis, shop_stock_kpis, stock_kpis
from invdash.overview.stored import compute_overview, store_overview, stored_overview

__all__ = [
    "percent_change",
    "weekly_trend",
    "categories_of",
    "StockKpis",
    "stock_kpis",
    "shop_stock_kpis",
    "compute_overview",
    "stored_overview",
    "store_overview",
]
