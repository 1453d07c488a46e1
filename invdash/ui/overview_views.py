"""Cached reads and sections for the Overview page."""

from __future__ import annotations

import streamlit as st

from invdash import store
from invdash.ui.cache import db_key, read_connection

__all__ = ["table_counts", "render_kpis"]


@st.cache_data(ttl=60, max_entries=8)
def _table_counts(key: str) -> dict[str, int]:  # noqa: ARG001 - cache key
    with read_connection() as conn:
        return store.table_counts(conn)


def table_counts() -> dict[str, int]:
    """Row counts of the core tables (without the ingest log)."""
    counts = _table_counts(db_key())
    return {k: v for k, v in counts.items() if k != "ingest_log"}


def render_kpis() -> None:
    """Stock KPIs (fill rate, stockout rate, stock value, turns, days of supply) once available."""
    try:
        from invdash.ui import policy_views
    except ImportError:
        return
    policy_views.render_overview_kpis()
