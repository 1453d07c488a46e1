"""Price and promotion effects of the fast models, and public holidays as their events."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from invdash.forecast.engine import run_forecast
from invdash.forecast.grain import DAILY
from invdash.forecast.models.baseline import event_adjusted_history, shop_price_prior
from invdash.forecast.options import ForecastOptions
from invdash.forecast.panel import to_panel, weekday_profile
from invdash.forecast.price import _trailing_max, price_covariates, price_sums, prior_from_sums

DAYS = pd.date_range("2024-01-01", periods=300)
PLAN = pd.date_range(DAYS[-1] + pd.Timedelta(days=1), periods=14)
PRODUCTS = pd.DataFrame({"sku": [f"S{k:02d}" for k in range(12)],
                         "category": ["juice"] * 6 + ["tea"] * 6})


def _priced_sales(seed: int = 0, *, steady: tuple[int, ...] = ()) -> pd.DataFrame:
    """12 SKUs x 300 days of Poisson demand, elasticity -2 to price cuts of 30 % on random
    days (15 %, promoted); SKUs in ``steady`` never change price."""
    rng = np.random.default_rng(seed)
    frames = []
    for k in range(12):
        cut = (rng.random(len(DAYS)) < 0.15) & (k not in steady)
        price = np.where(cut, 7.0, 10.0)
        qty = rng.poisson(8 * (price / 10.0) ** -2.0)
        frames.append(pd.DataFrame({"sku": f"S{k:02d}", "date": DAYS, "qty": qty.astype(float),
                                    "price": price, "promo": cut.astype(float)}))
    return pd.concat(frames, ignore_index=True)


def _plan(price: float, promo: float) -> pd.DataFrame:
    return pd.concat([pd.DataFrame({"sku": f"S{k:02d}", "date": PLAN, "price": price,
                                    "promo": promo}) for k in range(12)], ignore_index=True)


def _means(sales: pd.DataFrame, model: str, future: pd.DataFrame | None = None) -> pd.Series:
    run = run_forecast(sales, ForecastOptions(model=model, folds=0, horizon=14),
                       products=PRODUCTS, future=future)
    return run.forecasts.set_index(["sku", "date"])["mean"].sort_index()


@pytest.mark.parametrize("model", ["ma", "ets", "croston"])
def test_a_planned_price_cut_and_a_promotion_raise_the_fast_forecast(model):
    sales = _priced_sales()
    regular = _means(sales, model, _plan(10.0, 0.0))
    # In the history every cut came with the promotion flag: each alone carries part of the
    # lift, both together most of the true 2x (0.7 ** -2).
    for price, promo, lift in ((7.0, 0.0, 1.15), (10.0, 1.0, 1.2), (7.0, 1.0, 1.5)):
        planned = _means(sales, model, _plan(price, promo))
        assert (planned >= regular - 1e-9).all()
        assert planned.sum() > lift * regular.sum()
    # A planned rise lowers the whole horizon, not only its first day.
    risen = _means(sales, model, _plan(13.0, 0.0))
    assert (risen <= regular + 1e-9).all() and risen.sum() < 0.95 * regular.sum()
    assert (risen.groupby(level="date").sum().iloc[1:] < regular.groupby(level="date").sum()
            .iloc[1:]).all()


def test_the_elasticity_is_learnt_with_the_right_sign_and_size():
    panel = to_panel(_priced_sales(), grain=DAILY, products=PRODUCTS)
    prior = shop_price_prior(panel)
    assert prior is not None
    # Elasticity -2 with the promotion flag on the same days: their sum carries the effect
    # of a 30 % cut (log 0.7 x -2 = 0.71), shrunk by the log ratio's damping of zero days.
    price, promo = prior.shop
    assert price <= 0 <= promo
    assert 0.35 < price * np.log(0.7) + promo < 0.9


def test_without_prices_or_with_constant_prices_the_forecast_is_unchanged():
    sales = _priced_sales(steady=tuple(range(12)))
    bare = sales.drop(columns=["price", "promo"])
    pd.testing.assert_series_equal(_means(sales, "ets"), _means(bare, "ets"))
    pd.testing.assert_series_equal(_means(sales, "ma"), _means(bare, "ma"))


def test_a_sku_that_never_changed_price_takes_its_categorys_elasticity():
    sales = _priced_sales(steady=(0,))
    regular = _means(sales, "ma", _plan(10.0, 0.0))
    promoted = _means(sales, "ma", _plan(7.0, 1.0))
    lift = promoted.groupby(level="sku").sum() / regular.groupby(level="sku").sum()
    assert lift["S00"] > 1.4
    assert lift["S00"] == pytest.approx(lift[["S01", "S02", "S03", "S04", "S05"]].mean(), rel=0.1)


def test_pooled_sums_of_sku_chunks_add_up_to_the_whole_panels_prior():
    panel = to_panel(_priced_sales(), grain=DAILY, products=PRODUCTS)
    adjusted, _ = event_adjusted_history(panel, weekday_profile(panel))
    x = price_covariates(panel.price, panel.promo, panel.grain, periods=len(panel.dates))
    halves = [price_sums(adjusted[rows], x[rows], panel.category[rows], DAILY)
              for rows in (slice(0, 5), slice(5, 12))]
    added = {code: sum(h[code] for h in halves if code in h) for code in (0, 1)}
    whole = shop_price_prior(panel)
    chunked = prior_from_sums(added)
    np.testing.assert_allclose(chunked.shop, whole.shop, rtol=1e-10)
    for code in (0, 1):
        np.testing.assert_allclose(chunked.categories[code], whole.categories[code], rtol=1e-10)


def _holiday_sales() -> pd.DataFrame:
    """6 SKUs, 2022-06 .. 2025-04-30: Poisson(10) a day, 3x on the UK early May bank holidays
    (2023-05-01 and 2024-05-06) and the extra one of 2023-05-08."""
    rng = np.random.default_rng(1)
    days = pd.date_range("2022-06-01", "2025-04-30")
    lifted = pd.DatetimeIndex(["2023-05-01", "2023-05-08", "2024-05-06"])
    mean = np.where(days.isin(lifted), 30.0, 10.0)
    return pd.concat([pd.DataFrame({"sku": f"H{k}", "date": days,
                                    "qty": rng.poisson(mean).astype(float)})
                      for k in range(6)], ignore_index=True)


def test_public_holidays_of_the_set_country_lift_the_fast_forecast_on_their_day():
    sales = _holiday_sales()
    holiday, monday = pd.Timestamp("2025-05-05"), pd.Timestamp("2025-05-12")

    def by_day(country: str | None) -> pd.Series:
        run = run_forecast(sales, ForecastOptions(model="ets", folds=0, horizon=14,
                                                  country=country))
        assert run.country == country
        return run.forecasts.groupby("date")["mean"].sum()

    with_holidays, without = by_day("GB"), by_day(None)
    assert with_holidays[holiday] > 1.5 * with_holidays[monday]
    assert without[holiday] == pytest.approx(without[monday], rel=0.05)


@pytest.mark.parametrize("window", [1, 3, 4, 5, 8, 28])
def test_the_regular_price_is_the_highest_of_the_periods_before(window):
    rng = np.random.default_rng(window)
    price = rng.choice([7.0, 9.0, 10.0], size=(3, 40))
    price[0] = np.nan  # a SKU without prices
    expected = np.full(price.shape, np.nan)
    for t in range(1, 40):
        before = price[:, max(t - window, 0):t]
        known = ~np.isnan(before).all(axis=1)
        expected[known, t] = np.nanmax(before[known], axis=1)
    np.testing.assert_array_equal(_trailing_max(price, window), expected)
