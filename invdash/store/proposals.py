"""SQL for decisions that carry over: open proposals per SKU and the decisions made on them.

Design:
- A **proposal** is "this SKU should be ordered" from the moment a manager first decides on it
  until it is closed: the lines go onto a purchase order (``close_proposals(..., reason=
  "ordered")``, called by the PO workflow) or a manager reopens it (``reason="reopened"``).
  At most one proposal per SKU is open; the next decision after a close opens a new one. Its id
  is ``<sku>#<n>`` (the SKU's n-th proposal), so two sessions opening one at once collide on the
  primary key and one of them fails (and retries) instead of leaving two open.
- ``decisions`` (append-only, migration 3) gains ``proposal_id`` plus what the manager saw when
  deciding (``suggested_qty``, ``suggested_order_by``), the rule override (``override_reason``,
  ``rules_broken``) and a rejection's optional end (``valid_until``). The SKU's current decision
  is the newest one of its open proposal, whatever policy run it was made on, so a re-forecast
  or re-ingest (a new run id) keeps it.
- The tables are defined in ``store/schema.py`` (``CYCLE_DDL``, migration 8), which backfills
  older files: every SKU's decisions join one open ``legacy-<sku>``
  proposal and get the suggestion of the run they were made on, so approvals made before the
  upgrade show again.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pandas as pd

__all__ = [
    "DECISION_COLUMNS",
    "record_decisions",
    "current_decisions",
    "close_proposals",
    "decision_history",
    "review_rows",
    "line_facts",
    "committed_values",
    "CURRENT_SQL",
]

#: Columns of a decision frame (``reorder.make_decisions``); the last six may be missing.
DECISION_COLUMNS = (
    "run_id", "sku", "action", "qty", "reason", "user", "decided_at",
    "suggested_qty", "suggested_order_by", "override_reason", "rules_broken", "valid_until",
)  # fmt: skip

_OPEN_MISSING = (
    "INSERT INTO proposals (proposal_id, sku, opened_at) "
    "SELECT s.sku || '#' || (1 + (SELECT count(*) FROM proposals q WHERE q.sku = s.sku)), s.sku, ? "
    "FROM (SELECT DISTINCT sku FROM _decisions_src) s "
    "WHERE s.sku NOT IN (SELECT sku FROM proposals WHERE closed_at IS NULL)"
)
_INSERT = (
    'INSERT INTO decisions (decision_id, run_id, sku, action, qty, reason, "user", decided_at, '
    "proposal_id, suggested_qty, suggested_order_by, override_reason, rules_broken, valid_until) "
    'SELECT gen_random_uuid()::VARCHAR, d.run_id, d.sku, d.action, d.qty, d.reason, d."user", '
    "d.decided_at, p.proposal_id, d.suggested_qty, d.suggested_order_by, d.override_reason, "
    "d.rules_broken, d.valid_until FROM _decisions_src d "
    "JOIN proposals p ON p.sku = d.sku AND p.closed_at IS NULL"
)
#: A decision's business day: the as-of day of the run it was made on (the day the planner saw
#: in the sidebar), else the clock's day of ``decided_at`` (runs older than the as-of fix).
_DECIDED_ON = "coalesce(r.as_of, CAST(d.decided_at AS DATE))"
_HISTORY = (  # a fixed query: _DECIDED_ON is a constant SQL expression, not user text
    f'SELECT {_DECIDED_ON} AS "on", d.decided_at AS "at", d.action AS event, d.qty, '
    'd.suggested_qty, d.reason, d.override_reason, d."user", d.run_id, d.proposal_id, '
    "NULL::VARCHAR AS po_id FROM decisions d "
    "LEFT JOIN policy_runs r ON r.run_id = d.run_id WHERE d.sku = ? UNION ALL "
    "SELECT CAST(closed_at AS DATE), closed_at, close_reason, NULL, NULL, NULL, NULL, "
    "closed_by, NULL, proposal_id, "
    'po_id FROM proposals WHERE sku = ? AND closed_at IS NOT NULL ORDER BY "at" DESC'
)
_CURRENT = (
    'SELECT d.sku, d.action, d.qty, d.reason, d."user", d.decided_at, '
    f"{_DECIDED_ON} AS decided_on, d.run_id, d.proposal_id, "
    "d.suggested_qty, d.suggested_order_by, d.override_reason, d.rules_broken, d.valid_until "
    "FROM decisions d JOIN proposals p ON p.proposal_id = d.proposal_id AND p.closed_at IS NULL "
    "LEFT JOIN policy_runs r ON r.run_id = d.run_id "
    "QUALIFY row_number() OVER (PARTITION BY d.sku ORDER BY d.decided_at DESC, "
    "d.decision_id DESC) = 1"
)

#: The newest decision of every open proposal, one row per SKU (``store.line_selection`` builds
#: the Reorder page's selections on it).
CURRENT_SQL = _CURRENT


def _source(decisions: pd.DataFrame) -> pd.DataFrame:
    rows = decisions.reindex(columns=list(DECISION_COLUMNS)).copy()
    rows["sku"] = rows["sku"].astype(str)
    for column in ("qty", "suggested_qty"):
        rows[column] = pd.to_numeric(rows[column], errors="coerce").astype(float)
    for column in ("reason", "override_reason", "rules_broken", "user", "run_id"):
        rows[column] = rows[column].astype(object).where(rows[column].notna(), None)
    for column in ("decided_at", "suggested_order_by", "valid_until"):
        rows[column] = pd.to_datetime(rows[column])
    return rows


def record_decisions(conn: duckdb.DuckDBPyConnection, decisions: pd.DataFrame) -> int:
    """Append decisions to each SKU's open proposal, opening one where none is open.

    Run inside ``store.transaction``. One statement per step, whatever the number of rows, so a
    bulk approval of thousands of lines costs about as much as one.

    Args:
        conn: read-write connection.
        decisions: ``DECISION_COLUMNS`` (the optional ones may be absent).

    Returns:
        The number of decisions stored.
    """
    if decisions.empty:
        return 0
    rows = _source(decisions)
    conn.register("_decisions_src", rows)
    try:
        conn.execute(_OPEN_MISSING, [rows["decided_at"].min().to_pydatetime()])
        conn.execute(_INSERT)
    finally:
        conn.unregister("_decisions_src")
    return len(rows)


def current_decisions(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The newest decision of every open proposal (one row per SKU)."""
    return conn.execute(_CURRENT + " ORDER BY d.sku").df()


