"""SQL for work on a selection of a stored run's lines: filtered, sorted, counted and paged in
DuckDB, so the Reorder page never loads (or sends) every line to show one page.

Design:
- ``_REVIEWED``: one row per line of a stored run, the lines ``proposals.review_rows`` returns
  (a suggested order, or an approval or edit on the SKU's open proposal), with what a selection
  filters and sorts on computed in SQL by the rules of ``reorder.carry.carry_over``:
  ``status`` (pending, approved, edited, rejected, reconfirm), ``final_qty`` (whole units, up),
  ``final_value`` and ``order_value`` (in cents, rounded half to even on the value in cents as
  numpy rounds, so a sort by value ties where the frame ties) and ``days_to_order_by``.
  ``tests/unit/reorder/test_selection_sql.py`` pins these to the pandas functions.
- A selection is ``Selection``: ``criteria`` (names from ``CRITERIA``; each adds one constant
  SQL condition, its value a parameter) and ``order`` (column names from ``SORTABLE`` only,
  checked before any SQL is built). Nothing a user types reaches the SQL text.
- ``is_new`` (no sale with qty > 0 on or before ``ReviewDay.new_after``) scans ``sales``: it is
  computed for the rows returned (one page) or the selection a bulk summary needs, never for
  every line on every view.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from invdash.schema import InvalidDataError
from invdash.store.proposals import CURRENT_SQL

__all__ = ["CRITERIA", "SORTABLE", "ReviewDay", "Selection", "line_groups", "count_rows",
           "page_rows", "bulk_totals", "bulk_rows", "where_clause"]  # fmt: skip

#: Selection criteria -> the SQL condition each adds (its value is the parameter of that name).
CRITERIA = {
    "suppliers": "list_contains($suppliers, supplier)",
    "abc": "list_contains($abc, abc)",
    "categories": "list_contains($categories, category)",
    "statuses": "list_contains($statuses, status)",
    "min_stockout_probability": "stockout_probability >= $min_stockout_probability",
    "max_days_to_order_by": "days_to_order_by <= $max_days_to_order_by",
    "text": "(contains(lower(sku), $text) OR contains(lower(name), $text))",
}
#: Columns a selection may be sorted by.
SORTABLE = frozenset({
    "sku", "order_by_date", "stockout_probability", "days_to_order_by", "order_value",
    "supplier", "abc", "category", "status", "final_value", "suggested_qty",
})  # fmt: skip

_DECISION = (
    "c.action AS decision_action, c.qty AS decision_qty, c.reason AS decision_reason, "
    'c."user" AS decided_by, c.decided_at, c.decided_on, c.run_id AS decision_run_id, '
    "c.proposal_id, c.suggested_qty AS decision_suggested_qty, "
    "c.suggested_order_by AS decision_order_by, c.override_reason, c.valid_until"
)
_DECISION_NAMES = (
    "decision_action, decision_qty, decision_reason, decided_by, decided_at, decided_on, "
    "decision_run_id, proposal_id, decision_suggested_qty, decision_order_by, override_reason, "
    "valid_until"
)
_DAYS = "floor(abs(epoch(order_by_date::TIMESTAMP) - epoch(decision_order_by::TIMESTAMP)) / 86400)"
_REVIEWED = (
    "WITH cur AS (" + CURRENT_SQL + "), "
    "lines AS (SELECT s.*, coalesce(p.name, '') AS name, coalesce(p.category, '') AS category, "
    "coalesce(p.supplier, '(no supplier)') AS supplier, p.max_order_qty, sp.min_order_value, "
    + _DECISION + " FROM suggestions s LEFT JOIN products p ON p.sku = s.sku "
    "LEFT JOIN suppliers sp ON sp.supplier = p.supplier LEFT JOIN cur c ON c.sku = s.sku "
    "WHERE s.run_id = $run_id AND (s.suggested_qty > 0 OR c.action IN ('approve', 'edit'))), "
    "judged AS (SELECT *, (decision_suggested_qty IS NOT NULL "
    "AND abs(suggested_qty - decision_suggested_qty) >= 1 "
    "AND abs(suggested_qty - decision_suggested_qty) > $qty_share * decision_suggested_qty) "
    "AS qty_changed, (decision_suggested_qty IS NOT NULL AND (coalesce(" + _DAYS
    + " > $order_by_days, false) OR ((order_by_date IS NULL) <> (decision_order_by IS NULL)))) "
    "AS date_changed FROM lines), "
    "statused AS (SELECT *, CASE WHEN decision_action IS NULL THEN 'pending' "
    "WHEN decision_action = 'reject' AND valid_until IS NOT NULL "
    "AND valid_until::TIMESTAMP < $as_of::TIMESTAMP THEN 'pending' "
    "WHEN decision_action IN ('approve', 'edit') AND (qty_changed OR date_changed) "
    "THEN 'reconfirm' WHEN decision_action = 'approve' THEN 'approved' "
    "WHEN decision_action = 'edit' THEN 'edited' WHEN decision_action = 'reject' "
    "THEN 'rejected' END AS status FROM judged), "
    "sized AS (SELECT *, ceil(CASE WHEN status = 'rejected' THEN 0.0 "
    "WHEN decision_action IN ('approve', 'edit') THEN coalesce(decision_qty, suggested_qty) "
    "ELSE suggested_qty END - CAST(1e-6 AS DOUBLE)) + 0.0 AS final_qty FROM statused), "
    "reviewed AS (SELECT *, "
    "round_even(final_qty * coalesce(unit_cost, 0.0) * 100, 0) / 100 AS final_value, "
    "round_even(suggested_qty * unit_cost * 100, 0) / 100 AS order_value, "
    "floor((epoch(order_by_date::TIMESTAMP) - epoch($as_of::TIMESTAMP)) / 86400) "
    "AS days_to_order_by FROM sized)"
)
_IS_NEW = "(h.first_sale IS NULL OR h.first_sale > $new_after)"
_HIST = (
    "hist AS (SELECT sku, min(date) AS first_sale FROM sales WHERE qty > 0 "
    "AND sku IN (SELECT sku FROM chosen) GROUP BY sku)"
)
#: Why a bulk action leaves a line out (NULL: it takes the line), first match wins; the
#: ``reorder.selection`` reasons in the same order.
_EXCLUDED = (
    "CASE WHEN status = 'rejected' THEN 'rejected' "
    "WHEN status IN ('approved', 'edited') THEN 'decided' "
    "WHEN $approve AND is_new THEN 'new' "
    "WHEN $approve AND max_order_qty IS NOT NULL AND suggested_qty > max_order_qty "
    "THEN 'over_max' WHEN $approve AND suggested_qty <= 0 THEN 'nothing' END"
)
_BULK = (
    "judged_bulk AS (SELECT chosen.*, " + _IS_NEW + " AS is_new FROM chosen "
    "LEFT JOIN hist h ON h.sku = chosen.sku), "
    "bulk AS (SELECT *, " + _EXCLUDED + " AS excluded, CASE WHEN $approve "
    "THEN round_even(suggested_qty, 0) + 0.0 ELSE 0.0 END AS units FROM judged_bulk)"
)


@dataclass(frozen=True)
class ReviewDay:
    """What a line's status depends on besides the stored rows.

    Args:
        as_of: the shop's as-of day (a rejection ending before it has ended).
        new_after: a SKU whose first sale is after this day (or that never sold) is new.
        qty_share: a quantity change above this share of the decided suggestion is material.
        order_by_days: an order-by change of more days than this is material.
    """

    as_of: pd.Timestamp
    new_after: pd.Timestamp
    qty_share: float
    order_by_days: int


@dataclass(frozen=True)
class Selection:
    """Which lines (``criteria``: ``CRITERIA`` names -> values; None, empty tuple or empty text
    keeps all) and in which order (``order``: ``(SORTABLE column, ascending)`` pairs)."""

    criteria: Mapping[str, object] = field(default_factory=dict)
    order: Sequence[tuple[str, bool]] = ()


def _params(run_id: str, day: ReviewDay) -> dict[str, object]:
    return {"run_id": run_id, "as_of": pd.Timestamp(day.as_of).to_pydatetime(),
            "qty_share": float(day.qty_share), "order_by_days": int(day.order_by_days)}  # fmt: skip


def where_clause(
    criteria: Mapping[str, object], conditions: Mapping[str, str], what: str
) -> tuple[str, dict[str, object]]:
    """`` WHERE`` text and named parameters for the ``criteria`` given (None or empty: left
    out), each a fixed condition of ``conditions`` (no user text reaches the SQL); an unknown
    name is refused naming ``what`` ("selection criteria", "alert filters")."""
    unknown = sorted(set(criteria) - set(conditions))
    if unknown:
        raise InvalidDataError(f"unknown {what} {unknown}; use {sorted(conditions)}.")
    parts, params = [], {}
    for name, value in criteria.items():
        if value is None or (isinstance(value, tuple | list | str) and not value):
            continue
        parts.append(conditions[name])
        params[name] = list(value) if isinstance(value, tuple | list) else value
    return (" WHERE " + " AND ".join(parts)) if parts else "", params


def _where(criteria: Mapping[str, object]) -> tuple[str, dict[str, object]]:
    return where_clause(criteria, CRITERIA, "selection criteria")


def _order(order: Sequence[tuple[str, bool]]) -> str:
    unknown = sorted({column for column, _ in order} - SORTABLE)
    if unknown:
        raise InvalidDataError(f"cannot sort lines by {unknown}; use {sorted(SORTABLE)}.")
    terms = [column + (" ASC" if up else " DESC") + " NULLS LAST" for column, up in order]
    return " ORDER BY " + ", ".join([*terms, "sku ASC"])


def line_groups(conn: duckdb.DuckDBPyConnection, run_id: str, *, day: ReviewDay) -> pd.DataFrame:
    """Every line of run ``run_id`` counted by ``status, supplier, category`` (column
    ``lines``): the page's status counts and filter options, from one aggregate."""
    return conn.execute(
        _REVIEWED + " SELECT status, supplier, category, count(*) AS lines FROM reviewed "
        "GROUP BY ALL ORDER BY ALL",
        _params(run_id, day),
    ).df()


