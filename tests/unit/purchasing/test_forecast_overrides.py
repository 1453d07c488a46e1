"""Forecast overrides: known answers of the three kinds, validation, use by the policy, FVA."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from invdash import auth, reorder, store
from invdash.forecast.overrides import apply_overrides, value_added
from invdash.forecast.results import ForecastRun
from invdash.forecast.stored import load_latest_run, save_run
from invdash.policy import PolicyParams
from invdash.reorder import forecast_overrides as overrides
from invdash.schema import QUANTILE_COLUMNS, InvalidDataError, validate_forecasts

PLANNER = auth.User(name="pat", role="planner")
DAYS = pd.date_range("2024-05-01", periods=6, freq="D")
PRODUCTS = pd.DataFrame({"sku": ["A", "B", "C"], "category": ["Kitchen", "Kitchen", "Bath"]})


def _forecasts(mean: float = 10.0) -> pd.DataFrame:
    """3 SKUs x 6 days, mean ``mean``, quantiles from 0.2x to 1.8x the mean (p90 = 1.4x)."""
    spread = np.linspace(0.2, 1.8, len(QUANTILE_COLUMNS))
    rows = pd.DataFrame([(s, d) for s in PRODUCTS["sku"] for d in DAYS], columns=["sku", "date"])
    values = pd.DataFrame(mean * np.tile(spread, (len(rows), 1)), columns=list(QUANTILE_COLUMNS))
    frame = pd.concat([rows.assign(model="ma", mean=mean), values], axis=1)
    frame["p90"] = 1.4 * mean
    return frame


def _override(kind: str, value: float, *, scope: str = "sku", key: str = "A", days=(1, 3)) -> dict:
    return {
        "scope": scope, "key": key, "kind": kind, "value": value,
        "start_date": DAYS[days[0]], "end_date": DAYS[days[1]],
    }  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "value", "mean", "p90"),
    [("factor", 1.5, 15.0, 21.0), ("units", -12.0, 0.0, 2.0), ("set", 5.0, 5.0, 7.0)],
)
def test_each_kind_has_its_known_answer_inside_the_range_only(kind, value, mean, p90):
    forecasts = _forecasts()
    copy = forecasts.copy()
    out = apply_overrides(forecasts, pd.DataFrame([_override(kind, value)]), PRODUCTS)
    pd.testing.assert_frame_equal(forecasts, copy)
    inside = (out["sku"] == "A") & out["date"].between(DAYS[1], DAYS[3])
    assert (out.loc[inside, "mean"] == mean).all() and (out.loc[inside, "p90"] == p90).all()
    assert out.loc[~inside, ["mean", "p90"]].equals(forecasts.loc[~inside, ["mean", "p90"]])
    validate_forecasts(out)


def test_set_on_a_zero_forecast_gives_that_many_units_and_overrides_stack_in_order():
    zero = _forecasts(0.0)
    out = apply_overrides(zero, pd.DataFrame([_override("set", 4.0)]), PRODUCTS)
    assert (out.loc[out["mean"] > 0, list(QUANTILE_COLUMNS)] == 4.0).all().all()
    stacked = pd.DataFrame([_override("factor", 2.0), _override("units", 3.0, days=(3, 4))])
    out = apply_overrides(_forecasts(), stacked, PRODUCTS).set_index(["sku", "date"])["mean"]
    assert out[("A", DAYS[1])] == 20 and out[("A", DAYS[3])] == 23 and out[("A", DAYS[4])] == 13


def test_a_category_override_covers_its_skus_case_insensitively():
    out = apply_overrides(
        _forecasts(), pd.DataFrame([_override("factor", 0.5, scope="category", key="kitchen")]),
        PRODUCTS,
    )  # fmt: skip
    changed = out.loc[out["mean"] != 10, "sku"].unique()
    assert sorted(changed) == ["A", "B"]


def test_value_added_worked_example():
    keys = pd.DataFrame({"sku": ["A", "A"], "date": DAYS[:2]})
    result = value_added(
        keys.assign(mean=[6.0, 6.0]), keys.assign(mean=[9.0, 12.0]), keys.assign(qty=[10.0, 10.0])
    )
    assert result == pytest.approx(
        {
            "periods": 2,
            "system_mae": 4,
            "override_mae": 1.5,
            "system_bias": -4,
            "override_bias": 0.5,
            "fva_mae": 2.5,
        }  # fmt: skip
    )


@pytest.fixture
def small_shop(tmp_path):
    """SKUs A, B (Kitchen), C (Bath); 10 units sold of each every day of ``DAYS``; a stored
    forecast run of 6 units a day over those days (the system forecast judged by FVA)."""
    path = tmp_path / "small.duckdb"
    conn = store.connect(path)
    rows = [(s, d, 10.0) for s in "ABC" for d in DAYS]
    sales = pd.DataFrame(rows, columns=["sku", "date", "qty"])
    with store.transaction(conn):
        store.upsert_frame(conn, "products", PRODUCTS.assign(unit_cost=1.0))
        store.upsert_frame(conn, "sales", sales)
    run = ForecastRun(
        forecasts=_forecasts(6.0), choices=pd.DataFrame(columns=["sku", "model"]),
        backtest=pd.DataFrame(columns=["model", "demand_class"]), device="cpu", duration_s=0.0,
        horizon=len(DAYS), model_param="ma",
    )  # fmt: skip
    save_run(conn, run, data_version=store.data_version(conn))
    conn.close()
    return path


def test_fva_report_says_which_override_beat_the_system_forecast(small_shop):
    conn = store.connect(small_shop)
    try:
        good = overrides.add_forecast_override(
            conn, PLANNER, sku="A", start="2024-05-02", end="2024-05-04", kind="set", value=9,
            reason="promo",
        )  # fmt: skip
        bad = overrides.add_forecast_override(
            conn, PLANNER, category="kitchen", start="2024-05-01", end="2024-05-06",
            kind="factor", value=3, reason="hunch",
        )  # fmt: skip
        future = overrides.add_forecast_override(
            conn, PLANNER, sku="C", start="2024-06-01", end="2024-06-02", kind="units", value=2,
            reason="event",
        )  # fmt: skip
        overrides.end_forecast_override(conn, bad, PLANNER)
        report = overrides.fva_report(conn).set_index("override_id")
        active = overrides.load_forecast_overrides(conn)
    finally:
        conn.close()
    assert report.loc[good, ["periods", "system_mae", "override_mae"]].tolist() == [3, 4, 1]
    assert report.at[good, "helped"] is True and report.at[good, "fva_mae"] == 3
    assert report.loc[bad, ["periods", "override_mae", "override_bias"]].tolist() == [12, 8, 8]
    assert report.at[bad, "helped"] is False, "an ended override is still judged"
    assert report.at[future, "periods"] == 0 and report.at[future, "helped"] is None
    assert report.at[good, "user"] == "pat" and report.at[good, "reason"] == "promo"
    assert set(active["override_id"]) == {good, future}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sku": "A", "category": "Bath"}, "exactly one of a SKU"),
        ({}, "exactly one of a SKU"),
        ({"sku": "Z"}, "SKU 'Z' is not in the products table"),
        ({"category": "Garden"}, "category 'Garden' is not in the products table; known: Bath"),
        ({"sku": "A", "end": "2024-04-01"}, "ends .* before it starts"),
        ({"sku": "A", "start": "someday"}, "dates must be YYYY-MM-DD"),
        ({"sku": "A", "kind": "factor", "value": -1}, "--factor must be from 0 to 100"),
        ({"sku": "A", "kind": "set", "value": -1}, "--set must be units per period >= 0"),
        ({"sku": "A", "kind": "units", "value": float("nan")}, "finite number"),
        ({"sku": "A", "kind": "double"}, "kind must be one of factor, units, set"),
        ({"sku": "A", "reason": "  "}, "needs a reason"),
    ],
)
def test_a_bad_override_is_refused_and_nothing_is_stored(small_shop, kwargs, message):
    args = {"start": "2024-05-01", "end": "2024-05-02", "kind": "factor", "value": 1.2,
            "reason": "promo", **kwargs}  # fmt: skip
    conn = store.connect(small_shop)
    try:
        with pytest.raises(InvalidDataError, match=message):
            overrides.add_forecast_override(conn, PLANNER, **args)
        assert overrides.load_forecast_overrides(conn, active_only=False).empty
    finally:
        conn.close()


def test_the_policy_plans_on_the_overridden_forecast(cycle):
    sku = cycle.approved[0]
    conn = store.connect(cycle.path)
    try:
        forecast = load_latest_run(conn)

        def policy() -> reorder.PolicyRun:
            return reorder.ensure_policy_run(
                conn, forecast.forecasts, forecast_run_id=forecast.run_id, params=PolicyParams()
            )

        before = policy()
        days = forecast.forecasts["date"]
        overrides.add_forecast_override(
            conn, PLANNER, sku=sku, start=days.min(), end=days.max(), kind="factor", value=2,
            reason="big customer order",
        )  # fmt: skip
        after = policy()
    finally:
        conn.close()
    assert after.run_id != before.run_id, "an override makes the next policy run recompute"
    old, new = before.table.set_index("sku").loc[sku], after.table.set_index("sku").loc[sku]
    doubled = 2 * old["protection_demand_mean"]
    assert new["protection_demand_mean"] == pytest.approx(doubled, rel=1e-6)
    assert new["suggested_qty"] > old["suggested_qty"]
    others = before.table["sku"] != sku
    assert np.allclose(
        after.table.loc[others.to_numpy(), "protection_demand_mean"],
        before.table.loc[others, "protection_demand_mean"],
    )