def close_proposals(  # noqa: PLR0913 - a close has these parts, keyword-only
    conn: duckdb.DuckDBPyConnection,
    skus: Sequence[str],
    *,
    reason: str,
    user: str,
    po_id: str | None = None,
    now: pd.Timestamp | None = None,
) -> int:
    """Close the open proposals of ``skus`` (``reason`` ``ordered`` with ``po_id``, or
    ``reopened``); returns how many were closed. Run inside ``store.transaction``."""
    when = (now or pd.Timestamp.now(tz="UTC").tz_localize(None)).to_pydatetime()
    row = conn.execute(
        "UPDATE proposals SET closed_at = ?, close_reason = ?, po_id = ?, closed_by = ? "
        "WHERE closed_at IS NULL AND sku IN (SELECT unnest(?)) RETURNING proposal_id",
        [when, reason, po_id, user, [str(s) for s in skus]],
    ).fetchall()
    return len(row)


def decision_history(conn: duckdb.DuckDBPyConnection, sku: str) -> pd.DataFrame:
    """Every decision on ``sku`` and every close of its proposals, newest first.

    Columns ``on, at, event, qty, suggested_qty, reason, override_reason, user, run_id,
    proposal_id, po_id``; ``on`` is the business (as-of) day of a decision (its run's as-of
    day) and the clock's day of a close, ``at`` the clock time it was recorded (the audit);
    ``event`` is ``approve``, ``edit``, ``reject``, ``ordered`` or ``reopened``.
    """
    return conn.execute(
        _HISTORY,
        [str(sku), str(sku)],
    ).df()


