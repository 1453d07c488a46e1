"""SQL for master-data edits and forecast overrides, both audited.

Design:
- ``master_data_audit``: append-only, one row per changed field: ``sku, field, old_value,
  new_value`` (as text, so one table holds numbers and names), who and when. A product edit
  updates ``products`` and appends here in the same transaction; a stock count (field
  ``on_hand``) writes an inventory snapshot instead.
- ``forecast_overrides``: one row per override (scope ``sku`` or ``category``, date range, kind
  ``factor`` / ``units`` / ``set``, value, reason, who, when, the forecast run it was made on).
  Ending one sets ``ended_by`` / ``ended_at``; rows are never deleted, so the FVA report can
  judge every override made.
- ``edits_version``: a fingerprint of both tables and of the stock snapshots, part of the policy
  run key, so any edit, stock count or receipt makes the next policy run recompute.
The tables are defined in ``store/schema.py`` (``PLANNING_EDITS_DDL``, migration 7).
"""

from __future__ import annotations

import uuid

import duckdb
import pandas as pd

from invdash.store import versions

__all__ = [
    "PRODUCT_FIELDS",
    "update_product",
    "set_on_hand",
    "record_audit",
    "load_audit",
    "insert_override",
    "end_override",
    "load_overrides",
    "edits_version",
]

#: Product columns a master-data edit may change (column names come only from this set).
PRODUCT_FIELDS = frozenset(
    {"lead_time_days", "lead_time_sd_days", "moq", "pack_size", "supplier", "unit_cost"}
)

_UPDATE_PRODUCT = {f: f'UPDATE products SET "{f}" = ? WHERE sku = ?' for f in PRODUCT_FIELDS}


def _now() -> object:
    return pd.Timestamp.now(tz="UTC").tz_localize(None).to_pydatetime()


def _as_text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    return f"{value:g}" if isinstance(value, float) else str(value)


def update_product(conn: duckdb.DuckDBPyConnection, sku: str, field: str, value: object) -> None:
    """Set one product column (``field`` in ``PRODUCT_FIELDS``). In a transaction."""
    if field not in PRODUCT_FIELDS:
        raise ValueError(f"unknown product field {field!r}; known: {sorted(PRODUCT_FIELDS)}")
    conn.execute(_UPDATE_PRODUCT[field], [value, sku])
    versions.touch(conn, "products")


def set_on_hand(
    conn: duckdb.DuckDBPyConnection, sku: str, on_hand: float, *, on: pd.Timestamp
) -> None:
    """A stock count: the snapshot of ``sku`` on day ``on`` (replaces one of that day)."""
    conn.execute(
        "INSERT OR REPLACE INTO inventory (sku, as_of, on_hand) VALUES (?, ?, ?)",
        [sku, pd.Timestamp(on).date(), float(on_hand)],
    )
    versions.touch(conn, "inventory")


def record_audit(  # noqa: PLR0913 - one audit row has these parts
    conn: duckdb.DuckDBPyConnection,
    sku: str,
    field: str,
    *,
    old_value: object,
    new_value: object,
    user: str,
) -> None:
    """Append one audit row (values stored as text; missing as NULL)."""
    conn.execute(
        'INSERT INTO master_data_audit (audit_id, sku, field, old_value, new_value, "user", '
        "changed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [uuid.uuid4().hex, sku, field, _as_text(old_value), _as_text(new_value), user, _now()],
    )


def load_audit(conn: duckdb.DuckDBPyConnection, *, sku: str | None = None) -> pd.DataFrame:
    """Audit rows ``sku, field, old_value, new_value, user, changed_at``, newest first."""
    return conn.execute(
        'SELECT sku, field, old_value, new_value, "user", changed_at FROM master_data_audit '
        "WHERE (? IS NULL OR sku = ?) ORDER BY changed_at DESC, audit_id",
        [sku, sku],
    ).df()


def insert_override(conn: duckdb.DuckDBPyConnection, override: dict[str, object]) -> str:
    """Store one override (keys: scope, key, start_date, end_date, kind, value, reason, user,
    forecast_run_id); returns its id."""
    override_id = uuid.uuid4().hex[:12]
    conn.execute(
        "INSERT INTO forecast_overrides (override_id, scope, key, start_date, end_date, kind, "
        'value, reason, "user", created_at, forecast_run_id) '
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            override_id, override["scope"], override["key"], override["start_date"],
            override["end_date"], override["kind"], override["value"], override["reason"],
            override["user"], _now(), override["forecast_run_id"],
        ],
    )  # fmt: skip
    return override_id


def end_override(conn: duckdb.DuckDBPyConnection, override_id: str, *, user: str) -> int:
    """End an active override (kept for the FVA report); returns rows changed (0 or 1)."""
    row = conn.execute(
        "UPDATE forecast_overrides SET ended_by = ?, ended_at = ? "
        "WHERE override_id = ? AND ended_at IS NULL RETURNING override_id",
        [user, _now(), override_id],
    ).fetchall()
    return len(row)


def load_overrides(conn: duckdb.DuckDBPyConnection, *, active_only: bool = True) -> pd.DataFrame:
    """Overrides in creation order (oldest first): ``override_id, scope, key, start_date,
    end_date, kind, value, reason, user, created_at, forecast_run_id, ended_by, ended_at``."""
    frame = conn.execute(
        'SELECT override_id, scope, key, start_date, end_date, kind, value, reason, "user", '
        "created_at, forecast_run_id, ended_by, ended_at FROM forecast_overrides "
        "WHERE (NOT ? OR ended_at IS NULL) ORDER BY created_at, override_id",
        [active_only],
    ).df()
    for column in ("start_date", "end_date"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def edits_version(conn: duckdb.DuckDBPyConnection) -> str:
    """Fingerprint of the stock snapshots, the master-data audit and the forecast overrides:
    changes with every receipt, stock count, edit and override."""
    # the stock's part is stored (``store/versions.py``, the same text), not a scan of it
    row = conn.execute(
        "SELECT ?, (SELECT count(*) FROM master_data_audit), "
        "(SELECT max(changed_at) FROM master_data_audit), "
        "(SELECT count(*) FROM forecast_overrides), (SELECT max(created_at) FROM "
        "forecast_overrides), (SELECT count(ended_at) FROM forecast_overrides)",
        [versions.parts(conn, ("stock",))[0]],
    ).fetchone()
    return "|".join(str(v) for v in row)
