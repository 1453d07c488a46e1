"""Plotly builder of a SKU's projected stock with its policy levels and arriving orders."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

__all__ = ["StockLevels", "projected_stock_chart"]


@dataclass(frozen=True)
class StockLevels:
    """A SKU's policy levels drawn as horizontal lines, in units."""

    reorder_point: float
    order_up_to: float
    safety_stock: float


def _band_traces(bands: pd.DataFrame) -> list[go.Scatter]:
    """The P10-P90 band (an invisible P90 edge filled down to P10) and the P50 line."""
    return [
        go.Scatter(
            x=bands["date"], y=bands["p90"], line={"width": 0}, name="P90", showlegend=False,
            hoverinfo="skip",
        ),
        go.Scatter(
            x=bands["date"], y=bands["p10"], fill="tonexty", line={"width": 0},
            fillcolor="rgba(31,119,180,0.2)", name="P10-P90",
        ),
        go.Scatter(x=bands["date"], y=bands["p50"], name="P50 on hand", line={"color": "#1f77b4"}),
    ]


def projected_stock_chart(
    bands: pd.DataFrame,
    *,
    levels: StockLevels | None = None,
    purchase_orders: pd.DataFrame | None = None,
    title: str = "Projected stock",
) -> go.Figure:
    """Plotly chart: p10-p90 band and p50 of projected on-hand stock, open POs arriving (markers),
    and the reorder point, order-up-to and safety-stock lines.

    Args:
        bands: one SKU's ``project_stock`` rows ``date, p10, p50, p90``.
        levels: the SKU's policy levels in units (lines omitted when None).
        purchase_orders: that SKU's open orders ``eta, qty``.
        title: chart title.
    """
    figure = go.Figure(_band_traces(bands))
    if levels is not None:
        # Labels on alternate sides, so close levels (a reorder point just under the
        # order-up-to level) do not print over each other.
        for value, name, dash, side in (
            (levels.reorder_point, "Reorder point", "dash", "bottom left"),
            (levels.order_up_to, "Order-up-to", "dot", "top right"),
            (levels.safety_stock, "Safety stock", "dashdot", "bottom right"),
        ):
            figure.add_hline(
                y=value, line_dash=dash, annotation_text=name, annotation_position=side
            )
    if purchase_orders is not None and not purchase_orders.empty:
        figure.add_trace(
            go.Bar(
                x=pd.to_datetime(purchase_orders["eta"]),
                y=purchase_orders["qty"],
                name="PO arriving",
                opacity=0.5,
            )
        )
    figure.update_layout(title=title, yaxis_title="Units", height=380, margin={"t": 50})
    return figure
