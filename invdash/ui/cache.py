"""Shared Streamlit plumbing: settings and short-lived database connections.

DuckDB lets one process write a file at a time, and inside one process a read-only and a
read-write connection to the same file cannot coexist. So the dashboard never keeps a connection
open: ``read_connection`` opens the file read-only for one block of reads and closes it, and
``write_connection`` does the same read-write for one transaction (decisions, alert states,
uploads). Both wait briefly for another writer and then raise ``StoreBusyError`` ("busy, retry").
Frames read through them are cached with ``st.cache_data`` in each area's ``ui`` module, keyed by
``data_generation()`` so a write in this process invalidates them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
import pandas as pd
import streamlit as st

from invdash import store
from invdash.config import Settings, load_settings

__all__ = [
    "settings",
    "db_key",
    "read_connection",
    "write_connection",
    "clear_all",
    "rec_run",
    "rec_customers",
    "rec_skus",
    "rec_list",
    "rec_customer_purchases",
]


def settings() -> Settings:
    """Current settings (read per call so tests can monkeypatch ``INVDASH_DB``)."""
    return load_settings()


def db_key() -> str:
    """A cache key for the current data: the file path and its modification time."""
    path = settings().db_path
    mtime = path.stat().st_mtime_ns if path.exists() else 0
    wal = path.with_name(path.name + ".wal")
    wal_mtime = wal.stat().st_mtime_ns if wal.exists() else 0
    return f"{path.resolve()}@{mtime}:{wal_mtime}"


@contextmanager
def read_connection() -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the configured database for one block of reads."""
    conn = store.connect_read_only(settings().db_path)
    try:
        yield conn
    finally:
        conn.close()


@contextmanager
def write_connection() -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection for one write; cached frames are dropped afterwards."""
    conn = store.connect(settings().db_path)
    try:
        yield conn
    finally:
        conn.close()
        st.cache_data.clear()


def clear_all() -> None:
    """Drop every cached frame and resource (after a data change)."""
    st.cache_data.clear()
    st.cache_resource.clear()


# Recommendations page (issue 14): stored runs, read in milliseconds. The run is looked up by
# the data version inside the file, and built (the only slow step) when the data changed.


def _fresh_rec_run() -> dict | None:
    from invdash.store import recs as recs_store

    with read_connection() as conn:
        return recs_store.fresh_run(conn)


@st.cache_data(ttl=600, max_entries=4, show_spinner="Building recommendations for this data ...")
def _rec_run(key: str) -> dict:  # noqa: ARG001 - cache key
    from invdash.recommend.runs import ensure_rec_run

    fresh = _fresh_rec_run()
    if fresh is None:
        with write_connection() as conn:
            ensure_rec_run(conn)
        fresh = _fresh_rec_run()
    return fresh


def rec_run() -> dict:
    """The stored recommendation run of the current data: ``run_id, created_at, source, plan``."""
    return _rec_run(db_key())


@st.cache_data(ttl=600, max_entries=8)
def rec_customers(run_id: str) -> pd.DataFrame:
    """The run's customers, most orders first: ``customer_id, orders, segment``."""
    from invdash.store import recs as recs_store

    with read_connection() as conn:
        return recs_store.load_customers(conn, run_id)


@st.cache_data(ttl=600, max_entries=8)
def rec_skus(run_id: str) -> tuple[str, ...]:
    """Every SKU with a stored bought-together or substitutes list."""
    from invdash.store import recs as recs_store

    with read_connection() as conn:
        found = recs_store.list_queries(conn, run_id, "bought_together")
        found += recs_store.list_queries(conn, run_id, "substitutes")
    return tuple(sorted(set(found)))


@st.cache_data(ttl=600, max_entries=256)
def rec_list(run_id: str, list_name: str, query: str | None, k: int) -> pd.DataFrame:
    """One stored list of the run (``store.recs.load_list``)."""
    from invdash.store import recs as recs_store

    with read_connection() as conn:
        return recs_store.load_list(conn, run_id, list_name, query, k=k)


@st.cache_data(ttl=600, max_entries=64)
def rec_customer_purchases(key: str, customer_id: str) -> pd.DataFrame:  # noqa: ARG001 - key
    """A customer's purchases per SKU: ``sku, orders, last_bought``."""
    from invdash.store import recs as recs_store

    with read_connection() as conn:
        return recs_store.customer_purchases(conn, customer_id)
