"""Explaining one SKU's 28-day forecast after the forecast run: seconds per SKU.

Baseline in the same run: the forecast run itself (per SKU), so the ratio says how much an
explanation costs next to forecasting. The goal is <= 1 s per SKU on 2 CPU cores.

A second table explains SKUs of an ``lgbm`` (global model) run: the explainer trains the
booster once and reuses it for every SKU; the baseline in the same run drops that cache before
each explanation, which is what every explanation cost before (one booster fit per SKU).

Data: the generated demo panel (``make_sales``) and, when ``../shared`` is present, the real
Online Retail daily panel (top SKUs by volume).

    .venv/bin/python benchmarks/bench_explain.py [--skus 500] [--explain 20]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from invdash import explain, store
from invdash.demo import make_sales
from invdash.forecast.engine import run_forecast
from invdash.forecast.options import ForecastOptions

REAL = Path(__file__).resolve().parents[2] / "shared/data/real/online_retail/online_retail.csv.gz"


def _real_panel(n_skus: int) -> pd.DataFrame | None:
    if not REAL.exists():
        return None
    from invdash.ingest import ingest_file

    conn = store.connect(":memory:")
    ingest_file(conn, str(REAL), kind="auto")
    sales = store.load_sales(conn)
    conn.close()
    top = sales.groupby("sku")["qty"].sum().nlargest(n_skus).index
    return sales[sales["sku"].isin(top)].reset_index(drop=True)


def _measure(name: str, sales: pd.DataFrame, n_explain: int) -> dict:
    started = time.perf_counter()
    run = run_forecast(sales, ForecastOptions(horizon=28, seed=0))
    forecast_s = time.perf_counter() - started
    skus = run.choices["sku"].head(n_explain).tolist()
    explainer = explain.ForecastExplainer(sales, run)  # once per run (the dashboard caches it)
    explainer.explain(skus[0])  # warm-up: imports shap and builds its matrix once per process
    times = []
    for sku in skus:
        started = time.perf_counter()
        explainer.explain(sku)
        times.append(time.perf_counter() - started)
    n = run.choices.shape[0]
    return {
        "data": name, "skus": n, "forecast_s_per_sku": forecast_s / n,
        "explain_median_s": float(np.median(times)), "explain_max_s": float(np.max(times)),
        "ratio_explain_to_forecast": float(np.median(times)) / (forecast_s / n),
    }


def _measure_global(name: str, sales: pd.DataFrame, n_explain: int) -> dict:
    run = run_forecast(sales, ForecastOptions(horizon=28, seed=0, model="lgbm", folds=0))
    skus = run.choices["sku"].head(n_explain).tolist()
    explainer = explain.ForecastExplainer(sales, run)
    explainer.explain(skus[0])  # warm-up (shap matrix, the booster once)
    cached, refit = [], []
    for sku in skus:
        started = time.perf_counter()
        explainer.explain(sku)
        cached.append(time.perf_counter() - started)
        explainer._fixed.clear()  # the baseline: a booster fit per explanation
        started = time.perf_counter()
        explainer.explain(sku)
        refit.append(time.perf_counter() - started)
    return {
        "data": name, "model": "lgbm", "explain_cached_median_s": float(np.median(cached)),
        "explain_refit_median_s": float(np.median(refit)),
        "ratio_refit_to_cached": float(np.median(refit) / np.median(cached)),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skus", type=int, default=500)
    parser.add_argument("--explain", type=int, default=20)
    args = parser.parse_args()
    rows = [_measure(f"generated {args.skus}x730", make_sales(args.skus, 730, seed=0),
                     args.explain)]
    real = _real_panel(args.skus)
    if real is not None:
        rows.append(_measure(f"online_retail top {args.skus}", real, args.explain))
    print(pd.DataFrame(rows).round(4).to_string(index=False))
    sales = make_sales(args.skus, 730, seed=0)
    print(pd.DataFrame([_measure_global(f"generated {args.skus}x730", sales, args.explain)])
          .round(4).to_string(index=False))


if __name__ == "__main__":
    main()
