"""Cached reads and actions for the Data page: what is stored, preview and ingest of an upload.

An upload is streamed in chunks (``upload_views.save_upload``, re-exported here) to a temporary
folder named by its SHA-256, under its own file name (so reports and error messages name the
file the user chose); files over ``server.maxUploadSize`` are refused first
(``upload_size_error``). It is previewed with ``ingest.inspect_file`` and loaded
with ``ingest.ingest_file`` through one short ``write_connection`` - exactly what
``invdash ingest`` does, so the page shows the same report and the same error text.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from invdash import ingest, store
from invdash.store import ingest as ingest_sql
from invdash.ui.cache import cached_read, settings, write_connection
from invdash.ui.labels import relabel
from invdash.ui.upload_views import save_upload, saved_upload, upload_size_error

__all__ = [
    "stored_counts", "recent_ingests", "database_exists", "save_upload", "saved_upload",
    "upload_size_error", "preview",
    "mapping_table", "run_ingest",
]


def database_exists() -> bool:
    """Whether the configured database file exists yet."""
    return settings().db_path.exists()


def stored_counts() -> pd.DataFrame:
    """Rows per core table, as a two-column frame for display."""
    counts = cached_read(store.table_counts)
    return pd.DataFrame({"Table": list(counts), "Rows": list(counts.values())})


def recent_ingests() -> pd.DataFrame:
    """The latest ``ingest_log`` rows, newest first, with display labels."""
    log = cached_read(ingest_sql.recent_ingests, 20)
    return relabel(log.assign(file_sha256=log["file_sha256"].str[:12]))


def preview(path: Path, kind: str) -> ingest.FilePreview:
    """Detect the kind and column mapping of a saved upload (reads only the header)."""
    conn = duckdb.connect()
    try:
        return ingest.inspect_file(conn, path, kind=kind)
    finally:
        conn.close()


def mapping_table(found: ingest.FilePreview) -> pd.DataFrame:
    """The guessed mapping: one row per file column, with the database column it feeds."""
    rows = [(source, name) for name, source in found.mapping.items()]
    rows += [(source, "(ignored)") for source in found.ignored]
    return pd.DataFrame(rows, columns=["File column", "Stored as"])


def run_ingest(path: Path, kind: str) -> ingest.IngestReport:
    """Ingest a saved upload into the configured database (one short write connection)."""
    with write_connection() as conn:
        return ingest.ingest_file(conn, path, kind=kind)
