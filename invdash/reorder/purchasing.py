"""Purchasing: purchase orders from draft to receipt (approved lines -> draft -> sent -> received).

- ``draft_purchase_orders``: the approved lines (``approved_lines``) become one draft PO per
  supplier: PO number ``PO-YYYYMMDD-NNN``, order date, expected delivery (order date + the
  longest line lead time; each line's own ETA is order date + its lead time), the currency of
  the settings, unit costs to cents and whole units. A draft is not on order yet.
- ``send_purchase_order``: the PO goes to the supplier; its lines are ``open`` and so count as on
  order in every projection and the next policy run at once (``store.open_purchase_orders``).
- ``receive_purchase_order``: all outstanding units, or some of one line; on hand rises by a new
  inventory snapshot and the PO closes when nothing is outstanding, else stays partly open.
Every transition is one transaction, attributed to a user, and logged in ``po_events``; send and
receive need the manager role (``invdash.auth``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from invdash import auth, policy, store  # policy's names import on first use (no scipy here)
from invdash.reorder.export import to_spreadsheet_csv
from invdash.reorder.review import close_proposals
from invdash.reorder.selection import LineFilter
from invdash.reorder.worklist import LineQuery, line_page
from invdash.schema import SKU, InvalidDataError
from invdash.store import app_settings
from invdash.store import purchase_orders as po_store
from invdash.store import reorder as reorder_store

__all__ = [
    "PO_LIST_COLUMNS",
    "DOCUMENT_COLUMNS",
    "approved_lines",
    "store_as_of",
    "draft_purchase_orders",
    "send_purchase_order",
    "receive_purchase_order",
    "list_purchase_orders",
    "PurchaseOrderPage",
    "purchase_order_page",
    "po_document",
    "combined_export",
    "document_csv",
]

PO_LIST_COLUMNS = (
    "po_id", "supplier", "status", "lines", "units", "received_units", "value", "currency",
    "order_date", "expected_date", "created_by", "sent_by", "sent_at", "source",
)  # fmt: skip

DOCUMENT_COLUMNS = (
    "po_id", "supplier", "currency", "order_date", "expected_date", "line_no", SKU, "name",
    "qty", "unit_cost", "line_value", "po_total_units", "po_total_value",
)  # fmt: skip

_APPROVED_COLUMNS = [SKU, "name", "supplier", "qty", "run_id"]


def approved_lines(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Approved or edited reorder lines with a quantity > 0: ``sku, name, supplier, qty, run_id``.

    The lines of the newest stored policy run with their carried-over decisions
    (``reorder.review.reviewed_run``: a decision belongs to the SKU's open proposal, whatever
    run it was made on; lines to re-confirm are not approved), minus SKUs already on a draft.
    """
    latest = reorder_store.latest_policy_run(conn)
    if latest.empty:
        return pd.DataFrame(columns=_APPROVED_COLUMNS)
    run_id = str(latest["run_id"].iloc[0])
    # Only the decided lines leave DuckDB (``worklist.line_page``), not every line of the run.
    reviewed = line_page(conn, run_id, LineQuery(LineFilter(statuses=("approved", "edited"))))
    chosen = reviewed[reviewed["status"].isin(["approved", "edited"]) & (reviewed["final_qty"] > 0)]
    chosen = chosen[~chosen[SKU].isin(po_store.drafted_skus(conn, run_id))]
    return chosen.assign(qty=chosen["final_qty"], run_id=run_id)[_APPROVED_COLUMNS].reset_index(
        drop=True
    )


def store_as_of(conn: duckdb.DuckDBPyConnection) -> pd.Timestamp:
    """The day POs and receipts are dated: the shop's one "as of" day
    (``store.app_settings.as_of``), or today before any sales are loaded."""
    try:
        return app_settings.as_of(conn)
    except InvalidDataError:
        return pd.Timestamp.now().normalize()


