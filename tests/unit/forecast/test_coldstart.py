"""Cold start from similar product titles: new SKUs borrow the demand of look-alike products."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from invdash.forecast.models.coldstart import SimilarProductForecaster, similar_products
from invdash.schema import FORECAST_COLUMNS, InvalidDataError, NotFittedError, validate_forecasts

TITLES = {
    "MUG-1": "Ceramic Coffee Mug White",
    "MUG-2": "Ceramic Tea Mug Red",
    "MUG-3": "Stoneware Coffee Mug Large",
    "MUG-4": "Porcelain Coffee Cup and Saucer",
    "HOSE-1": "Garden Hose 25m Green",
    "HOSE-2": "Expandable Garden Hose 30m",
    "HOSE-3": "Garden Hose Reel with Hose",
    "HOSE-4": "Heavy Duty Water Hose Pipe",
}
MUG_LEVEL, HOSE_LEVEL = 20.0, 2.0


@pytest.fixture(scope="module")
def shop() -> tuple[pd.DataFrame, pd.DataFrame]:
    """90 days of Poisson sales: mugs sell 20 a day, garden hoses 2; plus two new products.

    ``NEW-MUG`` ("Ceramic Coffee Mug Blue") is in products only; ``NEW-HOSE`` has 7 days of sales
    at 6 units a day.
    """
    rng = np.random.default_rng(0)
    dates = pd.date_range("2024-01-01", periods=90, freq="D")
    frames = [
        pd.DataFrame({"sku": sku, "date": dates, "price": 5.0, "promo": 0.0,
                      "qty": rng.poisson(MUG_LEVEL if sku.startswith("MUG") else HOSE_LEVEL,
                                         len(dates)).astype(float)})
        for sku in TITLES
    ]
    frames.append(pd.DataFrame({"sku": "NEW-HOSE", "date": dates[-7:], "price": 5.0,
                                "promo": 0.0, "qty": 6.0}))
    sales = pd.concat(frames, ignore_index=True)
    titles = {**TITLES, "NEW-MUG": "Ceramic Coffee Mug Blue",
              "NEW-HOSE": "Flexible Garden Hose 15m"}
    products = pd.DataFrame({"sku": list(titles), "name": list(titles.values())})
    return sales, products


@pytest.fixture(scope="module")
def forecasts(shop) -> pd.DataFrame:
    sales, products = shop
    return SimilarProductForecaster(k=3).fit(sales, products=products).predict(14)


def test_brand_new_mug_gets_a_mug_level_not_a_hose_level(forecasts):
    level = forecasts[forecasts["sku"] == "NEW-MUG"]["mean"].mean()
    assert abs(level - MUG_LEVEL) < 3.0
    assert level > 5 * HOSE_LEVEL


def test_short_history_blends_own_mean_with_neighbours(forecasts):
    level = forecasts[forecasts["sku"] == "NEW-HOSE"]["mean"].mean()
    # 7 of 28 days own history: 0.25 * 6 + 0.75 * ~2 = ~3
    assert 2.5 < level < 4.0


def test_every_sku_of_sales_and_products_gets_h_rows(forecasts, shop):
    sales, products = shop
    validate_forecasts(forecasts)
    assert list(forecasts.columns) == list(FORECAST_COLUMNS)
    assert set(forecasts["sku"]) == set(sales["sku"]) | set(products["sku"])
    assert (forecasts.groupby("sku").size() == 14).all()
    assert (forecasts["model"] == "coldstart").all()
    new = forecasts[forecasts["sku"] == "NEW-MUG"]
    assert new["date"].min() == sales["date"].max() + pd.Timedelta(days=1)


def test_quantiles_come_from_the_neighbours_spread(forecasts):
    new = forecasts[forecasts["sku"] == "NEW-MUG"]
    assert (new["p10"] < new["p50"]).all() and (new["p50"] < new["p90"]).all()
    assert 10.0 < new["p10"].mean() < MUG_LEVEL < new["p90"].mean() < 30.0


def test_established_skus_keep_their_own_level(forecasts):
    level = forecasts[forecasts["sku"] == "HOSE-1"]["mean"].mean()
    assert abs(level - HOSE_LEVEL) < 1.0


def test_similar_products_ranks_mugs_first(shop):
    _, products = shop
    neighbours = similar_products(products, "NEW-MUG", k=3)
    assert list(neighbours.columns) == ["sku", "name", "similarity"]
    assert len(neighbours) == 3
    assert all(sku.startswith("MUG") for sku in neighbours["sku"])
    assert "NEW-MUG" not in set(neighbours["sku"])
    assert neighbours["similarity"].is_monotonic_decreasing


def test_similar_products_unknown_sku_is_an_error(shop):
    _, products = shop
    with pytest.raises(InvalidDataError, match="not in products"):
        similar_products(products, "NOPE", k=3)


def test_predict_before_fit_raises():
    with pytest.raises(NotFittedError, match="not fitted yet"):
        SimilarProductForecaster().predict(7)


def test_without_products_forecasts_the_sales_skus(shop):
    sales, _ = shop
    before = sales.copy()
    forecasts = SimilarProductForecaster().fit(sales).predict(7)
    pd.testing.assert_frame_equal(sales, before)
    validate_forecasts(forecasts)
    assert set(forecasts["sku"]) == set(sales["sku"])
