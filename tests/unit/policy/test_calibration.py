"""Reorder suggestions use the replay-validated calibration of demand uncertainty over L + R."""

from __future__ import annotations

from dataclasses import replace

from invdash import reorder, store
from invdash.policy import PolicyParams


def test_calibration_estimates_level_uncertainty_from_past_forecasts(demo_db):
    conn = store.connect_read_only(demo_db)
    try:
        params = PolicyParams(service_level=0.9, review_period_days=7)
        calibrated = reorder.calibrate_params(conn, params, model="ma")
        unchanged = reorder.calibrate_params(conn, params, origins=0)
    finally:
        conn.close()
    # Real forecasts miss, and the policy must know by how much.
    assert calibrated.level_uncertainty_cv > 0
    assert replace(calibrated, level_uncertainty_cv=0.0) == params
    assert unchanged == params


def test_more_level_uncertainty_means_more_safety_stock(demo_db):
    conn = store.connect_read_only(demo_db)
    try:
        from invdash.forecast.engine import run_forecast
        from invdash.forecast.options import ForecastOptions

        sales = store.load_sales(conn)
        forecasts = run_forecast(sales, ForecastOptions(model="ma", folds=0, horizon=60)).forecasts
        plain = reorder.current_policy(conn, forecasts, params=PolicyParams())
        wider = reorder.current_policy(
            conn, forecasts, params=PolicyParams(level_uncertainty_cv=0.3)
        )
    finally:
        conn.close()
    assert (wider["safety_stock"] >= plain["safety_stock"] - 1e-9).all()
    assert wider["safety_stock"].sum() > plain["safety_stock"].sum()