def _whole_units(qty: pd.Series) -> pd.Series:
    # Up, not to the nearest: a planner's 10.2 is never silently cut to 10 (1e-6 absorbs noise).
    return np.ceil(qty.astype(float) - 1e-6).astype(int)


def _draft_lines(
    lines: pd.DataFrame, products: pd.DataFrame, order_date: pd.Timestamp
) -> pd.DataFrame:
    info = products.assign(**{SKU: products[SKU].astype(str)}).set_index(SKU)
    lead = pd.to_numeric(info["lead_time_days"].reindex(lines[SKU]), errors="coerce").to_numpy()
    lead = np.ceil(np.where(np.isfinite(lead), np.maximum(lead, 0),
                            policy.DEFAULT_LEAD_TIME_DAYS))
    cost = pd.to_numeric(info["unit_cost"].reindex(lines[SKU]), errors="coerce").to_numpy()
    return lines.assign(
        qty=_whole_units(lines["qty"]),
        eta=pd.Timestamp(order_date) + pd.to_timedelta(lead, unit="D"),
        unit_cost=np.round(cost, 2),
        line_no=np.arange(1, len(lines) + 1),
        source_run_id=lines["run_id"],
    )


def draft_purchase_orders(
    conn: duckdb.DuckDBPyConnection,
    actor: auth.User,
    *,
    currency: str,
    order_date: pd.Timestamp | None = None,
) -> list[str]:
    """Draft one PO per supplier from the approved lines, in one transaction; returns PO ids.

    Args:
        conn: read-write store.
        actor: who drafts (any signed-in role may draft; sending needs a manager).
        currency: ISO code of the values (``Settings.currency``).
        order_date: the PO date (default ``store_as_of``).

    Raises:
        InvalidDataError: no approved lines to order.
    """
    auth.require(actor, "propose")
    lines = approved_lines(conn)
    if lines.empty:
        raise InvalidDataError(
            "no approved reorder lines to order; approve or edit lines first "
            "(Reorder page, or `invdash decide`)."
        )
    order_date = pd.Timestamp(order_date or store_as_of(conn)).normalize()
    products = store.load_products(conn)
    po_ids: list[str] = []
    with store.transaction(conn):
        for supplier, group in lines.groupby("supplier", sort=True):
            drafted = _draft_lines(group.reset_index(drop=True), products, order_date)
            po_id = po_store.next_po_number(conn, order_date)
            header = {
                "po_id": po_id, "supplier": str(supplier), "currency": currency,
                "order_date": order_date.date(), "expected_date": drafted["eta"].max().date(),
                "created_by": actor.name,
            }  # fmt: skip
            po_store.insert_purchase_order(conn, header, drafted)
            po_store.record_po_event(conn, po_id, "draft", user=actor.name)
            # Inside this transaction, so an ordered proposal closes exactly when its PO exists.
            close_proposals(conn, drafted[SKU].astype(str).tolist(), po_id=po_id, user=actor.name)
            po_ids.append(po_id)
    return po_ids


def _require_po(conn: duckdb.DuckDBPyConnection, po_id: str, *, currency: str = "") -> pd.DataFrame:
    header = po_store.load_po_header(conn, po_id, currency=currency)
    if header.empty:
        raise InvalidDataError(f"no purchase order {po_id!r}; `invdash po list` shows the POs.")
    return header


def send_purchase_order(conn: duckdb.DuckDBPyConnection, po_id: str, actor: auth.User) -> None:
    """Send a draft PO: its lines count as on order from now on (managers only).

    Raises:
        PermissionDeniedError: the actor is not a manager.
        InvalidDataError: no such PO, or it is not a draft.
    """
    auth.require(actor, "send_orders")
    status = _require_po(conn, po_id)["status"].iloc[0]
    if status != "draft":
        raise InvalidDataError(f"purchase order {po_id} is {status}; only a draft can be sent.")
    with store.transaction(conn):
        po_store.mark_sent(conn, po_id, user=actor.name)
        po_store.record_po_event(conn, po_id, "send", user=actor.name)


