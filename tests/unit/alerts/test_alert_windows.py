"""``current_alerts`` reads 7 days of sales and of the forecast, not all of them: the alerts are
the same as ``compute_alerts`` on the whole sales history and the whole forecast run."""

from __future__ import annotations

import pandas as pd
from alert_runs import store_ma_runs

from invdash import store
from invdash.alerts.current import RECENT_DAYS, current_alerts
from invdash.alerts.rules import apply_alert_state, compute_alerts
from invdash.policy.window import shift_window
from invdash.store import app_settings, shift_windows
from invdash.store import reorder as reorder_store


def test_alerts_from_the_recent_window_equal_alerts_from_all_data(demo_db_copy):
    conn = store.connect(demo_db_copy)
    try:
        sales, products = store.load_sales(conn), store.load_products(conn)
        runs = store_ma_runs(conn)
        run, policy = runs.forecast, runs.policy
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


def test_the_policy_run_stores_the_shift_window_and_alerts_equal_it_live(demo_db_copy):
    conn = store.connect(demo_db_copy)
    try:
        runs = store_ma_runs(conn)
        run, run_id, policy = runs.forecast, runs.forecast_id, runs.policy
        stored = shift_windows.load_shift_window(conn, run_id, RECENT_DAYS)
        from_stored = current_alerts(conn, policy.run_id)
        with store.transaction(conn):
            conn.execute("DELETE FROM shift_window_runs")
            conn.execute("DELETE FROM page_summaries")  # the stored recent sales and counts
        assert shift_windows.load_shift_window(conn, run_id, RECENT_DAYS) is None
        live = current_alerts(conn, policy.run_id)
    finally:
        conn.close()
    assert stored is not None and len(stored) == run.forecasts["sku"].nunique()
    expected = shift_window(run.forecasts, RECENT_DAYS).sort_values("sku", ignore_index=True)
    pd.testing.assert_frame_equal(stored, expected, check_dtype=False)
    assert (from_stored["type"] == "demand_shift").any()
    pd.testing.assert_frame_equal(from_stored, live)
