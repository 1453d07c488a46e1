"""SQL behind the dashboard's SKU pickers and one-SKU reads: search, one product, its stock.

Design: at 100,000 SKUs a selectbox of every SKU sends megabytes to the browser on every script
run and makes the page wait on it. The pickers instead send what the planner typed to DuckDB and
show the best few matches (``search_products``); a page about one SKU reads that SKU's rows only
(``product``, ``sku_on_hand``). Every value is a parameter.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from invdash.store import windows

__all__ = ["search_products", "product", "top_sellers", "has_product", "sku_on_hand"]

_PRODUCT_COLUMNS = (
    "sku", "name", "category", "unit_cost", "unit_price", "supplier", "lead_time_days",
    "lead_time_sd_days", "moq", "pack_size",
)  # fmt: skip


def _escape(text: str) -> str:
    # ILIKE's wildcards typed by a planner are searched for literally (ESCAPE '\').
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_products(
    conn: duckdb.DuckDBPyConnection, text: str, *, limit: int = 20
) -> pd.DataFrame:
    """Up to ``limit`` products whose SKU or name contains ``text`` (case-insensitive):
    ``sku, name, category``; an exact SKU first, then SKUs starting with ``text``, then by SKU.
    An empty ``text`` gives the first ``limit`` SKUs."""
    pattern = f"%{_escape(text.strip())}%"
    prefix = f"{_escape(text.strip())}%"
    return conn.execute(
        "SELECT sku, name, category FROM products "
        "WHERE sku ILIKE ? ESCAPE '\\' OR name ILIKE ? ESCAPE '\\' "
        "ORDER BY lower(sku) = lower(?) DESC, sku ILIKE ? ESCAPE '\\' DESC, sku LIMIT ?",
        [pattern, pattern, text.strip(), prefix, int(limit)],
    ).df()


def product(conn: duckdb.DuckDBPyConnection, sku: str) -> dict | None:
    """The ``products`` row of ``sku`` as a dict, or None when there is no such SKU."""
    frame = conn.execute(
        "SELECT " + ", ".join(_PRODUCT_COLUMNS) + " FROM products WHERE sku = ?", [sku]
    ).df()
    return None if frame.empty else frame.iloc[0].to_dict()


def has_product(conn: duckdb.DuckDBPyConnection, sku: str) -> bool:
    """Whether ``sku`` is in ``products``."""
    return conn.execute("SELECT count(*) FROM products WHERE sku = ?", [sku]).fetchone()[0] > 0


def top_sellers(
    conn: duckdb.DuckDBPyConnection, *, days: int = 28, limit: int = 20
) -> pd.DataFrame:
    """The ``limit`` SKUs that sold most units in the last ``days`` days of sales: ``sku, name,
    qty``; the default choice of a picker before anything is typed (stored with a policy run
    for the data now: ``store.windows.top_sellers``)."""
    return windows.top_sellers(conn, days, limit)


def sku_on_hand(conn: duckdb.DuckDBPyConnection, sku: str) -> pd.DataFrame:
    """``store.latest_on_hand`` for one SKU (``sku, as_of, on_hand``; empty without stock data),
    without ranking every SKU's snapshots."""
    return conn.execute(
        "SELECT sku, as_of, on_hand FROM inventory WHERE sku = ? ORDER BY as_of DESC LIMIT 1",
        [sku],
    ).df()
