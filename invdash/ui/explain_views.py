"""SHAP explanations on the dashboard: waterfall charts, the plain-language summary, and the
global driver importance for the Model Quality page.

The explained forecast is exactly the one the page shows: the stored all-SKU run is explained in
the context of all SKUs' sales, a forecast made for one SKU on demand in the context of that
SKU's sales alone (the run's own input). ``ForecastExplainer`` objects are cached per run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from invdash.forecast import stored as forecast_stored
from invdash.policy.inputs import forecast_grain
from invdash.ui.cache import cached_model, cached_on_data, cached_read

if TYPE_CHECKING:
    from invdash.explain import Explanation

__all__ = [
    "AUTO_EXPLAIN_SKUS", "explanation_for", "global_model_factors", "waterfall_chart",
    "render_explanation", "render_stored_explanation", "render_global_importance",
]

#: Above this many SKUs in a stored run, the explanation toggle warns that it takes a minute or
#: more (the explainer reads every SKU's sales: seconds at 500 SKUs, minutes at 100,000).
AUTO_EXPLAIN_SKUS = 5_000

_UP = "#2e8b57"
_DOWN = "#c0392b"
_BASE = "#1f6f8b"


# invdash.explain (the fusion refit, shap) is imported when an explanation is asked for: the
# SKU Explorer's first open on a stored run shows none until its toggle is on.


def _explainer(run: Any, sku: str, *, single_sku: bool) -> Any:
    from invdash.explain import stored as explain_stored  # looked up here: tests spy on it

    scope = sku if single_sku else None
    run_key = f"{getattr(run, 'run_id', None)}|{run.model_param}|{run.horizon}|{scope}"
    return cached_model(explain_stored.explainer_for_run, run_key, scope, unhashed={"run": run})


def explanation_for(run: Any, sku: str, *, single_sku: bool) -> Explanation:
    """The explanation of ``sku``'s forecast in ``run``.

    Args:
        run: the ``ForecastRun`` the page shows.
        sku: the SKU.
        single_sku: True when ``run`` forecast this SKU alone (on demand).
    """
    return _explainer(run, sku, single_sku=single_sku).explain(sku)


def global_model_factors(run: Any, sku: str, *, single_sku: bool) -> pd.DataFrame:
    """The global model's TreeSHAP factors for ``sku`` (``explain_global_features``), as a
    table ``Input, Effect`` (largest first), from the run's cached booster."""
    from invdash.explain import explain_global_features

    view = explain_global_features(_explainer(run, sku, single_sku=single_sku), sku)
    factors = view.factors().head(8)
    return pd.DataFrame({"Input": factors.index,
                         "Effect": [f"x{value:.2f}" for value in factors.to_numpy()]})


def _unit(explanation: Explanation) -> str:
    """``day``, ``week`` or ``month``: the grain of the explained forecast's dates."""
    return {"D": "day", "W": "week", "M": "month"}[forecast_grain(explanation.dates).kind]


def _period_name(day: pd.Timestamp, unit: str) -> str:
    day = pd.Timestamp(day)
    if unit == "month":
        return f"{day:%B %Y}"
    return f"week of {day:%a %d %b %Y}" if unit == "week" else f"{day:%a %d %b %Y}"


def waterfall_chart(explanation: Explanation, *, day: pd.Timestamp | None = None) -> go.Figure:
    """Base value, each driver's contribution, and the forecast, as a plotly waterfall.

    Args:
        explanation: an ``Explanation``.
        day: one forecast date, or None for the horizon total.
    """
    if day is None:
        base = float(explanation.base_value.sum())
        values = explanation.contributions.sum(axis=0)
        title = f"Horizon total ({len(explanation.dates)} {_unit(explanation)}s)"
    else:
        day = pd.Timestamp(day)
        base = float(explanation.base_value[explanation.dates.get_loc(day)])
        values = explanation.contributions.loc[day]
        title = _period_name(day, _unit(explanation))
    forecast = base + float(values.sum())
    names = ["history average", *values.index, "forecast"]
    figure = go.Figure(
        go.Waterfall(
            x=names,
            y=[base, *values.to_numpy(), forecast],
            measure=["absolute", *["relative"] * len(values), "total"],
            # round() + 0.0 turns a tiny negative into 0.0, so no bar reads "-0.0".
            text=[
                f"{round(v, 1) + 0.0:{'+' if 0 < i < len(names) - 1 else ''}.1f}"
                for i, v in enumerate([base, *values.to_numpy(), forecast])
            ],
            increasing={"marker": {"color": _UP}},
            decreasing={"marker": {"color": _DOWN}},
            totals={"marker": {"color": _BASE}},
            connector={"line": {"color": "#999"}},
        )
    )
    figure.update_layout(
        title=title,
        yaxis_title="Units",
        showlegend=False,
        height=360,
        margin={"l": 40, "r": 10, "t": 50, "b": 90},
    )
    return figure


