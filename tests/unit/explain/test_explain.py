"""SHAP explanations: they add up to the shown forecast, on every model family, on generated and
real data; they are stable for a seed; drivers are named as the UI shows them."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from invdash import explain, store
from invdash.cli import main
from invdash.demo import make_sales
from invdash.explain import shapley as explain_shapley
from invdash.forecast.engine import run_forecast
from invdash.forecast.options import ForecastOptions
from invdash.schema import InvalidDataError

DATA = Path(__file__).resolve().parents[2] / "data"
FAMILIES = ["naive", "ma", "ets", "holt", "croston", "sba", "tsb"]


def _assert_adds_up(explanation: explain.Explanation) -> None:
    rebuilt = explanation.base_value + explanation.contributions.sum(axis=1).to_numpy()
    tolerance = 1e-3 * np.maximum(1.0, np.abs(explanation.forecast))
    assert np.all(np.abs(rebuilt - explanation.forecast) <= tolerance)
    total = explanation.total()
    assert total["base_value"] + total.drop(["base_value", "forecast"]).sum() == pytest.approx(
        total["forecast"], abs=1e-3 * max(1.0, abs(total["forecast"]))
    )


@pytest.fixture(scope="module")
def generated():
    sales = make_sales(24, 420, seed=3)
    return sales, run_forecast(sales, ForecastOptions(horizon=14, seed=0))


@pytest.fixture(scope="module")
def real_sales():
    """Daily demand of the committed real Online Retail slice, through the real ingest."""
    from invdash.ingest import ingest_file

    conn = store.connect(":memory:")
    ingest_file(conn, str(DATA / "online_retail_slice.csv.gz"), kind="auto")
    sales = store.load_sales(conn)
    conn.close()
    top = sales.groupby("sku")["qty"].sum().nlargest(12).index
    return sales[sales["sku"].isin(top)].reset_index(drop=True)


def test_the_history_decomposes_exactly_into_base_level_and_drivers():
    rng = np.random.default_rng(0)
    values = rng.poisson(4.0, 200).astype(float)
    values[[3, 50, 51]] = np.nan
    promo = (rng.random(200) < 0.1).astype(float)
    weekdays = np.arange(200) % 7
    level, parts = explain.decompose_history(values, promo, weekdays)
    rebuilt = level + sum(parts.values())
    known = ~np.isnan(values)
    np.testing.assert_allclose(rebuilt[known], values[known], atol=1e-9)
    assert set(parts) == set(explain.DRIVERS)


def test_a_flat_history_has_no_drivers():
    level, parts = explain.decompose_history(np.full(60, 5.0), np.zeros(60), np.arange(60) % 7)
    assert level == 5.0
    assert all(np.allclose(v, 0.0) for v in parts.values())


def test_shap_values_equal_the_shapley_formula():
    rng = np.random.default_rng(1)
    table = rng.random((2**4, 3))
    weights = 1 << np.arange(4)

    def game(masks):
        return table[(np.asarray(masks) > 0.5).astype(int) @ weights]

    values, base = explain_shapley._shapley(game, 4)
    for i in range(4):
        others = [j for j in range(4) if j != i]
        expected = np.zeros(3)
        for r in range(4):
            for subset in itertools.combinations(others, r):
                without = np.zeros(4)
                without[list(subset)] = 1
                with_i = without.copy()
                with_i[i] = 1
                weight = math.factorial(r) * math.factorial(3 - r) / math.factorial(4)
                expected += weight * (game(with_i[None])[0] - game(without[None])[0])
        np.testing.assert_allclose(values[i], expected, atol=1e-9)
    np.testing.assert_allclose(base, table[0])


@pytest.mark.parametrize("family", FAMILIES)
def test_every_model_family_is_explained_additively_on_generated_data(family):
    sales = make_sales(8, 300, seed=5)
    run = run_forecast(sales, ForecastOptions(horizon=10, model=family, folds=0))
    for sku in run.choices["sku"][:3]:
        _assert_adds_up(explain.explain_run(sales, run, sku=sku))


def test_fused_forecasts_are_explained_as_a_whole(generated):
    sales, run = generated
    fused = run.choices[run.choices["model"].str.startswith("ens(")]["sku"].tolist()
    singles = run.choices[~run.choices["model"].str.startswith("ens(")]["sku"].tolist()
    for sku in fused[:2] + singles[:2]:
        explanation = explain.explain_run(sales, run, sku=sku)
        assert explanation.model == run.choices.set_index("sku").loc[sku, "model"]
        shown = run.forecasts[run.forecasts["sku"] == sku]["mean"].to_numpy()
        np.testing.assert_allclose(explanation.forecast, shown)
        _assert_adds_up(explanation)


def test_real_demand_is_explained_additively(real_sales):
    run = run_forecast(real_sales, ForecastOptions(horizon=28, seed=0))
    for sku in run.choices["sku"]:
        _assert_adds_up(explain.explain_run(real_sales, run, sku=sku))


def test_explanations_are_stable_for_a_seed(generated):
    sales, run = generated
    sku = run.choices["sku"].iloc[0]
    first = explain.explain_run(sales, run, sku=sku, seed=0)
    again = explain.explain_run(
        sales, run_forecast(sales, ForecastOptions(horizon=14, seed=0)), sku=sku, seed=0
    )
    pd.testing.assert_frame_equal(first.contributions, again.contributions)


def test_drivers_carry_their_planner_names_and_values(generated):
    sales, run = generated
    explanation = explain.explain_run(sales, run, sku=run.choices["sku"].iloc[1])
    assert list(explanation.contributions.columns) == list(explain.DRIVERS)
    assert "recent level" in explain.DRIVERS and "price and promotion" in explain.DRIVERS
    assert "holidays and events" in explain.DRIVERS
    assert set(explanation.feature_values) == set(explain.DRIVERS)
    assert "units/day" in explanation.feature_values["recent level"]
    line = explain.summarise(explanation)
    assert line.startswith("Forecast over the horizon:") and "units" in line


def test_a_promotion_heavy_history_credits_the_promotion():
    days = pd.date_range("2024-01-01", periods=200, freq="D")
    promo = np.zeros(200)
    promo[-30::3] = 1.0  # recent promotions, each tripling demand
    qty = np.where(promo > 0, 30.0, 10.0)
    sales = pd.DataFrame({"sku": "P-1", "date": days, "qty": qty, "price": 5.0, "promo": promo})
    run = run_forecast(sales, ForecastOptions(horizon=7, model="ma", folds=0))
    explanation = explain.explain_run(sales, run, sku="P-1")
    totals = explanation.contributions.sum(axis=0)
    assert totals["price and promotion"] > 0
    assert totals["price and promotion"] == totals.max()


def test_an_unknown_sku_is_refused_with_the_fix(generated):
    sales, run = generated
    with pytest.raises(InvalidDataError, match="no forecast in this run"):
        explain.explain_run(sales, run, sku="NOPE")


def test_global_importance_ranks_drivers_overall_and_by_category(generated):
    sales, run = generated
    products = pd.DataFrame({"sku": run.choices["sku"], "category": ["A", "B"] * 12})
    # The run is made with the categories it is explained with (they pool its price effects).
    run = run_forecast(sales, ForecastOptions(horizon=14, seed=0), products=products)
    table = explain.global_importance(
        sales, run, skus=list(run.choices["sku"][:6]), products=products
    )
    overall = table[table["category"] == "all"]
    assert set(overall["driver"]) == set(explain.DRIVERS)
    assert overall["share"].sum() == pytest.approx(1.0)
    assert {"A", "B"} <= set(table["category"])


def test_cli_explain_json_matches_the_forecast_cli(tmp_path, capsys):
    sales = make_sales(6, 200, seed=2)
    path = tmp_path / "sales.csv"
    sales.to_csv(path, index=False)
    sku = sales.groupby("sku")["qty"].sum().idxmax()
    assert (
        main(
            [
                "forecast",
                "--csv",
                str(path),
                "--horizon",
                "7",
                "--quiet",
                "--out",
                str(tmp_path / "f.csv"),
            ]
        )
        == 0
    )
    forecast = pd.read_csv(tmp_path / "f.csv")
    capsys.readouterr()
    assert main(["explain", "--csv", str(path), "--sku", sku, "--horizon", "7", "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert len(records) == 7
    assert set(records[0]) == {
        "sku",
        "date",
        "forecast",
        "base_value",
        "contributions",
        "feature_values",
    }
    mine = forecast[forecast["sku"] == sku].set_index("date")["mean"]
    for record in records:
        assert record["forecast"] == pytest.approx(mine[record["date"]], abs=1e-6)
        assert record["base_value"] + sum(record["contributions"].values()) == pytest.approx(
            record["forecast"], abs=1e-3 * max(1.0, record["forecast"])
        )


def test_cli_explain_refuses_an_unknown_sku(tmp_path, capsys):
    sales = make_sales(3, 120, seed=2)
    path = tmp_path / "sales.csv"
    sales.to_csv(path, index=False)
    assert main(["explain", "--csv", str(path), "--sku", "NOPE"]) == 2
    assert "not in the sales data" in capsys.readouterr().err


def test_a_forecast_moved_by_planned_prices_is_explained_with_them():
    rng = np.random.default_rng(0)
    dates = pd.date_range("2024-01-01", periods=300)
    frames = []
    for k in range(12):
        cut = rng.random(len(dates)) < 0.15
        price = np.where(cut, 7.0, 10.0)
        frames.append(pd.DataFrame({
            "sku": f"S{k:02d}", "date": dates, "price": price, "promo": cut.astype(float),
            "qty": rng.poisson(8 * (price / 10.0) ** -2.0).astype(float),
        }))
    sales = pd.concat(frames, ignore_index=True)
    ahead = pd.date_range(dates[-1] + pd.Timedelta(days=1), periods=10)
    future = pd.concat([pd.DataFrame({"sku": f"S{k:02d}", "date": ahead, "price": 7.0,
                                      "promo": 1.0}) for k in range(12)], ignore_index=True)
    options = ForecastOptions(horizon=10, model="lgbm", folds=0)
    planned = run_forecast(sales, options, future=future)
    regular = run_forecast(sales, options)
    assert planned.forecasts["mean"].sum() > 1.1 * regular.forecasts["mean"].sum()
    with pytest.raises(InvalidDataError, match="does not add up"):  # refitted without them
        explain.explain_run(sales, planned, sku="S03")
    explanation = explain.explain_run(sales, planned, sku="S03", future=future)
    _assert_adds_up(explanation)
    shown = planned.forecasts[planned.forecasts["sku"] == "S03"]["mean"].to_numpy()
    np.testing.assert_allclose(explanation.forecast, shown)
