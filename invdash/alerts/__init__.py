"""Alerts: what needs a planner's attention, ranked by the money at risk, each with a reason.

``rules`` computes the alerts from the policy table, sales and products and applies the stored
acknowledgements and snoozes; ``current`` does it for a stored policy run (the SQL is in
``invdash.store.reorder``).
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

__all__ = [
    "ALERT_TYPES", "ALERT_COLUMNS", "compute_alerts", "apply_alert_state", "rank_alerts",
    "current_alerts", "set_alert_status",
]
