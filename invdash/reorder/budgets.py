"""Stored spending budgets for bulk approvals: in total and per supplier.

The limits live in ``app_settings`` (``store.app_settings.load_budgets``); ``stored_budget``
turns them into the ``selection.Budget`` that ``bulk_summary`` warns with, so a budget set once
on the Reorder page (or by a script) applies to every later bulk approval and every user.
Setting one is a manager's job (the ``approve_orders`` permission: who approves, limits).
"""

from __future__ import annotations

import duckdb

from invdash import auth, store
from invdash.reorder.selection import Budget
from invdash.store import app_settings

__all__ = ["stored_budget", "save_budget"]


def stored_budget(conn: duckdb.DuckDBPyConnection) -> Budget | None:
    """The stored limits as a ``Budget`` (None when no budget is set)."""
    rows = app_settings.load_budgets(conn)
    if rows.empty:
        return None
    total = rows.loc[rows["supplier"].isna(), "limit"]
    per_supplier = rows[rows["supplier"].notna()]
    return Budget(
        total=float(total.iloc[0]) if len(total) else None,
        per_supplier=dict(zip(per_supplier["supplier"], per_supplier["limit"], strict=True)),
    )


def save_budget(
    conn: duckdb.DuckDBPyConnection,
    actor: auth.User | None,
    *,
    supplier: str | None,
    limit: float | None,
) -> Budget | None:
    """Store one limit (own transaction): the total (``supplier`` None) or one supplier's; a
    limit of None or 0 removes it. Returns the budget now stored.

    Raises:
        PermissionDeniedError: the actor may not approve orders.
        InvalidDataError: a negative limit or an empty supplier name.
    """
    auth.require(actor, "approve_orders")
    kept = None if limit is None or limit == 0 else limit
    with store.transaction(conn):
        app_settings.set_budget(conn, supplier, kept, user=actor.name)
    return stored_budget(conn)
