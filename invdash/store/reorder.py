"""SQL for the policy area: policy runs, suggestions, decisions, alert states, service levels.

Design:
- ``policy_runs`` + ``suggestions``: a policy run is derived data, keyed by the data version, the
  forecast run and the parameters, so a reload finds the same run (and its decisions) again.
- ``decisions`` is append-only: every approve / edit / reject is a new row with user and time.
  Since migration 8 each row belongs to its SKU's open proposal (``store.proposals``) and the
  newest row of that proposal is the current decision, whatever run it was made on. A new
  policy run never touches it.
- ``alert_state``: one row per alert key (acknowledged / snoozed until a date).
- ``service_level_overrides``: per ABC class or per SKU.
Registered as migration 3 in ``store/schema.py``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import duckdb
import pandas as pd

from invdash.schema import POLICY_COLUMNS
from invdash.store import proposals as _proposals

__all__ = ["SUGGESTION_COLUMNS",
    "find_policy_run",
    "policy_run_as_of",
    "save_policy_run",
    "load_suggestions",
    "latest_policy_run",
    "record_decisions",
    "load_decisions",
    "load_alert_state",
    "set_alert_state",
    "open_order_totals",
    "load_service_level_overrides",
    "set_service_level_override",
    "delete_service_level_override",
]


SUGGESTION_COLUMNS = POLICY_COLUMNS


_SUGGESTION_LIST = ", ".join(["run_id", *SUGGESTION_COLUMNS])
_INSERT_SUGGESTIONS = (
    "INSERT INTO suggestions ("
    + _SUGGESTION_LIST
    + ") SELECT "
    + _SUGGESTION_LIST
    + " FROM _suggestions_src"
)


_SELECT_SUGGESTIONS = (
    "SELECT " + ", ".join(SUGGESTION_COLUMNS) + " FROM suggestions WHERE run_id = ? ORDER BY sku"
)
#: One SKU's row (branch h-pages2: the SKU Explorer reads one row, not the whole run).
_SELECT_SUGGESTION = (
    "SELECT " + ", ".join(SUGGESTION_COLUMNS) + " FROM suggestions WHERE run_id = ? AND sku = ?"
)


def policy_run_as_of(conn: duckdb.DuckDBPyConnection, run_id: str) -> pd.Timestamp:
    """The ``as_of`` day of a stored policy run."""
    row = conn.execute("SELECT as_of FROM policy_runs WHERE run_id = ?", [run_id]).fetchone()
    return pd.Timestamp(row[0])


def find_policy_run(
    conn: duckdb.DuckDBPyConnection, *, data_version: str, forecast_run_id: str | None, params: str
) -> str | None:
    """The newest stored policy run for these inputs, or None."""
    row = conn.execute(
        "SELECT run_id FROM policy_runs WHERE data_version = ? AND params = ? "
        "AND coalesce(forecast_run_id, '') = coalesce(?, '') ORDER BY created_at DESC LIMIT 1",
        [data_version, params, forecast_run_id],
    ).fetchone()
    return None if row is None else str(row[0])


def policy_runs_for(
    conn: duckdb.DuckDBPyConnection, *, data_version: str, forecast_run_id: str | None
) -> pd.DataFrame:
    """Stored policy runs for these inputs, newest first: ``run_id, params`` (JSON text)."""
    return conn.execute(
        "SELECT run_id, params FROM policy_runs WHERE data_version = ? "
        "AND coalesce(forecast_run_id, '') = coalesce(?, '') ORDER BY created_at DESC",
        [data_version, forecast_run_id],
    ).df()


def latest_policy_run(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The newest policy run row (empty frame when none)."""
    return conn.execute("SELECT * FROM policy_runs ORDER BY created_at DESC LIMIT 1").df()


def save_policy_run(  # noqa: PLR0913 - the run key has four parts
    conn: duckdb.DuckDBPyConnection,
    policy_table: pd.DataFrame,
    *,
    data_version: str,
    forecast_run_id: str | None,
    as_of: pd.Timestamp,
    params: str,
) -> str:
    """Store a policy table as a new run (inside ``transaction``); returns the run id."""
    run_id = uuid.uuid4().hex
    conn.execute(
        "INSERT INTO policy_runs "
        "(run_id, created_at, data_version, forecast_run_id, as_of, params) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [
            run_id,
            pd.Timestamp.now(tz="UTC").tz_localize(None),
            data_version,
            forecast_run_id,
            pd.Timestamp(as_of).date(),
            params,
        ],
    )
    rows = policy_table.reindex(columns=list(SUGGESTION_COLUMNS)).assign(run_id=run_id)
    conn.register("_suggestions_src", rows)
    try:
        conn.execute(_INSERT_SUGGESTIONS)
    finally:
        conn.unregister("_suggestions_src")
    return run_id


