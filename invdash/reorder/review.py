"""Review of a stored policy run: load its lines with carried-over decisions, decide fast.

- ``reviewed_run(conn, run_id)``: the run's lines with product, supplier, history and current
  decision in one DuckDB query, then ``carry.carry_over``. No policy maths: a page opens a
  stored run of 5,000 lines in well under a second (``benchmarks/bench_review.py``).
- ``decide``: checks the role and the order rules on the decided SKUs only, appends the
  decisions to their open proposals and touches nothing else, so saving one decision does not
  recompute other SKUs.
- ``reopen``: closes a SKU's proposal (a rejection or approval no longer holds; the line is
  pending again). ``close_proposals``: the purchase-order workflow calls it, inside its own
  transaction, when lines go onto a PO; the SKU's next suggestion starts a new proposal.
- ``decision_history``: every decision and close on a SKU, newest first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import pandas as pd

from invdash import auth, store
from invdash.reorder.carry import carry_over
from invdash.reorder.decisions import ACTION_PERMISSIONS, ACTIONS, make_decisions
from invdash.reorder.lines import describe_lines
from invdash.reorder.rules import (
    OrderRules,
    RuleBrokenError,
    broken_rules,
    check_quantity,
    supplier_minimum_rule,
)
from invdash.schema import InvalidDataError
from invdash.store import app_settings
from invdash.store import proposals as proposals_store

__all__ = [
    "NEW_SKU_HISTORY_DAYS",
    "Decided",
    "reviewed_run",
    "reviewed_lines",
    "decide",
    "record_decisions_as",
    "reopen",
    "close_proposals",
    "decision_history",
]

#: A SKU whose first sale is less than this many days before as-of (or never) is new.
NEW_SKU_HISTORY_DAYS = 28


@dataclass(frozen=True)
class Decided:
    """What ``decide`` stored: the decision rows, and the rules overridden (per SKU)."""

    decisions: pd.DataFrame
    overridden: dict[str, tuple[str, ...]]


def reviewed_run(
    conn: duckdb.DuckDBPyConnection, run_id: str, *, as_of: pd.Timestamp | None = None
) -> pd.DataFrame:
    """The lines of stored run ``run_id`` with their carried-over decisions.

    Columns: the policy columns, ``name, category, supplier, max_order_qty, min_order_value,
    is_new, order_value, why``, and from ``carry_over`` ``status, final_qty, final_value,
    decided_qty, decided_by, decided_at, decision_reason, override_reason, valid_until,
    needs_reconfirm, carry_note``. Most urgent first.

    Args:
        conn: the store (read-only is enough).
        run_id: a stored policy run.
        as_of: the shop's day (default ``app_settings.as_of(conn)``).
    """
    day = pd.Timestamp(as_of) if as_of is not None else app_settings.as_of(conn)
    cutoff = day - pd.Timedelta(days=NEW_SKU_HISTORY_DAYS)
    rows = proposals_store.review_rows(conn, run_id, new_after=cutoff)
    for column in ("order_by_date", "stockout_date", "decision_order_by", "valid_until"):
        rows[column] = pd.to_datetime(rows[column])
    rows["is_new"] = rows["is_new"].astype(bool)
    return carry_over(describe_lines(rows), as_of=day).reset_index(drop=True)


def reviewed_lines(conn: duckdb.DuckDBPyConnection, run_id: str) -> pd.DataFrame:
    """``reviewed_run`` on the shop's as-of day (the name the Reorder page calls)."""
    return reviewed_run(conn, run_id)


def _quantities(facts: pd.DataFrame, action: str, qty: Sequence[float] | None) -> list[float]:
    if action == "reject":
        return [0.0] * len(facts)
    if qty is not None:
        if len(qty) != len(facts):
            raise InvalidDataError(f"got {len(qty)} quantities for {len(facts)} SKUs.")
        return [float(q) for q in qty]
    nothing = facts.loc[facts["suggested_qty"] <= 0, "sku"].tolist()
    if action == "approve" and nothing:
        raise InvalidDataError(
            f"{nothing[0]}: this run suggests no order to approve; give a quantity (edit) instead."
        )
    return facts["suggested_qty"].astype(float).tolist()


def _supplier_rule(conn: duckdb.DuckDBPyConnection, fact: pd.Series, qty: float) -> str | None:
    if pd.isna(fact["min_order_value"]):
        return None  # no minimum for this supplier: skip the query
    values = proposals_store.committed_values(conn, fact["supplier"])
    before = float(values.sum())
    after = before - float(values.get(fact["sku"], 0.0)) + qty * float(fact["unit_cost"] or 0.0)
    return supplier_minimum_rule(
        supplier=fact["supplier"], total_before=before, total_after=after,
        min_order_value=fact["min_order_value"],
    )  # fmt: skip


def _broken(
    conn: duckdb.DuckDBPyConnection, facts: pd.DataFrame, quantities: list[float], *, edit: bool
) -> dict[str, tuple[tuple[str, ...], OrderRules, float]]:
    """Per SKU that breaks a rule: (rule names, the SKU's rules, the quantity)."""
    broken = {}
    for fact, qty in zip(facts.to_dict("records"), quantities, strict=True):
        rules = OrderRules.from_values(fact["moq"], fact["pack_size"], fact["max_order_qty"])
        found = broken_rules(qty, rules)
        supplier = _supplier_rule(conn, pd.Series(fact), qty) if edit else None
        found = found + ((supplier,) if supplier else ())
        if found:
            broken[fact["sku"]] = (found, rules, qty)
    return broken


