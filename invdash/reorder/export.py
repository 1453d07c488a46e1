"""Purchase-order files: approved lines per supplier, safe to open in a spreadsheet.

``to_spreadsheet_csv`` neutralises spreadsheet formulas: a text cell starting with ``= + - @``, a
tab or a carriage return gets a leading apostrophe (OWASP CSV injection).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from invdash.schema import SKU

__all__ = ["purchase_orders", "purchase_order_files", "neutralise_cell", "to_spreadsheet_csv"]


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def purchase_orders(reviewed: pd.DataFrame, *, as_of: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """Approved and edited lines (quantity > 0) as one purchase order per supplier.

    Returns:
        ``{supplier: frame}`` with columns ``supplier, sku, name, qty, unit_cost, line_value,
        order_date, decided_by``.
    """
    chosen = reviewed[reviewed["status"].isin(["approved", "edited"]) & (reviewed["final_qty"] > 0)]
    orders = chosen.assign(
        qty=chosen["final_qty"],
        line_value=chosen["final_qty"] * chosen["unit_cost"],
        order_date=pd.Timestamp(as_of).date(),
    )
    columns = [
        "supplier",
        SKU,
        "name",
        "qty",
        "unit_cost",
        "line_value",
        "order_date",
        "decided_by",
    ]
    return {
        str(supplier): group[columns].reset_index(drop=True)
        for supplier, group in orders.groupby("supplier", sort=True)
    }


def neutralise_cell(value: Any) -> Any:
    """A text cell starting with = + - @, a tab or a carriage return gets a leading apostrophe.

    Example: "=1+2" -> "'=1+2"; "-x" -> "'-x"; "Café \"Ré\"" stays as is. Numbers stay numbers.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_spreadsheet_csv(frame: pd.DataFrame) -> bytes:
    """CSV bytes (UTF-8 with BOM, so spreadsheets read accents) safe to open in a spreadsheet."""
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object:
            safe[column] = safe[column].map(neutralise_cell)
    safe.columns = [neutralise_cell(str(c)) for c in safe.columns]
    return safe.to_csv(index=False).encode("utf-8-sig")


def purchase_order_files(reviewed: pd.DataFrame, *, as_of: pd.Timestamp) -> dict[str, bytes]:
    """``{file name: CSV bytes}``: one neutralised purchase order per supplier."""
    files = {}
    for supplier, frame in purchase_orders(reviewed, as_of=as_of).items():
        safe_name = "".join(c if c.isalnum() else "_" for c in supplier)
        files[f"po_{safe_name}_{pd.Timestamp(as_of).date()}.csv"] = to_spreadsheet_csv(frame)
    return files
