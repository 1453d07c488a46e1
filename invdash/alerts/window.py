"""The Alerts page's reads: filter options and one sorted page of a run's alerts, in DuckDB.

``select.filter_alerts`` filters a frame of every alert in pandas; at 100,000 SKUs that frame is
tens of thousands of rows built on each first open. The reads here give the same rows from SQL
(``store.run_alerts``) over the alerts stored with the run (``alerts.stored``), or, when those are
not current (the data changed after the run), over the alerts computed live, so a page reads
counts and one page of rows, never the whole table:

- ``alert_run``: what the page needs before its filters, in one read: whether there is a
  forecast, the stored policy run for the targets (id and day), whether its alerts are stored
  for the data now, and the default end of a snooze.
- ``AlertQuery``: the page's filters (types, categories, a status, one SKU), as
  ``filter_alerts`` takes them.
- ``alert_options``: the types and categories to filter on and the SKU picker's matches.
- ``alert_window``: how many alerts a query selects, their money at risk, and one page of them
  in ``rank_alerts`` order, equal to ``filter_alerts(current_alerts(...))[offset:][:rows]``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import duckdb
import pandas as pd

from invdash.alerts.current import found_alerts
from invdash.alerts.select import ALERT_STATUSES, snooze_until
from invdash.alerts.stored import has_current_alerts
from invdash.policy.params import PolicyParams
from invdash.reorder.stored import StoredRun, latest_forecast_run_id, run_for_targets
from invdash.schema import InvalidDataError
from invdash.store import app_settings
from invdash.store import run_alerts as sql

__all__ = ["AlertRun", "AlertQuery", "AlertOptions", "AlertWindow", "alert_run",
           "alert_options", "alert_window"]  # fmt: skip


@dataclass(frozen=True)
class AlertRun:
    """The stored policy ``run`` the alerts belong to (None: none stored for the targets yet),
    whether its alerts are stored for the data now (``current``) and the default end of a
    snooze (``snooze_until``, a week after the as-of day)."""

    run: StoredRun | None
    current: bool
    snooze_until: pd.Timestamp


@dataclass(frozen=True)
class AlertQuery:
    """The alerts to show: any of ``types`` and of ``categories`` (empty: all), ``status`` (one
    of ``ALERT_STATUSES``; ``all`` keeps every status) and one ``sku`` (empty: all SKUs)."""

    types: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    status: str = "all"
    sku: str = ""

    def __post_init__(self) -> None:
        if self.status not in ALERT_STATUSES:
            raise InvalidDataError(
                f"status must be one of {', '.join(ALERT_STATUSES)}, got {self.status!r}."
            )

    def criteria(self) -> dict[str, object]:
        """The ``store.run_alerts.CRITERIA`` of this query (None or empty: not filtered)."""
        return {
            "types": tuple(self.types), "categories": tuple(self.categories),
            "status": None if self.status == "all" else self.status,
            "sku": str(self.sku or "").strip() or None,
        }  # fmt: skip


@dataclass(frozen=True)
class AlertOptions:
    """What the filters offer: the ``types`` and ``categories`` present and the alerted
    ``skus`` matching the search (most money at risk first)."""

    types: tuple[str, ...]
    categories: tuple[str, ...]
    skus: tuple[str, ...]


@dataclass(frozen=True)
class AlertWindow:
    """One page of a query's alerts (``alerts``, from ``offset``), how many the query selects
    (``total``) and their ``money_at_risk`` in all."""

    total: int
    money_at_risk: float
    offset: int
    alerts: pd.DataFrame


@contextmanager
def _source(conn: duckdb.DuckDBPyConnection, run_id: str) -> Iterator[str]:
    """``stored`` when the run's alerts are stored for the data now, else ``live`` with the
    alerts computed and registered for the reads of the block."""
    if has_current_alerts(conn, run_id):
        yield "stored"
        return
    conn.register(sql.LIVE_VIEW, found_alerts(conn, run_id))
    try:
        yield "live"
    finally:
        conn.unregister(sql.LIVE_VIEW)


def alert_run(
    conn: duckdb.DuckDBPyConnection, params: PolicyParams, *, seed: int = 0
) -> AlertRun | None:
    """``AlertRun`` for the stored policy run for ``params`` (``reorder.run_for_targets``);
    None when there is no forecast for the current data."""
    if latest_forecast_run_id(conn) is None:
        return None
    run = run_for_targets(conn, params, seed=seed)
    current = run is not None and has_current_alerts(conn, run.run_id)
    return AlertRun(run=run, current=current, snooze_until=snooze_until(conn))


def alert_options(
    conn: duckdb.DuckDBPyConnection, run_id: str, *, search: str = "", limit: int = 20
) -> AlertOptions:
    """The filter options of run ``run_id``'s alerts and up to ``limit`` alerted SKUs whose code
    contains ``search`` (case-insensitive; empty: the SKUs with most money at risk)."""
    today = app_settings.as_of(conn)
    with _source(conn, run_id) as source:
        kinds = sql.alert_kinds(conn, run_id, today=today, source=source)
        skus = sql.alerted_skus(
            conn, run_id, today=today, source=source, text=search, limit=int(limit)
        )
    return AlertOptions(
        types=tuple(sorted(set(kinds["type"]))),
        categories=tuple(sorted({c for c in kinds["category"] if c})), skus=tuple(skus),
    )  # fmt: skip


def alert_window(
    conn: duckdb.DuckDBPyConnection, run_id: str, query: AlertQuery, *, page: int, rows: int
) -> AlertWindow:
    """Page ``page`` (from 1; past the last page, the first, as ``ui.paging.page_controls``
    resets it) of ``rows`` alerts of ``query``, with the selection's size and money at risk:
    the columns of ``current_alerts``, ranked by money at risk."""
    today, criteria = app_settings.as_of(conn), query.criteria()
    with _source(conn, run_id) as source:
        total, money = sql.alert_totals(
            conn, run_id, today=today, source=source, criteria=criteria
        )
        pages = max(1, -(-total // rows))
        offset = ((page if 1 <= page <= pages else 1) - 1) * rows
        found = sql.alert_rows(
            conn, run_id, today=today, source=source, criteria=criteria, limit=rows,
            offset=offset,
        )  # fmt: skip
    return AlertWindow(total=total, money_at_risk=money, offset=offset, alerts=found)
