"""Specifications of the "buy again" and "discover" lists and of stored runs, on the demo shop."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from invdash import store
from invdash.cli import main
from invdash.recommend.lists import buy_again, discover
from invdash.recommend.model import fit_recommender
from invdash.recommend.runs import build_rec_run, ensure_rec_run
from invdash.recommend.stock import SELLABLE, stock_status
from invdash.store import recs as recs_store
from invdash.store import versions


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
    return fit_recommender(lines, products=products, stock=stock)


@pytest.fixture(scope="module")
def customers(shop) -> list[str]:
    return list(shop[0]["customer_id"].dropna().unique()[:150])


@pytest.fixture(scope="module")
def bought(shop) -> pd.Series:
    lines = shop[0]
    return lines[lines["qty"] > 0].groupby("customer_id")["sku"].agg(set)


@pytest.fixture(scope="module")
def unsellable(shop) -> set[str]:
    stock = shop[2]
    return set(stock.loc[~stock["status"].isin(SELLABLE), "sku"])


def test_discover_never_contains_an_item_the_customer_bought(model, customers, bought):
    lists = discover(model, customers, k=10)
    assert set(lists["query"]) == set(customers)
    assert not any(s in bought[c] for c, s in zip(lists["query"], lists["sku"], strict=True))
    assert (
        lists["reason"]
        .str.match("bought together with|customers with similar|substitute for")
        .all()
    )


def test_buy_again_holds_only_bought_items_or_their_in_stock_substitutes(model, customers, bought):
    lists = buy_again(model, customers, k=10)
    own = pd.Series([s in bought[c] for c, s in zip(lists["query"], lists["sku"], strict=True)])
    swapped = lists["reason"].str.startswith("substitute for ")
    assert (own | swapped).all()
    assert lists.loc[~swapped, "reason"].str.match(r"bought (once|\d+ times)").all()
    assert lists["reason"].str.contains("due again").any()


def test_out_of_stock_is_never_recommended_and_substitutes_say_why(model, customers, unsellable):
    lists = pd.concat([buy_again(model, customers, k=10), discover(model, customers, k=10)])
    assert not set(lists["sku"]) & unsellable
    reasons = lists.loc[lists["reason"].str.startswith("substitute for "), "reason"]
    assert len(reasons)
    assert reasons.str.contains(r"\((?:out of stock|at risk)\)").all()


def test_a_customer_never_seen_has_nothing_to_buy_again_and_popular_items_to_discover(model):
    assert buy_again(model, "nobody", k=5).empty
    fresh = discover(model, "nobody", k=5)
    assert len(fresh) == 5
    assert (fresh["reason"] == "popular").all()


def test_a_stored_run_records_its_plan_and_is_rebuilt_only_when_order_lines_change(
    demo_db, tmp_path
):
    path = tmp_path / "shop.duckdb"
    shutil.copy(demo_db, path)
    conn = store.connect(path)
    try:
        run_id = build_rec_run(conn, k=5)
        assert ensure_rec_run(conn, k=5) == run_id
        plan = json.loads(conn.execute("SELECT plan FROM rec_runs").fetchone()[0])
        assert set(plan["full"]) == set(plan["discover"]) == {"new", "occasional", "regular"}
        customer = recs_store.load_customers(conn, run_id)["customer_id"].iloc[0]
        stored = recs_store.load_list(conn, run_id, "discover", customer, 5)
        assert list(stored["rank"]) == [1, 2, 3, 4, 5]
        conn.execute(
            "INSERT INTO order_lines VALUES ('new-order', 1, ?, 'X-NEW', now(), 1.0, 2.0)",
            [customer],
        )
        versions.touch(conn, "order_lines")  # what every writer does (store/versions.py)
        assert recs_store.fresh_run(conn) is None
        assert ensure_rec_run(conn, k=5) != run_id
    finally:
        conn.close()


def test_cli_lists_buy_again_and_stores_a_run(demo_db_copy, tmp_path, shop, capsys):
    customer = shop[0]["customer_id"].dropna().iloc[0]
    out = tmp_path / "again.csv"
    args = ["recommend", "--db", str(demo_db_copy), "--customer", customer, "--k", "4"]
    assert main([*args, "--list", "buy-again", "--out", str(out)]) == 0
    again = pd.read_csv(out)
    assert list(again.columns) == ["query", "rank", "sku", "score", "reason"]
    assert again["reason"].str.match(r"bought |substitute for ").all()
    assert main(["recommend", "--db", str(demo_db_copy), "--store-run"]) == 0
    run_id = capsys.readouterr().out.strip()
    conn = store.connect_read_only(demo_db_copy)
    try:
        assert recs_store.fresh_run(conn)["run_id"] == run_id
    finally:
        conn.close()
