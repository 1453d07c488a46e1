"""Alerts: what needs a planner's attention, ranked by the money at risk, each with a reason.

``rules`` computes the alerts from the policy table, sales and products and applies the stored
acknowledgements and snoozes; ``current`` does it for a stored policy run (the SQL is in
``invdash.store.reorder``); ``select`` runs them on the shop's one "as of" day and filters them
as the Alerts page asks. ``stored`` computes a run's alerts once, when the run is stored, and
``window`` filters, sorts and pages them in DuckDB (the Alerts page at 100,000 SKUs).
"""

from __future__ import annotations

from invdash.alerts.current import current_alerts, found_alerts, set_alert_status
from invdash.alerts.rules import (
    ALERT_COLUMNS,
    ALERT_TYPES,
    apply_alert_state,
    compute_alerts,
    rank_alerts,
)
from invdash.alerts.select import ALERT_STATUSES, alerts_for_run, filter_alerts, snooze_until
from invdash.alerts.stored import (
    alert_inputs,
    ensure_run_alerts,
    has_current_alerts,
    store_run_alerts,
)
from invdash.alerts.window import (
    AlertOptions,
    AlertQuery,
    AlertRun,
    AlertWindow,
    alert_options,
    alert_run,
    alert_window,
)

__all__ = [
    "ALERT_TYPES", "ALERT_COLUMNS", "compute_alerts", "apply_alert_state", "rank_alerts",
    "current_alerts", "found_alerts", "set_alert_status",
    "alert_inputs", "has_current_alerts", "store_run_alerts", "ensure_run_alerts",
    "AlertRun", "AlertQuery", "AlertOptions", "AlertWindow", "alert_run", "alert_options",
    "alert_window",
    "ALERT_STATUSES", "alerts_for_run", "filter_alerts", "snooze_until",
]
