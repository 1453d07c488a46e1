"""Plotly builders of the Policy Replay page: stock on hand per policy, fill rate vs stock."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from invdash.replay import ReplayResult
from invdash.schema import DATE, SKU
from invdash.ui.labels import label

__all__ = ["POLICY_NAMES", "on_hand_chart", "curve_chart"]

POLICY_NAMES = {"invdash": "invdash (forecast distribution)", "textbook": "Textbook (normal)"}
_COLOURS = {"invdash": "#1f6f8b", "textbook": "#d1495b"}


def on_hand_chart(result: ReplayResult, sku: str) -> go.Figure:
    """On hand at the end of each day under each policy, with the day's demand as bars."""
    rows = result.days[result.days[SKU] == sku]
    figure = go.Figure()
    first = rows[rows["policy"] == rows["policy"].iloc[0]] if len(rows) else rows
    figure.add_bar(x=first[DATE], y=first["demand"], name=label("demand"), marker_color="#c9c9c9")
    for policy, group in rows.groupby("policy", sort=False):
        figure.add_scatter(
            x=group[DATE],
            y=group["on_hand_end"],
            mode="lines",
            line_shape="hv",
            name=f"On hand: {POLICY_NAMES.get(policy, policy)}",
            line={"color": _COLOURS.get(policy)},
        )
    figure.update_layout(
        title=f"{sku}: stock on hand under each policy",
        xaxis_title=label(DATE),
        yaxis_title=label("qty"),
        legend={"orientation": "h"},
        margin={"t": 50},
    )
    return figure


def curve_chart(curve: pd.DataFrame) -> go.Figure:
    """Fill rate against mean stock, one line per policy, points labelled with the target."""
    figure = go.Figure()
    for policy, group in curve.sort_values("service_level").groupby("policy", sort=False):
        figure.add_scatter(
            x=group["mean_on_hand"],
            y=group["fill_rate"],
            mode="lines+markers+text",
            text=[f"{level:.0%}" for level in group["service_level"]],
            textposition="top left",
            name=POLICY_NAMES.get(policy, policy),
            line={"color": _COLOURS.get(policy)},
        )
    figure.update_layout(
        title="Fill rate vs mean stock (labels: service target)",
        xaxis_title="Mean units on hand",
        yaxis_title=label("fill_rate"),
        yaxis_tickformat=".0%",
        legend={"orientation": "h"},
    )
    return figure
