"""Alerts: what needs a planner's attention, ranked by the money at risk, each with a reason.

``rules`` computes the alerts from the policy table, sales and products and applies the stored
acknowledgements and snoozes; ``current`` does it for a stored policy run (the SQL is in
``invdash.store.reorder``); ``select`` runs them on the shop's one "as of" day and filters them
as the Alerts page asks.
"""

from __future__ import annotations

from invdash.alerts.current import current_alerts, set_alert_status
from invdash.alerts.rules import (
    ALERT_COLUMNS,
    ALERT_TYPES,
    apply_alert_state,
    compute_alerts,
    rank_alerts,
)
from invdash.alerts.select import ALERT_STATUSES, alerts_for_run, filter_alerts, snooze_until

__all__ = [
    "ALERT_TYPES", "ALERT_COLUMNS", "compute_alerts", "apply_alert_state", "rank_alerts",
    "current_alerts", "set_alert_status",
    "ALERT_STATUSES", "alerts_for_run", "filter_alerts", "snooze_until",
]
