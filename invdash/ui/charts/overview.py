"""Plotly builder of the Overview's weekly sales trend."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from invdash import overview

__all__ = ["MEASURES", "sales_trend_figure"]

MEASURES = {"Units": "units", "Revenue": "revenue"}


def _trend_trace(frame: pd.DataFrame, column: str, *, name: str, partial: bool) -> go.Scatter:
    suffix = " (partial)" if partial else ""
    return go.Scatter(
        x=frame["week"],
        y=frame[column],
        mode="markers" if partial else "lines",
        name=name,
        line=None if partial else {"width": 2},
        marker={"symbol": "circle-open", "size": 9} if partial else None,
        hovertemplate=f"week of %{{x|%d %b %Y}}{suffix}: %{{y:,.0f}}<extra></extra>",
    )


def sales_trend_figure(weekly: pd.DataFrame, *, chosen: list[str], measure: str) -> go.Figure:
    """Weekly units or revenue over the chosen categories (all when none are chosen).

    Args:
        weekly: from ``weekly_sales()``.
        chosen: categories from the filter.
        measure: a key of ``MEASURES``.
    """
    column = MEASURES[measure]
    trend = overview.weekly_trend(weekly, categories=chosen)
    complete = trend[trend["complete"]]
    partial = trend[~trend["complete"]]
    figure = go.Figure()
    figure.add_trace(_trend_trace(complete, column, name=measure, partial=False))
    if not partial.empty:
        figure.add_trace(_trend_trace(partial, column, name="partial week", partial=True))
    scope = ", ".join(chosen) if chosen else "all categories"
    figure.update_layout(
        title=f"Weekly {measure.lower()}, {scope}",
        height=380,
        hovermode="x unified",
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        yaxis_title=measure,
        xaxis_title=None,
        legend={"orientation": "h", "y": -0.15},
    )
    return figure
