"""The Reorder page's review: filters and sort, the lines with carried-over decisions, one
line's decision (rules, override, reopen, history) and bulk actions after a confirmation.

The selection is a ``reorder.LineQuery``: the table shows one page of it and the bulk action
summarises all of it, both computed in DuckDB (``reorder.worklist``), so no widget holds every
line. Reads go through ``ui.cache``; each write is one core call (``reorder.decide``,
``reorder.apply_bulk``, ``reorder.reopen``) on a short read-write connection, which touches the
decided SKUs only, so the page reflects a decision without recomputing the policy.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pandas as pd
import streamlit as st

from invdash import reorder
from invdash.schema import InvdashError
from invdash.store import app_settings
from invdash.ui import reorder_views, session
from invdash.ui.cache import cached_read, write_connection
from invdash.ui.labels import relabel, sku_formatter

__all__ = [
    "BULK_KEY",
    "as_of",
    "render_as_of",
    "selection",
    "render_lines",
    "render_line",
    "render_bulk",
    "render_budgets",
]

#: Session key holding the bulk action waiting for its confirmation.
BULK_KEY = "reorder_bulk_confirming"
_TABLE = [
    "status", "carry_note", "sku", "name", "supplier", "category", "abc", "is_new", "on_hand",
    "on_order", "suggested_qty", "final_qty", "final_value", "order_by_date", "days_to_order_by",
    "stockout_probability", "why",
]  # fmt: skip


def as_of() -> pd.Timestamp:
    """The shop's as-of day (``store.app_settings.as_of``)."""
    return cached_read(app_settings.as_of)


def render_as_of() -> None:
    """The as-of day in the sidebar (nothing before a database with sales exists)."""
    try:
        day = as_of()
    except (InvdashError, duckdb.Error):  # no database yet, or not one: the page says which
        return
    st.caption(
        f"As of {day.date()}: orders, alerts and snoozes count from this day (the data's last "
        "date unless INVDASH_AS_OF or the stored setting says otherwise)."
    )


def selection(overview: reorder.LineOverview) -> reorder.LineQuery:
    """Filter and sort widgets (options from ``overview``); returns the selection."""
    cols = st.columns(4)
    line_filter = reorder.LineFilter(
        suppliers=tuple(cols[0].multiselect("Supplier", list(overview.suppliers),
                                            key="reorder_filter_suppliers")),
        abc=tuple(cols[1].multiselect("ABC class", ["A", "B", "C"], key="reorder_filter_abc")),
        categories=tuple(cols[2].multiselect("Category", list(overview.categories),
                                             key="reorder_filter_categories")),
        statuses=tuple(cols[3].multiselect("Status", list(reorder.STATUSES),
                                           key="reorder_filter_status")),
        min_stockout_probability=cols[0].slider("Stockout risk at least", 0.0, 1.0, 0.0, 0.05,
                                                key="reorder_filter_risk") or None,
        max_days_to_order_by=cols[1].number_input("Order within days (0: any)", 0, 365, 0,
                                                  key="reorder_filter_days") or None,
        text=cols[3].text_input("SKU or product contains", key="reorder_filter_text"),
    )  # fmt: skip
    sort = cols[2].selectbox("Sort by", list(reorder.SORT_KEYS), key="reorder_sort")
    return reorder.LineQuery(line_filter, sort=sort)


def render_lines(window: reorder.LineWindow, *, key: str) -> pd.DataFrame:
    """The page controls and one page of the selected lines (carry-over notes first, new SKUs
    flagged); returns the page's lines."""
    reorder_views.render_page_controls(window, key=key)
    page = window.lines
    st.dataframe(
        relabel(page[_TABLE]),
        hide_index=True,
        column_config={
            "Stockout probability": st.column_config.ProgressColumn(
                "Stockout risk", min_value=0.0, max_value=1.0, format="percent"
            ),
            "Is new": st.column_config.CheckboxColumn("New SKU (no sales history)"),
        },
    )
    return page


def _save(run_id: str, sku: str, action: str, qty: float, reason: str, override: str) -> None:  # noqa: PLR0913
    with write_connection() as conn:
        reorder.decide(
            conn, session.actor(), run_id, [sku], action=action,
            qty=[qty] if action == "edit" else None, reason=reason or None,
            override_reason=override or None,
        )  # fmt: skip


def _history(sku: str) -> None:
    with st.expander(f"Decision history of {sku}"):
        history = cached_read(reorder.decision_history, sku)
        if history.empty:
            st.caption("No decision yet.")
        else:
            st.dataframe(relabel(history), hide_index=True)


