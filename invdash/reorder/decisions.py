"""Decisions on reorder lines: approve, edit or reject, checked and attributed.

Decisions are validated by ``make_decisions`` (``decide_as`` adds the role check: only managers
decide) and appended to the store; ``review_lines`` joins the latest decision per line.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from invdash import auth, store
from invdash.reorder.lines import suggestion_lines
from invdash.schema import SKU, InvalidDataError
from invdash.store import reorder as reorder_store

__all__ = [
    "ACTIONS", "ACTION_PERMISSIONS", "make_decisions", "decide_as", "review_lines",
    "record_decisions_as", "reviewed_lines",
]

ACTIONS = ("approve", "edit", "reject")
ACTION_PERMISSIONS = {"approve": "approve_orders", "edit": "edit_orders", "reject": "reject_orders"}


def make_decisions(  # noqa: PLR0913 - one decision has these parts
    run_id: str,
    skus: list[str],
    *,
    action: str,
    user: str,
    qty: list[float] | None = None,
    reason: str | None = None,
    now: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Validated decision rows ``run_id, sku, action, qty, reason, user, decided_at``.

    Args:
        run_id: the policy run the lines belong to.
        skus: the lines decided.
        action: ``approve``, ``edit`` (needs ``qty``) or ``reject`` (needs a ``reason``).
        user: who decided.
        qty: quantities per SKU (``edit``; for ``approve``, the suggested quantities).
        reason: free text; required for ``reject``.
        now: decision time (default now, UTC).

    Raises:
        InvalidDataError: unknown action, missing reason or quantity, negative quantity.
    """
    if action not in ACTIONS:
        raise InvalidDataError(f"action must be one of {', '.join(ACTIONS)}, got {action!r}.")
    if action == "reject" and not (reason or "").strip():
        raise InvalidDataError("a rejection needs a reason; say why the line is not ordered.")
    if action == "edit" and qty is None:
        raise InvalidDataError("an edit needs the new quantity (qty).")
    quantities = [np.nan] * len(skus) if qty is None else [float(q) for q in qty]
    if len(quantities) != len(skus):
        raise InvalidDataError(f"got {len(quantities)} quantities for {len(skus)} SKUs.")
    bad = [s for s, q in zip(skus, quantities, strict=True) if np.isfinite(q) and q < 0]
    if bad:
        raise InvalidDataError(f"order quantities must be >= 0 (first: {bad[0]}).")
    decided_at = now or pd.Timestamp.now(tz="UTC").tz_localize(None)
    return pd.DataFrame(
        {
            "run_id": run_id,
            SKU: [str(s) for s in skus],
            "action": action,
            "qty": 0.0 if action == "reject" else quantities,
            "reason": reason,
            "user": user,
            "decided_at": decided_at,
        }
    )


def decide_as(  # noqa: PLR0913 - one decision has these parts
    actor: auth.User | None,
    run_id: str,
    skus: list[str],
    *,
    action: str,
    qty: list[float] | None = None,
    reason: str | None = None,
) -> pd.DataFrame:
    """``make_decisions`` for the signed-in ``actor``, recorded under the actor's name.

    Raises:
        PermissionDeniedError: the actor's role may not take ``action`` (only managers approve,
            edit or reject).
        InvalidDataError: as ``make_decisions``.
    """
    if action not in ACTION_PERMISSIONS:
        raise InvalidDataError(f"action must be one of {', '.join(ACTIONS)}, got {action!r}.")
    auth.require(actor, ACTION_PERMISSIONS[action])
    return make_decisions(run_id, skus, action=action, user=actor.name, qty=qty, reason=reason)


def review_lines(lines: pd.DataFrame, decisions: pd.DataFrame) -> pd.DataFrame:
    """Lines with their latest decision: ``status`` (pending/approved/edited/rejected),
    ``final_qty``, ``decided_by``, ``decided_at``, ``decision_reason``."""
    latest = (
        decisions.sort_values("decided_at")
        .groupby(SKU)
        .tail(1)[[SKU, "action", "qty", "reason", "user", "decided_at"]]
        .rename(columns={"qty": "decided_qty", "reason": "decision_reason", "user": "decided_by"})
    )
    merged = lines.merge(latest, on=SKU, how="left")
    status = {"approve": "approved", "edit": "edited", "reject": "rejected"}
    merged["status"] = merged["action"].map(status).fillna("pending")
    merged["final_qty"] = np.where(
        merged["action"].isin(["edit", "reject"]), merged["decided_qty"], merged["suggested_qty"]
    )
    merged["final_qty"] = merged["final_qty"].fillna(merged["suggested_qty"])
    return merged.drop(columns=["action", "decided_qty"])


def record_decisions_as(  # noqa: PLR0913 - one decision has these parts
    conn: duckdb.DuckDBPyConnection,
    actor: auth.User | None,
    run_id: str,
    skus: list[str],
    *,
    action: str,
    qty: list[float] | None = None,
    reason: str | None = None,
) -> int:
    """Check and store decisions on ``skus`` for ``actor`` in one transaction (read-write
    ``conn``); the Reorder page and ``invdash decide`` both call this. Returns the rows stored."""
    rows = decide_as(actor, run_id, skus, action=action, qty=qty, reason=reason)
    with store.transaction(conn):
        return reorder_store.record_decisions(conn, rows)


def reviewed_lines(conn: duckdb.DuckDBPyConnection, run_id: str) -> pd.DataFrame:
    """The lines of a stored policy run that need an order, with their latest decision."""
    table = reorder_store.load_suggestions(conn, run_id)
    lines = suggestion_lines(table, store.load_products(conn))
    return review_lines(lines, reorder_store.load_decisions(conn, run_id=run_id))
