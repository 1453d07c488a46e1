"""Render the Recommendations page's tables from a stored run (no fitting, no caches here).

Every frame comes from ``invdash.ui.cache`` (``rec_*``), which reads the stored run of the
current data. Tables take the full width with sized columns, so the reason column is not cut off
on the right.
"""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from invdash.store import recs as recs_store
from invdash.ui import paging
from invdash.ui.cache import cached_read, write_connection
from invdash.ui.labels import label, relabel

__all__ = [
    "STATUS_LABELS",
    "LIST_TITLES",
    "run_caption",
    "customer_options",
    "sku_options",
    "show_customer",
    "show_sku",
    "show_at_risk",
]

STATUS_LABELS = {
    "in_stock": "In stock",
    "overstocked": "Overstocked",
    "at_risk": "At risk",
    "out_of_stock": "Out of stock",
    "unknown": "Unknown",
}
LIST_TITLES = {"buy_again": "Buy again", "discover": "Discover"}
_COLUMNS = {
    label("rec_rank"): st.column_config.NumberColumn(width="small"),
    label("sku"): st.column_config.TextColumn(width="small"),
    label("name"): st.column_config.TextColumn(width="medium"),
    label("status"): st.column_config.TextColumn(width="small"),
    label("rec_score"): st.column_config.NumberColumn(format="%.3f", width="small"),
    label("why"): st.column_config.TextColumn(width="large"),
}



def rec_run() -> dict:
    """The stored recommendation run of the current data (``run_id, created_at, source, plan``),
    built first (the one slow step) when the data changed since the last one."""
    fresh = cached_read(recs_store.fresh_run)
    if fresh is None:
        # the recommenders (scipy, torch), only when building: a stored run needs none of them
        from invdash.recommend.runs import ensure_rec_run

        with st.spinner("Building recommendations for this data ..."), write_connection() as conn:
            ensure_rec_run(conn)
        fresh = cached_read(recs_store.fresh_run)
    return fresh

def _table(frame: pd.DataFrame) -> None:
    st.dataframe(frame, hide_index=True, width="stretch", column_config=_COLUMNS)


def _shown(frame: pd.DataFrame) -> pd.DataFrame:
    renamed = frame.rename(columns={"rank": "rec_rank", "score": "rec_score", "reason": "why"})
    renamed = renamed.assign(status=renamed["status"].map(STATUS_LABELS).fillna("Unknown"))
    return relabel(renamed[["rec_rank", "sku", "name", "status", "rec_score", "why"]])


def run_caption(run: dict) -> str:
    """Where the lists come from: the run's time and how its blend was chosen."""
    plan = json.loads(run["plan"])
    repeat = plan["repeat"]
    decay = (
        "no recency decay"
        if repeat["half_life_days"] is None
        else f"recency half-life {repeat['half_life_days']:g} days"
    )
    how = "chosen on this shop's own history" if run["source"] == "validation" else "defaults"
    return (
        f"Stored run of {pd.Timestamp(run['created_at']):%Y-%m-%d %H:%M} (rebuilt when order "
        f"lines or stock change). Blend weights per customer segment {how}; {decay}, "
        f"repurchase-cycle weight {repeat['cycle_weight']:g}."
    )


def customer_options(run: dict) -> list[str]:
    """Up to 300 customers, most orders first (read with LIMIT, not all then cut)."""
    return list(_start(run)["customers"]["customer_id"])


def _start(run: dict) -> dict:
    # the customer list and the at-risk count in one read (a connection costs more than both)
    return cached_read(recs_store.run_start, run["run_id"], 300)


def sku_options(run: dict) -> list[str]:
    """Every SKU with stored lists (small shops; a large one uses ``paging.sku_picker``)."""
    return list(cached_read(recs_store.stored_list_skus, run["run_id"]))


def show_customer(run: dict, customer: str, k: int) -> None:
    """History, "buy again" and "discover" of one customer, one full-width table each."""
    found = cached_read(recs_store.customer_lists, run["run_id"], customer, k)
    row = found["customer"]
    if row is not None:
        st.caption(f"{row['orders']} orders: a {row['segment']} customer.")
    for list_name, title in LIST_TITLES.items():
        st.markdown(f"**{title}**")
        frame = found[list_name]
        if frame.empty:
            st.info(f"Nothing to {title.lower()} for this customer.")
        else:
            _table(_shown(frame))
    with st.expander("Purchase history"):
        # on request: it scans every order line (seconds at 100,000 SKUs), an expander does not
        # defer its content
        if st.toggle("Show this customer's purchases", key="recs_show_history"):
            history = cached_read(recs_store.customer_purchases, customer)
            st.dataframe(relabel(history), hide_index=True, width="stretch")


def show_sku(run: dict, sku: str, k: int) -> None:
    """Bought-together items and in-stock substitutes of one SKU."""
    names = ("bought_together", "substitutes")
    found = cached_read(recs_store.load_lists, run["run_id"], sku, k, names)
    for list_name, title, empty in (
        ("bought_together", "Bought together", "No item is often bought with this one."),
        (
            "substitutes",
            "Substitutes (in stock)",
            "No in-stock item with a similar title in the same category.",
        ),
    ):
        st.markdown(f"**{title}**")
        frame = found[list_name]
        if frame.empty:
            st.info(empty)
        else:
            _table(_shown(frame))


def show_at_risk(run: dict) -> None:
    """At-risk and out-of-stock SKUs with their best in-stock substitutes."""
    total = _start(run)["at_risk"]
    if not total:
        st.info("No SKU is out of stock or projected to stock out before its next delivery.")
        return
    limit, offset = paging.page_controls(total, key="recommendations_at_risk_page", rows=25)
    table = cached_read(
        recs_store.list_page, run["run_id"], "at_risk", k=3, limit=limit, offset=offset
    )
    shown = table.rename(
        columns={"query": "at_risk_sku", "sku": "substitute", "name": "substitute_name"}
    )
    shown = shown.assign(status=shown["status"].map(STATUS_LABELS).fillna("Unknown"))
    columns = ["at_risk_sku", "rank", "substitute", "substitute_name", "status", "reason"]
    st.dataframe(
        relabel(shown[columns].rename(columns={"reason": "why", "rank": "rec_rank"})),
        hide_index=True,
        width="stretch",
        column_config={label("why"): st.column_config.TextColumn(width="large")},
    )
