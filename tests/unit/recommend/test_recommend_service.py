"""Inventory-aware recommendations on the seeded demo shop, and the ``invdash recommend`` CLI."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from invdash import store
from invdash.cli import main
from invdash.recommend import (
    RECOMMENDATION_COLUMNS,
    at_risk_with_substitutes,
    fit_recommender,
    recommend_for_customer,
    recommend_for_sku,
    substitutes_for,
)
from invdash.recommend.sequential import SASRec
from invdash.recommend.stock import SELLABLE, stock_status
from invdash.schema import InvalidDataError

TINY_SASREC = {"max_len": 8, "dim": 8, "n_layers": 1, "n_heads": 2, "epochs": 1, "batch_size": 512}


@pytest.fixture(scope="module")
def shop(demo_db):
    """Order lines, products and stock status of the demo shop."""
    conn = store.connect_read_only(demo_db)
    try:
        return store.load_order_lines(conn), store.load_products(conn), stock_status(conn)
    finally:
        conn.close()


@pytest.fixture(scope="module")
def model(shop):
    lines, products, stock = shop
    return fit_recommender(
        lines,
        products=products,
        stock=stock,
        weights={"repeat": 1.0, "collaborative": 0.25, "sequential": 0.25, "popularity": 0.05},
        sequential=SASRec(seed=0, **TINY_SASREC),
    )


@pytest.fixture(scope="module")
def unsellable(shop) -> set[str]:
    stock = shop[2]
    return set(stock.loc[~stock["status"].isin(SELLABLE), "sku"])


def test_demo_shop_has_out_of_stock_and_at_risk_items(shop):
    assert {"out_of_stock", "at_risk"} <= set(shop[2]["status"])


def test_customer_recommendations_never_include_unsellable_items(model, shop, unsellable):
    customers = shop[0]["customer_id"].dropna().unique()[:200]
    recs = recommend_for_customer(model, list(customers), k=10)
    assert tuple(recs.columns) == RECOMMENDATION_COLUMNS
    assert not set(recs["sku"]) & unsellable
    ranks = recs.groupby("query")["rank"].agg(list)
    assert all(r == list(range(1, len(r) + 1)) for r in ranks)


def test_out_of_stock_favourites_come_back_as_substitutes(model, shop):
    customers = shop[0]["customer_id"].dropna().unique()[:200]
    reasons = recommend_for_customer(model, list(customers), k=10)["reason"]
    assert reasons.str.startswith("substitute for ").any()
    assert reasons.str.contains("you bought this before").any()


def test_sku_recommendations_are_sellable_and_explained(model, shop, unsellable):
    sku = shop[0]["sku"].value_counts().index[0]
    recs = recommend_for_sku(model, sku, k=5)
    assert len(recs) == 5
    assert (recs["query"] == sku).all()
    assert not set(recs["sku"]) & (unsellable | {sku})
    assert recs["reason"].str.contains("bought together with|similar to").all()


def test_substitutes_are_in_stock_similar_and_same_category(model, shop, unsellable):
    products = shop[1].set_index("sku")
    for query in sorted(unsellable)[:5]:
        subs = substitutes_for(model, query, k=3)
        assert not set(subs["sku"]) & unsellable
        assert (subs["score"] >= model.titles.min_similarity).all()
        assert (products.loc[subs["sku"], "category"] == products.loc[query, "category"]).all()


def test_at_risk_list_offers_in_stock_substitutes(model, unsellable):
    table = at_risk_with_substitutes(model, k=2)
    assert len(table)
    assert set(table["query"]) <= unsellable
    assert not set(table["sku"]) & unsellable
    assert table["reason"].str.contains(r"\((?:out of stock|at risk)\)").all()


def test_unseen_customer_gets_popular_sellable_items(model, unsellable):
    recs = recommend_for_customer(model, "never-seen", k=5)
    assert len(recs) == 5
    assert (recs["reason"] == "popular").all()
    assert not set(recs["sku"]) & unsellable


def test_unknown_sku_is_a_clear_error(model):
    with pytest.raises(InvalidDataError, match="unknown SKU 'NOPE'"):
        recommend_for_sku(model, "NOPE")


def test_same_seed_same_recommendations(shop, model):
    lines, products, stock = shop
    before = lines.copy()
    again = fit_recommender(
        lines,
        products=products,
        stock=stock,
        weights=model.weights,
        sequential=SASRec(seed=0, **TINY_SASREC),
    )
    pd.testing.assert_frame_equal(lines, before)
    customers = list(lines["customer_id"].dropna().unique()[:50])
    pd.testing.assert_frame_equal(
        recommend_for_customer(model, customers), recommend_for_customer(again, customers)
    )
    assert np.array_equal(model.ease.weights_, again.ease.weights_)


def test_cli_writes_exactly_the_contract_columns(demo_db_copy, tmp_path, shop):
    out = tmp_path / "recs.csv"
    customer = shop[0]["customer_id"].dropna().iloc[0]
    users = tmp_path / "users.csv"
    pd.DataFrame({"customer_id": [customer, "nobody"]}).to_csv(users, index=False)
    assert (
        main(
            [
                "recommend",
                "--db",
                str(demo_db_copy),
                "--users",
                str(users),
                "--k",
                "3",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    recs = pd.read_csv(out, dtype={"query": str})
    assert list(recs.columns) == ["query", "rank", "sku", "score", "reason"]
    assert set(recs["query"]) == {customer, "nobody"}


def test_cli_unknown_sku_exits_2_with_a_message(demo_db_copy, capsys):
    assert main(["recommend", "--db", str(demo_db_copy), "--sku", "NOPE"]) == 2
    assert "unknown SKU 'NOPE'" in capsys.readouterr().err


def test_cli_reads_an_order_export(tmp_path, capsys):
    orders = tmp_path / "orders.csv"
    pd.DataFrame(
        {
            "InvoiceNo": ["1", "1", "2", "2", "3", "3"],
            "CustomerID": ["7", "7", "8", "8", "9", ""],
            "StockCode": ["A1", "B2", "A1", "B2", "A1", "C3"],
            "InvoiceDate": [f"2024-01-0{day} 10:00" for day in (1, 1, 2, 2, 3, 3)],
            "Quantity": [1, 2, 1, 1, 3, 1],
            "UnitPrice": [1.0, 2.0, 1.0, 2.0, 1.0, 5.0],
            "Description": ["apple mug", "blue bowl", "apple mug", "blue bowl", "apple mug", "cup"],
        }
    ).to_csv(orders, index=False)
    assert main(["recommend", "--orders", str(orders), "--sku", "A1", "--k", "2"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "query,rank,sku,score,reason"
    assert lines[1].startswith("A1,1,B2,")


def test_discovery_lists_leave_out_what_the_customer_bought(model, shop):
    lines = shop[0]
    customers = list(lines["customer_id"].dropna().unique()[:30])
    recs = recommend_for_customer(model, customers, k=5, exclude_purchased=True)
    bought = lines[lines["qty"] > 0].groupby("customer_id")["sku"].agg(set)
    assert len(recs)
    assert all(sku not in bought[c] for c, sku in zip(recs["query"], recs["sku"], strict=True))


def test_blend_choice_is_recorded_and_reused(demo_db_copy, shop):
    from invdash.recommend.pipeline import build_recommender, tune_weights, validation_set
    from invdash.store import recs as recs_store

    tiny = SASRec(seed=0, **TINY_SASREC)
    choice = tune_weights(validation_set(shop[0], holdout_days=30, sequential=tiny))
    assert {"hr", "recall", "ndcg"} <= set(choice.candidates.columns)
    conn = store.connect(demo_db_copy)
    try:
        with store.transaction(conn):
            recs_store.save_rec_run(
                conn, weights=choice.weights, source="validation", validation=choice.candidates
            )
        assert recs_store.latest_chosen_weights(conn) == choice.weights
        built = build_recommender(conn, sequential=tiny)
    finally:
        conn.close()
    assert built.source == "stored"
    assert built.model.weights == choice.weights