def render_line(run_id: str, shown: pd.DataFrame) -> None:
    """One line of ``shown`` (the table's page): why, its carried-over decision, the decision
    form (managers) and history."""
    names = shown.set_index("sku")["name"]
    sku = st.selectbox("SKU", names.index.tolist(), key="reorder_sku",
                       format_func=sku_formatter(names))  # fmt: skip
    line = shown.set_index("sku").loc[sku]
    st.markdown(f"**Why this quantity:** {line['why']}")
    st.caption(f"{line['reason']}. Status: {line['status']}")
    if line["needs_reconfirm"]:
        st.warning(line["carry_note"])
    elif line["carry_note"]:
        st.caption(line["carry_note"])
    if line["is_new"]:
        st.warning(f"{sku} is a new SKU without sales history: check the quantity by hand.")
    if session.can("approve_orders"):
        _decision_form(run_id, sku, line)
    _history(sku)


def _decision_form(run_id: str, sku: str, line: pd.Series) -> None:
    action = st.radio("Decision", ["approve", "edit", "reject"], horizontal=True,
                      key="reorder_action")  # fmt: skip
    qty = st.number_input("Quantity", min_value=0.0, value=float(line["final_qty"]), step=1.0,
                          format="%.0f", key="reorder_qty", disabled=action != "edit")  # fmt: skip
    reason = st.text_input("Reason (required to reject)", key="reorder_reason")
    override = st.text_input(
        "Override reason (accept a quantity that breaks MOQ, packs, the "
        "maximum or the supplier minimum)",
        key="reorder_override_reason",
    )
    cols = st.columns(2)
    if cols[0].button("Save decision", key="reorder_save", type="primary"):
        try:
            _save(run_id, sku, action, qty, reason, override)
        except InvdashError as err:
            st.error(str(err))
        else:
            st.toast(f"{sku}: {action} saved")
            st.rerun()
    if line["status"] != "pending" and cols[1].button("Reopen", key="reorder_reopen"):
        with write_connection() as conn:
            reorder.reopen(conn, session.actor(), [sku])
        st.rerun()


def _save_budget(supplier: str | None, limit: float) -> None:
    try:
        with write_connection() as conn:
            reorder.save_budget(conn, session.actor(), supplier=supplier, limit=limit)
    except InvdashError as err:
        st.error(str(err))
    else:
        st.toast("Budget saved")
        st.rerun()


def _budget_text(budget: reorder.Budget | None) -> str:
    if budget is None:
        return "No budget set: bulk approvals are not checked against a limit."
    parts = [] if budget.total is None else [f"in total {budget.total:,.2f}"]
    parts += [f"{name} {limit:,.2f}" for name, limit in sorted(budget.per_supplier.items())]
    return "Stored budgets (bulk approvals warn before exceeding them): " + "; ".join(parts)


def render_budgets(budget: reorder.Budget | None, suppliers: Sequence[str]) -> None:
    """The stored ``budget`` (total and per supplier) and, for managers, its editor."""
    with st.expander("Budgets (in total and per supplier)"):
        st.caption(_budget_text(budget))
        if not session.can("approve_orders"):
            st.caption("A manager sets budgets.")
            return
        cols = st.columns(3)
        total = cols[0].number_input(
            "Budget in total (0: none)", 0.0, value=float(budget.total or 0.0) if budget else 0.0,
            step=100.0, key="reorder_budget_total",
        )  # fmt: skip
        if cols[0].button("Save total budget", key="reorder_budget_total_save"):
            _save_budget(None, total)
        supplier = cols[1].selectbox("Supplier", list(suppliers), key="reorder_budget_supplier")
        known = dict(budget.per_supplier) if budget else {}
        limit = cols[2].number_input(
            "Its budget (0: none)", 0.0, value=float(known.get(supplier, 0.0)), step=100.0,
            key=f"reorder_budget_limit_{supplier}",
        )  # fmt: skip
        if cols[2].button("Save supplier budget", key="reorder_budget_supplier_save"):
            _save_budget(supplier, limit)


def render_bulk(
    run: reorder.StoredRun, query: reorder.LineQuery, total: int, budget: reorder.Budget | None
) -> None:
    """Approve the ``total`` selected lines: a summary of the whole selection (lines, units,
    value, left out, warnings against ``budget``; one DuckDB aggregate) first, then the
    confirmation stores exactly those lines."""
    if not session.can("approve_orders"):
        return
    if st.button(f"Approve the {total} selected lines ...", key="reorder_bulk_approve"):
        st.session_state[BULK_KEY] = True
    if not st.session_state.get(BULK_KEY):
        return
    summary = cached_read(reorder.selection_summary, run.run_id, query, budget=budget)
    st.info(summary.describe())
    for warning in summary.warnings:
        st.warning(f"Budget: {warning}")
    if len(summary.excluded):
        st.dataframe(relabel(summary.excluded), hide_index=True)
    cols = st.columns(2)
    if cols[0].button("Confirm", key="reorder_bulk_confirm", disabled=not summary.lines):
        try:
            with write_connection() as conn:
                reorder.apply_bulk(conn, session.actor(), summary)
        except InvdashError as err:
            st.error(str(err))
            return
        st.session_state[BULK_KEY] = False
        st.rerun()
    if cols[1].button("Cancel", key="reorder_bulk_cancel"):
        st.session_state[BULK_KEY] = False
        st.rerun()
