"""A stored run's reviewed lines worked on in DuckDB: counts, filter options, one sorted page
and the bulk summary of a whole selection, without loading every line.

``selection`` filters, sorts and summarises a frame of reviewed lines in pandas; the functions
here give the same results from SQL (``store.line_selection``), so a page at 5,000 or 100,000
lines reads one aggregate and one page of rows:

- ``line_overview``: how many lines, per status, and the suppliers and categories to filter on.
- ``count_lines`` / ``line_page``: the size of a ``LineQuery``'s selection and ``limit`` of its
  lines from ``offset``, equal to ``sort_lines(filter_lines(reviewed_run(...)))[offset:][:limit]``
  (the page's lines get their "why" and carried-over decision in pandas, as ``reviewed_run``).
- ``run_view`` / ``line_window``: the same reads grouped for the Reorder page, one connection
  each (opening a DuckDB file costs tens of milliseconds of CPU, more than most of these
  queries): the stored run with its overview, approved lines, overrides and budget; a page of
  a selection with the selection's size.
- ``selection_summary``: ``bulk_summary`` of the whole selection from one aggregate per supplier
  (lines, units, value, lines left out, committed value for the budgets) plus the selected
  lines' ``sku`` and exclusion reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from invdash.policy.params import PolicyParams
from invdash.reorder.budgets import stored_budget
from invdash.reorder.carry import MATERIAL_ORDER_BY_DAYS, MATERIAL_QTY_SHARE, carry_over
from invdash.reorder.lines import describe_lines
from invdash.reorder.numbers import cents
from invdash.reorder.review import NEW_SKU_HISTORY_DAYS
from invdash.reorder.selection import (
    EXCLUDED_BECAUSE,
    SORT_KEYS,
    Budget,
    BulkSummary,
    LineFilter,
    check_bulk_action,
    days_to_order_by,
    supplier_budget_warnings,
)
from invdash.reorder.stored import StoredRun, run_for_targets
from invdash.schema import InvalidDataError
from invdash.store import app_settings
from invdash.store import line_selection as sql
from invdash.store import reorder as reorder_store

__all__ = ["LineQuery", "LineOverview", "RunView", "LineWindow", "review_day", "line_overview",
           "count_lines", "line_page", "run_view", "line_window", "selection_summary"]  # fmt: skip

_DATES = ("order_by_date", "stockout_date", "decision_order_by", "valid_until")


@dataclass(frozen=True)
class LineQuery:
    """A selection of a run's lines: ``line_filter`` and the ``sort`` (a ``SORT_KEYS`` name)."""

    line_filter: LineFilter = field(default_factory=LineFilter)
    sort: str = "urgency"

    def __post_init__(self) -> None:
        if self.sort not in SORT_KEYS:
            raise InvalidDataError(
                f"sort must be one of {', '.join(SORT_KEYS)}, got {self.sort!r}."
            )


@dataclass(frozen=True)
class LineOverview:
    """A run's lines at a glance: ``lines`` in all, per status (``statuses``), and the
    ``suppliers`` and ``categories`` they hold (sorted, no empty names)."""

    lines: int
    statuses: Mapping[str, int]
    suppliers: tuple[str, ...]
    categories: tuple[str, ...]

    def count(self, *statuses: str) -> int:
        """Lines in any of ``statuses``."""
        return sum(int(self.statuses.get(status, 0)) for status in statuses)


@dataclass(frozen=True)
class RunView:
    """What the Reorder page shows around a stored run's lines: the ``run``, its ``overview``,
    its approved and edited lines (``decided``, for the purchase-order files), the service-level
    ``overrides`` and the stored ``budget`` (None: none)."""

    run: StoredRun
    overview: LineOverview
    decided: pd.DataFrame
    overrides: pd.DataFrame
    budget: Budget | None


@dataclass(frozen=True)
class LineWindow:
    """One page of a selection: its ``lines``, where they start (``offset``) and how many lines
    the whole selection holds (``total``)."""

    total: int
    offset: int
    lines: pd.DataFrame


def review_day(
    conn: duckdb.DuckDBPyConnection, as_of: pd.Timestamp | None = None
) -> sql.ReviewDay:
    """The day a line's status is judged on (default ``app_settings.as_of``) and its rules."""
    day = pd.Timestamp(as_of) if as_of is not None else app_settings.as_of(conn)
    return sql.ReviewDay(
        as_of=day, new_after=day - pd.Timedelta(days=NEW_SKU_HISTORY_DAYS),
        qty_share=MATERIAL_QTY_SHARE, order_by_days=MATERIAL_ORDER_BY_DAYS,
    )  # fmt: skip


def _selection(query: LineQuery) -> sql.Selection:
    chosen = query.line_filter
    columns, ascending = SORT_KEYS[query.sort]
    criteria = {
        "suppliers": chosen.suppliers, "abc": chosen.abc, "categories": chosen.categories,
        "statuses": chosen.statuses, "min_stockout_probability": chosen.min_stockout_probability,
        "max_days_to_order_by": chosen.max_days_to_order_by, "text": chosen.text.strip().lower(),
    }  # fmt: skip
    return sql.Selection(criteria=criteria, order=tuple(zip(columns, ascending, strict=True)))


