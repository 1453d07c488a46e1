"""Holt-Winters (``hw``), the global model at coarse grains, and the fusion's shrinkage."""

from __future__ import annotations

import numpy as np
import pandas as pd

from invdash.forecast.grain import resolve_grain
from invdash.forecast.models.global_model import GlobalBoostForecaster
from invdash.forecast.models.seasonal import HoltWintersForecaster
from invdash.forecast.models.statistical import ETSForecaster
from invdash.forecast.panel import to_panel
from invdash.forecast.registry import auto_model_factories


def _monthly(peaks: dict[str, int], years: int = 8, seed: int = 0) -> pd.DataFrame:
    """Monthly sales; SKU ``s`` peaks (3x) in month ``peaks[s]``, the others sell flat."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2015-01-01", periods=12 * years, freq="MS")
    rows = []
    for sku, peak in peaks.items():
        level = 100.0 * np.where(dates.month == peak, 3.0, 1.0)
        rows.append(pd.DataFrame({"sku": sku, "date": dates,
                                  "qty": rng.poisson(level).astype(float)}))
    return pd.concat(rows, ignore_index=True)


def _panel(sales: pd.DataFrame):
    return to_panel(sales, grain=resolve_grain(sales, "auto"))


def test_hw_learns_each_skus_own_peak_month_where_pooled_ets_blurs_it():
    # Half the SKUs peak in March, half in September: the pooled profile has two half peaks.
    sales = _monthly({f"MAR-{i}": 3 for i in range(4)} | {f"SEP-{i}": 9 for i in range(4)})
    panel = _panel(sales)
    hw = HoltWintersForecaster().fit_panel(panel).predict_mean(12)
    ets = ETSForecaster().fit_panel(panel).predict_mean(12)
    months = pd.date_range("2023-01-01", periods=12, freq="MS").month.to_numpy()
    march = np.array([s.startswith("MAR") for s in panel.skus])
    truth = 100.0 * np.where(months[None, :] == np.where(march, 3, 9)[:, None], 3.0, 1.0)
    assert np.all(hw[march][:, months == 3] > 2.2 * hw[march][:, months == 9])
    assert np.all(hw[~march][:, months == 9] > 2.2 * hw[~march][:, months == 3])
    assert np.abs(hw - truth).mean() < 0.6 * np.abs(ets - truth).mean()


def test_hw_joins_the_auto_set_only_for_weeks_and_months():
    assert "hw" not in auto_model_factories(grain="D")
    assert "hw" in auto_model_factories(grain="W") and "hw" in auto_model_factories(grain="M")


def test_global_model_is_not_thrown_by_a_sku_back_from_a_long_pause():
    # A monthly SKU that sold nothing for 100 months and then started used to get a near-zero
    # scale, training targets of 10^5 and forecasts of many times the level for other SKUs.
    sales = _monthly({f"S{i}": 6 for i in range(12)}, years=10)
    paused = sales["sku"] == "S0"
    months = sales["date"].rank(method="dense").astype(int)
    sales.loc[paused & (months <= 100), "qty"] = 0.0
    model = GlobalBoostForecaster().fit_panel(_panel(sales))
    mean = model.predict_mean(12)
    others = mean[1:]
    assert np.all(others < 3.0 * 300.0) and np.all(others.mean(axis=1) > 60.0)


def test_spread_search_goes_below_the_grid_for_smooth_monthly_turnover():
    # Smooth, strongly seasonal monthly series: history varies far more than forecast errors,
    # so the best spread lies below SPREAD_GRID's floor and the low grid must find it.
    from invdash.forecast.backtest import run_backtest
    from invdash.forecast.fusion import choose_models
    from invdash.forecast.quantiles import LOW_GRID, SPREAD_GRID, calibrate_spread

    rng = np.random.default_rng(3)
    dates = pd.date_range("2012-01-01", periods=120, freq="MS")
    season = 1.0 + 0.5 * np.sin(2 * np.pi * dates.month.to_numpy() / 12)
    sales = pd.concat([
        pd.DataFrame({"sku": f"S{i}", "date": dates,
                      "qty": 1000.0 * (1 + i) * season * rng.normal(1.0, 0.08, len(dates))})
        for i in range(6)
    ], ignore_index=True)
    backtest = run_backtest(sales, folds=2, horizon=12,
                            models={"hw": HoltWintersForecaster, "ets": ETSForecaster})
    choices = choose_models(backtest)
    table = calibrate_spread(backtest, choices).set_index("demand_class")
    assert table.loc["all", "spread"] in LOW_GRID
    assert table.loc["all", "spread"] < SPREAD_GRID[0]
    assert abs(table.loc["all", "coverage80"] - 0.8) < 0.15
