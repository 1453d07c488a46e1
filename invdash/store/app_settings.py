"""SQL for shop-wide settings, supplier terms, the maximum order per SKU, and the "as of" day.

Design:
- ``app_settings``: one row per key (``as_of`` for now), who set it and when.
- ``suppliers``: one row per supplier name (the ``products.supplier`` text) with its minimum
  order value in the shop's currency. A supplier without a row has no minimum. Kept as its
  own small table rather than a product column, because the minimum is per supplier.
- ``products.max_order_qty``: the most units one order line may hold (null: no maximum).
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
]

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
