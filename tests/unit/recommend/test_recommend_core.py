"""Known answers for the recommendation building blocks (no database, no title model)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from invdash.recommend.blend import blend_scores, choose_blend, top_k
from invdash.recommend.cooccur import BoughtTogether, association_table
from invdash.recommend.evaluate import ranking_metrics, time_split
from invdash.recommend.interactions import build_interactions, clean_purchases
from invdash.recommend.personal import EASE
from invdash.recommend.sequential import SASRec
from invdash.recommend.stock import classify_cover
from invdash.schema import InvalidDataError, NotFittedError


@pytest.fixture
def baskets() -> pd.DataFrame:
    """Four hand-made orders: {A,B}, {A,B}, {A,C}, {B} (the cooccur module's worked example)."""
    rows = [
        ("o1", "A"),
        ("o1", "B"),
        ("o2", "A"),
        ("o2", "B"),
        ("o3", "A"),
        ("o3", "C"),
        ("o4", "B"),
    ]
    return pd.DataFrame(rows, columns=["order_id", "sku"])


@pytest.fixture
def order_lines() -> pd.DataFrame:
    """Two customers and a guest over three weeks, with a return and a cancellation."""
    rows = [
        ("1", "u1", "A", "2024-01-01", 1),
        ("1", "u1", "B", "2024-01-01", 2),
        ("2", "u2", "A", "2024-01-03", 1),
        ("2", "u2", "C", "2024-01-03", 1),
        ("3", None, "B", "2024-01-05", 1),
        ("3", None, "C", "2024-01-05", 1),
        ("C4", "u1", "A", "2024-01-06", -1),
        ("5", "u2", "B", "2024-01-08", -1),
        ("6", "u1", "C", "2024-01-20", 1),
        ("7", "u2", "B", "2024-01-21", 3),
    ]
    frame = pd.DataFrame(rows, columns=["order_id", "customer_id", "sku", "ts", "qty"])
    frame["ts"] = pd.to_datetime(frame["ts"])
    return frame


def test_association_measures_match_the_worked_example(baskets):
    table = association_table(baskets, shrinkage=1.0).set_index(["sku", "other_sku"])
    ab = table.loc[("A", "B")]
    assert ab["support"] == 2
    assert ab["cosine"] == pytest.approx(2 / 3)
    assert ab["lift"] == pytest.approx(8 / 9)
    assert ab["score"] == pytest.approx(4 / 9)
    assert table.loc[("A", "C"), "cosine"] == pytest.approx(1 / np.sqrt(3))


def test_min_support_drops_one_off_pairs(baskets):
    table = association_table(baskets, min_support=2)
    assert set(zip(table["sku"], table["other_sku"], strict=True)) == {("A", "B"), ("B", "A")}


def test_bought_together_ranks_the_frequent_partner_first(baskets):
    matrix = build_interactions(
        clean_purchases(baskets.assign(customer_id=None, ts=pd.Timestamp("2024-01-01"), qty=1.0))
    ).basket_items
    model = BoughtTogether(min_support=1, shrinkage=1.0).fit(matrix)
    items, scores = model.neighbours(0, k=2)
    assert list(items) == [1, 2]
    assert scores[0] == pytest.approx(4 / 9)


def test_unfitted_models_say_how_to_fit():
    with pytest.raises(NotFittedError, match="call fit"):
        BoughtTogether().neighbours(0, k=1)
    with pytest.raises(NotFittedError, match="call fit"):
        SASRec().score([np.array([0])])


def test_ranking_metrics_match_the_worked_example():
    metrics = ranking_metrics([["a", "b", "c"], ["x"]], [{"b", "d"}, {"y"}], k=10)
    assert metrics["users"] == 2
    assert metrics["hr"] == pytest.approx(0.5)
    assert metrics["recall"] == pytest.approx(0.25)
    assert metrics["ndcg"] == pytest.approx((1 / np.log2(3)) / (1 + 1 / np.log2(3)) / 2)


def test_perfect_list_scores_one():
    metrics = ranking_metrics([["a", "b"]], [{"a", "b"}], k=10)
    assert metrics == {"hr": 1.0, "recall": 1.0, "ndcg": pytest.approx(1.0), "users": 1}


def test_clean_purchases_drops_returns_and_cancellations_without_mutating(order_lines):
    before = order_lines.copy()
    purchases = clean_purchases(order_lines)
    pd.testing.assert_frame_equal(order_lines, before)
    assert not purchases["order_id"].str.startswith("C").any()
    assert (purchases["qty"] > 0).all()
    assert len(purchases) == 8


def test_missing_order_line_columns_are_named():
    with pytest.raises(InvalidDataError, match="missing column"):
        clean_purchases(pd.DataFrame({"sku": ["A"]}))


def test_time_split_keeps_customers_seen_in_both_periods(order_lines):
    split = time_split(clean_purchases(order_lines), holdout_days=7)
    assert split.targets == {"u1": {"C"}, "u2": {"B"}}
    assert (split.train["ts"] < split.cutoff).all()


def test_repeat_purchases_count_orders_not_lines(order_lines):
    inter = build_interactions(clean_purchases(order_lines))
    u2, b = inter.customer_index()["u2"], inter.item_index()["B"]
    assert inter.user_items[u2, b] == 1.0
    assert list(inter.skus[inter.sequences[inter.customer_index()["u1"]]]) == ["A", "B", "C"]


def test_ease_has_zero_self_weight_and_scores_cooccurring_items():
    user_items = build_interactions(
        clean_purchases(
            pd.DataFrame(
                {
                    "order_id": ["1", "1", "2", "2", "3"],
                    "customer_id": ["a", "a", "b", "b", "c"],
                    "sku": ["X", "Y", "X", "Y", "X"],
                    "ts": pd.Timestamp("2024-01-01"),
                    "qty": 1.0,
                }
            )
        )
    ).user_items
    model = EASE(l2=0.5).fit(user_items)
    assert np.allclose(np.diag(model.weights_), 0.0)
    scores = model.score(user_items[2])
    assert scores[0, 1] > 0


def test_classify_cover_matches_the_docstring_example():
    status = classify_cover(
        np.array([10.0, 10.0, 0.0, np.nan, 1000.0]),
        np.array([2.0, 2.0, 1.0, 1.0, 1.0]),
        np.array([7.0, 3.0, 7.0, 7.0, 7.0]),
        overstock_days=180,
    )
    assert list(status) == ["at_risk", "in_stock", "out_of_stock", "unknown", "overstocked"]


def test_blend_normalises_each_component_per_customer():
    components = {
        "repeat": np.array([[2.0, 0.0, 1.0]]),
        "collaborative": np.array([[0.0, 10.0, 5.0]]),
    }
    scores = blend_scores(components, {"repeat": 1.0, "collaborative": 0.5})
    assert np.allclose(scores, [[1.0, 0.5, 0.75]])
    assert list(top_k(scores, k=2)[0]) == [0, 2]
    assert list(top_k(scores, k=3, allowed=np.array([True, False, True]))[0]) == [0, 2, -1]


def test_choose_blend_records_every_candidate():
    components = {"repeat": np.array([[1.0, 0.0]]), "popularity": np.array([[0.0, 1.0]])}
    choice = choose_blend(
        components, [{"b"}], np.array(["a", "b"]), grid={"repeat": [1.0], "popularity": [0.0, 2.0]}
    )
    assert choice.weights == {"repeat": 1.0, "popularity": 2.0}
    assert len(choice.candidates) == 2


def test_sasrec_same_seed_same_scores():
    sequences = [
        np.array([0, 1, 2, 3]),
        np.array([1, 2, 3]),
        np.array([2, 3, 0, 1]),
        np.array([3, 0, 1]),
    ]

    def fitted(seed: int) -> np.ndarray:
        model = SASRec(
            max_len=4, dim=8, n_layers=1, n_heads=2, epochs=2, batch_size=2, seed=seed
        ).fit(sequences, n_items=4)
        return model.score(sequences)

    first, again, other = fitted(3), fitted(3), fitted(4)
    assert first.shape == (4, 4)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    np.testing.assert_allclose(first.sum(axis=1), 1.0, rtol=1e-5)


@pytest.mark.gpu
def test_sasrec_trains_on_the_gpu_when_present():
    sequences = [np.array([0, 1, 2, 3]), np.array([1, 2, 3]), np.array([2, 3, 0, 1])]
    model = SASRec(max_len=4, dim=8, n_layers=1, n_heads=2, epochs=1, batch_size=2).fit(
        sequences, n_items=4
    )
    assert next(model.net_.parameters()).device.type == "cuda"
    assert np.isfinite(model.score(sequences)).all()


def test_policy_stockout_before_lead_time_means_at_risk():
    from invdash.recommend.stock import _from_policy_table

    on_hand = pd.DataFrame(
        {"sku": ["A", "B", "C"], "as_of": pd.Timestamp("2024-05-01"), "on_hand": [5.0, 50.0, 0.0]}
    )
    table = pd.DataFrame(
        {
            "sku": ["A", "B", "C"],
            "demand_daily_mean": [1.0, 1.0, 1.0],
            "lead_time_days": [7.0, 7.0, 7.0],
            "stockout_date": pd.to_datetime(["2024-05-04", None, "2024-05-01"]),
        }
    )
    status = _from_policy_table(table, on_hand, "policy", overstock_days=180)
    assert list(status["status"]) == ["at_risk", "in_stock", "out_of_stock"]
    assert (status["basis"] == "policy").all()
