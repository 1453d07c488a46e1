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
"""

from __future__ import annotations

from invdash.policy.demand import (
    DEFAULT_LEAD_TIME_DAYS,
    DemandSamples,
    ProtectionDemand,
    daily_demand,
    lead_time_demand,
    protection_demand,
    sample_protection_demand,
)
from invdash.policy.formulas import (
    EOQResult,
    NewsvendorResult,
    base_stock_level,
    economic_order_quantity,
    newsvendor_expected_cost,
    newsvendor_normal,
    normal_loss,
    reorder_point_fill_rate,
    textbook_policy,
)
from invdash.policy.params import SERVICE_MEASURES, PolicyParams
from invdash.policy.projection import project_stock
from invdash.policy.table import (
    POLICY_COLUMNS,
    classify_abc,
    classify_xyz,
    compute_policy,
    round_order_quantity,
    solve_order_up_to,
)

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