def _refuse(broken: dict[str, tuple[tuple[str, ...], OrderRules, float]]) -> None:
    sku, (found, rules, qty) = next(iter(broken.items()))
    if any(not r.startswith("supplier") for r in found):
        check_quantity(qty, rules, sku=sku)
    raise RuleBrokenError(
        f"{sku}: {qty:g} breaks {' / '.join(found)}; raise the quantity or the supplier's other "
        "lines. A manager can accept it with an override reason.",
        rules=found,
        nearest=(),
    )


def _end_date(valid_until: object | None) -> pd.Timestamp:
    if valid_until is None:
        return pd.NaT
    try:
        return pd.Timestamp(valid_until).normalize()
    except ValueError as err:
        raise InvalidDataError(
            f"valid_until must be a date like 2025-12-31, got {valid_until!r}."
        ) from err


def _facts(conn: duckdb.DuckDBPyConnection, run_id: str, skus: Sequence[str]) -> pd.DataFrame:
    facts = (
        proposals_store.line_facts(conn, run_id, skus)
        .set_index("sku")
        .reindex([str(s) for s in skus])
    )
    missing = facts.index[facts["suggested_qty"].isna()].tolist()
    if missing:
        raise InvalidDataError(
            f"SKU {missing[0]!r} is not in policy run {run_id} ({len(missing)} missing); "
            "check the spelling or run `invdash reorder` for the current data."
        )
    return facts.reset_index()


def decide(  # noqa: PLR0913 - one decision has these parts, all keyword-only
    conn: duckdb.DuckDBPyConnection,
    actor: auth.User | None,
    run_id: str,
    skus: Sequence[str],
    *,
    action: str,
    qty: Sequence[float] | None = None,
    reason: str | None = None,
    override_reason: str | None = None,
    valid_until: object | None = None,
) -> Decided:
    """Record a decision on ``skus`` of run ``run_id`` (own transaction; read-write ``conn``).

    Args:
        conn: the store.
        actor: the signed-in user; only managers decide.
        run_id: the policy run whose suggestion the manager saw.
        skus: the lines decided.
        action: ``approve`` (the suggested quantities unless ``qty``), ``edit`` (needs
            ``qty``) or ``reject`` (needs ``reason``).
        qty: quantities per SKU.
        reason: free text; required to reject.
        override_reason: accept quantities that break MOQ, packs, maximum or the supplier
            minimum; recorded with the rules broken.
        valid_until: a rejection's optional end date (then the line is pending again).

    Raises:
        PermissionDeniedError: the actor is not a manager.
        RuleBrokenError: a quantity breaks a rule and no ``override_reason`` is given.
        InvalidDataError: unknown SKU or action, missing reason or quantity.
    """
    if action not in ACTIONS:
        raise InvalidDataError(f"action must be one of {', '.join(ACTIONS)}, got {action!r}.")
    auth.require(actor, ACTION_PERMISSIONS[action])
    facts = _facts(conn, run_id, skus)
    quantities = _quantities(facts, action, qty)
    override = (override_reason or "").strip() or None
    broken = {} if action == "reject" else _broken(conn, facts, quantities, edit=action == "edit")
    if broken and override is None:
        _refuse(broken)
    rows = make_decisions(
        run_id, facts["sku"].tolist(), action=action, user=actor.name,
        qty=None if action == "reject" else quantities, reason=reason,
    ).assign(
        suggested_qty=facts["suggested_qty"].to_numpy(),
        suggested_order_by=facts["order_by_date"].to_numpy(),
        override_reason=[override if s in broken else None for s in facts["sku"]],
        rules_broken=[" / ".join(broken[s][0]) if s in broken else None for s in facts["sku"]],
        valid_until=_end_date(valid_until),
    )  # fmt: skip
    with store.transaction(conn):
        proposals_store.record_decisions(conn, rows)
    return Decided(decisions=rows, overridden={s: v[0] for s, v in broken.items()})


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
    """``decide`` without an override or end date, for the Reorder page; the rows stored."""
    decided = decide(conn, actor, run_id, skus, action=action, qty=qty, reason=reason)
    return len(decided.decisions)


def reopen(conn: duckdb.DuckDBPyConnection, actor: auth.User | None, skus: Sequence[str]) -> int:
    """Reopen SKUs: their current decision no longer holds, the lines are pending again.

    Raises:
        PermissionDeniedError: the actor is not a manager.
    """
    auth.require(actor, "approve_orders")
    with store.transaction(conn):
        return proposals_store.close_proposals(conn, skus, reason="reopened", user=actor.name)


def close_proposals(
    conn: duckdb.DuckDBPyConnection, skus: Sequence[str], *, po_id: str, user: str
) -> int:
    """Close the open proposals of ``skus`` because their lines went onto purchase order
    ``po_id``. Call it inside the PO's own ``store.transaction``; returns how many closed."""
    return proposals_store.close_proposals(conn, skus, reason="ordered", user=user, po_id=po_id)


def decision_history(conn: duckdb.DuckDBPyConnection, sku: str) -> pd.DataFrame:
    """Every decision on ``sku`` and every close of its proposals (``ordered`` with the PO,
    ``reopened``), newest first (see ``store.proposals.decision_history``)."""
    return proposals_store.decision_history(conn, sku)
