"""The Overview's aggregates, stored per data state so a page open reads one row.

Design: at 100,000 SKUs x 730 days the Overview's four aggregates scan every sales and stock row
(45 s back to back under load after their rewrite, 85 s before). They change only when the data
do, so the first open after a change computes them once and stores them in ``page_summaries``
under ``store.overview.summary_version`` (a fingerprint of sales, stock, products and ingests);
every later open, in any server process, reads that row. The value is JSON: the KPI card
figures, the weekly sales per category and the stock KPIs, decoded back to what the computing
functions return, so the page cannot tell a stored summary from a fresh one (a test checks it).
"""

from __future__ import annotations

import dataclasses
import json
from io import StringIO
from typing import Any

import duckdb
import pandas as pd

from invdash.overview.stock import StockKpis, shop_stock_kpis
from invdash.store import overview as overview_store

__all__ = ["compute_overview", "stored_overview", "store_overview"]

_DATES = ("last_date", "as_of")


def _name(window_days: int) -> str:
    return f"overview:{int(window_days)}"


def compute_overview(conn: duckdb.DuckDBPyConnection, window_days: int) -> dict[str, Any]:
    """``kpis`` (``store.overview.kpi_summary``), ``weekly`` (``weekly_sales``) and ``stock``
    (``shop_stock_kpis``, None without sales), computed from the tables."""
    return {
        "kpis": overview_store.kpi_summary(conn, window_days),
        "weekly": overview_store.weekly_sales(conn),
        "stock": shop_stock_kpis(conn),
    }


def _encode(figures: dict[str, Any]) -> str:
    kpis = {k: (v.isoformat() if k in _DATES and v is not None else v)
            for k, v in figures["kpis"].items()}  # fmt: skip
    stock = figures["stock"]
    return json.dumps({
        "kpis": kpis,
        "weekly": figures["weekly"].to_json(orient="split", date_format="iso", index=False),
        "stock": None if stock is None else dataclasses.asdict(stock),
    })  # fmt: skip


def _decode(text: str) -> dict[str, Any]:
    value = json.loads(text)
    kpis = {k: (pd.Timestamp(v) if k in _DATES and v is not None else v)
            for k, v in value["kpis"].items()}  # fmt: skip
    weekly = pd.read_json(StringIO(value["weekly"]), orient="split", convert_dates=False)
    weekly["week"] = pd.to_datetime(weekly["week"]).dt.tz_localize(None)
    weekly["category"] = weekly["category"].astype(str)
    stock = None if value["stock"] is None else StockKpis(**value["stock"])
    return {"kpis": kpis, "weekly": weekly, "stock": stock}


def stored_overview(conn: duckdb.DuckDBPyConnection, window_days: int) -> dict[str, Any] | None:
    """``compute_overview``'s result stored for the data now in the store, or None."""
    text = overview_store.load_summary(
        conn, _name(window_days), overview_store.summary_version(conn)
    )
    return None if text is None else _decode(text)


def store_overview(conn: duckdb.DuckDBPyConnection, window_days: int) -> dict[str, Any]:
    """Compute the Overview's aggregates, store them for the current data and return them
    (as ``stored_overview`` will: through the stored JSON). Needs a read-write connection."""
    text = _encode(compute_overview(conn, window_days))
    overview_store.save_summary(
        conn, _name(window_days), overview_store.summary_version(conn), text
    )
    return _decode(text)
