"""The former full-scan fingerprints, written out here independently of ``store/versions.py``,
and the check every writer test makes against them."""

from __future__ import annotations

import duckdb

from invdash import store
from invdash.store import master_data as md_store
from invdash.store import overview as overview_store
from invdash.store import recs as recs_store

#: ``store.data_version`` before the stored fingerprint (main f5c0941), verbatim.
FULL_SCAN_DEMAND = (
    "WITH past_stockouts AS (SELECT sku, as_of FROM inventory WHERE on_hand <= 0 "
    "AND as_of < (SELECT max(date) FROM sales)) "
    "SELECT (SELECT count(*) FROM sales), (SELECT coalesce(sum(qty), 0) FROM sales), "
    "(SELECT max(date) FROM sales), (SELECT count(*) FROM past_stockouts), "
    "(SELECT coalesce(sum(hash(sku, as_of)), 0) FROM past_stockouts), "
    "(SELECT count(*) FROM products), (SELECT max(ingested_at) FROM ingest_log)"
)
#: The order-lines half of ``recs.rec_data_version`` before it, verbatim.
FULL_SCAN_LINES = (
    "SELECT count(*), coalesce(sum(qty), 0), min(ts), max(ts), "
    "count(DISTINCT customer_id) FROM order_lines"
)

#: ``store.overview.summary_version`` before it, verbatim.
FULL_SCAN_SUMMARY = (
    "SELECT (SELECT count(*) FROM sales), "
    "(SELECT coalesce(sum(hash(sku, date, qty, price)), 0) FROM sales), "
    "(SELECT max(date) FROM sales), (SELECT count(*) FROM inventory), "
    "(SELECT coalesce(sum(hash(sku, as_of, on_hand)), 0) FROM inventory), "
    "(SELECT max(as_of) FROM inventory), "
    "(SELECT count(*) FROM products), "
    "(SELECT coalesce(sum(hash(sku, category, unit_cost, unit_price)), 0) FROM products), "
    "(SELECT max(ingested_at) FROM ingest_log)"
)

#: ``store.master_data.edits_version`` before it, verbatim.
FULL_SCAN_EDITS = (
    "SELECT (SELECT count(*) FROM inventory), (SELECT coalesce(sum(on_hand), 0) FROM "
    "inventory), (SELECT max(as_of) FROM inventory), (SELECT count(*) FROM master_data_audit), "
    "(SELECT max(changed_at) FROM master_data_audit), "
    "(SELECT count(*) FROM forecast_overrides), (SELECT max(created_at) FROM "
    "forecast_overrides), (SELECT count(ended_at) FROM forecast_overrides)"
)


def _text(conn: duckdb.DuckDBPyConnection, query: str) -> str:
    return "|".join(str(v) for v in conn.execute(query).fetchone())


def full_scan(conn: duckdb.DuckDBPyConnection) -> tuple[str, ...]:
    """(demand, recommendations, page summary, edits) fingerprints from scanning every table."""
    demand = _text(conn, FULL_SCAN_DEMAND)
    return (demand, _text(conn, FULL_SCAN_LINES) + "#" + demand,
            _text(conn, FULL_SCAN_SUMMARY), _text(conn, FULL_SCAN_EDITS))


def stored(conn: duckdb.DuckDBPyConnection) -> tuple[str, ...]:
    """(demand, recommendations, page summary, edits) fingerprints as the pages read them."""
    return (store.data_version(conn), recs_store.rec_data_version(conn),
            overview_store.summary_version(conn), md_store.edits_version(conn))


def check_settled(conn: duckdb.DuckDBPyConnection) -> tuple[str, ...]:
    """Assert the stored fingerprints are settled (read from the table, not computed live) and
    equal the full scan; return them."""
    dirty = conn.execute("SELECT list(part) FROM data_versions WHERE dirty").fetchone()[0]
    assert not dirty, f"parts left dirty after the write: {dirty}"
    now = stored(conn)
    assert now == full_scan(conn)
    return now
