"""The SKU Explorer's projected-stock section: bands from the latest forecast and policy lines."""

from __future__ import annotations

import streamlit as st

from invdash import reorder
from invdash.policy import PolicyParams
from invdash.ui import reorder_views
from invdash.ui.cache import cached_read
from invdash.ui.charts.stock import StockLevels, projected_stock_chart

__all__ = ["render_projected_stock"]


def render_projected_stock(sku: str, *, service_level: float = 0.95) -> None:
    """The projected-stock chart of one SKU with its policy lines."""
    bands, orders = cached_read(reorder.sku_projection, str(sku))
    if bands.empty:
        st.info("No forecast for the current data yet; run one to see the projected stock.")
        return
    line = _policy_line(str(sku), service_level)
    levels = None if line is None else StockLevels(
        reorder_point=float(line["reorder_point"]), order_up_to=float(line["order_up_to"]),
        safety_stock=float(line["safety_stock"]),
    )
    st.plotly_chart(
        projected_stock_chart(
            bands, levels=levels, purchase_orders=orders, title=f"Projected stock: {sku}"
        )
    )
    if line is not None:
        st.caption(line["reason"])


def _policy_line(sku: str, service_level: float) -> object:
    """The SKU's row of the policy run for these targets: one row read from the stored run, or
    from the run ``reorder_views.policy_run`` computes when none is stored; None without one."""
    params = PolicyParams(service_level=float(service_level), review_period_days=7)
    row = cached_read(reorder.sku_policy_line, params, sku)
    if row is None:
        run = reorder_views.policy_run(service_level)
        row = None if run is None else run.table[run.table["sku"] == sku]
    return None if row is None or row.empty else row.iloc[0]
