"""SQL for the alerts stored with a policy run, filtered, sorted, counted and paged in DuckDB.

Design (branch h-alerts3, issue 13): at 100,000 SKUs a policy run has tens of thousands of
alerts; building them (and their reason texts) in pandas on a page's first open took seconds.
``alerts.stored`` computes them once per run and data (``invdash reorder`` after the run, or
the Alerts page's first view) into ``run_alerts`` (``alert_key,
type, sku, money_at_risk, reason``: what ``alerts.compute_alerts`` returns but the product's
name and category). ``run_alert_sets`` has one row per run saying they are stored and under
which *inputs* (a fingerprint of what the alerts read besides the run: the forecast run, the
as-of day, the recent sales, the stock counts and the prices); a reader whose inputs differ
does not use them.

A page reads from ``ALERTS``: the stored rows of one run (``source="stored"``) or a frame of
the same columns registered as ``LIVE_VIEW`` (``source="live"``, the alerts computed on the
spot when none are stored for the current inputs), joined to ``products`` for the name and
category (empty text when missing, as ``compute_alerts``) and to ``alert_state`` for the status
(``apply_alert_state``: a snooze ending before the as-of day is open again). Filters are
``CRITERIA`` (constant SQL, values as parameters); the order is ``RANK`` (``rank_alerts``:
money at risk, largest first, then type and SKU).
"""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import pandas as pd

from invdash.schema import InvalidDataError
from invdash.store.line_selection import where_clause

__all__ = [
    "LIVE_VIEW", "SOURCES", "CRITERIA", "has_run_alerts", "stored_inputs", "save_run_alerts",
    "alert_kinds", "alerted_skus", "alert_totals", "alert_rows",
]  # fmt: skip

#: The name a frame of computed alerts is registered under for ``source="live"``.
LIVE_VIEW = "_live_alerts"
_FOUND = "alert_key, type, sku, money_at_risk, reason"
#: Where the alerts come from: the stored rows of ``$run_id``, or the registered frame.
SOURCES = {
    "stored": f"SELECT {_FOUND} FROM run_alerts WHERE run_id = $run_id",
    "live": f"SELECT {_FOUND} FROM {LIVE_VIEW}",
}
_STATUS = (
    "CASE WHEN s.status = 'snoozed' AND s.snooze_until < $today::DATE THEN 'open' "
    "ELSE coalesce(s.status, 'open') END"
)
_ALERTS = (
    "WITH found AS ({source}), alerts AS (SELECT f.alert_key, f.type, f.sku, "
    "coalesce(p.name, '') AS name, coalesce(p.category, '') AS category, f.money_at_risk, "
    f"f.reason, {_STATUS} AS status, s.snooze_until, s.\"user\" FROM found f "
    "LEFT JOIN products p ON p.sku = f.sku LEFT JOIN alert_state s ON s.alert_key = f.alert_key)"
)
#: ``alerts.rank_alerts``'s order (alert keys are unique, so it is total).
RANK = "money_at_risk DESC NULLS LAST, type ASC, sku ASC"
#: Filter name -> the SQL condition it adds (its value is the parameter of that name).
CRITERIA = {
    "types": "list_contains($types, type)",
    "categories": "list_contains($categories, category)",
    "status": "status = $status",
    "sku": "sku = $sku",
}
_COLUMNS = (
    "alert_key, type, sku, name, category, money_at_risk, reason, status, snooze_until, \"user\""
)


def has_run_alerts(conn: duckdb.DuckDBPyConnection) -> bool:
    """Whether the file has the tables (a file an older invdash migrated has not)."""
    row = conn.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'run_alert_sets' "
        "AND schema_name = current_schema()"
    ).fetchone()
    return bool(row[0])


def stored_inputs(conn: duckdb.DuckDBPyConnection, run_id: str) -> str | None:
    """The inputs fingerprint the alerts of ``run_id`` were stored under (None: not stored)."""
    if not has_run_alerts(conn):
        return None
    row = conn.execute("SELECT inputs FROM run_alert_sets WHERE run_id = ?", [run_id]).fetchone()
    return None if row is None else str(row[0])


