"""The demo shop: seeded, realistic, internally consistent, and written whole into the store."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from invdash import store
from invdash.demo import DEFAULT_END_DATE, build_demo, make_sales, make_shop
from invdash.demo.catalog import CATEGORIES, make_catalog
from invdash.schema import ConfigError

N_SKUS, N_DAYS, SEED = 80, 500, 3


@pytest.fixture(scope="module")
def shop():
    return make_shop(N_SKUS, N_DAYS, seed=SEED)


@pytest.fixture(scope="module")
def sales(shop):
    return shop.sales.merge(shop.products[["sku", "category", "collection"]], on="sku")


def test_the_same_seed_gives_identical_frames_and_another_seed_does_not():
    first, again = make_shop(30, 120, seed=5), make_shop(30, 120, seed=5)
    for name in ("products", "sales", "inventory", "purchase_orders", "order_lines", "customers"):
        pd.testing.assert_frame_equal(getattr(first, name), getattr(again, name))
    other = make_shop(30, 120, seed=6)
    assert not first.sales["qty"].equals(other.sales["qty"])


def test_make_sales_is_the_shops_sales_frame():
    pd.testing.assert_frame_equal(make_sales(30, 120, seed=5), make_shop(30, 120, seed=5).sales)


def test_sales_have_one_gap_free_row_per_sku_and_day_up_to_the_last_day(shop):
    sales = shop.sales
    assert list(sales.columns) == ["sku", "date", "qty", "price", "promo"]
    assert sales.dtypes.astype(str).to_dict() == {
        "sku": "object", "date": "datetime64[ns]", "qty": "float64", "price": "float64",
        "promo": "float64",
    }
    assert not sales.duplicated(["sku", "date"]).any()
    assert sales["sku"].nunique() == N_SKUS
    steps = sales.groupby("sku")["date"].diff().dropna()
    assert (steps == pd.Timedelta(days=1)).all()
    assert (sales.groupby("sku")["date"].max() == DEFAULT_END_DATE).all()
    assert sales.equals(sales.sort_values(["sku", "date"], ignore_index=True))


def test_quantities_are_whole_units_and_never_negative(shop):
    qty = shop.sales["qty"].to_numpy()
    assert (qty >= 0).all()
    assert np.array_equal(qty, np.round(qty))
    assert set(shop.sales["promo"].unique()) <= {0.0, 1.0}
    assert (shop.sales["price"] > 0).all()


def test_stock_balances_every_day_so_stockout_days_sell_nothing(shop):
    received = (
        shop.purchase_orders.query("status == 'received'")
        .groupby(["sku", "eta"])["qty"].sum().rename("received")
    )
    flow = shop.inventory.merge(shop.sales, left_on=["sku", "as_of"], right_on=["sku", "date"])
    flow = flow.join(received, on=["sku", "as_of"]).fillna({"received": 0.0})
    flow["opening"] = flow.groupby("sku")["on_hand"].shift()
    later_days = flow.dropna(subset=["opening"])
    # on_hand(t) = on_hand(t-1) + received(t) - sold(t): nothing is sold that was not in stock.
    np.testing.assert_allclose(
        later_days["on_hand"], later_days["opening"] + later_days["received"] - later_days["qty"]
    )
    empty_all_day = later_days.query("opening == 0 and received == 0")
    assert len(empty_all_day) > 0
    assert (empty_all_day["qty"] == 0).all()
    assert (shop.inventory["on_hand"] >= 0).all()


def test_some_stockouts_last_several_days(shop):
    out = (shop.inventory["on_hand"] == 0) & (shop.sales["qty"] == 0)
    run_id = (out != out.shift()).cumsum()
    longest = out.groupby([shop.sales["sku"], run_id]).sum().max()
    assert longest >= 7


def test_demand_has_weekly_and_yearly_seasonality(sales):
    garden = sales.query("category == 'Garden'")
    by_weekday = garden.groupby(garden["date"].dt.dayofweek)["qty"].mean()
    assert by_weekday[[5, 6]].mean() > 1.2 * by_weekday[[0, 1, 2]].mean()
    festive = sales.query("category == 'Festive'")
    by_month = festive.groupby(festive["date"].dt.month)["qty"].mean()
    assert by_month[12] > 3 * by_month[6]


def test_some_skus_grow_and_others_decline(shop):
    first_day = shop.sales.groupby("sku")["date"].transform("min")
    sales = shop.sales[first_day == shop.sales["date"].min()]
    # Same calendar weeks a year apart, so seasonality cancels out.
    last_year = sales["date"] > DEFAULT_END_DATE - pd.Timedelta(days=182)
    year_before = (sales["date"] <= DEFAULT_END_DATE - pd.Timedelta(days=365)) & (
        sales["date"] > DEFAULT_END_DATE - pd.Timedelta(days=365 + 182)
    )
    recent = sales[last_year].groupby("sku")["qty"].sum()
    earlier = sales[year_before].groupby("sku")["qty"].sum()
    growth = (recent / earlier)[earlier > 50]
    assert (growth > 1.25).any()
    assert (growth < 0.8).any()


def test_slow_intermittent_and_smooth_movers_all_exist(shop):
    zero_share = shop.sales.groupby("sku")["qty"].apply(lambda qty: (qty == 0).mean())
    assert (zero_share > 0.7).mean() >= 0.05
    assert (zero_share < 0.2).mean() >= 0.2


def test_promotions_cut_the_price_and_raise_demand(shop):
    sales = shop.sales
    promoted = sales.groupby("sku")["promo"].transform("max") == 1
    in_promo = sales[promoted]
    by_flag = in_promo.groupby(["sku", "promo"])[["qty", "price"]].mean().unstack("promo")
    assert (by_flag["price"][1.0] < by_flag["price"][0.0]).all()
    assert (by_flag["qty"][1.0] / by_flag["qty"][0.0]).median() > 1.3


def test_titles_are_unique_readable_and_name_the_product_type(shop):
    products = shop.products
    assert products["name"].is_unique
    assert products["name"].str.fullmatch(r"[A-Z][A-Za-z0-9 .\-]+").all()
    assert (products["name"].str.split().str.len() >= 4).all()
    pairs = zip(products["product_type"], products["name"], strict=True)
    assert all(product_type in name for product_type, name in pairs)
    assert set(products["category"]) <= {c.name for c in CATEGORIES}
    assert products["sku"].str.fullmatch(r"[A-Z]{3}-\d{5}").all()


def test_titles_stay_unique_past_the_word_lists_capacity():
    names = make_catalog(3000, np.random.default_rng(1))["name"]
    assert names.is_unique
    assert names.str.contains("Edition").any()


def test_products_carry_supply_and_price_parameters(shop):
    products = shop.products
    assert (products["lead_time_days"] > 0).all()
    assert (products["lead_time_sd_days"] > 0).all()
    assert (products["pack_size"] > 0).all() and (products["moq"] > 0).all()
    assert ((products["moq"] % products["pack_size"]) == 0).all()
    assert (products["unit_cost"] > 0).all()
    assert (products["unit_cost"] < products["unit_price"]).all()
    assert products["supplier"].notna().all()


def test_similar_titles_share_demand_patterns(sales):
    monthly = sales.groupby(["sku", sales["date"].dt.month])["qty"].mean().unstack()
    monthly = monthly.dropna()
    monthly = monthly[monthly.mean(axis=1) > 0.5]
    profiles = monthly.div(monthly.mean(axis=1), axis=0)
    category = sales.groupby("sku")["category"].first()[profiles.index].to_numpy()
    corr = np.corrcoef(profiles.to_numpy())
    same = category[:, None] == category[None, :]
    off_diagonal = ~np.eye(len(category), dtype=bool)
    assert corr[same & off_diagonal].mean() > corr[~same].mean() + 0.3


def test_launched_and_discontinued_items_exist(shop):
    first_day = shop.sales.groupby("sku")["date"].min()
    assert (first_day > first_day.min()).any()
    last_sale = shop.sales.query("qty > 0").groupby("sku")["date"].max()
    assert (last_sale < DEFAULT_END_DATE - pd.Timedelta(days=60)).any()


def test_open_purchase_orders_arrive_after_the_last_day(shop):
    orders = shop.purchase_orders
    assert set(orders["status"]) == {"open", "received"}
    assert (orders.query("status == 'open'")["eta"] > DEFAULT_END_DATE).all()
    assert (orders.query("status == 'received'")["eta"] <= DEFAULT_END_DATE).all()
    assert not orders.duplicated(["po_id", "sku"]).any()
    assert orders["po_id"].str.fullmatch(r"PO-\d{8}-\d{2}").all()


def test_order_lines_add_up_to_the_daily_sales_in_their_window(shop):
    lines = shop.order_lines
    assert not lines.duplicated(["order_id", "line_no"]).any()
    assert not lines.duplicated(["order_id", "sku"]).any()
    days = lines["ts"].dt.normalize()
    assert (days.max() - days.min()).days < 365
    per_day = lines.groupby(["sku", days.rename("date")])["qty"].sum()
    window = shop.sales[shop.sales["date"] >= days.min()].set_index(["sku", "date"])
    sold = window.loc[window["qty"] > 0, "qty"]
    pd.testing.assert_series_equal(per_day.sort_index(), sold.sort_index(), check_names=False)
    prices = lines.merge(shop.sales, left_on=["sku", days], right_on=["sku", "date"])
    np.testing.assert_allclose(prices["price_x"], prices["price_y"])


def test_baskets_hold_items_of_one_collection_and_customers_come_back(shop):
    lines = shop.order_lines.merge(shop.products[["sku", "collection"]], on="sku")
    pairs = lines.merge(lines, on="order_id").query("sku_x < sku_y")
    same_collection = (pairs["collection_x"] == pairs["collection_y"]).mean()
    share = shop.products["collection"].value_counts(normalize=True)
    assert same_collection > 3 * (share**2).sum()
    orders_per_customer = lines.groupby("customer_id")["order_id"].nunique()
    assert orders_per_customer.max() >= 10


def test_sizes_out_of_range_are_refused_with_the_parameter_name():
    with pytest.raises(ConfigError, match="n_skus must be"):
        make_sales(0, 100)
    with pytest.raises(ConfigError, match="n_days must be"):
        make_shop(10, 5)
    with pytest.raises(ConfigError, match="seed must be"):
        make_sales(10, 60, seed=-1)


def test_build_demo_writes_every_table_and_load_sales_reads_it_back(tmp_path):
    conn = store.connect(tmp_path / "demo.duckdb")
    try:
        steps: list[tuple[int, int]] = []
        build_demo(conn, n_skus=50, n_days=200, seed=2)
        summary = build_demo(
            conn, n_skus=25, n_days=90, seed=1,
            progress=lambda step, total, _label: steps.append((step, total)),
        )
        counts = store.table_counts(conn)
        loaded = store.load_sales(conn)
    finally:
        conn.close()
    assert steps == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert counts.pop("ingest_log") == 0
    assert counts == summary.rows
    assert all(rows > 0 for rows in counts.values())
    assert loaded["sku"].nunique() == 25 == summary.n_skus
    assert (loaded.groupby("sku")["date"].diff().dropna() == pd.Timedelta(days=1)).all()
    assert loaded["stockout"].any()
    assert (loaded.loc[loaded["stockout"], "qty"] == 0).all()
    assert summary.stockout_days == int(loaded["stockout"].sum())
    assert summary.last_date == DEFAULT_END_DATE
    assert "25 SKUs x 90 days" in summary.describe()
