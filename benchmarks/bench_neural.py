"""Accuracy and speed of the global neural model against seasonal-naive and moving average.

One hold-out of the last ``--horizon`` days on:
- generated data: ``invdash.demo.make_sales(--skus, --days, seed=0)``;
- real data (when ``../shared/data/real/online_retail`` exists): the UCI Online Retail invoice lines
  aggregated to a daily panel (qty > 0, no cancellations, product StockCodes only), top
  ``--real-skus`` SKUs by units sold.

Metrics (``invdash.forecast.metrics``): MASE and RMSSE of the mean, scaled pinball loss over
``QUANTILES``, 80 % interval coverage (p10..p90) and WAPE. The baselines' quantiles are the
empirical quantiles of their in-sample residuals (honest, simple intervals).

    .venv/bin/python benchmarks/bench_neural.py [--skus 1000 --days 730 --real-skus 500 --epochs 6]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from invdash.forecast.metrics import (
    interval_coverage,
    mase,
    naive_scales,
    rmsse,
    scaled_pinball_loss,
    wape_parts,
)
from invdash.forecast.models.neural import GlobalNeuralForecaster
from invdash.schema import DATE, MEAN, QTY, QUANTILE_COLUMNS, QUANTILES, SKU

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real" / "online_retail"


def online_retail_panel(n_skus: int) -> pd.DataFrame:
    """Daily gap-free panel of the top ``n_skus`` product StockCodes (units sold)."""
    lines = pd.read_csv(REAL / "online_retail.csv.gz", dtype={"InvoiceNo": str, "StockCode": str})
    lines = lines[(lines["Quantity"] > 0) & ~lines["InvoiceNo"].str.startswith("C")]
    lines = lines[lines["StockCode"].str.match(r"^\d{5}")]
    lines[DATE] = pd.to_datetime(lines["InvoiceDate"]).dt.normalize()
    daily = lines.groupby(["StockCode", DATE]).agg(
        qty=("Quantity", "sum"), price=("UnitPrice", "median")
    ).reset_index().rename(columns={"StockCode": SKU})
    top = daily.groupby(SKU)[QTY].sum().nlargest(n_skus).index
    daily = daily[daily[SKU].isin(top)]
    days = pd.date_range(daily[DATE].min(), daily[DATE].max(), freq="D")
    grid = pd.MultiIndex.from_product([sorted(top), days], names=[SKU, DATE])
    panel = daily.set_index([SKU, DATE]).reindex(grid).reset_index()
    panel[QTY] = panel[QTY].fillna(0.0)
    panel["price"] = panel.groupby(SKU)["price"].ffill().bfill()
    panel["promo"] = 0.0
    panel["stockout"] = False
    return panel


def _matrix(sales: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    wide = sales.pivot(index=SKU, columns=DATE, values=QTY).sort_index()
    return wide.index.to_numpy(), wide.to_numpy(dtype=float)


def _baseline_quantiles(train: np.ndarray, mean: np.ndarray, fitted: np.ndarray) -> np.ndarray:
    residuals = train - fitted
    spread = np.nanquantile(residuals, QUANTILES, axis=1).T
    return np.clip(mean[:, :, None] + spread[:, None, :], 0.0, None)


def baselines(train: np.ndarray, h: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Seasonal naive (last week repeated) and 28-day moving average, with residual quantiles."""
    weeks = int(np.ceil(h / 7))
    naive = np.tile(np.nan_to_num(train[:, -7:]), (1, weeks))[:, :h]
    naive_fit = np.concatenate([np.full((len(train), 7), np.nan), train[:, :-7]], axis=1)
    average = np.repeat(np.nanmean(train[:, -28:], axis=1, keepdims=True), h, axis=1)
    rolling = pd.DataFrame(train.T).rolling(28, min_periods=7).mean().shift(1).to_numpy().T
    return {
        "seasonal_naive": (naive, _baseline_quantiles(train, naive, naive_fit)),
        "moving_average_28": (average, _baseline_quantiles(train, average, rolling)),
    }


def score(name: str, actual: np.ndarray, train: np.ndarray, mean: np.ndarray,
          quantiles: np.ndarray) -> dict[str, float | str]:
    scale_abs, scale_sq = naive_scales(train)
    abs_err, _, total = wape_parts(actual, mean)
    levels = list(QUANTILES)
    return {
        "model": name,
        "MASE": float(np.nanmean(mase(actual, mean, scale_abs))),
        "RMSSE": float(np.nanmean(rmsse(actual, mean, scale_sq))),
        "SPL": float(np.nanmean(scaled_pinball_loss(actual, quantiles, scale_abs))),
        "cov80": float(np.nanmean(interval_coverage(
            actual, quantiles[:, :, levels.index(0.10)], quantiles[:, :, levels.index(0.90)]))),
        "WAPE": float(abs_err.sum() / max(total.sum(), 1e-9)),
    }


def evaluate(label: str, sales: pd.DataFrame, h: int, params: dict) -> pd.DataFrame:
    """Hold out the last ``h`` days; score neural and the baselines."""
    cut = sales[DATE].max() - pd.Timedelta(days=h)
    train_frame = sales[sales[DATE] <= cut]
    skus, train = _matrix(train_frame)
    _, actual = _matrix(sales[sales[DATE] > cut])
    rows = [score(name, actual, train, mean, qs)
            for name, (mean, qs) in baselines(train, h).items()]
    started, cpu_started = time.perf_counter(), time.process_time()
    model = GlobalNeuralForecaster(**params).fit(train_frame)
    fit_seconds = time.perf_counter() - started
    fit_cpu_seconds = time.process_time() - cpu_started
    forecasts = model.predict(h).set_index(SKU).loc[skus]
    mean = forecasts[MEAN].to_numpy().reshape(len(skus), h)
    qs = forecasts[list(QUANTILE_COLUMNS)].to_numpy().reshape(len(skus), h, len(QUANTILES))
    rows.append(score("neural", actual, train, mean, qs))
    table = pd.DataFrame(rows)
    table.insert(0, "data", label)
    table["fit_s"] = [np.nan] * (len(rows) - 1) + [round(fit_seconds, 1)]
    table["fit_cpu_s"] = [np.nan] * (len(rows) - 1) + [round(fit_cpu_seconds, 1)]
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=1000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--real-skus", type=int, default=500)
    parser.add_argument("--horizon", type=int, default=28)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--windows", type=int, default=16384)
    parser.add_argument("--lr", type=float, default=None, help="learning rate (default: model's)")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: default)")
    args = parser.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    params = {"max_epochs": args.epochs, "windows_per_epoch": args.windows}
    if args.lr is not None:
        params["learning_rate"] = args.lr
    tables = []
    if args.skus:
        from invdash.demo import make_sales

        sales = make_sales(args.skus, args.days, seed=0)
        tables.append(evaluate(f"demo {args.skus}x{args.days}", sales, args.horizon, params))
        print(tables[-1].round(3).to_string(index=False), flush=True)
    if args.real_skus and REAL.exists():
        tables.append(evaluate(f"online_retail top {args.real_skus}",
                               online_retail_panel(args.real_skus), args.horizon, params))
    pd.set_option("display.width", 160)
    print(pd.concat(tables, ignore_index=True).round(3).to_string(index=False))


if __name__ == "__main__":
    main()
