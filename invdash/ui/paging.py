"""Shared widgets for large shops: a SKU picker that searches in DuckDB, and page controls.

Design: a selectbox of every SKU sends all of them to the browser on every script run (at
100,000 SKUs that is megabytes, and the page waits on it). ``sku_picker`` sends only what the
planner typed to DuckDB (``store.catalog.search_products``) and offers the best
``MATCHES`` matches; before anything is typed it offers the SKU chosen on another page and the
top sellers of the last 28 days. ``page_controls`` turns a row count into ``(limit, offset)`` for a
store read that pages in SQL, so a table shows ``PAGE_ROWS`` rows, never all of them.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from invdash import store
from invdash.schema import SKU
from invdash.store import catalog
from invdash.ui import state
from invdash.ui.cache import cached_read
from invdash.ui.labels import sku_formatter

__all__ = [
    "MATCHES", "PAGE_ROWS", "sku_picker", "product", "product_count",
    "page_controls", "page_slice",
]

#: Matches a SKU picker offers at once.
MATCHES = 20
#: Rows a paged table shows at once.
PAGE_ROWS = 50


def product(sku: str) -> dict | None:
    """The ``products`` row of ``sku`` (None when unknown)."""
    return cached_read(catalog.product, str(sku))


def product_count() -> int:
    """How many products the database holds."""
    return int(cached_read(store.table_counts).get("products", 0))


def _candidates(text: str) -> pd.DataFrame:
    if text.strip():
        return cached_read(catalog.search_products, text.strip(), limit=MATCHES)
    return cached_read(catalog.top_sellers, limit=MATCHES)


def _options(matches: pd.DataFrame, preferred: str | None) -> tuple[list[str], dict[str, str]]:
    skus = matches[SKU].astype(str).tolist()
    names = dict(zip(skus, matches["name"], strict=True))
    if preferred and preferred not in names:
        row = cached_read(catalog.product, preferred)
        if row is not None:
            skus.insert(0, preferred)
            names[preferred] = row["name"]
    return skus, names


def sku_picker(
    label: str, *, key: str, preferred: str | None = None, shared: bool = True
) -> str | None:
    """A search box and a selectbox of the matching SKUs; returns the SKU chosen (None: none
    matches).

    Args:
        label: the selectbox's label.
        key: widget key prefix (the page name, e.g. ``sku_explorer_sku``).
        preferred: a SKU to offer first before anything is typed (default: the SKU chosen on
            another page, ``state.SELECTED_SKU``).
        shared: store the choice as ``state.SELECTED_SKU`` for the other pages.
    """
    if preferred is None:
        preferred = st.session_state.get(state.SELECTED_SKU)
    text = st.text_input(
        "Search SKUs", key=f"{key}_search", placeholder="a SKU code or part of a product name",
        help=f"Searches every SKU; the best {MATCHES} matches are listed below.",
    )  # fmt: skip
    skus, names = _options(_candidates(text), None if text.strip() else preferred)
    if not skus:
        st.info(f"No SKU or product name contains {text.strip()!r}.")
        return None
    index = skus.index(preferred) if preferred in skus else 0
    chosen = st.selectbox(label, skus, index=index, format_func=sku_formatter(names), key=key)
    if shared:
        st.session_state[state.SELECTED_SKU] = chosen
    return chosen


def page_controls(
    total: int, *, key: str, rows: int = PAGE_ROWS, noun: str = "Rows"
) -> tuple[int, int]:
    """A page number input for a table of ``total`` rows; returns ``(limit, offset)``.

    Args:
        total: rows that pass the table's filters.
        key: widget key (the page name and the table, e.g. ``alerts_page``).
        rows: rows per page.
        noun: what the caption counts ("Rows 1–50 of N"; the Reorder page says "Lines").
    """
    pages = max(1, -(-int(total) // rows))
    if int(st.session_state.get(key, 1) or 1) > pages:
        st.session_state[key] = 1  # the filters shrank the table below the page shown
    number = 1
    if pages > 1:
        number = int(st.number_input(f"Page (of {pages:,})", 1, pages, step=1, key=key))
    offset = (number - 1) * rows
    if total:
        st.caption(f"{noun} {offset + 1:,}–{min(offset + rows, total):,} of {total:,}")
    return rows, offset


def page_slice(
    frame: pd.DataFrame, *, key: str, rows: int = PAGE_ROWS, noun: str = "Rows"
) -> pd.DataFrame:
    """One page of an already filtered, sorted ``frame`` (with the page controls)."""
    limit, offset = page_controls(len(frame), key=key, rows=rows, noun=noun)
    return frame.iloc[offset : offset + limit]
