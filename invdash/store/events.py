"""User events (``date, event[, sku | category]``) in the store: written from a staged file,
read for the forecast."""

from __future__ import annotations

import duckdb
import pandas as pd

from invdash.schema import DATE, SKU

__all__ = ["store_events", "load_events"]


def store_events(conn: duckdb.DuckDBPyConnection) -> int:
    """Replace the events of the staged file (same date, event, sku and category); returns rows
    written. Empty SKU and category text is stored as NULL (the whole shop)."""
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE _ingest_events AS SELECT DISTINCT date, trim(event) AS "
        "event, nullif(trim(sku), '') AS sku, nullif(trim(category), '') AS category "
        "FROM _ingest_typed"
    )
    conn.execute(
        "DELETE FROM events e WHERE EXISTS (SELECT 1 FROM _ingest_events n WHERE n.date = e.date "
        "AND n.event = e.event AND n.sku IS NOT DISTINCT FROM e.sku "
        "AND n.category IS NOT DISTINCT FROM e.category)"
    )
    conn.execute("INSERT INTO events SELECT date, event, sku, category FROM _ingest_events")
    count = int(conn.execute("SELECT count(*) FROM _ingest_events").fetchone()[0])
    conn.execute("DROP TABLE _ingest_events")
    return count


def load_events(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every stored event ``date, event, sku, category`` (None: the whole shop), by date."""
    events = conn.execute(
        "SELECT date, event, sku, category FROM events ORDER BY date, event, sku, category"
    ).df()
    events[DATE] = pd.to_datetime(events[DATE])
    events[SKU] = events[SKU].astype(object)
    return events