def count_rows(
    conn: duckdb.DuckDBPyConnection, run_id: str, chosen: Selection, *, day: ReviewDay
) -> int:
    """How many lines of run ``run_id`` the selection holds."""
    where, params = _where(chosen.criteria)
    query = _REVIEWED + " SELECT count(*) FROM reviewed" + where
    return int(conn.execute(query, {**_params(run_id, day), **params}).fetchone()[0])


def page_rows(  # noqa: PLR0913 - a page is a selection, its day and its window
    conn: duckdb.DuckDBPyConnection,
    run_id: str,
    chosen: Selection,
    *,
    day: ReviewDay,
    limit: int | None,
    offset: int = 0,
) -> pd.DataFrame:
    """``limit`` lines (None: all) from ``offset`` of the sorted selection, with the columns of
    ``proposals.review_rows`` (``is_new`` computed for these lines only)."""
    where, params = _where(chosen.criteria)
    order = _order(chosen.order)
    # The page's SKUs first (only the columns it filters and sorts on are read), then their
    # whole rows: half the time of sorting every line's full row at 5,000 lines.
    query = (
        _REVIEWED + ", chosen AS (SELECT sku, row_number() OVER (" + order + ") AS rank_ "
        "FROM reviewed" + where + order + " LIMIT $limit OFFSET $offset), " + _HIST
        + " SELECT lines.* EXCLUDE (" + _DECISION_NAMES + "), " + _IS_NEW + " AS is_new, "
        + _DECISION_NAMES + " FROM chosen JOIN lines ON lines.sku = chosen.sku "
        "LEFT JOIN hist h ON h.sku = chosen.sku ORDER BY chosen.rank_"
    )  # fmt: skip
    window = {"limit": None if limit is None else int(limit), "offset": int(offset)}
    day_params = {**_params(run_id, day), "new_after": pd.Timestamp(day.new_after).date()}
    return conn.execute(query, {**day_params, **params, **window}).df()