def render_explanation(run: Any, sku: str, *, single_sku: bool) -> None:
    """Why this forecast: summary line, waterfalls for a chosen day and the horizon total."""
    from invdash.explain import summarise

    explanation = explanation_for(run, sku, single_sku=single_sku)
    st.subheader("Why this forecast")
    st.markdown(summarise(explanation))
    days, unit = list(explanation.dates), _unit(explanation)
    day = st.selectbox(
        unit.title(), days, format_func=lambda d: _period_name(d, unit),
        key="sku_explorer_explain_day"
    )
    st.caption(summarise(explanation, day=day))
    left, right = st.columns(2)
    left.plotly_chart(waterfall_chart(explanation, day=day), key="sku_explorer_waterfall_day")
    right.plotly_chart(waterfall_chart(explanation), key="sku_explorer_waterfall_total")
    values = pd.DataFrame(
        {
            "Driver": list(explanation.feature_values),
            "Value": list(explanation.feature_values.values()),
            "Horizon contribution (units)": [
                round(float(explanation.contributions[d].sum()), 1)
                for d in explanation.feature_values
            ],
        }
    )
    st.dataframe(values, hide_index=True)
    st.caption(
        "SHAP values (shap): each driver's fair share of the difference between this forecast "
        "and the forecast from a flat history at the SKU's average level. They add up exactly."
    )
    if "lgbm" in explanation.model:
        st.markdown("**The global model's own inputs** (exact TreeSHAP, multiplicative)")
        st.dataframe(global_model_factors(run, sku, single_sku=single_sku), hide_index=True)


def render_stored_explanation(run: Any, sku: str) -> None:
    """``render_explanation`` of ``sku`` in the stored all-SKU run, on request.

    The page opens with the forecast, the chosen model and its stored reason at once; the SHAP
    explanation waits for a toggle (remembered for the session, so it stays on from SKU to SKU)
    and draws under a spinner. It refits the run's fusion on alternative histories of the SKU
    in the context of every SKU's sales, and the first one also imports shap: 24 of the 25 s of
    the page's first open on a 200-SKU shop under load. ``run`` may hold only this SKU's rows:
    the whole run is read here.
    """
    facts = cached_read(forecast_stored.load_run_facts, run.run_id) or {}
    large = int(facts.get("n_skus") or 0) > AUTO_EXPLAIN_SKUS
    cost = "reads every SKU's sales: a minute or more on this shop" if large else "a few seconds"
    if not st.toggle(f"Why this forecast: explain it ({cost})", key="sku_explorer_explain"):
        return
    with st.spinner("Explaining this forecast ..."):
        full = cached_read(forecast_stored.load_run, run.run_id)
        explanation_for(full, sku, single_sku=False)  # cached: the drawing below is instant
    render_explanation(full, sku, single_sku=False)


def render_global_importance(run: Any, *, n_skus: int = 40) -> None:
    """Which drivers matter most across SKUs and by category (behind a button)."""
    st.subheader("What drives the forecasts")
    if run is None:
        st.info("Run forecasts first (SKU Explorer) to see what drives them.")
        return
    if not st.button(f"Explain the top {n_skus} SKUs", key="model_quality_importance"):
        st.caption("Mean absolute SHAP contribution to the horizon total, per driver.")
        return
    from invdash.explain.stored import top_sku_importance

    full = cached_read(forecast_stored.load_run, run.run_id, spinner="Reading the run ...")
    table = cached_on_data(
        top_sku_importance, f"{run.run_id}|{run.horizon}", n_skus, unhashed={"run": full},
        spinner="Explaining the top SKUs ...",
    )
    overall = table[table["category"] == "all"].sort_values("mean_abs_units")
    figure = go.Figure(
        go.Bar(
            x=overall["mean_abs_units"], y=overall["driver"], orientation="h", marker_color=_BASE
        )
    )
    figure.update_layout(
        title="All SKUs",
        xaxis_title="Mean |contribution| (units)",
        height=320,
        margin={"l": 10, "r": 10, "t": 40, "b": 40},
    )
    st.plotly_chart(figure, key="model_quality_importance_chart")
    by_category = (
        table[table["category"] != "all"]
        .pivot_table(index="category", columns="driver", values="share")
        .fillna(0.0)
    )
    st.markdown("**Share of each driver by category**")
    st.dataframe(by_category.style.format("{:.0%}"))