def line_overview(
    conn: duckdb.DuckDBPyConnection, run_id: str, *, as_of: pd.Timestamp | None = None
) -> LineOverview:
    """Counts per status and the filter options of run ``run_id``'s lines (one aggregate)."""
    groups = sql.line_groups(conn, run_id, day=review_day(conn, as_of))

    def names(column: str) -> tuple[str, ...]:
        return tuple(sorted({str(v) for v in groups[column].dropna() if str(v)}))

    per_status = groups.groupby("status")["lines"].sum()
    return LineOverview(
        lines=int(groups["lines"].sum()),
        statuses={str(k): int(v) for k, v in per_status.items()},
        suppliers=names("supplier"), categories=names("category"),
    )  # fmt: skip


def count_lines(
    conn: duckdb.DuckDBPyConnection, run_id: str, query: LineQuery, *,
    as_of: pd.Timestamp | None = None,
) -> int:  # fmt: skip
    """How many of run ``run_id``'s lines ``query`` selects."""
    return sql.count_rows(conn, run_id, _selection(query), day=review_day(conn, as_of))


def line_page(  # noqa: PLR0913 - a page is a query and its window, keyword-only
    conn: duckdb.DuckDBPyConnection,
    run_id: str,
    query: LineQuery,
    *,
    limit: int | None = None,
    offset: int = 0,
    as_of: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """``limit`` (None: all) of the selected lines from ``offset``, sorted: the columns of
    ``reviewed_run`` plus ``days_to_order_by``, as ``filter_lines`` and ``sort_lines`` give them.
    """
    day = review_day(conn, as_of)
    rows = sql.page_rows(conn, run_id, _selection(query), day=day, limit=limit, offset=offset)
    for column in _DATES:
        rows[column] = pd.to_datetime(rows[column])
    rows["is_new"] = rows["is_new"].astype(bool)
    lines = carry_over(describe_lines(rows), as_of=day.as_of).reset_index(drop=True)
    return lines.assign(days_to_order_by=days_to_order_by(lines, as_of=day.as_of))


def run_view(
    conn: duckdb.DuckDBPyConnection, params: PolicyParams, *, seed: int = 0
) -> RunView | None:
    """``RunView`` of the stored run for ``params`` (``run_for_targets``), or None."""
    run = run_for_targets(conn, params, seed=seed)
    if run is None:
        return None
    decided = LineQuery(LineFilter(statuses=("approved", "edited")))
    return RunView(
        run=run, overview=line_overview(conn, run.run_id),
        decided=line_page(conn, run.run_id, decided),
        overrides=reorder_store.load_service_level_overrides(conn), budget=stored_budget(conn),
    )  # fmt: skip


def line_window(  # noqa: PLR0913 - a window is a query, its page and size, keyword-only
    conn: duckdb.DuckDBPyConnection,
    run_id: str,
    query: LineQuery,
    *,
    page: int,
    rows: int,
    as_of: pd.Timestamp | None = None,
) -> LineWindow:
    """Page ``page`` (from 1; past the last page, the first, as ``ui.paging.page_controls``
    resets it) of ``rows`` lines of ``query``'s selection, with its size."""
    total = count_lines(conn, run_id, query, as_of=as_of)
    pages = max(1, -(-total // rows))
    offset = ((page if 1 <= page <= pages else 1) - 1) * rows
    lines = line_page(conn, run_id, query, limit=rows, offset=offset, as_of=as_of)
    return LineWindow(total=total, offset=offset, lines=lines)


def selection_summary(  # noqa: PLR0913 - a summary is a query, its action and budget
    conn: duckdb.DuckDBPyConnection,
    run_id: str,
    query: LineQuery,
    *,
    action: str = "approve",
    budget: Budget | None = None,
    as_of: pd.Timestamp | None = None,
) -> BulkSummary:
    """``bulk_summary`` of every line ``query`` selects, computed in DuckDB: what ``action``
    (``approve`` or ``reject``) would take and leave out; nothing is stored."""
    check_bulk_action(action)
    day, chosen, approve = review_day(conn, as_of), _selection(query), action == "approve"
    totals = sql.bulk_totals(conn, run_id, chosen, day=day, approve=approve)
    rows = sql.bulk_rows(conn, run_id, chosen, day=day, approve=approve)
    left = rows["excluded"].notna()
    excluded = rows.loc[left, ["sku", "name", "supplier", "suggested_qty"]].assign(
        excluded_because=rows.loc[left, "excluded"].map(EXCLUDED_BECAUSE)
    )
    warnings = ()
    if approve:
        per_supplier = totals.set_index("supplier")
        warnings = supplier_budget_warnings(
            per_supplier["committed"], per_supplier["value"], budget
        )
    return BulkSummary(
        action=action, run_id=run_id, taken=rows[~left].drop(columns="excluded").reset_index(
            drop=True), excluded=excluded.reset_index(drop=True), warnings=warnings,
        lines=int(totals["lines"].sum()), units=float(totals["units"].sum()),
        value=float(cents(totals["value"].sum())),
    )  # fmt: skip
