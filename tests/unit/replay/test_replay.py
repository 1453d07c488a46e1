"""The policy replay: stock conservation, no lookahead, lead times, starting stock, a hand case.

The mechanics are tested with small hand-made policy functions; the invdash and textbook
policies are exercised end to end by the CLI tests at the bottom.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from invdash.cli import main
from invdash.replay import (
    REPLAY_COLUMNS,
    InvdashPolicyOptions,
    ReplayParams,
    estimate_level_uncertainty_cv,
    fill_rate_curve,
    replay,
    replay_products,
    simulate_policy,
    summarize_replay,
)
from invdash.schema import ConfigError, InvalidDataError

START = pd.Timestamp("2024-03-01")


def _random_sales(n_skus: int = 4, n_days: int = 120, seed: int = 0) -> pd.DataFrame:
    """Poisson sales from 2024-01-01 with one slow, intermittent SKU (``S-0``)."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2024-01-01", periods=n_days, freq="D")
    rates = np.r_[0.3, rng.uniform(2, 12, n_skus - 1)]
    rows = [
        (f"S-{i}", day, float(rng.poisson(rate)))
        for i, rate in enumerate(rates)
        for day in days
    ]
    return pd.DataFrame(rows, columns=["sku", "date", "qty"])


def _base_stock_policy(history: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:  # noqa: ARG001
    """Reorder point 1.5 x and order-up-to 2.5 x the demand of the last 14 days (L + R cover)."""
    recent = history[history["date"] >= history["date"].max() - pd.Timedelta(days=13)]
    level = recent.groupby("sku")["qty"].sum()
    return pd.DataFrame({
        "sku": level.index, "reorder_point": 1.5 * level.to_numpy(),
        "order_up_to": 2.5 * level.to_numpy(),
    })


def _fixed_policy(reorder_point: float, order_up_to: float):
    def policy_fn(history: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:  # noqa: ARG001
        skus = sorted(history["sku"].unique())
        return pd.DataFrame({
            "sku": skus, "reorder_point": reorder_point, "order_up_to": order_up_to,
        })

    return policy_fn


def _one_sku(demand: list[float], history_days: int = 30) -> pd.DataFrame:
    """SKU ``A`` selling 3 a day for ``history_days`` before START, then ``demand``."""
    first = START - pd.Timedelta(days=history_days)
    days = pd.date_range(first, periods=history_days + len(demand))
    qty = [3.0] * history_days + list(demand)
    return pd.DataFrame({"sku": "A", "date": days, "qty": qty})


def test_hand_computed_case_with_a_lost_sale():
    """R = 1, L = 2, reorder point 5, order-up-to 10, demand 3 a day (worked out on paper).

    day  start  pos   order  recv  sold  lost  end
    0    10     10    -      0     3     0     7
    1    7      7     -      0     3     0     4
    2    4      4     6      0     3     0     1    (6 arrives on day 4)
    3    1      7     -      0     1     2     0
    4    0      6     -      6     3     0     3
    5    3      3     7      0     3     0     0    (7 arrives on day 7)
    """
    params = ReplayParams(start=START, days=6, review_period_days=1, lead_time_days=2)
    days = simulate_policy(_one_sku([3.0] * 6), _fixed_policy(5, 10), params=params)
    assert list(days.columns) == list(REPLAY_COLUMNS)
    assert days["on_hand_start"].tolist() == [10, 7, 4, 1, 0, 3]
    assert days["ordered"].tolist() == [0, 0, 6, 0, 0, 7]
    assert days["received"].tolist() == [0, 0, 0, 0, 6, 0]
    assert days["sold"].tolist() == [3, 3, 3, 1, 3, 3]
    assert days["lost"].tolist() == [0, 0, 0, 2, 0, 0]
    assert days["on_hand_end"].tolist() == [7, 4, 1, 0, 3, 0]
    summary = summarize_replay(days, policy="fixed")
    assert summary["fill_rate"] == pytest.approx(16 / 18)
    assert summary["stockout_days"] == 1
    assert summary["mean_on_hand"] == pytest.approx(2.5)


def test_stock_is_conserved_every_sku_and_day():
    products = pd.DataFrame({"sku": ["S-0", "S-1", "S-2", "S-3"], "lead_time_days": [1, 3, 5, 9]})
    params = ReplayParams(start=START, days=50, review_period_days=7)
    days = simulate_policy(_random_sales(), _base_stock_policy, params=params, products=products)
    available = days["on_hand_start"] + days["received"]
    np.testing.assert_allclose(days["on_hand_end"], available - days["sold"])
    np.testing.assert_allclose(days["sold"], np.minimum(days["demand"], available))
    np.testing.assert_allclose(days["lost"], days["demand"] - days["sold"])
    assert (days[["on_hand_start", "on_hand_end", "sold", "lost", "ordered"]] >= 0).all().all()
    following = days.groupby("sku")["on_hand_start"].shift(-1).dropna()
    np.testing.assert_allclose(following, days.loc[following.index, "on_hand_end"])


def test_orders_arrive_exactly_lead_time_later():
    products = pd.DataFrame({"sku": ["S-0", "S-1", "S-2", "S-3"], "lead_time_days": [1, 3, 5, 9]})
    params = ReplayParams(start=START, days=60, review_period_days=7)
    days = simulate_policy(_random_sales(), _base_stock_policy, params=params, products=products)
    assert days["ordered"].sum() > 0
    for sku, lead in zip(products["sku"], products["lead_time_days"], strict=True):
        rows = days[days["sku"] == sku].reset_index(drop=True)
        expected = rows["ordered"].shift(lead, fill_value=0.0)
        np.testing.assert_allclose(rows["received"], expected, err_msg=sku)


def test_orders_are_placed_on_review_days_only():
    params = ReplayParams(start=START, days=40, review_period_days=7, lead_time_days=3)
    days = simulate_policy(_random_sales(), _base_stock_policy, params=params)
    offset = (days["date"] - START).dt.days
    assert (days.loc[offset % 7 != 0, "ordered"] == 0).all()


def test_starting_stock_is_the_policy_order_up_to_at_start():
    sales = _random_sales()
    params = ReplayParams(start=START, days=10, lead_time_days=4)
    days = simulate_policy(sales, _base_stock_policy, params=params)
    expected = _base_stock_policy(sales[sales["date"] < START], START).set_index("sku")
    first = days[days["date"] == START].set_index("sku")
    np.testing.assert_allclose(first["on_hand_start"], expected.loc[first.index, "order_up_to"])


def test_no_lookahead_future_sales_do_not_change_past_orders():
    sales = _random_sales(seed=3)
    cutoff = START + pd.Timedelta(days=21)  # a review day
    perturbed = sales.copy()
    future = perturbed["date"] > cutoff
    perturbed.loc[future, "qty"] = perturbed.loc[future, "qty"] * 5 + 7
    params = ReplayParams(start=START, days=56, review_period_days=7, lead_time_days=5)
    seen: list[pd.Timestamp] = []

    def watching_policy(history: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
        assert history["date"].max() < as_of
        seen.append(as_of)
        return _base_stock_policy(history, as_of)

    base = simulate_policy(sales, watching_policy, params=params)
    changed = simulate_policy(perturbed, watching_policy, params=params)
    upto = base["date"] <= cutoff
    pd.testing.assert_series_equal(base.loc[upto, "ordered"], changed.loc[upto, "ordered"])
    assert not base.loc[~upto, "ordered"].equals(changed.loc[~upto, "ordered"])
    assert seen[: len(seen) // 2] == list(pd.date_range(START, periods=8, freq="7D"))


def test_orders_are_whole_packs_and_at_least_the_moq():
    products = pd.DataFrame(
        {"sku": ["A"], "lead_time_days": [2], "moq": [12.0], "pack_size": [4.0]}
    )
    params = ReplayParams(start=START, days=20, review_period_days=1)
    days = simulate_policy(_one_sku([3.0] * 20), _fixed_policy(5, 10), params=params,
                           products=products)
    orders = days.loc[days["ordered"] > 0, "ordered"]
    assert len(orders) > 0
    assert (orders % 4 == 0).all() and (orders >= 12).all()


def test_skus_first_sold_after_start_are_left_out():
    sales = pd.concat([_one_sku([3.0] * 10), pd.DataFrame(
        {"sku": "NEW", "date": [START + pd.Timedelta(days=2)], "qty": [5.0]})])
    params = ReplayParams(start=START, days=10, lead_time_days=2)
    days = simulate_policy(sales, _fixed_policy(5, 10), params=params)
    assert set(days["sku"]) == {"A"}
    assert set(replay_products(sales, None, params=params)["sku"]) == {"A"}


def test_input_frame_is_not_mutated():
    sales = _random_sales()
    before = sales.copy()
    simulate_policy(sales, _base_stock_policy, params=ReplayParams(start=START, days=14,
                                                                    lead_time_days=3))
    pd.testing.assert_frame_equal(sales, before)


def test_replay_runs_every_policy_over_the_same_days():
    sales = _random_sales()
    params = ReplayParams(start=START, days=28, lead_time_days=3)
    result = replay(sales, {"lean": _fixed_policy(1, 5), "rich": _fixed_policy(40, 80)},
                    params=params)
    summary = result.summary.set_index("policy")
    assert summary.loc["rich", "fill_rate"] > summary.loc["lean", "fill_rate"]
    assert summary.loc["rich", "mean_on_hand"] > summary.loc["lean", "mean_on_hand"]
    assert len(result.for_policy("lean")) == 4 * 28
    with pytest.raises(ConfigError, match="no replay for policy"):
        result.for_policy("other")


def test_lead_time_override_wins_over_products():
    products = pd.DataFrame({"sku": ["A"], "lead_time_days": [9.0], "lead_time_sd_days": [2.0]})
    planned = replay_products(_one_sku([3.0] * 5), products,
                              params=ReplayParams(start=START, days=5, lead_time_days=4))
    assert planned[["lead_time_days", "lead_time_sd_days"]].iloc[0].tolist() == [4, 0.0]
    own = replay_products(_one_sku([3.0] * 5), products, params=ReplayParams(start=START, days=5))
    assert own[["lead_time_days", "lead_time_sd_days"]].iloc[0].tolist() == [9, 2.0]


@pytest.mark.parametrize(
    ("start", "days", "match"),
    [
        ("2023-06-01", 10, "outside the sales data"),
        ("2024-09-01", 10, "outside the sales data"),
        ("2024-01-10", 10, "days of sales before start"),
        ("2024-04-20", 30, "use --days 10"),
    ],
)
def test_replay_window_errors_name_the_fix(start, days, match):
    params = ReplayParams(start=start, days=days, lead_time_days=2)
    with pytest.raises(InvalidDataError, match=match):
        simulate_policy(_random_sales(), _fixed_policy(5, 10), params=params)


def test_params_are_checked():
    with pytest.raises(ConfigError, match="days must be a positive integer"):
        ReplayParams(start=START, days=0)
    with pytest.raises(ConfigError, match="lead_time_days must be"):
        ReplayParams(start=START, lead_time_days=-2)


def test_policy_without_the_needed_columns_is_rejected():
    def broken(history: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:  # noqa: ARG001
        return pd.DataFrame({"sku": ["A"], "level": [3.0]})

    with pytest.raises(InvalidDataError, match="reorder_point, order_up_to"):
        simulate_policy(_one_sku([3.0] * 5), broken, params=ReplayParams(start=START, days=5))


class _FlatForecasts:
    """Stand-in for ``ForecastCache``: 10 units a day with no spread, from the origin on."""

    seed = 0

    def forecasts(self, history: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
        assert history["date"].max() < as_of
        dates = pd.date_range(as_of, periods=10)
        frame = pd.DataFrame({"sku": "A", "date": dates, "model": "flat", "mean": 10.0})
        for column in ("p05", "p10", "p25", "p50", "p75", "p90", "p95", "p99"):
            frame[column] = 10.0
        return frame


def test_level_uncertainty_is_the_moment_estimate_of_past_errors():
    """Forecast 10 a day, L + R = 4 days: m = 40, model variance v = 40 (the Poisson floor).

    Demand 20 a day gives D = 80 at every origin: c^2 = ((80 - 40)^2 - 40) / 40^2 = 0.975.
    Demand exactly 10 a day gives c = 0 (the error is within the model's own variance).
    """
    protection = pd.Series({"A": 4})
    days = pd.date_range("2024-01-01", periods=90)
    for level, expected in ((20.0, np.sqrt(0.975)), (10.0, 0.0)):
        history = pd.DataFrame({"sku": "A", "date": days, "qty": level})
        cv = estimate_level_uncertainty_cv(
            history, days[-1] + pd.Timedelta(days=1), cache=_FlatForecasts(),
            protection_days=protection, origins=4,
        )
        assert cv == pytest.approx(expected)


def test_level_uncertainty_needs_history_before_the_origins():
    history = pd.DataFrame({"sku": "A", "date": pd.date_range("2024-01-01", periods=20),
                            "qty": 5.0})
    cv = estimate_level_uncertainty_cv(history, pd.Timestamp("2024-01-21"),
                                       cache=_FlatForecasts(),
                                       protection_days=pd.Series({"A": 4}))
    assert cv == 0.0


def test_fill_rate_curve_gives_both_policies_at_every_target():
    params = ReplayParams(start=START, days=21, lead_time_days=3)
    curve = fill_rate_curve(
        _random_sales(), params=params, service_levels=(0.8, 0.98),
        options=InvdashPolicyOptions(model="ma", calibration_origins=2),
    )
    assert sorted(zip(curve["policy"], curve["service_level"], strict=True)) == [
        ("invdash", 0.8), ("invdash", 0.98), ("textbook", 0.8), ("textbook", 0.98),
    ]
    for _, group in curve.groupby("policy"):
        low, high = group.sort_values("service_level").itertuples(index=False)
        assert high.mean_on_hand >= low.mean_on_hand
        assert high.fill_rate >= low.fill_rate


# --- the command line -------------------------------------------------------------------------


@pytest.fixture
def sales_csv(tmp_path):
    path = tmp_path / "sales.csv"
    sales = _random_sales(n_skus=4, n_days=120, seed=1)
    sales["date"] = sales["date"].dt.strftime("%Y-%m-%d")
    sales[["date", "sku", "qty"]].to_csv(path, index=False)
    return path


def test_cli_bad_start_date_exits_2(sales_csv, capsys):
    code = main(["simulate", "--csv", str(sales_csv), "--start", "2030-01-01"])
    assert code == 2
    assert "outside the sales data" in capsys.readouterr().err


def test_cli_bad_csv_exits_2(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text("day,sku,qty\n2024-01-01,A,3\n")
    assert main(["simulate", "--csv", str(path), "--start", "2024-01-01"]) == 2
    assert "missing column(s) date" in capsys.readouterr().err


def test_cli_unparseable_quantity_exits_2(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text("date,sku,qty\n2024-01-01,A,3\n2024-01-02,A,lots\n")
    assert main(["simulate", "--csv", str(path), "--start", "2024-01-01"]) == 2
    assert "line 3" in capsys.readouterr().err


def test_cli_writes_the_replay_columns_and_prints_both_policies(sales_csv, tmp_path, capsys):
    out = tmp_path / "replay.csv"
    code = main([
        "simulate", "--csv", str(sales_csv), "--start", "2024-03-01", "--days", "21",
        "--lead-time-days", "3", "--review-days", "7", "--out", str(out),
    ])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    rows = pd.read_csv(out)
    assert list(rows.columns) == list(REPLAY_COLUMNS)
    assert len(rows) == 4 * 21
    assert rows["date"].min() == "2024-03-01" and rows["date"].max() == "2024-03-21"
    lines = {line.split()[0]: line for line in captured.out.splitlines() if line}
    for policy in ("invdash", "textbook"):
        assert policy in lines and "%" in lines[policy]
    assert "fill rate" in captured.out and "stockout days" in captured.out
    assert "mean on-hand" in captured.out
    assert "100%" in captured.err  # the progress bar ran to the end on stderr


def test_cli_on_a_database_uses_each_product_lead_time(demo_db, tmp_path, capsys):
    from invdash import store

    conn = store.connect_read_only(demo_db)
    try:
        last = store.read_table(conn, "sales")["date"].max()
        products = store.load_products(conn)
    finally:
        conn.close()
    start = (pd.Timestamp(last) - pd.Timedelta(days=20)).strftime("%Y-%m-%d")
    out = tmp_path / "replay.csv"
    code = main(["simulate", "--db", str(demo_db), "--start", start, "--days", "14",
                 "--model", "ma", "--calibration-origins", "1", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    rows = pd.read_csv(out, dtype={"sku": str})
    assert list(rows.columns) == list(REPLAY_COLUMNS)
    lead = products.set_index("sku")["lead_time_days"].round().astype(int)
    for sku, group in rows.groupby("sku"):
        ordered = group.reset_index(drop=True)["ordered"]
        received = group.reset_index(drop=True)["received"]
        np.testing.assert_allclose(received, ordered.shift(lead[sku], fill_value=0.0))
    assert "invdash" in captured.out and "textbook" in captured.out


def test_cli_service_level_as_a_percent_exits_2(sales_csv, capsys):
    assert main(["simulate", "--csv", str(sales_csv), "--start", "2024-03-01",
                 "--service-level", "95"]) == 2
    assert "fraction in (0, 1)" in capsys.readouterr().err


def test_policies_are_compared_at_equal_fill_along_the_curve():
    """Textbook points (0.90, 400) and (0.95, 500): 450 units at 0.925 (inside the curve);
    at 0.97 the last segment is extended to 540 units and flagged as outside."""
    from invdash.replay import stock_at_fill

    curve = pd.DataFrame({
        "policy": ["textbook", "textbook", "invdash"],
        "fill_rate": [0.95, 0.90, 0.96],
        "mean_on_hand": [500.0, 400.0, 300.0],
    })
    assert stock_at_fill(curve, "textbook", 0.925) == (pytest.approx(450.0), True)
    assert stock_at_fill(curve, "textbook", 0.97) == (pytest.approx(540.0), False)
