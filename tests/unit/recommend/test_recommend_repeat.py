"""Specifications of the repeat-purchase score, the customer neighbourhood and the segment blend."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from invdash.recommend.evaluate import ranking_metrics, target_matrix, top_metrics
from invdash.recommend.interactions import build_interactions, clean_purchases
from invdash.recommend.neighbours import CustomerNeighbours
from invdash.recommend.repeat import RepeatModel, RepeatParams, choose_repeat_params, due_weight
from invdash.recommend.segments import (
    BlendPlan,
    choose_segment_weights,
    default_plan,
    segment_of,
)
from invdash.schema import ConfigError, NotFittedError

START = pd.Timestamp("2024-01-01")


def _lines(buys: list[tuple[str, str, int]]) -> pd.DataFrame:
    """Order lines from (customer, sku, day) triples, one order per customer and day."""
    rows = [
        (f"{customer}-{day}", customer, sku, START + pd.Timedelta(days=day), 1.0)
        for customer, sku, day in buys
    ]
    return pd.DataFrame(rows, columns=["order_id", "customer_id", "sku", "ts", "qty"])


def _interactions(buys):
    return build_interactions(clean_purchases(_lines(buys)))


@pytest.fixture
def habits():
    """The repeat module's worked example: A on days 0, 30, 60, 90 and B on days 30, 60, 90,
    118 for one customer; another customer's purchase on day 120 ends the data."""
    buys = [("u1", "A", d) for d in (0, 30, 60, 90)] + [("u1", "B", d) for d in (30, 60, 90, 118)]
    return _interactions([*buys, ("u2", "C", 120)])


def test_an_item_bought_every_30_days_ranks_first_when_due(habits):
    params = RepeatParams(half_life_days=None, cycle_weight=1.0, horizon_days=7.0)
    scores = RepeatModel(params).fit(habits).score(np.array([0]))[0]
    a, b = habits.item_index()["A"], habits.item_index()["B"]
    assert scores[a] == pytest.approx(4.0)
    assert scores[b] == pytest.approx(4 * 9 / (88 / 3))
    assert scores[a] > scores[b]


def test_without_the_cycle_equal_basket_counts_tie_and_recency_prefers_the_recent_item(habits):
    a, b = habits.item_index()["A"], habits.item_index()["B"]
    counts = RepeatModel(RepeatParams()).fit(habits).score(np.array([0]))[0]
    assert counts[a] == counts[b] == 4.0
    recent = RepeatModel(RepeatParams(half_life_days=30.0)).fit(habits).score(np.array([0]))[0]
    assert recent[b] > recent[a]


def test_due_weight_matches_the_worked_examples():
    weights = due_weight(np.array([30.0, 2.0, 120.0, 10.0]), np.array([30.0] * 4), 7.0)
    assert weights[0] == 1.0
    assert weights[1] == pytest.approx(9 / 30)
    assert weights[2] == pytest.approx(np.exp(-(np.log(4.0) ** 2) / 1.125))
    assert weights[3] == pytest.approx(17 / 30)


def test_an_item_bought_once_takes_the_cycle_other_customers_show():
    buys = [("u1", "A", 0), ("u1", "A", 10), ("u1", "A", 20), ("u2", "A", 5), ("u3", "Z", 40)]
    pairs = RepeatModel().fit(_interactions(buys)).cycle_days().set_index("customer")
    assert pairs.loc[0, "cycle_days"] == pytest.approx(10.0)
    assert pairs.loc[1, "cycle_days"] == pytest.approx(10.0)


def _switchers(n: int, *, switch: bool) -> pd.DataFrame:
    """Customers with an old habit (OLD, bought 6 times long ago) and a new one (NEW, twice
    lately); in the last month (the validation period) they buy NEW when ``switch`` else OLD."""
    buys = []
    for u in range(n):
        customer = f"u{u}"
        buys += [(customer, f"OLD{u % 3}", d) for d in (0, 20, 40, 60, 80, 100)]
        buys += [(customer, f"NEW{u % 3}", d) for d in (250, 270)]
        buys.append((customer, f"NEW{u % 3}" if switch else f"OLD{u % 3}", 345))
    return _lines(buys)


