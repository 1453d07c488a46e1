"""The former full-scan fingerprints, written out here independently of ``store/versions.py``,
and the check every writer test makes against them."""

from __future__ import annotations

import duckdb

from invdash import store
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


def full_scan(conn: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    """(demand, recommendations) fingerprints computed by scanning every table."""
    demand = "|".join(str(v) for v in conn.execute(FULL_SCAN_DEMAND).fetchone())
    lines = "|".join(str(v) for v in conn.execute(FULL_SCAN_LINES).fetchone())
    return demand, lines + "#" + demand


def stored(conn: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    """(demand, recommendations) fingerprints as the pages read them."""
    return store.data_version(conn), recs_store.rec_data_version(conn)


def check_settled(conn: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    """Assert the stored fingerprints are settled (read from the table, not computed live) and
    equal the full scan; return them."""
    dirty = conn.execute("SELECT list(part) FROM data_versions WHERE dirty").fetchone()[0]
    assert not dirty, f"parts left dirty after the write: {dirty}"
    now = stored(conn)
    assert now == full_scan(conn)
    return now
