"""Reorder: the stock policy for the shop's data, the lines to order, decisions and PO files.

The workflow layer between the policy maths (``invdash.policy``), the forecast runs
(``invdash.forecast.stored``) and the store (``invdash.store.reorder``):

- ``stored``: stored runs found by their key without the policy maths (what a page opening on a
  stored run needs: ``run_for_targets``, ``latest_forecast_run_id``).
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
- ``selection``: filter, sort and bulk actions with a confirmation summary and budgets;
  ``worklist``: the same on a stored run in DuckDB (counts, one sorted page, the summary).
- ``budgets``: the stored budgets (in total, per supplier) the bulk confirmation warns with.
- ``numbers``: whole units, money to cents, "no demand" for days of cover.

Names are imported from their module on first use (PEP 562): ``from invdash import reorder``
costs nothing, and a page that reads a stored run never imports the policy maths, the forecast
engine or scipy (seconds on a server's first view).
"""

from __future__ import annotations

from invdash.lazy import lazy_exports

#: Exported name -> the module of this package that defines it.
_EXPORTS = {
    "save_budget": "budgets", "stored_budget": "budgets",
    "MATERIAL_ORDER_BY_DAYS": "carry", "MATERIAL_QTY_SHARE": "carry", "STATUSES": "carry",
    "carry_over": "carry",
    "CHUNK_SKUS": "chunked", "policy_in_chunks": "chunked", "stored_calibration": "chunked",
    "ACTIONS": "decisions", "ACTION_PERMISSIONS": "decisions", "decide_as": "decisions",
    "make_decisions": "decisions", "review_lines": "decisions",
    "neutralise_cell": "export", "purchase_order_files": "export", "purchase_orders": "export",
    "to_spreadsheet_csv": "export",
    "REPORT_COLUMNS": "lines", "describe_lines": "lines", "reorder_report": "lines",
    "suggestion_lines": "lines", "why_this_quantity": "lines",
    "days_of_cover": "numbers", "format_cover": "numbers", "tidy_numbers": "numbers",
    "sku_projection": "projection", "sku_policy_line": "projection",
    "NEW_SKU_HISTORY_DAYS": "review", "Decided": "review", "close_proposals": "review",
    "decide": "review", "decision_history": "review", "record_decisions_as": "review",
    "reopen": "review", "reviewed_lines": "review", "reviewed_run": "review",
    "OrderRules": "rules", "RuleBrokenError": "rules", "broken_rules": "rules",
    "check_quantity": "rules", "nearest_valid": "rules", "supplier_totals": "rules",
    "CALIBRATION_ORIGINS": "runs", "calibrate_params": "runs", "check_override": "runs",
    "current_policy": "runs", "current_policy_run": "runs", "ensure_current_policy_run": "runs",
    "ensure_policy_run": "runs", "ensure_stored_policy_run": "runs",
    "prepare_reorder_run": "runs", "rerun_calibration": "runs",
    "set_service_level_target": "runs", "stored_policy_run": "runs",
    "EXCLUDED_BECAUSE": "selection", "SORT_KEYS": "selection", "Budget": "selection",
    "BulkSummary": "selection", "LineFilter": "selection", "apply_bulk": "selection",
    "budget_warnings": "selection", "bulk_summary": "selection", "check_bulk_action": "selection",
    "days_to_order_by": "selection", "filter_lines": "selection", "sort_lines": "selection",
    "supplier_budget_warnings": "selection",
    "PolicyRun": "stored", "StoredRun": "stored", "inputs_version": "stored",
    "latest_forecast_run_id": "stored", "params_key": "stored", "run_for_targets": "stored",
    "stored_run_for_targets": "stored",
    "LineOverview": "worklist", "LineQuery": "worklist", "count_lines": "worklist",
    "line_overview": "worklist", "line_page": "worklist", "review_day": "worklist",
    "selection_summary": "worklist", "RunView": "worklist", "LineWindow": "worklist",
    "run_view": "worklist", "line_window": "worklist",
}  # fmt: skip

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
