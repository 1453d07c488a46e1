"""SQL of the ingest log: which file (by SHA-256) was loaded as which kind, when, with what report.

Re-exported by ``invdash.store.ingest``; a file seen before is skipped (idempotent re-ingest).
"""

from __future__ import annotations

import duckdb

from invdash.store import versions

__all__ = ["logged_at", "log_ingest", "recent_ingests"]


def logged_at(conn: duckdb.DuckDBPyConnection, sha256: str, kind: str) -> str | None:
    """When this file content was ingested as ``kind`` (None if never)."""
    row = conn.execute(
        "SELECT ingested_at FROM ingest_log WHERE file_sha256 = ? AND kind = ?", [sha256, kind]
    ).fetchone()
    return None if row is None else str(row[0])


def log_ingest(  # noqa: PLR0913 - one row of the log
    conn: duckdb.DuckDBPyConnection,
    *,
    sha256: str,
    kind: str,
    source: str,
    rows_read: int,
    rows_stored: int,
    report: str,
) -> None:
    """Record an ingest in ``ingest_log`` (replacing an older record of the same content)."""
    conn.execute(
        "INSERT OR REPLACE INTO ingest_log "
        "(file_sha256, kind, source, rows_read, rows_stored, report, ingested_at) "
        "VALUES (?, ?, ?, ?, ?, ?, current_timestamp)",
        [sha256, kind, source, rows_read, rows_stored, report],
    )
    versions.touch(conn, "ingest_log")


def recent_ingests(conn: duckdb.DuckDBPyConnection, limit: int = 20):
    """The most recent ingest log rows (newest first)."""
    return conn.execute(
        "SELECT ingested_at, source, kind, rows_read, rows_stored, file_sha256 FROM ingest_log "
        "ORDER BY ingested_at DESC LIMIT ?",
        [limit],
    ).df()
