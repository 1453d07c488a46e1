"""Cached reads, KPI cards, the sales trend chart and the first-run guide of the Overview page.

Design: the page asks ``database_state()`` first. A missing file or a database without sales gets
the first-run guide (build the demo shop, or load data on the Data page), never a traceback.
Otherwise the KPI aggregates, the weekly sales per category and the stock KPIs come from one
stored summary (``overview.stored_overview``, cached per database state): at 100,000 SKUs they
scan every sales and stock row, so the first open after a data change computes and stores them
(``overview.store_overview``, under a spinner) and every later open, in any server process,
reads one row. The category filter is applied outside the cache (``overview.weekly_trend``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from invdash import overview, store
from invdash.schema import InvalidDataError, StoreBusyError
from invdash.ui.cache import cached_read, settings, write_connection
from invdash.ui.charts.overview import MEASURES, sales_trend_figure

__all__ = [
    "MISSING", "EMPTY", "READY", "WINDOW_DAYS", "MEASURES", "database_state", "table_counts",
    "summary", "weekly_sales", "categories", "render_first_run", "render_kpi_cards",
    "sales_trend_figure", "render_kpis",
]

MISSING, EMPTY, READY = "missing", "empty", "ready"
WINDOW_DAYS = 28
_DATA_PAGE = "pages/data.py"
_ROOT = Path(__file__).resolve().parents[2]


def table_counts() -> dict[str, int]:
    """Row counts of the core tables (without the ingest log)."""
    counts = cached_read(store.table_counts)
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


def _figures() -> dict[str, Any]:
    """The stored Overview summary; computed and stored first after a data change (computed
    without storing while another session writes)."""
    figures = cached_read(overview.stored_overview, WINDOW_DAYS)
    if figures is not None:
        return figures
    text = "Summarising the sales and stock (once after each data change) ..."
    try:
        with st.spinner(text), write_connection() as conn:
            return overview.store_overview(conn, WINDOW_DAYS)
    except StoreBusyError:
        return cached_read(overview.compute_overview, WINDOW_DAYS, spinner=text)


def summary() -> dict[str, Any]:
    """The KPI aggregates (``store.overview.sales_windows`` and ``stock_position`` together)."""
    return _figures()["kpis"]


def weekly_sales() -> pd.DataFrame:
    """Weekly units and revenue per category (``store.overview.weekly_sales``)."""
    return _figures()["weekly"]


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


def render_kpis() -> None:
    """KPI cards on the Overview: fill rate, stockout rate, turns, days of supply.

    Stock value is already a card at the top of the Overview (same number), so it is not
    repeated here.
    """
    kpis = _figures()["stock"]
    if kpis is None:
        return
    st.subheader(f"Stock KPIs (last {kpis.window_days:.0f} days)")
    cards = [
        (kpis.fill_rate, "{:.1%}", "Fill rate (estimated)"),
        (kpis.stockout_rate, "{:.1%}", "Stockout rate (SKU-days)"),
        (kpis.turns, "{:.1f}", "Turns per year"),
        (kpis.days_of_supply, "{:.0f}", "Days of supply"),
    ]
    for column, (value, spec, text) in zip(st.columns(len(cards)), cards, strict=True):
        shown = spec.format(value) if pd.notna(value) and abs(value) != float("inf") else "n/a"
        column.metric(text, shown)
