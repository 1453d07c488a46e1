"""Policy replay: what would have happened to stock if a policy had run over recorded history.

Design:
- The replay walks the days ``START .. START + days - 1`` for every SKU at once (numpy arrays, one
  row per SKU). A *policy function* ``policy_fn(history, as_of) -> frame sku, reorder_point,
  order_up_to`` is called on each review day (``START``, ``START + R``, ...) with the sales recorded
  strictly before ``as_of`` only, so the replay cannot look ahead. Two implementations are built
  in ``policies.py``: :func:`make_invdash_policy` (forecast with the engine, then
  ``policy.compute_policy``) and
  :func:`make_textbook_policy` (``policy.textbook_policy``: normal, z x sigma x sqrt(L + R) from
  a 28-day moving average). Any callable with that signature can be replayed (tests use
  hand-made ones).
- The invdash policy also estimates, on each review day and from history only, how far the
  demand *level* over L + R strays from the forecast
  (``policy.calibration.estimate_level_uncertainty_cv``, a
  moment estimate over the previous weekly forecast origins) and passes it to the policy as
  ``PolicyParams.level_uncertainty_cv``. Without it the daily forecast quantiles are summed as
  independent days, which on real data (lumpy orders, a seasonal ramp) makes the distribution of
  demand over L + R far too narrow: on online_retail a 95 % target reached an 84 % fill rate.
- One day, in order: (1) on a review day the policy is set; the inventory position is
  ``on_hand_start`` plus everything ordered and not yet received (today's arrivals included); if it
  is at or below the reorder point, the order ``order_up_to - position`` is placed, rounded up to
  whole packs and at least the MOQ; it arrives ``lead_time_days`` later. (2) Arrivals due today are
  received. (3) Demand is the recorded sales of the day; ``sold = min(demand, on_hand_start +
  received)``, the rest is lost (lost sales, no backorders). (4) ``on_hand_end = on_hand_start +
  received - sold`` is the next day's ``on_hand_start``.
- Starting stock on ``START`` is the policy's order-up-to level computed on ``START``.
- SKUs first sold on or after ``START`` are left out (no history to plan from). A SKU the policy
  returns no row for gets reorder point and order-up-to 0 (it is never stocked).
- Metrics per policy: fill rate = sold / demand over all SKU-days; stockout days = SKU-days on
  which some demand was lost; mean on-hand = mean ``on_hand_end`` over SKU-days (units).
- :func:`fill_rate_curve` replays several service targets; the invdash forecasts do not depend on
  the target, so they are computed once per review day and shared (``ForecastCache``); a
  ``replay_forecast_cache`` passed to several calls shares them across calls too (the page keeps
  one per data version and window, so the curve after a replay, or a second target, re-runs
  only the policy and ledger steps).

- The invdash forecasts (29 engine runs for 84 days with weekly reviews and 45-day lead
  times) are most of a first replay's time. ``replay_forecast_cache`` gives a
  ``forecasts.ReplayForecasts``: each SKU's model is chosen by a backtest every
  ``InvdashPolicyOptions.choose_every_days`` (28) days and refitted at the origins between,
  with no sale on or after an origin used; ``compare_policies`` and ``fill_rate_curve`` make
  every origin's forecast first, earliest first, reporting progress per forecast.
  ``choose_every_days=None`` runs the whole engine at every origin (``ForecastCache``).

Modules: ``params`` (what to replay, results), ``ledger`` (the day-by-day replay),
``forecasts`` (the invdash forecasts at the replay's origins), ``policies`` (the invdash and
textbook policies, ``compare_policies``, ``fill_rate_curve``).
"""

from __future__ import annotations

from invdash.policy.calibration import ForecastCache, estimate_level_uncertainty_cv
from invdash.replay.ledger import daily_panel, replay, simulate_policy, summarize_replay
from invdash.replay.params import (
    REPLAY_COLUMNS,
    SUMMARY_COLUMNS,
    InvdashPolicyOptions,
    PolicyFn,
    ReplayParams,
    ReplayResult,
)
from invdash.replay.policies import (
    compare_policies,
    fill_rate_curve,
    make_invdash_policy,
    make_textbook_policy,
    replay_forecast_cache,
    replay_products,
    stock_at_fill,
    store_policy_options,
)

__all__ = [
    "REPLAY_COLUMNS",
    "stock_at_fill",
    "SUMMARY_COLUMNS",
    "PolicyFn",
    "ReplayParams",
    "ReplayResult",
    "InvdashPolicyOptions",
    "simulate_policy",
    "summarize_replay",
    "replay",
    "ForecastCache",
    "make_invdash_policy",
    "make_textbook_policy",
    "estimate_level_uncertainty_cv",
    "compare_policies",
    "fill_rate_curve",
    "daily_panel",
    "replay_products",
    "replay_forecast_cache",
    "store_policy_options",
]
