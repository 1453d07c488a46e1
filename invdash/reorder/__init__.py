"""Reorder: the stock policy for the shop's data, the lines to order, decisions and PO files.

The workflow layer between the policy maths (``invdash.policy``), the forecast runs
(``invdash.forecast.stored``) and the store (``invdash.store.reorder``):

- ``runs``: policy runs computed once per (data, open orders, forecast run, parameters) and
  stored, and ``prepare_reorder_run``, the one call behind ``invdash reorder``.
- ``chunked``: the policy of a stored forecast run over SKU chunks read from DuckDB (bounded
  memory), and the calibration from the run's stored backtest folds (no engine call).
- ``lines``: the SKUs that need an order, "why this quantity", the ``invdash reorder`` report.
- ``decisions``: approve / edit / reject, validated and attributed (managers only).
- ``export``: purchase-order files per supplier, safe to open in a spreadsheet.
- ``carry`` + ``review``: decisions that carry over across runs (open proposals per SKU), the
  fast review path (``reviewed_run``, ``decide``, ``reopen``, ``close_proposals``, history).
- ``rules``: MOQ / packs / maximum order / supplier minimum on edits, with nearest valid qty.
- ``selection``: filter, sort and bulk actions with a confirmation summary and budgets.
- ``budgets``: the stored budgets (in total, per supplier) the bulk confirmation warns with.
- ``numbers``: whole units, money to cents, "no demand" for days of cover.
"""

from __future__ import annotations

from invdash.reorder.budgets import save_budget, stored_budget
from invdash.reorder.carry import MATERIAL_ORDER_BY_DAYS, MATERIAL_QTY_SHARE, STATUSES, carry_over
from invdash.reorder.chunked import CHUNK_SKUS, policy_in_chunks, stored_calibration
from invdash.reorder.decisions import (
    ACTION_PERMISSIONS,
    ACTIONS,
    decide_as,
    make_decisions,
    review_lines,
)
from invdash.reorder.export import (
    neutralise_cell,
    purchase_order_files,
    purchase_orders,
    to_spreadsheet_csv,
)
from invdash.reorder.lines import (
    REPORT_COLUMNS,
    describe_lines,
    reorder_report,
    suggestion_lines,
    why_this_quantity,
)
from invdash.reorder.numbers import days_of_cover, format_cover, tidy_numbers
from invdash.reorder.projection import sku_projection
from invdash.reorder.review import (
    NEW_SKU_HISTORY_DAYS,
    Decided,
    close_proposals,
    decide,
    decision_history,
    record_decisions_as,
    reopen,
    reviewed_lines,
    reviewed_run,
)
from invdash.reorder.rules import (
    OrderRules,
    RuleBrokenError,
    broken_rules,
    check_quantity,
    nearest_valid,
    supplier_totals,
)
from invdash.reorder.runs import (
    CALIBRATION_ORIGINS,
    PolicyRun,
    calibrate_params,
    check_override,
    current_policy,
    current_policy_run,
    ensure_current_policy_run,
    ensure_policy_run,
    ensure_stored_policy_run,
    inputs_version,
    latest_forecast_run_id,
    params_key,
    prepare_reorder_run,
    rerun_calibration,
    set_service_level_target,
    stored_policy_run,
    stored_run_for_targets,
)
from invdash.reorder.selection import (
    SORT_KEYS,
    Budget,
    BulkSummary,
    LineFilter,
    apply_bulk,
    budget_warnings,
    bulk_summary,
    days_to_order_by,
    filter_lines,
    sort_lines,
)

__all__ = [
    "ACTIONS", "ACTION_PERMISSIONS", "REPORT_COLUMNS", "CALIBRATION_ORIGINS", "PolicyRun",
    "params_key", "inputs_version", "check_override", "calibrate_params", "current_policy",
    "stored_policy_run", "ensure_policy_run", "prepare_reorder_run", "current_policy_run",
    "ensure_current_policy_run", "set_service_level_target", "suggestion_lines",
    "why_this_quantity", "reorder_report", "make_decisions", "decide_as", "record_decisions_as",
    "review_lines", "reviewed_lines", "purchase_orders", "purchase_order_files",
    "neutralise_cell", "to_spreadsheet_csv", "sku_projection", "stored_run_for_targets",
    "latest_forecast_run_id",
    "STATUSES", "MATERIAL_QTY_SHARE", "MATERIAL_ORDER_BY_DAYS", "carry_over", "describe_lines",
    "NEW_SKU_HISTORY_DAYS", "Decided", "reviewed_run", "decide", "reopen", "close_proposals",
    "decision_history", "OrderRules", "RuleBrokenError", "broken_rules", "nearest_valid",
    "check_quantity", "supplier_totals", "days_of_cover", "format_cover", "tidy_numbers",
    "SORT_KEYS", "LineFilter", "Budget", "BulkSummary", "days_to_order_by", "filter_lines",
    "sort_lines", "bulk_summary", "budget_warnings", "apply_bulk", "stored_budget", "save_budget",
    "CHUNK_SKUS",
    "policy_in_chunks", "stored_calibration", "rerun_calibration", "ensure_stored_policy_run",
]
