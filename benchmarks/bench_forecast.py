"""Speed: SKUs per second of the whole invdash auto pipeline vs statsforecast, same data, same run.

Data: ``invdash.demo.make_sales(n, 730, seed=0)`` (generated shop, 2 years per SKU, launches
start late). For each size (default 1,000 and 10,000 SKUs):

- ``invdash auto``: ``run_forecast(sales, horizon=28)``, everything a user gets: pivot, demand
  classes, 3-fold rolling backtest of 6 models, per-SKU fusion, quantile calibration, final fit,
  28-day forecast with p05..p99.
- ``statsforecast AutoETS``: ``StatsForecast([AutoETS(season_length=7)], n_jobs=1).forecast(h=28,
  level=[80])``: one model, no backtest, no selection (the cheapest comparable thing).
- ``statsforecast model set + CV`` (``--sf-cv``): the same amount of work as invdash auto:
  ``cross_validation(n_windows=3, h=28)`` then ``forecast`` of SeasonalNaive, AutoETS,
  CrostonSBA and TSB.

Prints seconds and SKUs/s for each and the ratio invdash / statsforecast. Run:
``.venv/bin/python benchmarks/bench_forecast.py [--skus 1000 10000] [--sf-cv]``.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import pandas as pd

from invdash.demo import make_sales
from invdash.forecast.engine import run_forecast
from invdash.forecast.options import ForecastOptions

H = 28
#: statsforecast worker processes (``--sf-jobs``); 1 by default: its process pool hung on this
#: shared machine once, and invdash itself runs in one process.
JOBS = 1


def time_invdash(sales: pd.DataFrame) -> float:
    """Seconds of the whole auto pipeline."""
    started = time.perf_counter()
    run_forecast(sales, ForecastOptions(horizon=H, folds=3))
    return time.perf_counter() - started


def _sf_data(sales: pd.DataFrame) -> pd.DataFrame:
    return sales[["sku", "date", "qty"]].rename(columns={"sku": "unique_id", "date": "ds",
                                                         "qty": "y"})


def time_autoets(sales: pd.DataFrame) -> float:
    """Seconds of statsforecast AutoETS (weekly season) forecast with an 80 % interval."""
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS

    engine = StatsForecast(models=[AutoETS(season_length=7)], freq="D", n_jobs=JOBS)
    started = time.perf_counter()
    engine.forecast(df=_sf_data(sales), h=H, level=[80])
    return time.perf_counter() - started


def time_model_set_cv(sales: pd.DataFrame) -> float:
    """Seconds of statsforecast 3-window CV plus forecast of a comparable model set."""
    from statsforecast import StatsForecast
    from statsforecast.models import TSB, AutoETS, CrostonSBA, SeasonalNaive

    models = [SeasonalNaive(season_length=7), AutoETS(season_length=7), CrostonSBA(),
              TSB(alpha_d=0.1, alpha_p=0.1)]
    engine = StatsForecast(models=models, freq="D", n_jobs=JOBS)
    data = _sf_data(sales)
    started = time.perf_counter()
    engine.cross_validation(df=data, h=H, n_windows=3, step_size=H)
    engine.forecast(df=data, h=H)
    return time.perf_counter() - started


def main() -> None:
    """Time every method on each size and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--sf-cv", action="store_true", help="also time the statsforecast CV set")
    parser.add_argument("--invdash-only", action="store_true", help="skip statsforecast AutoETS")
    parser.add_argument("--sf-jobs", type=int, default=1, help="statsforecast n_jobs")
    args = parser.parse_args()
    global JOBS
    JOBS = args.sf_jobs
    rows = []
    for n in args.skus:
        sales = make_sales(n, args.days, seed=0)
        timings = {"invdash auto (backtest+fusion+forecast)": time_invdash(sales)}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if not args.invdash_only:
                timings["statsforecast AutoETS (forecast only)"] = time_autoets(sales)
            if args.sf_cv:
                timings["statsforecast 4 models, 3-fold CV + forecast"] = time_model_set_cv(sales)
        for method, seconds in timings.items():
            rows.append({"skus": n, "method": method, "seconds": round(seconds, 1),
                         "skus_per_s": round(n / seconds, 1)})
        print(pd.DataFrame(rows[-len(timings):]).to_string(index=False), flush=True)
    table = pd.DataFrame(rows)
    ours = table[table["method"].str.startswith("invdash")].set_index("skus")["skus_per_s"]
    table["invdash_speedup"] = (ours.reindex(table["skus"]).to_numpy() / table["skus_per_s"]).round(
        2
    )
    print(f"\ncpu cores: {os.cpu_count()}")
    print(table.to_string(index=False))


if __name__ == "__main__":
    main()
