"""Master-data edits: lead time and its spread, MOQ, pack size, supplier, unit cost, on hand.

``edit_master_data`` validates every requested change first (a clear ``InvalidDataError``
naming the field and the fix), then writes all of them in one transaction: product fields in
``products``, a stock count (``on_hand``) as a new inventory snapshot, and one audit row per
changed field (who, when, field, old -> new). The policy run key includes the audit
(``store.master_data.edits_version``), so the next policy run uses the new values.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import duckdb
import pandas as pd

from invdash import auth, store
from invdash.reorder.purchasing import store_as_of
from invdash.schema import SKU, InvalidDataError
from invdash.store import master_data as md_store

__all__ = ["MASTER_FIELDS", "parse_assignments", "check_master_value", "edit_master_data"]


@dataclass(frozen=True)
class _Field:
    kind: str  # "number" or "text"
    check: Callable[[float], bool]
    rule: str


_MAX_DAYS = 365.0
MASTER_FIELDS: dict[str, _Field] = {
    "lead_time_days": _Field(
        "number", lambda v: 0 <= v <= _MAX_DAYS, "a number of days from 0 to 365, e.g. 10"
    ),
    "lead_time_sd_days": _Field(
        "number", lambda v: 0 <= v <= _MAX_DAYS, "a spread in days from 0 to 365, e.g. 2.5"
    ),
    "moq": _Field("number", lambda v: v >= 0 and v.is_integer(), "a whole number of units >= 0"),
    "pack_size": _Field("number", lambda v: v >= 1 and v.is_integer(), "a whole number >= 1"),
    "unit_cost": _Field("number", lambda v: v >= 0, "a cost per unit >= 0, e.g. 4.25"),
    "supplier": _Field("text", lambda _: True, "a supplier name of 1 to 100 characters"),
    "on_hand": _Field("number", lambda v: v >= 0, "units counted, a number >= 0"),
}
"""Editable fields: ``on_hand`` is a stock count; the others are columns of ``products``."""


def parse_assignments(assignments: list[str]) -> dict[str, str]:
    """``["moq=24", "supplier=Acme"]`` -> ``{"moq": "24", "supplier": "Acme"}``.

    Raises:
        InvalidDataError: an item without ``=`` or a field named twice.
    """
    changes: dict[str, str] = {}
    for item in assignments:
        field, sep, value = item.partition("=")
        field = field.strip()
        if not sep or not field:
            raise InvalidDataError(f"--set expects FIELD=VALUE (e.g. moq=24), got {item!r}.")
        if field in changes:
            raise InvalidDataError(f"field {field} is set twice; give each field once.")
        changes[field] = value.strip()
    return changes


def check_master_value(field: str, value: object) -> float | str:
    """The validated value of one field (a float, or text for ``supplier``).

    Raises:
        InvalidDataError: unknown field or a value breaking the field's rule, e.g.
            "pack_size must be a whole number >= 1, got 0.5."
    """
    spec = MASTER_FIELDS.get(field)
    if spec is None:
        raise InvalidDataError(
            f"unknown master-data field {field!r}; editable: {', '.join(MASTER_FIELDS)}."
        )
    if spec.kind == "text":
        text = str(value).strip()
        if not 1 <= len(text) <= 100:
            raise InvalidDataError(f"{field} must be {spec.rule}, got {value!r}.")
        return text
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidDataError(f"{field} must be {spec.rule}, got {value!r}.") from None
    if not (math.isfinite(number) and spec.check(number)):
        raise InvalidDataError(f"{field} must be {spec.rule}, got {value!r}.")
    return number


def _current_values(conn: duckdb.DuckDBPyConnection, sku: str) -> dict[str, object]:
    products = store.load_products(conn)
    row = products[products[SKU].astype(str) == sku]
    if row.empty:
        raise InvalidDataError(
            f"SKU {sku!r} is not in the products table; check the spelling or load it with "
            "`invdash ingest products.csv`."
        )
    current = {f: row.iloc[0][f] for f in md_store.PRODUCT_FIELDS}
    stock = store.latest_on_hand(conn)
    stock = stock[stock[SKU].astype(str) == sku]
    current["on_hand"] = float(stock["on_hand"].iloc[0]) if len(stock) else None
    current["_stock_day"] = pd.Timestamp(stock["as_of"].iloc[0]) if len(stock) else None
    return current


def _same(old: object, new: object) -> bool:
    if old is None or (isinstance(old, float) and math.isnan(old)):
        return False
    return old == new if isinstance(new, str) else math.isclose(float(old), float(new))


def edit_master_data(
    conn: duckdb.DuckDBPyConnection,
    sku: str,
    changes: Mapping[str, object],
    actor: auth.User,
    *,
    on: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Apply master-data ``changes`` to one SKU, audited, in one transaction.

    Args:
        conn: read-write store.
        sku: the product.
        changes: ``{field: value}`` with fields from ``MASTER_FIELDS`` (text values are parsed).
        actor: who edits (planners and managers).
        on: day of a stock count (default ``store_as_of``; not before the latest snapshot).

    Returns:
        The changes made: ``sku, field, old_value, new_value`` (unchanged fields left out).

    Raises:
        InvalidDataError: unknown SKU or field, a value breaking its rule, a stock count dated
            before the SKU's latest snapshot, or no change given.
        PermissionDeniedError: the actor may not edit master data.
    """
    auth.require(actor, "edit_master_data")
    if not changes:
        raise InvalidDataError("no change given; pass FIELD=VALUE, e.g. --set lead_time_days=10.")
    values = {field: check_master_value(field, value) for field, value in changes.items()}
    current = _current_values(conn, sku)
    day = pd.Timestamp(on or store_as_of(conn)).normalize()
    stock_day = current["_stock_day"]
    if "on_hand" in values and stock_day is not None and day < stock_day:
        raise InvalidDataError(
            f"a stock count for {sku} on {day:%Y-%m-%d} is older than its latest snapshot "
            f"({stock_day:%Y-%m-%d}); count on or after that day."
        )
    changed = [(f, current[f], v) for f, v in values.items() if not _same(current[f], v)]
    with store.transaction(conn):
        for field, old, new in changed:
            if field == "on_hand":
                md_store.set_on_hand(conn, sku, float(new), on=day)
            else:
                md_store.update_product(conn, sku, field, new)
            md_store.record_audit(conn, sku, field, old_value=old, new_value=new, user=actor.name)
    return pd.DataFrame(changed, columns=["field", "old_value", "new_value"]).assign(**{SKU: sku})[
        [SKU, "field", "old_value", "new_value"]
    ]
