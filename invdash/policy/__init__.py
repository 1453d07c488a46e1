"""Stock policy: from a forecast distribution to safety stock, order quantities and projections.

Design:
- ``demand``: each forecast day becomes a gamma distribution (mean and quantile spread), summed
  by Monte Carlo over a random lead time plus the review period: the demand an order placed
  today must cover. Slow and intermittent movers keep a non-negative, skewed distribution.
- ``table``: ``compute_policy`` turns those samples into a periodic-review (R, S) policy per SKU
  (service level by SKU override, ABC class or default; fill-rate or cycle service), rounds the
  order to MOQ and packs and explains it in a ``reason``.
- ``projection``: ``project_stock`` simulates on-hand stock day by day (p10/p50/p90) with open
  purchase orders arriving, for the chart and the alerts.
- ``formulas``: textbook closed forms (newsvendor, base stock, (r, Q), EOQ) with known answers,
  and ``textbook_policy``, the normal z sigma sqrt(L + R) baseline the replay compares against.
- ``planning``: the SKUs planned on a day and their whole-day lead times.
- ``calibration``: the level uncertainty over L + R from past forecast errors (imports the
  forecast engine, so it is not re-exported here: ``from invdash.policy.calibration import ...``).

Names are imported from their module on first use (PEP 562), so ``from invdash.policy.params
import PolicyParams`` does not import scipy (about two seconds on a server's first page view).
"""

from __future__ import annotations

from invdash.lazy import lazy_exports

#: Exported name -> the module of this package that defines it.
_EXPORTS = {
    "DEFAULT_LEAD_TIME_DAYS": "demand", "DemandSamples": "demand", "ProtectionDemand": "demand",
    "daily_demand": "demand", "lead_time_demand": "demand", "protection_demand": "demand",
    "sample_protection_demand": "demand",
    "EOQResult": "formulas", "NewsvendorResult": "formulas", "base_stock_level": "formulas",
    "economic_order_quantity": "formulas", "newsvendor_expected_cost": "formulas",
    "newsvendor_normal": "formulas", "normal_loss": "formulas",
    "reorder_point_fill_rate": "formulas", "textbook_policy": "formulas",
    "SERVICE_MEASURES": "params", "PolicyParams": "params",
    "project_stock": "projection",
    "POLICY_COLUMNS": "table", "classify_abc": "table", "classify_xyz": "table",
    "compute_policy": "table", "round_order_quantity": "table", "solve_order_up_to": "table",
}  # fmt: skip

__all__ = [
    "PolicyParams",
    "SERVICE_MEASURES",
    "lead_time_demand",
    "sample_protection_demand",
    "daily_demand",
    "DemandSamples",
    "ProtectionDemand",
    "protection_demand",
    "DEFAULT_LEAD_TIME_DAYS",
    "compute_policy",
    "POLICY_COLUMNS",
    "classify_abc",
    "classify_xyz",
    "round_order_quantity",
    "solve_order_up_to",
    "project_stock",
    "textbook_policy",
    "newsvendor_normal",
    "newsvendor_expected_cost",
    "normal_loss",
    "base_stock_level",
    "reorder_point_fill_rate",
    "economic_order_quantity",
    "NewsvendorResult",
    "EOQResult",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
