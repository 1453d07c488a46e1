"""Accuracy at the data's own grain: Australian retail monthly, orange juice weekly.

Data (``../shared/data/real``):
- ``--data aus``: ABS retail turnover, 152 state x industry series, monthly (month start).
  3 rolling origins x 12 months; peers with season 12.
- ``--data oj``: Dominick's orange juice, store x brand weekly units ``exp(logmove)`` (week 1 =
  Thursday 1989-09-14), with the brand's own price and ``deal`` as the promotion flag; the first
  ``--series`` store-brands. 3 origins x 12 weeks; peers with season 52. A week missing from the
  file is unknown demand: invdash gets it as a stock-out (not fitted, not scored); the peers,
  which need regular series, get ``logmove`` interpolated. invdash also gets the test weeks'
  prices and deals as planned (``future``): a retailer plans its deals; the peers do not use them.
Each method sees only the periods before an origin. invdash auto detects the grain itself. Peers:
statsforecast AutoETS, DynamicOptimizedTheta and SeasonalNaive (native intervals). Metrics per
series and fold, averaged: RMSSE (scale: one-step naive on the history), scaled pinball loss over
p05..p99, 80 % coverage.
Run: ``.venv/bin/python benchmarks/bench_grain.py [--data aus|oj] [--series N] [--country US]``
(``--country``: that country's public holidays as events of invdash's fast models).
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
from invdash.forecast.options import ForecastOptions
from invdash.schema import QUANTILE_COLUMNS

REAL = Path(__file__).resolve().parents[2] / "shared/data/real"
DATA = REAL / "aus_retail/aus_retail.csv.gz"
OJ = REAL / "orange_juice/orangejuice_yx.csv.gz"
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


def load_oj(n: int) -> pd.DataFrame:
    """``sku, date, qty, price, promo, stockout`` weekly, the first ``n`` store-brands, gap-free
    (missing weeks: stockout True, qty 0) with ``qty_peer`` (interpolated) for the peers."""
    raw = pd.read_csv(OJ)
    raw["sku"] = raw["store"].astype(str).str.zfill(3) + "-" + raw["brand"].astype(str)
    raw = raw[raw["sku"].isin(sorted(raw["sku"].unique())[:n])]
    records = raw.to_dict("records")
    raw["price"] = [row[f"price{row['brand']}"] for row in records]
    weeks = np.arange(raw["week"].min(), raw["week"].max() + 1)
    grid = pd.MultiIndex.from_product([sorted(raw["sku"].unique()), weeks], names=["sku", "week"])
    frame = raw.set_index(["sku", "week"])[["logmove", "price", "deal"]].reindex(grid)
    frame = frame.reset_index()
    frame["stockout"] = frame["logmove"].isna()
    frame["qty"] = np.round(np.exp(frame["logmove"].fillna(0.0))).where(~frame["stockout"], 0.0)
    by_sku = frame.groupby("sku")
    frame["qty_peer"] = np.round(np.exp(by_sku["logmove"].transform(
        lambda s: s.interpolate(limit_direction="both"))))
    frame["price"] = by_sku["price"].transform(lambda s: s.ffill().bfill())
    frame["promo"] = frame["deal"].fillna(0.0)
    frame["date"] = pd.Timestamp("1989-09-14") + pd.to_timedelta((frame["week"] - 1) * 7, "D")
    return frame[["sku", "date", "qty", "price", "promo", "stockout", "qty_peer"]]


def matrices(frame: pd.DataFrame, skus: list, dates: pd.DatetimeIndex) -> tuple:
    def pivot(col: str) -> np.ndarray:
        table = frame.pivot_table(index="sku", columns="date", values=col, aggfunc="first")
        return np.nan_to_num(table.reindex(index=skus, columns=dates).to_numpy(dtype=float))
    return pivot("mean"), np.stack([pivot(c) for c in QUANTILE_COLUMNS], axis=2)


def peers(history: pd.DataFrame, season: int, freq: str) -> dict[str, pd.DataFrame]:
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS, DynamicOptimizedTheta, SeasonalNaive

    column = "qty_peer" if "qty_peer" in history else "qty"
    data = history[["sku", "date", column]].rename(
        columns={"sku": "unique_id", "date": "ds", column: "y"})
    models = [AutoETS(season_length=season), DynamicOptimizedTheta(season_length=season),
              SeasonalNaive(season_length=season)]
    out = StatsForecast(models=models, freq=freq, n_jobs=1).forecast(
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


def ml_peer(history: pd.DataFrame, season: int, freq: str) -> dict[str, pd.DataFrame]:
    """mlforecast LightGBM: lags 1, 2, season, rolling means, month (and week) features,
    conformal quantiles (2 windows of H)."""
    import lightgbm as lgb
    from mlforecast import MLForecast
    from mlforecast.lag_transforms import RollingMean
    from mlforecast.utils import PredictionIntervals

    column = "qty_peer" if "qty_peer" in history else "qty"
    data = history[["sku", "date", column]].rename(
        columns={"sku": "unique_id", "date": "ds", column: "y"})
    forecaster = MLForecast(
        models={"LightGBM": lgb.LGBMRegressor(n_estimators=200, learning_rate=0.05,
                                              num_leaves=31, verbose=-1, random_state=0)},
        freq=freq, lags=[1, 2, season], lag_transforms={1: [RollingMean(4), RollingMean(12)]},
        date_features=["month"] if season == 12 else ["month", "week"], num_threads=1,
    )
    forecaster.fit(data, prediction_intervals=PredictionIntervals(n_windows=2, h=H))
    out = forecaster.predict(H, level=list(LEVELS))
    frame = pd.DataFrame({"sku": out["unique_id"], "date": out["ds"],
                          "mean": out["LightGBM"].clip(lower=0)})
    for column, suffix in _MAP.items():
        frame[column] = out[f"LightGBM-{suffix}"].clip(lower=0)
    frame["p50"] = frame["mean"]
    return {"mlforecast LightGBM": frame}


def main() -> None:
    """Run the folds and print one row per method."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", choices=("aus", "oj"), default="aus")
    parser.add_argument("--series", type=int, default=152)
    parser.add_argument("--skip-peers", action="store_true", help="only invdash (quick check)")
    parser.add_argument("--country", help="public holidays for invdash (US for the orange juice "
                        "of Chicago); default none")
    args = parser.parse_args()
    panel = load(args.series) if args.data == "aus" else load_oj(args.series)
    season, freq = (12, "MS") if args.data == "aus" else (52, "W-THU")
    months = pd.DatetimeIndex(sorted(panel["date"].unique()))
    rows, seconds = [], {}
    for fold in range(FOLDS):
        origin = months[len(months) - H * (FOLDS - fold)]
        history = panel[panel["date"] < origin]
        skus = sorted(history["sku"].unique())
        test_dates = pd.date_range(origin, periods=H, freq=freq)
        train_dates = pd.date_range(history["date"].min(), test_dates[0], freq=freq)[:-1]
        test = panel[panel["date"].isin(test_dates)]
        future = test[["sku", "date", "price", "promo"]] if args.data == "oj" else None
        train = history.pivot_table(index="sku", columns="date", values="qty")
        scale_abs, scale_sq = naive_scales(train.reindex(index=skus, columns=train_dates)
                                           .to_numpy(dtype=float))
        censored = test["stockout"] if "stockout" in test else pd.Series(False, test.index)
        known = test.assign(qty=test["qty"].where(~censored))
        actual = known.pivot_table(index="sku", columns="date", values="qty").reindex(
            index=skus, columns=test_dates).to_numpy(dtype=float)

        def invdash(history: pd.DataFrame, future=future) -> dict:
            sales = history.drop(columns=["qty_peer"], errors="ignore")
            options = ForecastOptions(horizon=H, folds=3, country=args.country)
            run = run_forecast(sales, options, future=future)
            return {"invdash auto": run.forecasts}

        methods = {"invdash auto": invdash,
                   "statsforecast": lambda h: peers(h, season, freq),
                   "mlforecast": lambda h: ml_peer(h, season, freq)}
        if args.skip_peers:
            del methods["statsforecast"], methods["mlforecast"]
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