def load_suggestions(
    conn: duckdb.DuckDBPyConnection, run_id: str, *, sku: str | None = None
) -> pd.DataFrame:
    """The stored policy table of a run, in ``SUGGESTION_COLUMNS`` order; with ``sku``, only
    that SKU's row (empty when the run has none)."""
    if sku is None:
        frame = conn.execute(_SELECT_SUGGESTIONS, [run_id]).df()
    else:
        frame = conn.execute(_SELECT_SUGGESTION, [run_id, str(sku)]).df()
    for column in ("order_by_date", "stockout_date"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def record_decisions(conn: duckdb.DuckDBPyConnection, decisions: pd.DataFrame) -> int:
    """Append decisions ``run_id, sku, action, qty, reason, user, decided_at`` (in a
    transaction); earlier decisions are kept. Each joins its SKU's open proposal
    (``store.proposals.record_decisions``), so it carries over to later runs."""
    return _proposals.record_decisions(conn, decisions)


def load_decisions(
    conn: duckdb.DuckDBPyConnection, *, run_id: str | None = None, latest_only: bool = True
) -> pd.DataFrame:
    """Decisions (of one run, or all); with ``latest_only`` the newest per (run, sku)."""
    frame = conn.execute(
        'SELECT decision_id, run_id, sku, action, qty, reason, "user", decided_at, '
        "row_number() OVER (PARTITION BY run_id, sku ORDER BY decided_at DESC, decision_id DESC) "
        "AS recency FROM decisions WHERE (? IS NULL OR run_id = ?) ORDER BY decided_at, sku",
        [run_id, run_id],
    ).df()
    if latest_only:
        frame = frame[frame["recency"] == 1]
    return frame.drop(columns="recency").reset_index(drop=True)


def load_alert_state(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Stored alert states ``alert_key, status, snooze_until, user, updated_at``."""
    return conn.execute(
        'SELECT alert_key, status, snooze_until, "user", updated_at FROM alert_state '
        "ORDER BY alert_key"
    ).df()


def set_alert_state(
    conn: duckdb.DuckDBPyConnection,
    alert_keys: Sequence[str],
    *,
    status: str,
    user: str,
    snooze_until: pd.Timestamp | None = None,
) -> int:
    """Acknowledge, snooze or reopen alerts (one row per key, replaced)."""
    now = pd.Timestamp.now(tz="UTC").tz_localize(None).to_pydatetime()
    until = None if snooze_until is None else pd.Timestamp(snooze_until).date()
    for key in alert_keys:
        conn.execute(
            "INSERT OR REPLACE INTO alert_state "
            '(alert_key, status, snooze_until, "user", updated_at) '
            "VALUES (?, ?, ?, ?, ?)",
            [str(key), status, until, user, now],
        )
    return len(alert_keys)


def open_order_totals(conn: duckdb.DuckDBPyConnection) -> tuple[int, float]:
    """``(lines, units)``: the open purchase-order lines and the units still to arrive on them,
    ``store.open_purchase_orders``'s row count and ``qty`` sum in one aggregate (at 100,000
    SKUs the lines are tens of thousands of rows, and every page open keys its run by them)."""
    lines, units = conn.execute(
        "SELECT count(*), coalesce(sum(qty - coalesce(received_qty, 0)), 0) "
        "FROM purchase_orders WHERE status = 'open'"
    ).fetchone()
    return int(lines), float(units)


def load_service_level_overrides(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Overrides ``scope, key, service_level, user, updated_at``."""
    return conn.execute(
        'SELECT scope, key, service_level, "user", updated_at FROM service_level_overrides '
        "ORDER BY scope, key"
    ).df()


def set_service_level_override(
    conn: duckdb.DuckDBPyConnection, *, scope: str, key: str, service_level: float, user: str
) -> None:
    """Insert or replace one override (scope ``abc`` with key A/B/C, or ``sku``)."""
    conn.execute(
        'INSERT OR REPLACE INTO service_level_overrides (scope, key, service_level, "user", '
        "updated_at) VALUES (?, ?, ?, ?, ?)",
        [
            scope,
            str(key),
            float(service_level),
            user,
            pd.Timestamp.now(tz="UTC").tz_localize(None).to_pydatetime(),
        ],
    )


def delete_service_level_override(conn: duckdb.DuckDBPyConnection, *, scope: str, key: str) -> None:
    """Remove one override."""
    conn.execute(
        "DELETE FROM service_level_overrides WHERE scope = ? AND key = ?", [scope, str(key)]
    )
