"""Decisions on reorder lines: approve, edit or reject, checked and attributed.

Decisions are validated by ``make_decisions`` (``decide_as`` adds the role check: only managers
decide); ``reorder.review.decide`` also checks the order rules and stores them on the SKU's open
proposal. ``review_lines`` joins the latest decision per SKU, carried over to the lines' run.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from invdash import auth
from invdash.reorder.carry import carry_over
from invdash.schema import SKU, InvalidDataError

__all__ = [
    "ACTIONS", "ACTION_PERMISSIONS", "make_decisions", "decide_as", "review_lines",
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


def review_lines(
    lines: pd.DataFrame, decisions: pd.DataFrame, *, as_of: pd.Timestamp | None = None
) -> pd.DataFrame:
    """Lines with their SKU's latest decision, carried over (``carry.carry_over``): ``status``
    (pending/approved/edited/rejected/reconfirm), ``final_qty``, ``decided_by``, ``decided_at``,
    ``decision_reason``, ``carry_note``. ``decisions`` may span runs; the newest per SKU counts.
    Without ``as_of`` no rejection has ended."""
    latest = (
        decisions.sort_values("decided_at")
        .groupby(SKU)
        .tail(1)
        .reindex(columns=[SKU, *_DECISION_SOURCE])
        .rename(columns=_DECISION_SOURCE)
    )
    merged = lines.merge(latest, on=SKU, how="left")
    return carry_over(merged, as_of=pd.Timestamp.min if as_of is None else as_of)


_DECISION_SOURCE = {
    "action": "decision_action", "qty": "decision_qty", "reason": "decision_reason",
    "user": "decided_by", "decided_at": "decided_at",
    "suggested_qty": "decision_suggested_qty", "suggested_order_by": "decision_order_by",
    "override_reason": "override_reason", "valid_until": "valid_until",
}  # fmt: skip