def save_run_alerts(
    conn: duckdb.DuckDBPyConnection, run_id: str, inputs: str, found: pd.DataFrame
) -> None:
    """Store (replace) the alerts ``found`` (``alert_key, type, sku, money_at_risk, reason``)
    of run ``run_id`` under ``inputs``; run inside ``transaction``."""
    conn.execute("DELETE FROM run_alerts WHERE run_id = ?", [run_id])
    conn.execute("DELETE FROM run_alert_sets WHERE run_id = ?", [run_id])
    conn.register("_run_alerts_src", found[["alert_key", "type", "sku", "money_at_risk", "reason"]])
    try:
        conn.execute(
            "INSERT INTO run_alerts SELECT ?, alert_key, type, CAST(sku AS VARCHAR), "
            "money_at_risk, reason FROM _run_alerts_src",
            [run_id],
        )
    finally:
        conn.unregister("_run_alerts_src")
    conn.execute(
        "INSERT INTO run_alert_sets VALUES (?, ?, current_timestamp)", [run_id, inputs]
    )


def _sql(source: str, tail: str) -> str:
    if source not in SOURCES:
        raise InvalidDataError(f"source must be one of {', '.join(SOURCES)}, got {source!r}.")
    return _ALERTS.format(source=SOURCES[source]) + " " + tail


def _params(run_id: str, today: pd.Timestamp, source: str) -> dict[str, object]:
    params: dict[str, object] = {"today": pd.Timestamp(today).date()}
    if source == "stored":
        params["run_id"] = run_id
    return params


def _where(criteria: Mapping[str, object]) -> tuple[str, dict[str, object]]:
    return where_clause(criteria, CRITERIA, "alert filters")


def alert_kinds(
    conn: duckdb.DuckDBPyConnection, run_id: str, *, today: pd.Timestamp, source: str
) -> pd.DataFrame:
    """The distinct ``type, category`` pairs of the alerts (category: empty text when none)."""
    sql = _sql(source, "SELECT DISTINCT type, category FROM alerts ORDER BY type, category")
    return conn.execute(sql, _params(run_id, today, source)).df()


def alerted_skus(  # noqa: PLR0913 - the source, the text and the count, keyword-only
    conn: duckdb.DuckDBPyConnection, run_id: str, *, today: pd.Timestamp, source: str,
    text: str, limit: int,
) -> list[str]:  # fmt: skip
    """Up to ``limit`` alerted SKUs whose code contains ``text`` (case-insensitive; empty:
    any), in the order of their first alert in ``RANK``."""
    sql = _sql(source, (
        f"SELECT sku FROM (SELECT sku, row_number() OVER (ORDER BY {RANK}) AS place "
        "FROM alerts) WHERE $text = '' OR contains(lower(sku), $text) "
        "GROUP BY sku ORDER BY min(place) LIMIT $limit"
    ))  # fmt: skip
    params = {**_params(run_id, today, source), "text": text.strip().lower(), "limit": limit}
    return [str(r[0]) for r in conn.execute(sql, params).fetchall()]


def alert_totals(
    conn: duckdb.DuckDBPyConnection, run_id: str, *, today: pd.Timestamp, source: str,
    criteria: Mapping[str, object],
) -> tuple[int, float]:  # fmt: skip
    """``(alerts, money at risk)`` of the alerts ``criteria`` select."""
    where, chosen = _where(criteria)
    sql = _sql(source, "SELECT count(*), coalesce(sum(money_at_risk), 0) FROM alerts" + where)
    count, money = conn.execute(sql, {**_params(run_id, today, source), **chosen}).fetchone()
    return int(count), float(money)


def alert_rows(  # noqa: PLR0913 - the source, the filters and the window, keyword-only
    conn: duckdb.DuckDBPyConnection, run_id: str, *, today: pd.Timestamp, source: str,
    criteria: Mapping[str, object], limit: int | None = None, offset: int = 0,
) -> pd.DataFrame:  # fmt: skip
    """``limit`` (None: all) of the selected alerts from ``offset`` in ``RANK`` order: the
    columns of ``alerts.current_alerts``."""
    where, chosen = _where(criteria)
    window = " LIMIT $limit OFFSET $offset" if limit is not None else " OFFSET $offset"
    sql = _sql(source, f"SELECT {_COLUMNS} FROM alerts{where} ORDER BY {RANK}{window}")
    params = {**_params(run_id, today, source), **chosen, "offset": int(offset)}
    if limit is not None:
        params["limit"] = int(limit)
    return conn.execute(sql, params).df()
