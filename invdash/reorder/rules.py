"""Order rules on an edited quantity: MOQ, pack size, maximum order, supplier minimum value.

A valid line quantity is 0 (order nothing) or a whole number of packs that is at least the MOQ
and at most the maximum order (``products.max_order_qty``). The supplier's minimum order value
(``suppliers.min_order_value``) is a rule on the supplier's whole order: lines are decided one
at a time, so an order still below it only warns (``supplier_totals``); an edit is refused when
it takes a supplier's approved total from at or above the minimum to below it.

A refused edit raises ``RuleBrokenError`` naming the rules and the nearest valid quantities:
"5 breaks MOQ 24 / packs of 12; nearest valid: 24 or 36". A manager may still accept it with an
override reason; the decision records both (``rules_broken``, ``override_reason``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from invdash.schema import InvalidDataError

__all__ = [
    "OrderRules",
    "RuleBrokenError",
    "broken_rules",
    "nearest_valid",
    "check_quantity",
    "supplier_minimum_rule",
    "supplier_totals",
]


class RuleBrokenError(InvalidDataError):
    """A quantity breaks an order rule; ``rules`` and ``nearest`` say which and what fits."""

    def __init__(self, message: str, *, rules: tuple[str, ...], nearest: tuple[float, ...]):
        super().__init__(message)
        self.rules = rules
        self.nearest = nearest


@dataclass(frozen=True)
class OrderRules:
    """The rules one SKU's order line must meet.

    Args:
        moq: minimum order quantity in units (0: none).
        pack_size: units per pack; lines are whole packs (1: any whole number).
        max_order_qty: the most units one line may hold (None: no maximum).
    """

    moq: float = 0.0
    pack_size: float = 1.0
    max_order_qty: float | None = None

    @classmethod
    def from_values(cls, moq: object, pack_size: object, max_order_qty: object) -> OrderRules:
        """Rules from table cells, where null or non-positive means "no rule"."""

        def number(value: object) -> float | None:
            value = pd.to_numeric(value, errors="coerce")
            return float(value) if pd.notna(value) and value > 0 else None

        return cls(
            moq=number(moq) or 0.0, pack_size=number(pack_size) or 1.0,
            max_order_qty=number(max_order_qty),
        )  # fmt: skip

    @property
    def smallest(self) -> float:
        """The smallest valid quantity above 0: the MOQ rounded up to whole packs."""
        return math.ceil(round(max(self.moq, self.pack_size) / self.pack_size, 9)) * self.pack_size


def broken_rules(qty: float, rules: OrderRules) -> tuple[str, ...]:
    """The rules ``qty`` breaks, as short names (``MOQ 24``, ``packs of 12``, ``maximum 500``)."""
    if qty == 0:
        return ()
    broken = []
    if qty < rules.moq:
        broken.append(f"MOQ {rules.moq:g}")
    if abs(qty / rules.pack_size - round(qty / rules.pack_size)) > 1e-9:
        broken.append(f"packs of {rules.pack_size:g}")
    if rules.max_order_qty is not None and qty > rules.max_order_qty:
        broken.append(f"maximum order {rules.max_order_qty:g}")
    return tuple(broken)


def nearest_valid(qty: float, rules: OrderRules) -> tuple[float, ...]:
    """The two valid quantities above 0 closest to ``qty`` (fewer if the maximum leaves fewer).

    Example: MOQ 24, packs of 12: 5 -> (24, 36); 30 -> (24, 36); 40 -> (36, 48).
    """
    pack, low = rules.pack_size, rules.smallest
    top = math.inf if rules.max_order_qty is None else rules.max_order_qty
    top_pack = top if math.isinf(top) else math.floor(round(top / pack, 9)) * pack
    below = min(max(low, math.floor(round(qty / pack, 9)) * pack), top_pack)
    candidates = {below + k * pack for k in (-2, -1, 0, 1, 2)}
    valid = [c for c in candidates if low <= c <= top]
    return tuple(sorted(sorted(valid, key=lambda c: (abs(c - qty), c))[:2]))


def check_quantity(qty: float, rules: OrderRules, *, sku: str) -> tuple[str, ...]:
    """``()`` when ``qty`` is valid; else raises ``RuleBrokenError``.

    Raises:
        RuleBrokenError: "SKU-1: 5 breaks MOQ 24 / packs of 12; nearest valid: 24 or 36 ...".
    """
    broken = broken_rules(qty, rules)
    if broken:
        nearest = nearest_valid(qty, rules)
        options = " or ".join(f"{n:g}" for n in nearest) or "none (the maximum is below the MOQ)"
        raise RuleBrokenError(
            f"{sku}: {qty:g} breaks {' / '.join(broken)}; nearest valid: {options}. "
            "A manager can accept it with an override reason.",
            rules=broken,
            nearest=nearest,
        )
    return ()


def supplier_minimum_rule(
    *, supplier: str, total_before: float, total_after: float, min_order_value: float | None
) -> str | None:
    """The broken rule's name when an edit takes the supplier's approved total from at or
    above ``min_order_value`` to below it (else None)."""
    if min_order_value is None or pd.isna(min_order_value) or min_order_value <= 0:
        return None
    if total_before >= min_order_value > total_after:
        total = f"{supplier} total {total_after:.2f}"
        return f"supplier minimum order value {min_order_value:.2f} ({total})"
    return None


def supplier_totals(reviewed: pd.DataFrame) -> pd.DataFrame:
    """Approved and edited lines per supplier: ``supplier, lines, units, value,
    min_order_value, below_minimum`` (value rounded to cents)."""
    chosen = reviewed[reviewed["status"].isin(["approved", "edited"]) & (reviewed["final_qty"] > 0)]
    value = chosen["final_qty"] * chosen["unit_cost"].fillna(0.0)
    minimum = (
        chosen["min_order_value"]
        if "min_order_value" in chosen
        else pd.Series(float("nan"), chosen.index)
    )
    totals = (
        chosen.assign(value=value, min_order_value=minimum)
        .groupby("supplier", sort=True)
        .agg(lines=("sku", "size"), units=("final_qty", "sum"), value=("value", "sum"),
             min_order_value=("min_order_value", "max"))
        .reset_index()
    )  # fmt: skip
    totals["value"] = totals["value"].round(2)
    totals["below_minimum"] = totals["value"] < totals["min_order_value"].fillna(0.0)
    return totals
