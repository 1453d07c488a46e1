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
import streamlit as st

from invdash import store
from invdash.config import Settings, load_settings

__all__ = ["settings", "db_key", "read_connection", "write_connection", "clear_all"]


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
