"""Demo shop, origin 1 November: is December's peak forecast?

The demo generator (``invdash.demo``) is simulated through 2025-12-31 (500 SKUs, seed 7, 791
days); the forecast sees the days up to 2025-10-31 only (the 730 days ``invdash demo`` builds),
with stock-out days marked as the store marks them (zero stock and zero sales), and forecasts 61
days. Truth: the generated demand of December 2025 (expected ``mean`` and drawn ``qty``, before
stock-outs). Printed: December totals per category and for the shop, forecast vs truth, and the
ratio; the goal is within +-20 % for the Festive category and the shop.
Run: ``.venv/bin/python benchmarks/bench_season.py [--skus 500] [--model auto]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from invdash.demo import _sales_frame, _simulate
from invdash.forecast.engine import run_forecast
from invdash.forecast.options import ForecastOptions

END = pd.Timestamp("2025-12-31")
ORIGIN = pd.Timestamp("2025-11-01")


def demo_history(n_skus: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """History sales (with stockout), products, and December truth per SKU."""
    simulation = _simulate(n_skus, 791, np.random.default_rng(seed), END)
    sales = _sales_frame(simulation)
    on_hand = simulation.stock.on_hand
    active = np.arange(on_hand.shape[1])[None, :] >= simulation.demand.first_day[:, None]
    sales["stockout"] = (on_hand[active] <= 0) & (sales["qty"].to_numpy() == 0)
    history = sales[sales["date"] < ORIGIN].reset_index(drop=True)
    dates = simulation.demand.dates
    december = (dates.month == 12) & (dates.year == END.year)
    truth = pd.DataFrame({
        "sku": simulation.products["sku"], "category": simulation.products["category"],
        "true_mean": simulation.demand.mean[:, december].sum(axis=1),
        "true_qty": simulation.demand.qty[:, december].sum(axis=1),
    })
    return history, simulation.products, truth


def main() -> None:
    """Forecast from 1 November and print December totals vs the generated truth."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--model", default="auto")
    parser.add_argument("--country", help="public holidays as events (GB: the demo shop's)")
    args = parser.parse_args()
    history, products, truth = demo_history(args.skus, args.seed)
    started = time.perf_counter()
    options = ForecastOptions(horizon=61, model=args.model, country=args.country)
    run = run_forecast(history, options, products=products)
    seconds = time.perf_counter() - started
    forecasts = run.forecasts[pd.to_datetime(run.forecasts["date"]).dt.month == 12]
    per_sku = forecasts.groupby("sku")["mean"].sum().rename("forecast")
    frame = truth.merge(per_sku, left_on="sku", right_index=True, how="left").fillna(0.0)
    table = frame.groupby("category")[["forecast", "true_mean", "true_qty"]].sum()
    table.loc["shop"] = table.sum()
    table["ratio_to_mean"] = table["forecast"] / table["true_mean"]
    print(table.round(2).to_string())
    print(f"run {seconds:.1f} s; models chosen: "
          + ", ".join(f"{k} {v}" for k, v in run.choices["model"].value_counts().head(6).items()))


if __name__ == "__main__":
    main()
