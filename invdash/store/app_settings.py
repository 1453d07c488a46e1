"""SQL for shop-wide settings, supplier terms, the maximum order per SKU, and the "as of" day.

Design:
- ``app_settings``: one row per key (``as_of`` for now), who set it and when.
- ``suppliers``: one row per supplier name (the ``products.supplier`` text) with its minimum
  order value in the shop's currency. A supplier without a row has no minimum. Kept as its
  own small table rather than a product column, because the minimum is per supplier.
- ``products.max_order_qty``: the most units one order line may hold (null: no maximum).
- Budgets are settings too: ``budget_total`` and ``budget_supplier:<supplier>`` (a spending
  limit in the shop's currency; no row: no limit), read by ``load_budgets``.
- ``as_of(conn)``: the one "today" of every screen and command: ``INVDASH_AS_OF`` when set,
  else the stored ``as_of`` setting, else the last day with sales. POs are dated with it,
  snoozes run out by it and the stale-data check compares with it.
The tables are defined in ``store/schema.py`` (``CYCLE_DDL``, migration 8).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from invdash.config import load_settings
from invdash.schema import InvalidDataError

__all__ = [
    "as_of",
    "data_last_date",
    "stored_setting",
    "set_setting",
    "set_as_of",
    "load_suppliers",
    "set_supplier_minimum",
    "BUDGET_TOTAL_KEY",
    "BUDGET_SUPPLIER_PREFIX",
    "load_budgets",
    "set_budget",
]

BUDGET_TOTAL_KEY = "budget_total"
BUDGET_SUPPLIER_PREFIX = "budget_supplier:"


def _now() -> object:
    return pd.Timestamp.now(tz="UTC").tz_localize(None).to_pydatetime()


def data_last_date(conn: duckdb.DuckDBPyConnection) -> pd.Timestamp | None:
    """The last day with a sales row, or None without sales."""
    value = conn.execute("SELECT max(date) FROM sales").fetchone()[0]
    return None if value is None else pd.Timestamp(value)


def stored_setting(conn: duckdb.DuckDBPyConnection, key: str) -> str | None:
    """The stored value of ``key`` (None when unset)."""
    row = conn.execute("SELECT value FROM app_settings WHERE key = ?", [key]).fetchone()
    return None if row is None else row[0]


def set_setting(conn: duckdb.DuckDBPyConnection, key: str, value: str | None, *, user: str) -> None:
    """Store (or with ``value=None`` remove) a setting. Run inside ``store.transaction``."""
    conn.execute("DELETE FROM app_settings WHERE key = ?", [key])
    if value is not None:
        conn.execute(
            'INSERT INTO app_settings (key, value, "user", updated_at) VALUES (?, ?, ?, ?)',
            [key, value, user, _now()],
        )


def _parse_day(text: str, source: str) -> pd.Timestamp:
    if text.strip().lower() == "today":
        return pd.Timestamp.now().normalize()
    try:
        return pd.Timestamp(text).normalize()
    except ValueError as err:
        raise InvalidDataError(
            f"{source} must be a date like 2025-10-31 or 'today', got {text!r}."
        ) from err


def set_as_of(conn: duckdb.DuckDBPyConnection, day: object | None, *, user: str) -> None:
    """Pin the shop's "as of" day (``None`` goes back to the data's last date).

    Raises:
        InvalidDataError: ``day`` is not a date.
    """
    value = None if day is None else str(_parse_day(str(day), "as_of").date())
    set_setting(conn, "as_of", value, user=user)


def as_of(conn: duckdb.DuckDBPyConnection) -> pd.Timestamp:
    """The day every screen and command treats as today (see the module docstring).

    Raises:
        InvalidDataError: no setting and no sales to take the date from, or a bad setting.
    """
    pinned = load_settings().as_of
    if pinned:
        return _parse_day(pinned, "INVDASH_AS_OF")
    stored = stored_setting(conn, "as_of")
    if stored:
        return _parse_day(stored, "the stored as_of setting")
    last = data_last_date(conn)
    if last is None:
        raise InvalidDataError(
            "there is no 'as of' date: the database has no sales and no as_of setting; load "
            "sales with `invdash ingest FILE --db PATH` or set INVDASH_AS_OF=2025-10-31."
        )
    return last


def load_suppliers(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Supplier terms ``supplier, min_order_value, user, updated_at``."""
    return conn.execute(
        'SELECT supplier, min_order_value, "user", updated_at FROM suppliers ORDER BY supplier'
    ).df()


def set_supplier_minimum(
    conn: duckdb.DuckDBPyConnection, supplier: str, min_order_value: float | None, *, user: str
) -> None:
    """Set (or with ``None`` remove) a supplier's minimum order value. Run in a transaction.

    Raises:
        InvalidDataError: a negative minimum.
    """
    if min_order_value is not None and not min_order_value >= 0:
        raise InvalidDataError(
            f"min_order_value must be >= 0 (currency), got {min_order_value!r} for {supplier!r}."
        )
    conn.execute("DELETE FROM suppliers WHERE supplier = ?", [supplier])
    if min_order_value is not None:
        conn.execute(
            'INSERT INTO suppliers (supplier, min_order_value, "user", updated_at) '
            "VALUES (?, ?, ?, ?)",
            [supplier, float(min_order_value), user, _now()],
        )


def load_budgets(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Stored budgets ``supplier, limit, user, updated_at`` (``supplier`` None: the total)."""
    rows = conn.execute(
        'SELECT key, value, "user", updated_at FROM app_settings '
        "WHERE key = ? OR starts_with(key, ?) ORDER BY key",
        [BUDGET_TOTAL_KEY, BUDGET_SUPPLIER_PREFIX],
    ).df()
    supplier = rows["key"].map(
        lambda key: None if key == BUDGET_TOTAL_KEY else key[len(BUDGET_SUPPLIER_PREFIX) :]
    )
    return pd.DataFrame(
        {
            "supplier": supplier.astype(object),
            "limit": pd.to_numeric(rows["value"]).astype(float),
            "user": rows["user"],
            "updated_at": rows["updated_at"],
        }
    )


def set_budget(
    conn: duckdb.DuckDBPyConnection, supplier: str | None, limit: float | None, *, user: str
) -> None:
    """Store (or with ``limit=None`` remove) the total budget (``supplier`` None) or one
    supplier's. Run inside ``store.transaction``.

    Raises:
        InvalidDataError: a negative or non-numeric limit, or an empty supplier name.
    """
    if supplier is not None and not str(supplier).strip():
        raise InvalidDataError("a supplier budget needs the supplier's name.")
    if limit is not None and not (isinstance(limit, int | float) and limit >= 0):
        raise InvalidDataError(
            f"a budget must be a number >= 0 (currency), got {limit!r}"
            + (f" for {supplier!r}." if supplier else " for the total.")
        )
    key = BUDGET_TOTAL_KEY if supplier is None else f"{BUDGET_SUPPLIER_PREFIX}{supplier}"
    set_setting(conn, key, None if limit is None else repr(float(limit)), user=user)
