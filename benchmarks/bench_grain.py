"""Accuracy at the data's own grain: Australian retail monthly vs statsforecast.

Data: ``../shared/data/real/aus_retail/aus_retail.csv.gz``, 152 state x industry turnover series,
monthly (month start), ``--series`` of them (default all). Protocol: 3 rolling origins x 12
months at the end; each method sees only the months before an origin. invdash auto detects the
monthly grain itself. Peers: statsforecast AutoETS, DynamicOptimizedTheta and SeasonalNaive with
season 12 (native intervals). Metrics per series and fold, averaged: RMSSE (scale: one-step naive
on the history), scaled pinball loss over p05..p99, 80 % coverage.
Run: ``.venv/bin/python benchmarks/bench_grain.py [--series 152]``.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from invdash.forecast.engine import run_forecast
from invdash.forecast.metrics import interval_coverage, naive_scales, rmsse, scaled_pinball_loss
from invdash.schema import QUANTILE_COLUMNS

DATA = Path(__file__).resolve().parents[2] / "shared/data/real/aus_retail/aus_retail.csv.gz"
H, FOLDS = 12, 3
LEVELS = (50, 80, 90, 98)
_MAP = {"p05": "lo-90", "p10": "lo-80", "p25": "lo-50", "p75": "hi-50", "p90": "hi-80",
        "p95": "hi-90", "p99": "hi-98"}


def load(n: int) -> pd.DataFrame:
    """``sku, date, qty`` monthly turnover of the first ``n`` series."""
    raw = pd.read_csv(DATA)
    raw = raw[raw["Series ID"].isin(sorted(raw["Series ID"].unique())[:n])]
    return pd.DataFrame({"sku": raw["Series ID"], "date": pd.to_datetime(raw["Month"]),
                         "qty": raw["Turnover"].clip(lower=0).astype(float)})


def matrices(frame: pd.DataFrame, skus: list, dates: pd.DatetimeIndex) -> tuple:
    def pivot(col: str) -> np.ndarray:
        table = frame.pivot_table(index="sku", columns="date", values=col, aggfunc="first")
        return np.nan_to_num(table.reindex(index=skus, columns=dates).to_numpy(dtype=float))
    return pivot("mean"), np.stack([pivot(c) for c in QUANTILE_COLUMNS], axis=2)


def peers(history: pd.DataFrame) -> dict[str, pd.DataFrame]:
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS, DynamicOptimizedTheta, SeasonalNaive

    data = history.rename(columns={"sku": "unique_id", "date": "ds", "qty": "y"})
    models = [AutoETS(season_length=12), DynamicOptimizedTheta(season_length=12),
              SeasonalNaive(season_length=12)]
    out = StatsForecast(models=models, freq="MS", n_jobs=1).forecast(
        df=data, h=H, level=list(LEVELS)).reset_index()
    frames = {}
    for name in ("AutoETS", "DynamicOptimizedTheta", "SeasonalNaive"):
        frame = pd.DataFrame({"sku": out["unique_id"], "date": out["ds"],
                              "mean": out[name].clip(lower=0)})
        for column, suffix in _MAP.items():
            frame[column] = out[f"{name}-{suffix}"].clip(lower=0)
        frame["p50"] = frame["mean"]
        frames[name] = frame
    return frames


def main() -> None:
    """Run the folds and print one row per method."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=152)
    parser.add_argument("--skip-peers", action="store_true", help="only invdash (quick check)")
    args = parser.parse_args()
    panel = load(args.series)
    months = pd.DatetimeIndex(sorted(panel["date"].unique()))
    rows, seconds = [], {}
    for fold in range(FOLDS):
        origin = months[len(months) - H * (FOLDS - fold)]
        history = panel[panel["date"] < origin]
        skus = sorted(history["sku"].unique())
        test_dates = pd.date_range(origin, periods=H, freq="MS")
        train_dates = pd.date_range(history["date"].min(), test_dates[0], freq="MS")[:-1]
        train = history.pivot_table(index="sku", columns="date", values="qty")
        scale_abs, scale_sq = naive_scales(train.reindex(index=skus, columns=train_dates)
                                           .to_numpy(dtype=float))
        actual = panel.pivot_table(index="sku", columns="date", values="qty").reindex(
            index=skus, columns=test_dates).to_numpy(dtype=float)
        methods = {"invdash auto": lambda h: {"invdash auto": run_forecast(h, folds=3).forecasts},
                   "statsforecast": peers}
        if args.skip_peers:
            del methods["statsforecast"]
        for label, method in methods.items():
            started = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                outputs = method(history)
            seconds[label] = seconds.get(label, 0.0) + time.perf_counter() - started
            for name, frame in outputs.items():
                mean, quantiles = matrices(frame, skus, test_dates)
                p10, p90 = QUANTILE_COLUMNS.index("p10"), QUANTILE_COLUMNS.index("p90")
                rows.append(pd.DataFrame({
                    "method": name, "rmsse": rmsse(actual, mean, scale_sq),
                    "spl": scaled_pinball_loss(actual, quantiles, scale_abs),
                    "coverage80": interval_coverage(actual, quantiles[:, :, p10],
                                                    quantiles[:, :, p90]),
                }))
    table = pd.concat(rows).groupby("method").mean().sort_values("rmsse").round(4)
    print(table.to_string())
    print("seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in seconds.items()))


if __name__ == "__main__":
    main()
