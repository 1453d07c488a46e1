"""Plotly chart builders of the forecasting pages (pure functions of frames; no Streamlit).

- ``fan_chart``: one SKU's recent history and its forecast fan (p10-p90 band, p50, mean), at
  the forecast's grain: a weekly or monthly forecast gets its history summed into the same
  weeks or months (the store fills the days between a weekly file's rows with zeros, which
  would otherwise draw as a saw-tooth of daily zeros under weekly totals).
- ``accuracy_chart``: one backtest metric per model, grouped by demand class.
Unit-tested in ``tests/unit/ui/test_forecast_charts.py``.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from invdash.forecast.grain import Grain, detect_grain, to_grain
from invdash.policy.inputs import forecast_grain
from invdash.schema import DATE, MEAN, MODEL, QTY, SKU
from invdash.ui.labels import label

__all__ = ["fan_chart", "accuracy_chart", "history_at_grain"]

_HISTORY_DAYS = 180
#: The least history drawn before a weekly or monthly forecast, in days (a year, three years).
_MIN_HISTORY_DAYS = {"D": 0, "W": 364, "M": 3 * 365}


def history_at_grain(
    history: pd.DataFrame, forecasts: pd.DataFrame, *, history_days: int = _HISTORY_DAYS
) -> tuple[pd.DataFrame, Grain]:
    """One SKU's history (``date, qty``) at the forecast's grain (the history's own without
    forecasts), cut to the last ``history_days`` days (at least a year of weeks, three years of
    months), and the grain."""
    rows = history.assign(**{SKU: "history"})[[SKU, DATE, QTY]]
    grain = forecast_grain(forecasts[DATE]) if len(forecasts) else detect_grain(rows)
    rows = to_grain(rows, grain).sort_values(DATE)
    if rows.empty:
        return rows, grain
    days = max(history_days, _MIN_HISTORY_DAYS[grain.kind])
    start = pd.to_datetime(rows[DATE]).max() - pd.Timedelta(days=days - 1)
    return rows[pd.to_datetime(rows[DATE]) >= start], grain
_BAND = "rgba(31, 111, 139, 0.20)"
_LINE = "#1f6f8b"


def fan_chart(
    history: pd.DataFrame,
    forecasts: pd.DataFrame,
    *,
    title: str = "",
    history_days: int = _HISTORY_DAYS,
) -> go.Figure:
    """History with the forecast fan: a p10-p90 band, the p50 (dashed) and the mean, both at the
    forecast's grain (``history_at_grain``).

    Args:
        history: sales of one SKU (``date, qty``); only the last ``history_days`` days are drawn.
        forecasts: forecast rows of the same SKU (``date, mean, p10, p50, p90``); may be empty.
        title: chart title.
        history_days: how many days of history to show before the forecast.

    Returns:
        A plotly figure with traces "History", and when forecasts are given "P10" (the band's
        lower edge, no legend entry), "P10-P90" (the band, filled down to P10), "P50" and
        "Forecast (mean)".
    """
    figure = go.Figure()
    recent, _ = history_at_grain(history, forecasts, history_days=history_days)
    figure.add_trace(
        go.Scatter(
            x=pd.to_datetime(recent[DATE]),
            y=recent[QTY],
            name="History",
            mode="lines",
            line={"color": "#555555", "width": 1},
        )
    )
    if len(forecasts):
        dates = pd.to_datetime(forecasts[DATE])
        figure.add_trace(
            go.Scatter(
                x=dates,
                y=forecasts["p10"],
                name=label("p10"),
                mode="lines",
                line={"width": 0},
                showlegend=False,
            )
        )
        figure.add_trace(
            go.Scatter(
                x=dates,
                y=forecasts["p90"],
                # The filled trace carries the legend entry, so it names the whole band.
                name=f"{label('p10')}-{label('p90')}",
                mode="lines",
                line={"width": 0},
                fill="tonexty",
                fillcolor=_BAND,
            )
        )
        figure.add_trace(
            go.Scatter(
                x=dates,
                y=forecasts["p50"],
                name=label("p50"),
                mode="lines",
                line={"color": _LINE, "dash": "dash"},
            )
        )
        figure.add_trace(
            go.Scatter(
                x=dates,
                y=forecasts[MEAN],
                name=label(MEAN),
                mode="lines",
                line={"color": _LINE, "width": 2},
            )
        )
    figure.update_layout(
        title=title,
        xaxis_title=label(DATE),
        yaxis_title=label(QTY),
        hovermode="x unified",
        margin={"l": 10, "r": 10, "t": 40 if title else 10, "b": 10},
        height=380,
        legend={"orientation": "h", "y": -0.2},
    )
    return figure


def accuracy_chart(backtest: pd.DataFrame, *, metric: str = "rmsse") -> go.Figure:
    """Grouped bars of one backtest ``metric`` per model, one bar group per demand class."""
    figure = go.Figure()
    if backtest.empty or metric not in backtest:
        return figure
    if "demand_class" not in backtest:
        backtest = backtest.assign(demand_class="all")
    for demand_class, rows in backtest.groupby("demand_class", sort=True):
        figure.add_trace(go.Bar(x=rows[MODEL], y=rows[metric], name=str(demand_class)))
    figure.update_layout(
        barmode="group",
        xaxis_title=label(MODEL),
        yaxis_title=label(metric),
        height=360,
        legend_title=label("demand_class"),
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
    )
    return figure
