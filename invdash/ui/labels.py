"""Display labels: the only place where column names become words a planner reads."""

from __future__ import annotations

__all__ = ["LABELS", "label", "relabel", "sku_label", "sku_formatter"]

from collections.abc import Callable, Mapping

import pandas as pd

LABELS = {
    "sku": "SKU", "name": "Product", "category": "Category", "date": "Date", "qty": "Units",
    "price": "Price", "promo": "Promotion", "mean": "Forecast (mean)", "p10": "P10", "p50": "P50",
    "p90": "P90", "model": "Model", "supplier": "Supplier", "on_hand": "On hand",
    "on_order": "On order", "lead_time_days": "Lead time (days)", "safety_stock": "Safety stock",
    "reorder_point": "Reorder point", "order_up_to": "Order-up-to",
    "suggested_qty": "Suggested qty",
    "unit_cost": "Unit cost", "unit_price": "Unit price", "demand_class": "Demand class",
}


def label(column: str) -> str:
    """The display label of ``column`` (its own name, capitalised, when none is defined)."""
    return LABELS.get(column, column.replace("_", " ").capitalize())


def relabel(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with display labels as column names."""
    return frame.rename(columns={c: label(c) for c in frame.columns})

def sku_label(sku: str, name: object = None) -> str:
    """How a SKU reads in every picker: "SKU — product name" (the SKU alone without a name)."""
    has_name = isinstance(name, str) and name.strip() != ""
    return f"{sku} \u2014 {name}" if has_name else str(sku)


def sku_formatter(names: Mapping[str, object] | pd.Series) -> Callable[[str], str]:
    """A selectbox ``format_func`` that shows ``sku_label`` (names: sku -> product name)."""
    lookup = dict(names.items())

    def format_sku(sku: str) -> str:
        return sku_label(sku, lookup.get(sku))

    return format_sku


# Forecasting pages (SKU Explorer, Model Quality, Upload & Forecast).
LABELS.update({
    "mase": "MASE", "rmsse": "RMSSE", "wape": "WAPE", "bias": "Bias", "spl": "Scaled pinball loss",
    "coverage80": "80% interval coverage", "n_skus": "SKUs", "reason": "Why this model",
    "score": "Backtest score", "chosen": "Chosen", "run_id": "Run", "device": "Device",
    "duration_s": "Duration (s)", "horizon": "Horizon (days)", "created_at": "Created",
    "data_version": "Data version", "p05": "P05", "p25": "P25", "p75": "P75", "p95": "P95",
    "p99": "P99", "fold": "Fold", "current": "On current data", "model_param": "Model setting",
    "status": "Status", "ts": "Order time", "order_id": "Order", "customer_id": "Customer",
    "order_lines": "Order lines",
})

# Policy Replay page.
LABELS.update({
    "policy": "Policy", "fill_rate": "Fill rate", "stockout_days": "Stockout days",
    "mean_on_hand": "Mean on hand", "lost": "Lost units", "orders": "Orders",
    "demand": "Demand", "on_hand_end": "On hand (end of day)", "service_level": "Service target",
})

# Recommendations page.
LABELS.update({
    "rec_rank": "Rank", "rec_score": "Score", "why": "Why", "last_bought": "Last bought",
    "at_risk_sku": "At-risk SKU", "at_risk_name": "At-risk product", "substitute": "Substitute",
    "substitute_name": "Substitute product", "similarity": "Title similarity",
    "segment": "Segment",
})

# Purchase Orders and Master Data pages.
LABELS.update({
    "po_id": "PO", "lines": "Lines", "units": "Units", "received_units": "Received",
    "value": "Value", "currency": "Currency", "order_date": "Order date",
    "expected_date": "Expected", "created_by": "Drafted by", "sent_by": "Sent by",
    "sent_at": "Sent at", "line_no": "Line", "line_value": "Line value",
    "po_total_units": "PO units", "po_total_value": "PO value", "field": "Field",
    "old_value": "Old value", "new_value": "New value", "changed_at": "Changed at",
    "user": "User", "scope": "Scope", "key": "SKU or category", "kind": "Change",
    "start_date": "From", "end_date": "To", "periods": "Days scored",
    "system_mae": "System MAE", "override_mae": "Override MAE", "system_bias": "System bias",
    "override_bias": "Override bias", "fva_mae": "FVA (MAE)", "helped": "Helped",
    "override_id": "Override", "forecast_run_id": "Forecast run", "ended_by": "Ended by",
    "ended_at": "Ended at",
})

# Reorder review (issue 12).
LABELS.update({
    "carry_note": "Decision", "final_qty": "Final qty", "final_value": "Final value",
    "is_new": "Is new", "days_to_order_by": "Days to order-by", "order_by_date": "Order by",
    "decided_by": "Decided by", "decided_at": "Decided at", "excluded_because": "Left out because",
    "on": "On (as-of day)", "at": "Recorded at (clock)", "decided_on": "Decided on",
    "event": "Event", "override_reason": "Override reason", "po_id": "PO",
    "proposal_id": "Proposal", "abc": "ABC",
})