def review_rows(conn: duckdb.DuckDBPyConnection, run_id: str, *, new_after: object) -> pd.DataFrame:
    """One row per line of a stored run: the suggestion, product and supplier data and the
    SKU's current decision (``decision_*`` columns, null when pending).

    Lines are the SKUs with a suggested order plus those whose open proposal holds an approval
    or edit (so "approved 120; now suggests 0" is shown, not dropped). ``is_new``: no sale
    (qty > 0) recorded on or before ``new_after``.
    """
    return conn.execute(
        "WITH cur AS (" + _CURRENT + "), "
        "hist AS (SELECT sku, min(date) AS first_sale FROM sales WHERE qty > 0 GROUP BY sku) "
        "SELECT s.*, coalesce(p.name, '') AS name, coalesce(p.category, '') AS category, "
        "coalesce(p.supplier, '(no supplier)') AS supplier, p.max_order_qty, "
        "sp.min_order_value, (h.first_sale IS NULL OR h.first_sale > ?) AS is_new, "
        "c.action AS decision_action, c.qty AS decision_qty, c.reason AS decision_reason, "
        'c."user" AS decided_by, c.decided_at, c.decided_on, c.run_id AS decision_run_id, '
        "c.proposal_id, "
        "c.suggested_qty AS decision_suggested_qty, c.suggested_order_by AS decision_order_by, "
        "c.override_reason, c.valid_until "
        "FROM suggestions s LEFT JOIN products p ON p.sku = s.sku "
        "LEFT JOIN suppliers sp ON sp.supplier = p.supplier "
        "LEFT JOIN hist h ON h.sku = s.sku LEFT JOIN cur c ON c.sku = s.sku "
        "WHERE s.run_id = ? AND (s.suggested_qty > 0 OR c.action IN ('approve', 'edit')) "
        "ORDER BY s.order_by_date NULLS LAST, s.stockout_probability DESC, s.sku",
        [pd.Timestamp(new_after).date(), run_id],
    ).df()


def line_facts(conn: duckdb.DuckDBPyConnection, run_id: str, skus: Sequence[str]) -> pd.DataFrame:
    """What a decision on ``skus`` needs from run ``run_id``: ``sku, suggested_qty,
    order_by_date, unit_cost, moq, pack_size, max_order_qty, supplier, min_order_value``."""
    frame = conn.execute(
        "SELECT s.sku, s.suggested_qty, s.order_by_date, s.unit_cost, s.moq, s.pack_size, "
        "p.max_order_qty, coalesce(p.supplier, '(no supplier)') AS supplier, sp.min_order_value "
        "FROM suggestions s LEFT JOIN products p ON p.sku = s.sku "
        "LEFT JOIN suppliers sp ON sp.supplier = p.supplier "
        "WHERE s.run_id = ? AND s.sku IN (SELECT unnest(?)) ORDER BY s.sku",
        [run_id, [str(s) for s in skus]],
    ).df()
    frame["order_by_date"] = pd.to_datetime(frame["order_by_date"])
    return frame


def committed_values(conn: duckdb.DuckDBPyConnection, supplier: str) -> pd.Series:
    """Value (qty x unit cost) of each current approval or edit of ``supplier``'s SKUs."""
    frame = conn.execute(
        "WITH cur AS (" + _CURRENT + ") SELECT c.sku, c.qty * coalesce(p.unit_cost, 0) AS value "
        "FROM cur c JOIN products p ON p.sku = c.sku "
        "WHERE c.action IN ('approve', 'edit') AND coalesce(p.supplier, '(no supplier)') = ?",
        [supplier],
    ).df()
    return frame.set_index("sku")["value"].fillna(0.0)