@pytest.mark.parametrize("switch", [True, False])
def test_the_recency_weight_is_chosen_on_the_validation_split(switch):
    from invdash.recommend.tuning import validation_customers

    found = validation_customers(_switchers(60, switch=switch), holdout_days=30)
    inter = found.model.interactions
    model = RepeatModel().fit(inter)
    params, table = choose_repeat_params(
        model, found.users, found.targets, inter.skus, cycle_weights=(0.0,)
    )
    assert set(table.columns) >= {"half_life_days", "cycle_weight", "hr", "ndcg"}
    if switch:
        assert params.half_life_days is not None and params.half_life_days <= 120
    else:
        assert params.half_life_days is None or params.half_life_days >= 240


def test_repeat_settings_are_checked():
    with pytest.raises(ConfigError, match="cycle_weight must be in"):
        RepeatParams(cycle_weight=1.5)
    with pytest.raises(ConfigError, match="half_life_days must be > 0"):
        RepeatParams(half_life_days=0.0)
    with pytest.raises(NotFittedError, match="call fit"):
        RepeatModel().score(np.array([0]))


def test_neighbours_recommend_what_similar_customers_bought():
    buys = [("u1", "A", 0), ("u1", "B", 0), ("u2", "A", 1), ("u2", "B", 1), ("u2", "C", 2)]
    buys += [("u3", "D", 3), ("u3", "E", 3)]
    inter = _interactions(buys)
    scores = CustomerNeighbours(n_neighbours=1).fit(inter).score(np.array([0]))[0]
    index = inter.item_index()
    assert scores[index["C"]] > 0
    assert scores[index["D"]] == scores[index["E"]] == 0


def test_segments_follow_the_number_of_orders():
    assert list(segment_of(np.array([0, 1, 2, 4, 5, 40]))) == [
        "new",
        "new",
        "occasional",
        "occasional",
        "regular",
        "regular",
    ]


def test_segment_weights_follow_what_predicts_each_segment():
    rng = np.random.default_rng(0)
    n, items = 240, 30
    skus = np.array([f"s{i}" for i in range(items)])
    segments = np.array(["new"] * 120 + ["regular"] * 120)
    first, second = rng.integers(0, items, n), rng.integers(0, items, n)
    second = np.where(second == first, (second + 1) % items, second)
    x = rng.random((n, items)).astype(np.float32) * 0.1
    y = rng.random((n, items)).astype(np.float32) * 0.1
    x[np.arange(n), first], y[np.arange(n), second] = 1.0, 1.0
    truth = [
        {skus[f]} if s == "new" else {skus[t]}
        for f, t, s in zip(first, second, segments, strict=True)
    ]
    chosen, table = choose_segment_weights(
        {"repeat": x, "trend": y}, truth, skus, segments, start={"repeat": 1.0, "trend": 1.0}
    )
    assert chosen["new"].get("repeat", 0) > chosen["new"].get("trend", 0)
    assert chosen["regular"].get("trend", 0) > chosen["regular"].get("repeat", 0)
    assert chosen["occasional"] == chosen["new"] or chosen["occasional"] == chosen["regular"]
    assert set(table["segment"]) == {"all", "new", "regular"}


def test_a_plan_round_trips_through_json():
    plan = default_plan()
    again = BlendPlan.from_json(plan.to_json())
    assert again == plan
    assert set(again.full) == set(again.discover) == {"new", "occasional", "regular"}


def test_vectorised_metrics_equal_the_plain_definition():
    rng = np.random.default_rng(1)
    skus = np.array([f"s{i}" for i in range(40)])
    targets = [set(rng.choice(skus, size=rng.integers(0, 6), replace=False)) for _ in range(80)]
    targets[0] |= {"unknown-sku"}
    top = np.argsort(rng.random((80, 40)), axis=1)[:, :10]
    top[1, 6:] = -1
    ranked = [[skus[i] for i in row if i >= 0] for row in top]
    expected = ranking_metrics(ranked, targets)
    found = top_metrics(top, target_matrix(targets, skus), np.array([len(t) for t in targets]))
    assert found == pytest.approx(expected)
