"""Exported numbers: whole units, money in cents, never "-0", and "no demand" for cover."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from invdash.reorder import days_of_cover, format_cover, tidy_numbers


def test_days_of_cover_is_no_demand_for_a_vanishing_forecast_not_a_huge_number():
    cover = days_of_cover([100.0, 100.0, 100.0, 0.0], [2.0, 2.6e-26, 0.0, 0.0])
    assert cover[0] == 50.0
    assert np.isnan(cover[1:]).all()
    assert format_cover(cover[1]) == "no demand"
    assert format_cover(5000.0) == "more than 10 years" and format_cover(42.4) == "42 days"


def test_tidy_numbers_rounds_units_and_money_and_drops_the_minus_sign_of_zero():
    frame = pd.DataFrame(
        {
            "sku": ["A", "B"],
            "suggested_qty": [72.00000000001, -0.0001],
            "on_hand": [-0.3, 5.6],
            "line_value": [1874.6399999999999, 0.1 + 0.2],
            "stockout_probability": [0.123456, -1e-12],
            "days_of_cover": [np.inf, 12.345],
        }
    )
    original = frame.copy()
    text = tidy_numbers(frame).to_csv(index=False)
    pd.testing.assert_frame_equal(frame, original)
    assert "-0" not in text and "1874.6399" not in text and "0.30000000000000004" not in text
    back = pd.read_csv(io.StringIO(text))
    assert back["suggested_qty"].tolist() == [72.0, 0.0]
    assert back["line_value"].tolist() == [1874.64, 0.3]
    assert np.isnan(back.at[0, "days_of_cover"]) and back.at[1, "days_of_cover"] == 12.3


def test_the_policy_table_and_the_report_say_no_demand_for_a_sku_nobody_buys():
    from invdash.policy import PolicyParams, compute_policy
    from invdash.reorder import reorder_report
    from invdash.schema import QUANTILE_COLUMNS

    as_of = pd.Timestamp("2025-10-31")
    days = pd.date_range(as_of + pd.Timedelta(days=1), periods=28)
    means = {"SOLD": 2.0, "DEAD": 2.6e-26}
    forecasts = pd.DataFrame(
        [
            {"sku": s, "date": d, "model": "hand", "mean": m, **dict.fromkeys(QUANTILE_COLUMNS, m)}
            for s, m in means.items()
            for d in days
        ]
    )
    products = pd.DataFrame(
        {"sku": list(means), "name": ["a", "b"], "supplier": "Acme", "lead_time_days": 7.0,
         "lead_time_sd_days": 0.0, "moq": 0.0, "pack_size": 1.0, "unit_cost": 2.0,
         "unit_price": 3.0}
    )  # fmt: skip
    stock = pd.DataFrame({"sku": list(means), "on_hand": [100.0, 100.0]})
    table = compute_policy(forecasts, products, stock, None, params=PolicyParams(), as_of=as_of)
    cover = table.set_index("sku")["days_of_cover"]
    assert cover["SOLD"] == pytest.approx(50) and np.isnan(cover["DEAD"])
    report = reorder_report(table, products).set_index("sku")
    assert np.isnan(report.at["DEAD", "days_of_cover"])
