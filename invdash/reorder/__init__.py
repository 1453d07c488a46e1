"""Reorder: the stock policy for the shop's data, the lines to order, decisions and PO files.

The workflow layer between the policy maths (``invdash.policy``), the forecast runs
(``invdash.forecast.stored``) and the store (``invdash.store.reorder``):

- ``runs``: policy runs computed once per (data, open orders, forecast run, parameters) and
  stored, and ``prepare_reorder_run``, the one call behind ``invdash reorder``.
- ``lines``: the SKUs that need an order, "why this quantity", the ``invdash reorder`` report.
- ``decisions``: approve / edit / reject, validated and attributed (managers only).
- ``export``: purchase-order files per supplier, safe to open in a spreadsheet.
"""

from __future__ import annotations

from invdash.reorder.decisions import (
    ACTION_PERMISSIONS,
    ACTIONS,
    decide_as,
    make_decisions,
    record_decisions_as,
    review_lines,
    reviewed_lines,
)
from invdash.reorder.export import (
    neutralise_cell,
    purchase_order_files,
    purchase_orders,
    to_spreadsheet_csv,
)
from invdash.reorder.lines import (
    REPORT_COLUMNS,
    reorder_report,
    suggestion_lines,
    why_this_quantity,
)
from invdash.reorder.projection import sku_projection
from invdash.reorder.runs import (
    CALIBRATION_ORIGINS,
    PolicyRun,
    calibrate_params,
    check_override,
    current_policy,
    current_policy_run,
    ensure_current_policy_run,
    ensure_policy_run,
    inputs_version,
    params_key,
    prepare_reorder_run,
    set_service_level_target,
    stored_policy_run,
    stored_run_for_targets,
)

__all__ = [
    "ACTIONS", "ACTION_PERMISSIONS", "REPORT_COLUMNS", "CALIBRATION_ORIGINS", "PolicyRun",
    "params_key", "inputs_version", "check_override", "calibrate_params", "current_policy",
    "stored_policy_run", "ensure_policy_run", "prepare_reorder_run", "current_policy_run",
    "ensure_current_policy_run", "set_service_level_target", "suggestion_lines",
    "why_this_quantity", "reorder_report", "make_decisions", "decide_as", "record_decisions_as",
    "review_lines", "reviewed_lines", "purchase_orders", "purchase_order_files",
    "neutralise_cell", "to_spreadsheet_csv", "sku_projection", "stored_run_for_targets",
]
