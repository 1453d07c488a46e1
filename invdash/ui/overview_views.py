"""Cached reads, KPI cards, the sales trend chart and the first-run guide of the Overview page.

Design: the page asks ``database_state()`` first. A missing file or a database without sales gets
the first-run guide (build the demo shop, or load data on the Data page), never a traceback.
Otherwise two cached reads (the KPI aggregates and the weekly sales per category, keyed by
``db_key()`` so a data change refreshes them) feed the cards and the chart; the category filter
is applied outside the cache (``overview.weekly_trend``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from invdash import overview, store
from invdash.schema import InvalidDataError
from invdash.store import overview as overview_store
from invdash.ui.cache import db_key, read_connection, settings

__all__ = [
    "MISSING", "EMPTY", "READY", "WINDOW_DAYS", "MEASURES", "database_state", "table_counts",
    "summary", "weekly_sales", "categories", "render_first_run", "render_kpi_cards",
    "sales_trend_figure", "render_kpis",
]

MISSING, EMPTY, READY = "missing", "empty", "ready"
WINDOW_DAYS = 28
MEASURES = {"Units": "units", "Revenue": "revenue"}
_DATA_PAGE = "pages/data.py"
_ROOT = Path(__file__).resolve().parents[2]


@st.cache_data(ttl=60, max_entries=8)
def _table_counts(key: str) -> dict[str, int]:  # noqa: ARG001 - cache key
    with read_connection() as conn:
        return store.table_counts(conn)


def table_counts() -> dict[str, int]:
    """Row counts of the core tables (without the ingest log)."""
    counts = _table_counts(db_key())
    return {k: v for k, v in counts.items() if k != "ingest_log"}


def database_state() -> str:
    """``MISSING`` (no file), ``EMPTY`` (no sales yet) or ``READY``.

    Raises:
        InvalidDataError: the file exists but is not a database invdash can open.
    """
    path = settings().db_path
    if not path.exists():
        return MISSING
    try:
        counts = table_counts()
    except duckdb.Error as err:
        raise InvalidDataError(
            f"could not open the database {path} ({type(err).__name__}: {err}); point INVDASH_DB "
            f"at another file or rebuild it with `invdash demo --db {path}`."
        ) from err
    return READY if counts.get("sales", 0) > 0 else EMPTY


@st.cache_data(ttl=60, max_entries=8)
def _summary(key: str, window_days: int) -> dict[str, Any]:  # noqa: ARG001 - cache key
    with read_connection() as conn:
        return {
            **overview_store.sales_windows(conn, window_days=window_days),
            **overview_store.stock_position(conn),
        }


def summary() -> dict[str, Any]:
    """The KPI aggregates (``store.overview.sales_windows`` and ``stock_position`` together)."""
    return _summary(db_key(), WINDOW_DAYS)


@st.cache_data(ttl=60, max_entries=8)
def _weekly_sales(key: str) -> pd.DataFrame:  # noqa: ARG001 - cache key
    with read_connection() as conn:
        return overview_store.weekly_sales(conn)


def weekly_sales() -> pd.DataFrame:
    """Weekly units and revenue per category (``store.overview.weekly_sales``)."""
    return _weekly_sales(db_key())


def categories(weekly: pd.DataFrame) -> list[str]:
    """The category filter's options."""
    return overview.categories_of(weekly)


def render_first_run(state: str) -> None:
    """The first-run guide for a missing database or one without sales."""
    path = settings().db_path
    if state == MISSING:
        st.info(f"Welcome to invdash. There is no database at `{path}` yet.")
    else:
        st.info(f"The database `{path}` has no sales yet.")
    demo, own = st.columns(2)
    with demo:
        st.subheader("Explore the demo shop")
        st.markdown(
            "A realistic, seeded shop: 500 products in 7 categories, two years of daily sales "
            "with seasonality, promotions and stockouts, current stock, open purchase orders and "
            "customer orders. It builds in a few seconds:"
        )
        st.code(f"invdash demo --db {path}", language="bash")
        st.caption("`make run` builds it for you when the database is missing.")
    with own:
        st.subheader("Use your own data")
        st.markdown(
            "Upload a sales CSV (`date, sku, qty`, optionally `price, promo`) or an order-line "
            "export on the **Data** page, or load it from the command line:"
        )
        st.code(f"invdash ingest sales.csv --db {path}", language="bash")
        if (_ROOT / _DATA_PAGE).exists():
            st.page_link(_DATA_PAGE, label="Open the Data page")
    st.caption("Then reload this page.")


def _change(current: float, previous: float) -> str | None:
    change = overview.percent_change(current, previous)
    return None if change is None else f"{change:+.1%} vs previous {WINDOW_DAYS} days"


def render_kpi_cards(figures: dict[str, Any]) -> None:
    """Five KPI cards: SKUs, units and revenue (last 28 days vs the 28 before), stock value,
    SKUs out of stock."""
    skus, units, revenue, value, out = st.columns(5)
    skus.metric(
        "SKUs", f"{figures['skus']:,}",
        help=f"{figures['skus_sold']:,} of them sold in the last {WINDOW_DAYS} days.",
    )
    units.metric(
        f"Units, last {WINDOW_DAYS} days", f"{figures['units']:,.0f}",
        delta=_change(figures["units"], figures["units_previous"]),
    )
    revenue.metric(
        f"Revenue, last {WINDOW_DAYS} days", f"{figures['revenue']:,.0f}",
        delta=_change(figures["revenue"], figures["revenue_previous"]),
    )
    if figures["as_of"] is None:
        value.metric("Stock value", "n/a", help="No inventory snapshots loaded yet.")
        out.metric("Out of stock", "n/a", help="No inventory snapshots loaded yet.")
    else:
        as_of = pd.Timestamp(figures["as_of"]).date()
        value.metric(
            "Stock value", f"{figures['stock_value']:,.0f}",
            help=f"Latest on hand x unit cost, as of {as_of}.",
        )
        out.metric(
            "Out of stock", f"{figures['out_of_stock']:,}",
            help=f"SKUs whose latest on hand ({as_of}) is zero, of {figures['skus_tracked']:,} "
            "with stock data.",
        )
    last = pd.Timestamp(figures["last_date"]).date()
    st.caption(f"The last {WINDOW_DAYS} days end on {last}, the last day with sales.")


def sales_trend_figure(
    weekly: pd.DataFrame, *, chosen: list[str], measure: str
) -> go.Figure:
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
    figure.add_trace(go.Scatter(
        x=complete["week"], y=complete[column], mode="lines", name=measure,
        line={"width": 2}, hovertemplate="week of %{x|%d %b %Y}: %{y:,.0f}<extra></extra>",
    ))
    if not partial.empty:
        figure.add_trace(go.Scatter(
            x=partial["week"], y=partial[column], mode="markers", name="partial week",
            marker={"symbol": "circle-open", "size": 9},
            hovertemplate="week of %{x|%d %b %Y} (partial): %{y:,.0f}<extra></extra>",
        ))
    scope = ", ".join(chosen) if chosen else "all categories"
    figure.update_layout(
        title=f"Weekly {measure.lower()}, {scope}", height=380, hovermode="x unified",
        margin={"l": 10, "r": 10, "t": 50, "b": 10}, yaxis_title=measure, xaxis_title=None,
        legend={"orientation": "h", "y": -0.15},
    )
    return figure


def render_kpis() -> None:
    """Stock KPIs (fill rate, stockout rate, stock value, turns, days of supply) once available."""
    try:
        from invdash.ui import policy_views
    except ImportError:
        return
    policy_views.render_overview_kpis()