def _bulk_params(run_id: str, day: ReviewDay, approve: bool) -> dict[str, object]:
    return {**_params(run_id, day), "new_after": pd.Timestamp(day.new_after).date(),
            "approve": bool(approve)}  # fmt: skip


def bulk_totals(
    conn: duckdb.DuckDBPyConnection, run_id: str, chosen: Selection, *, day: ReviewDay,
    approve: bool,
) -> pd.DataFrame:  # fmt: skip
    """One aggregate per supplier: ``lines, units, value`` a bulk action (``approve`` or a
    rejection) on the selection takes, ``excluded`` (lines it leaves out) and ``committed``
    (value of every approved or edited line of the run, selected or not)."""
    where, params = _where(chosen.criteria)
    query = (
        _REVIEWED + ", chosen AS (SELECT * FROM reviewed" + where + "), " + _HIST + ", " + _BULK
        + ", taken AS (SELECT supplier, count(*) FILTER (WHERE excluded IS NULL) AS lines, "
        "coalesce(sum(units) FILTER (WHERE excluded IS NULL), 0) AS units, "
        "coalesce(sum(round_even(units * coalesce(unit_cost, 0.0) * 100, 0) / 100) "
        "FILTER (WHERE excluded IS NULL), 0) AS value, "
        "count(*) FILTER (WHERE excluded IS NOT NULL) AS excluded FROM bulk GROUP BY supplier), "
        "held AS (SELECT supplier, sum(final_value) AS committed FROM reviewed "
        "WHERE status IN ('approved', 'edited') GROUP BY supplier) "
        "SELECT coalesce(t.supplier, h.supplier) AS supplier, coalesce(t.lines, 0) AS lines, "
        "coalesce(t.units, 0) AS units, coalesce(t.value, 0) AS value, "
        "coalesce(t.excluded, 0) AS excluded, coalesce(h.committed, 0) AS committed "
        "FROM taken t FULL JOIN held h ON h.supplier = t.supplier ORDER BY 1"
    )  # fmt: skip
    return conn.execute(query, {**_bulk_params(run_id, day, approve), **params}).df()


def bulk_rows(
    conn: duckdb.DuckDBPyConnection, run_id: str, chosen: Selection, *, day: ReviewDay,
    approve: bool,
) -> pd.DataFrame:  # fmt: skip
    """The selection's lines in order, ``sku, name, supplier, suggested_qty, unit_cost,
    excluded`` (why a bulk action leaves the line out: ``rejected``, ``decided``, ``new``,
    ``over_max``, ``nothing``; null when it takes it)."""
    where, params = _where(chosen.criteria)
    query = (
        _REVIEWED + ", chosen AS (SELECT * FROM reviewed" + where + "), " + _HIST + ", " + _BULK
        + " SELECT sku, name, supplier, suggested_qty, unit_cost, excluded FROM bulk"
        + _order(chosen.order)
    )
    return conn.execute(query, {**_bulk_params(run_id, day, approve), **params}).df()