def _receipts(lines: pd.DataFrame, po_id: str, sku: str | None, qty: float | None) -> pd.Series:
    """Units to receive per SKU: all outstanding, or ``qty`` of ``sku`` (checked)."""
    open_lines = lines[lines["status"] == "open"].set_index(SKU)
    outstanding = open_lines["qty"] - open_lines["received_qty"]
    if sku is None:
        if qty is not None:
            raise InvalidDataError("a received quantity needs the SKU it is for (--sku).")
        return outstanding[outstanding > 0]
    if sku not in outstanding.index:
        raise InvalidDataError(f"purchase order {po_id} has no open line for SKU {sku!r}.")
    qty = float(outstanding[sku]) if qty is None else float(qty)
    if not (np.isfinite(qty) and qty > 0 and float(qty).is_integer()):
        raise InvalidDataError(f"received qty must be a whole number of units > 0, got {qty:g}.")
    if qty > outstanding[sku] + 1e-9:
        raise InvalidDataError(
            f"received qty {qty:g} for {sku} is more than the {outstanding[sku]:g} units still "
            f"open on {po_id}; receive at most {outstanding[sku]:g} (book extra units as a stock "
            "count with `invdash master --set on_hand=N`)."
        )
    return pd.Series({sku: qty})


def receive_purchase_order(  # noqa: PLR0913 - a receipt has these parts
    conn: duckdb.DuckDBPyConnection,
    po_id: str,
    actor: auth.User,
    *,
    sku: str | None = None,
    qty: float | None = None,
    on: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Receive a sent PO, fully (no ``sku``) or partly (``qty`` units of ``sku``; ``qty``
    omitted: that line's outstanding units), in one transaction (managers only).

    On hand rises by a new inventory snapshot on day ``on`` (default ``store_as_of``).

    Returns:
        ``sku, received, on_hand`` per line received.

    Raises:
        PermissionDeniedError: the actor is not a manager.
        InvalidDataError: no such PO, not sent, no such open line, or a bad quantity.
    """
    auth.require(actor, "receive_orders")
    status = _require_po(conn, po_id)["status"].iloc[0]
    if status not in ("sent", "partly_received"):
        raise InvalidDataError(
            f"purchase order {po_id} is {status}; only a sent PO can be received."
        )
    receipts = _receipts(po_store.load_po_lines(conn, [po_id]), po_id, sku, qty)
    day = pd.Timestamp(on or store_as_of(conn)).normalize()
    rows = []
    with store.transaction(conn):
        for line_sku, units in receipts.items():
            po_store.receive_line(conn, po_id, str(line_sku), float(units))
            on_hand = po_store.add_on_hand(conn, str(line_sku), float(units), on=day)
            po_store.record_po_event(
                conn, po_id, "receive", user=actor.name, sku=str(line_sku), qty=float(units)
            )
            rows.append((str(line_sku), float(units), on_hand))
    return pd.DataFrame(rows, columns=[SKU, "received", "on_hand"])


def list_purchase_orders(
    conn: duckdb.DuckDBPyConnection, *, currency: str, **where: Any
) -> pd.DataFrame:
    """Every PO, newest first, with ``PO_LIST_COLUMNS`` (value to cents, whole units).

    ``currency`` is shown for POs loaded from a file (they have no header of their own);
    ``source`` says where a PO came from: ``invdash`` (drafted here) or ``file`` (loaded from a
    purchase-orders file, so it has no order date, drafter or sender). ``where``: the filters
    and page of ``store.purchase_orders.po_summary`` (``status``, ``po_ids``, ``page``), run in
    DuckDB.
    """
    summary = po_store.po_summary(conn, currency=currency, **where)
    for column in ("units", "received_units"):
        summary[column] = summary[column].round().astype("int64")
    for column in ("order_date", "expected_date"):
        days = pd.to_datetime(summary[column])
        summary[column] = days.dt.date.astype(object).where(days.notna(), None)
    return summary[list(PO_LIST_COLUMNS)]


def _documents(
    conn: duckdb.DuckDBPyConnection, po_ids: list[str], *, currency: str
) -> pd.DataFrame:
    """Document lines of ``po_ids`` from one summary and one lines query (vectorised)."""
    headers = list_purchase_orders(conn, currency=currency, po_ids=po_ids)
    return _documents_of(conn, headers, po_ids)


def _documents_of(
    conn: duckdb.DuckDBPyConnection, orders: pd.DataFrame, po_ids: list[str]
) -> pd.DataFrame:
    """Document lines of ``po_ids`` whose summary rows (``list_purchase_orders``) are ``orders``."""
    headers = orders.set_index("po_id")
    lines = po_store.load_po_lines(conn, po_ids)
    qty = lines["qty"].round().astype("int64")
    unit_cost = lines["unit_cost"].astype(float).round(2)
    documents = lines[["po_id", "line_no", SKU, "name"]].assign(
        qty=qty, unit_cost=unit_cost, line_value=(qty * unit_cost).round(2)
    )
    documents = documents.join(
        headers[["supplier", "currency", "order_date", "expected_date"]], on="po_id"
    )
    totals = documents.groupby("po_id")[["qty", "line_value"]].transform("sum")
    documents["line_no"] = documents["line_no"].astype("int64")
    documents["po_total_units"] = totals["qty"].astype("int64")
    documents["po_total_value"] = totals["line_value"].round(2)
    rank = documents["po_id"].map({po_id: n for n, po_id in enumerate(po_ids)})
    documents = documents.assign(_rank=rank).sort_values(["_rank", "line_no"], kind="stable")
    return documents[list(DOCUMENT_COLUMNS)].reset_index(drop=True)


def po_document(conn: duckdb.DuckDBPyConnection, po_id: str, *, currency: str) -> pd.DataFrame:
    """The lines of one PO as sent to the supplier, with ``DOCUMENT_COLUMNS``: whole units,
    unit cost and values to cents, the PO's totals on every line (``currency`` for a PO loaded
    from a file, which has none of its own).

    Raises:
        InvalidDataError: no such PO.
    """
    _require_po(conn, po_id, currency=currency)
    return _documents(conn, [po_id], currency=currency)


def combined_export(
    conn: duckdb.DuckDBPyConnection, po_ids: list[str], *, currency: str
) -> pd.DataFrame:
    """The documents of ``po_ids`` in one frame (same columns as ``po_document``), in the
    order given."""
    return _documents(conn, list(po_ids), currency=currency)


@dataclass(frozen=True)
class PurchaseOrderPage:
    """One page of the PO list: its ``orders`` (``list_purchase_orders`` rows) and the
    ``documents`` of those POs (``combined_export`` of their ids, in the list's order)."""

    orders: pd.DataFrame
    documents: pd.DataFrame

    def lines_of(self, po_id: str) -> pd.DataFrame:
        """``po_document(po_id)`` of a PO on this page (empty for one not on it)."""
        lines = self.documents[self.documents["po_id"] == po_id]
        return lines.reset_index(drop=True)


def purchase_order_page(
    conn: duckdb.DuckDBPyConnection, *, currency: str, status: str | None = None,
    page: tuple[int, int] | None = None,
) -> PurchaseOrderPage:
    """``list_purchase_orders(status=, page=)`` and the documents of its POs from one summary
    query and one lines query: the Purchase Orders page's list, its CSV of every PO shown and
    the chosen PO's lines (at 100,000 SKUs each summary of a few POs costs a scan of every PO
    line, so they are not read once per use)."""
    orders = list_purchase_orders(conn, currency=currency, status=status, page=page)
    po_ids = orders["po_id"].astype(str).tolist()
    return PurchaseOrderPage(orders=orders, documents=_documents_of(conn, orders, po_ids))


def document_csv(document: pd.DataFrame) -> bytes:
    """A PO document or export as spreadsheet-safe CSV bytes (``to_spreadsheet_csv``)."""
    return to_spreadsheet_csv(document)
