"""Policy replay on a weekly sales file: the invdash policy plans in days from weekly forecasts
(``policy.inputs.spread_to_days``), so its stock is the size of a daily plan, not 7x."""

from __future__ import annotations

import numpy as np
import pandas as pd

from invdash.forecast.grain import Grain, to_grain
from invdash.replay import ReplayParams, compare_policies


def test_a_weekly_file_replays_with_stock_the_size_of_its_demand():
    rng = np.random.default_rng(0)
    days = pd.date_range("2023-01-02", periods=308)
    rows = [(f"S{i}", d, float(rng.poisson(4 + 2 * i))) for i in range(4) for d in days]
    weekly = to_grain(pd.DataFrame(rows, columns=["sku", "date", "qty"]), Grain("W-MON"))
    params = ReplayParams(start=pd.Timestamp("2023-09-04"), days=56, lead_time_days=7)
    summary = compare_policies(weekly, params=params, service_level=0.95).summary
    invdash = summary.set_index("policy").loc["invdash"]
    weekly_demand_per_sku = invdash["demand"] / invdash["skus"] / (params.days / 7)
    assert invdash["fill_rate"] >= 0.9
    # lead time 7 + review 7 days: about two weeks of demand at most on hand on average
    assert invdash["mean_on_hand"] < 2.0 * weekly_demand_per_sku
