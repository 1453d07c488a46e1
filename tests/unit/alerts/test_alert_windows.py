"""``current_alerts`` reads 7 days of sales and of the forecast, not all of them: the alerts are
the same as ``compute_alerts`` on the whole sales history and the whole forecast run."""

from __future__ import annotations

import pandas as pd

from invdash import store
from invdash.alerts.current import RECENT_DAYS, current_alerts
from invdash.alerts.rules import apply_alert_state, compute_alerts
from invdash.forecast.engine import run_forecast
from invdash.forecast.options import ForecastOptions
from invdash.forecast.stored import save_run
from invdash.policy import PolicyParams
from invdash.reorder.runs import ensure_policy_run
from invdash.store import app_settings
from invdash.store import reorder as reorder_store


def test_alerts_from_the_recent_window_equal_alerts_from_all_data(demo_db_copy):
    conn = store.connect(demo_db_copy)
    try:
        sales, products = store.load_sales(conn), store.load_products(conn)
        run = run_forecast(sales, ForecastOptions(model="ma", folds=0), products=products)
        run_id = save_run(conn, run, data_version=store.data_version(conn))
        policy = ensure_policy_run(
            conn, run.forecasts, forecast_run_id=run_id, params=PolicyParams()
        )
        windowed = current_alerts(conn, policy.run_id)
        today = app_settings.as_of(conn)
        whole = apply_alert_state(
            compute_alerts(
                reorder_store.load_suggestions(conn, policy.run_id), sales=sales,
                forecasts=run.forecasts, products=products, on_hand=store.latest_on_hand(conn),
                today=today, recent_days=RECENT_DAYS,
            ),
            reorder_store.load_alert_state(conn), today=today,
        )  # fmt: skip
    finally:
        conn.close()
    assert (windowed["type"] == "demand_shift").any()  # the window check has work to do
    pd.testing.assert_frame_equal(
        windowed.reset_index(drop=True), whole.reset_index(drop=True), check_dtype=False
    )
