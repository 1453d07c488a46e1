"""The Purchase Orders and Master Data pages' reads and writes.

Every read is a ``ui.cache.cached_read`` of a core function; every write one short read-write
connection around one core call (the ones behind ``invdash po``, ``invdash master`` and
``invdash override``).
"""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from invdash.reorder import forecast_overrides, master_data
from invdash.reorder import purchasing as po
from invdash.store import catalog
from invdash.store import master_data as md_store
from invdash.store import purchase_orders as po_store
from invdash.ui import session
from invdash.ui.cache import cached_read, settings, write_connection
from invdash.ui.labels import label

__all__ = [
    "NOT_RECORDED",
    "PO_TABLE_NOTE",
    "po_table",
    "money_columns",
    "po_status_counts",
    "purchase_orders",
    "po_page",
    "lines_csv",
    "po_lines",
    "approved",
    "draft",
    "send",
    "receive",
    "document_csv",
    "combined_csv",
    "audit",
    "MASTER_LABELS",
    "master_values",
    "save_master_data",
    "override_window",
    "overrides",
    "add_override",
    "fva",
]


def po_status_counts() -> dict[str, int]:
    """How many POs have each status (one DuckDB aggregate)."""
    return cached_read(po_store.po_status_counts)


def purchase_orders(
    *, status: str | None = None, page: tuple[int, int] | None = None,
    po_ids: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """POs newest first (``purchasing.PO_LIST_COLUMNS``): those of ``status``, one ``page``
    (``(limit, offset)``) or the given ``po_ids``, selected and paged in DuckDB."""
    return cached_read(
        po.list_purchase_orders, currency=settings().currency, status=status, page=page,
        po_ids=po_ids,
    )  # fmt: skip


def po_page(*, status: str | None, page: tuple[int, int]) -> po.PurchaseOrderPage:
    """One page of the PO list (``status`` or all, ``(limit, offset)``) with the documents of
    its POs, in one read (``purchasing.purchase_order_page``): the page's CSV and the chosen
    PO's lines come from it instead of a summary query each."""
    return cached_read(
        po.purchase_order_page, currency=settings().currency, status=status, page=page
    )


def lines_csv(documents: pd.DataFrame) -> bytes:
    """PO document lines (one PO's or a page's) as spreadsheet-safe CSV."""
    return po.document_csv(documents)


#: What a PO table shows where a PO has no value (never Python's "None").
NOT_RECORDED = "\u2014"
PO_TABLE_NOTE = (
    "\u2014 means not recorded: a PO loaded from a purchase-orders file has no order date, "
    "drafter or sender in invdash; a draft has not been sent yet."
)
_SOURCE_TEXT = {"invdash": "drafted in invdash", "file": "loaded from a file"}
_TEXT_COLUMNS = ("order_date", "expected_date", "created_by", "sent_by", "sent_at")


def _as_text(values: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values):
        text = values.dt.strftime("%Y-%m-%d %H:%M")
    else:
        text = values.map(lambda v: None if v is None or pd.isna(v) else str(v))
    return text.where(values.notna(), NOT_RECORDED).astype(object)


def po_table(orders: pd.DataFrame) -> pd.DataFrame:
    """The PO list as shown: dates and names as text with ``NOT_RECORDED`` where a PO has none
    (explained by ``PO_TABLE_NOTE``), and the source in words."""
    shown = orders.copy()
    for column in _TEXT_COLUMNS:
        if column in shown:
            shown[column] = _as_text(shown[column])
    if "source" in shown:
        shown["source"] = shown["source"].map(_SOURCE_TEXT).fillna(shown["source"])
    return shown


def po_lines(po_id: str) -> pd.DataFrame:
    """The document lines of one PO."""
    return cached_read(po.po_document, po_id, currency=settings().currency)


def approved() -> pd.DataFrame:
    """Approved reorder lines not yet on a PO."""
    return cached_read(po.approved_lines)


def draft() -> list[str]:
    """Draft one PO per supplier from the approved lines; returns the PO ids."""
    with write_connection() as conn:
        return po.draft_purchase_orders(conn, session.actor(), currency=settings().currency)


def send(po_id: str) -> None:
    """Send a draft PO (managers)."""
    with write_connection() as conn:
        po.send_purchase_order(conn, po_id, session.actor())


def receive(po_id: str, *, sku: str | None = None, qty: float | None = None) -> pd.DataFrame:
    """Receive a sent PO, fully or one line partly (managers)."""
    with write_connection() as conn:
        return po.receive_purchase_order(conn, po_id, session.actor(), sku=sku, qty=qty)


def document_csv(po_id: str) -> bytes:
    """One PO as spreadsheet-safe CSV."""
    return po.document_csv(po_lines(po_id))


def _combined_csv(conn: duckdb.DuckDBPyConnection, po_ids: tuple[str, ...]) -> bytes:
    return po.document_csv(po.combined_export(conn, list(po_ids), currency=settings().currency))


def combined_csv(po_ids: tuple[str, ...]) -> bytes:
    """Many POs as one spreadsheet-safe CSV."""
    return cached_read(_combined_csv, tuple(po_ids))


def audit(sku: str | None = None) -> pd.DataFrame:
    """Master-data changes (of one SKU), newest first."""
    return cached_read(md_store.load_audit, sku=sku)


MASTER_LABELS = {
    "lead_time_days": "Lead time (days)", "lead_time_sd_days": "Lead time spread (days)",
    "moq": "MOQ", "pack_size": "Pack size", "unit_cost": "Unit cost", "supplier": "Supplier",
    "on_hand": "On hand (stock count)",
}  # fmt: skip


def master_values(sku: str) -> dict[str, object]:
    """The form's starting values: the SKU's current master data (a missing number as 0, a
    missing pack size as 1, a missing supplier as empty text). Reads the SKU's ``products`` row
    and its latest stock snapshot only (it read every product and every SKU's latest stock)."""
    row = dict(cached_read(catalog.product, str(sku)) or {})
    stock = cached_read(catalog.sku_on_hand, str(sku))
    row["on_hand"] = None if stock.empty else stock["on_hand"].iloc[0]
    values: dict[str, object] = {}
    for field in MASTER_LABELS:
        value = row.get(field)
        if field == "supplier":
            values[field] = "" if pd.isna(value) else str(value)
        else:
            missing = 1.0 if field == "pack_size" else 0.0
            values[field] = float(value) if pd.notna(value) else missing
    return values


def save_master_data(sku: str, form: dict[str, object]) -> pd.DataFrame:
    """Apply and audit the fields the form changed (an untouched stock count is not a count);
    returns the changes made."""
    start = master_values(sku)
    changes = {field: value for field, value in form.items() if value != start[field]}
    with write_connection() as conn:
        return master_data.edit_master_data(conn, sku, changes, session.actor())


def override_window() -> tuple[pd.Timestamp, pd.Timestamp]:
    """A default date range for a new override: the week after the store's current day."""
    day = cached_read(po.store_as_of)
    return day + pd.Timedelta(days=1), day + pd.Timedelta(days=7)


def overrides() -> pd.DataFrame:
    """Active forecast overrides, oldest first."""
    return cached_read(forecast_overrides.load_forecast_overrides)


def add_override(**override: object) -> str:
    """Store one forecast override (see ``forecast_overrides.add_forecast_override``)."""
    with write_connection() as conn:
        return forecast_overrides.add_forecast_override(conn, session.actor(), **override)


def fva() -> pd.DataFrame:
    """The forecast-value-added report, one row per override."""
    return cached_read(forecast_overrides.fva_report)


def money_columns() -> dict[str, Any]:
    """``st.dataframe`` settings that show money to cents (130.20, not 130.2)."""
    return {
        label(column): st.column_config.NumberColumn(label(column), format="%.2f")
        for column in ("value", "line_value", "unit_cost", "po_total_value")
    }
