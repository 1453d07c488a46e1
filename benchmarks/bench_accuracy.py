"""Accuracy on real demand: invdash auto vs the tools a planner would otherwise use.

Data: UCI Online Retail (``../shared/data/real/online_retail/online_retail.csv.gz``), aggregated
to a daily SKU panel: positive quantities of non-cancelled invoices (InvoiceNo not starting with
"C", UnitPrice > 0), product StockCodes only (five digits plus an optional letter suffix, which
drops POST, M, DOT, D, C2, BANK CHARGES, AMAZONFEE, ...), summed per StockCode and day; missing
days (including the shop's Saturdays and Christmas closure) are zero sales. SKUs: the
``--skus`` (default 1000) with the most selling days over the whole file, documented choice:
a planner forecasts the items that sell, and selling days is robust to the file's few huge
one-off orders.

Protocol: 3 rolling test origins x 28 days at the end of the data. At every origin each method
sees only the days before it. invdash auto chooses models per SKU on its own inner folds, all
before the test origin (``run_forecast(history)``), so nothing is tuned on the test days.
Competitors: statsforecast SeasonalNaive(7), AutoETS(season_length=7), CrostonClassic,
CrostonSBA, TSB(0.1, 0.1) and an mlforecast LightGBM (lags 1, 7, 14, 28, rolling means,
weekday), quantiles for those without native intervals from conformal intervals (2 windows of
28), clipped at 0. Scored SKUs: at least 60 days of history before the origin (the
conformal intervals need 2 x 28 + 1 days); every method is scored on the same SKUs.

Metrics per SKU and fold, averaged: RMSSE, scaled pinball loss over p05..p99 (SPL), MASE, and
the 80 % interval coverage; WAPE = sum |e| / sum y. Run:
``.venv/bin/python benchmarks/bench_accuracy.py [--skus 1000] [--country GB]``.

``--coverage or,oj,aus`` measures instead invdash's interval calibration per demand class on the
three real panels (``coverage_by_class``): Online Retail daily (top ``--skus`` by selling days,
3 origins x 28 days as above), orange juice weekly and Australian retail monthly (the panels and
3 origins x 12 periods of ``bench_grain.py``). Per class, pooled over SKU-periods of the held-out
origins: the share inside [p10, p90] (ends included), at or below p95 and at or below p99, on
the days the shop is open (Online Retail: a day no SKU sold anything is a closed day, where a
forecast of 0 with the interval [0, 0] covers by construction; ``cov80_all_days`` counts them).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from invdash.forecast.engine import run_forecast
from invdash.forecast.metrics import (
    interval_coverage,
    mase,
    naive_scales,
    rmsse,
    scaled_pinball_loss,
    wape_parts,
)
from invdash.forecast.options import ForecastOptions
from invdash.schema import QUANTILE_COLUMNS, QUANTILES

DATA = Path(__file__).resolve().parents[2] / "shared/data/real/online_retail/online_retail.csv.gz"
H, FOLDS = 28, 3
MIN_HISTORY_DAYS = 60  # conformal intervals of the competitors need 2 x 28 + 1 days
LEVELS = (50, 80, 90, 98)


def load_panel(path: Path, n_skus: int) -> pd.DataFrame:
    """Daily ``sku, date, qty`` panel of the ``n_skus`` SKUs with the most selling days."""
    raw = pd.read_csv(path, dtype={"InvoiceNo": str, "StockCode": str})
    keep = (
        ~raw["InvoiceNo"].str.startswith("C") & (raw["Quantity"] > 0) & (raw["UnitPrice"] > 0)
        & raw["StockCode"].str.fullmatch(r"\d{5}[A-Za-z]{0,2}")
    )
    lines = raw[keep].assign(date=pd.to_datetime(raw["InvoiceDate"]).dt.normalize())
    daily = lines.groupby(["StockCode", "date"])["Quantity"].sum().reset_index()
    daily.columns = ["sku", "date", "qty"]
    top = daily.groupby("sku").size().nlargest(n_skus).index
    daily = daily[daily["sku"].isin(top)]
    days = pd.date_range(daily["date"].min(), daily["date"].max(), freq="D")
    first = daily.groupby("sku")["date"].min()
    full = pd.MultiIndex.from_product([sorted(top), days], names=["sku", "date"])
    panel = daily.set_index(["sku", "date"]).reindex(full, fill_value=0.0).reset_index()
    panel = panel[panel["date"] >= panel["sku"].map(first)]
    return panel.reset_index(drop=True).astype({"qty": float})


def to_matrix(frame: pd.DataFrame, skus: list, dates: pd.DatetimeIndex, column: str) -> np.ndarray:
    """(n, h) matrix of ``column`` for ``skus`` x ``dates`` (NaN where absent)."""
    pivot = frame.pivot_table(index="sku", columns="date", values=column, aggfunc="first")
    return pivot.reindex(index=skus, columns=dates).to_numpy(dtype=float)


def score(name: str, fold: int, truth: dict, forecasts: pd.DataFrame) -> pd.DataFrame:
    """Metrics per SKU of one method on one fold (``forecasts``: sku, date, mean, p05..p99)."""
    skus, dates, actual = truth["skus"], truth["dates"], truth["actual"]
    mean = np.nan_to_num(to_matrix(forecasts, skus, dates, "mean"))
    quantiles = np.stack(
        [np.nan_to_num(to_matrix(forecasts, skus, dates, c)) for c in QUANTILE_COLUMNS], axis=2
    )
    quantiles = np.maximum.accumulate(np.clip(quantiles, 0, None), axis=2)
    abs_error, _, actual_sum = wape_parts(actual, mean)
    p10, p90 = QUANTILE_COLUMNS.index("p10"), QUANTILE_COLUMNS.index("p90")
    return pd.DataFrame({
        "method": name, "fold": fold, "sku": skus,
        "rmsse": rmsse(actual, mean, truth["scale_sq"]),
        "spl": scaled_pinball_loss(actual, quantiles, truth["scale_abs"]),
        "mase": mase(actual, mean, truth["scale_abs"]),
        "coverage80": interval_coverage(actual, quantiles[:, :, p10], quantiles[:, :, p90]),
        "abs_error": abs_error, "actual_sum": actual_sum,
    })


def fold_truth(panel: pd.DataFrame, origin: pd.Timestamp) -> dict:
    """Actuals and naive scales of the SKUs scored at ``origin``."""
    history = panel[panel["date"] < origin]
    counts = history.groupby("sku").size()
    skus = sorted(counts[counts >= MIN_HISTORY_DAYS].index)
    dates = pd.date_range(origin, periods=H, freq="D")
    train_dates = pd.date_range(history["date"].min(), origin - pd.Timedelta(days=1), freq="D")
    scale_abs, scale_sq = naive_scales(to_matrix(history, skus, train_dates, "qty"))
    actual = to_matrix(panel[panel["date"] >= origin], skus, dates, "qty")
    return {"skus": skus, "dates": dates, "actual": actual, "scale_abs": scale_abs,
            "scale_sq": scale_sq}


def statsforecast_quantiles(frame: pd.DataFrame, model: str) -> pd.DataFrame:
    """Map a statsforecast/mlforecast output (``model``, ``model-lo-80`` ...) to p05..p99."""
    out = pd.DataFrame({"sku": frame["unique_id"], "date": frame["ds"],
                        "mean": frame[model].clip(lower=0)})
    mapping = {"p05": "lo-90", "p10": "lo-80", "p25": "lo-50", "p75": "hi-50", "p90": "hi-80",
               "p95": "hi-90", "p99": "hi-98"}
    for column, suffix in mapping.items():
        out[column] = frame[f"{model}-{suffix}"].clip(lower=0)
    out["p50"] = out["mean"]
    return out


def run_statsforecast(history: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """SeasonalNaive, AutoETS, Croston, SBA, TSB from statsforecast."""
    from statsforecast import StatsForecast
    from statsforecast.models import TSB, AutoETS, CrostonClassic, CrostonSBA, SeasonalNaive
    from statsforecast.utils import ConformalIntervals

    conformal = ConformalIntervals(h=H, n_windows=2)
    models = [
        SeasonalNaive(season_length=7), AutoETS(season_length=7),
        CrostonClassic(prediction_intervals=conformal), CrostonSBA(prediction_intervals=conformal),
        TSB(alpha_d=0.1, alpha_p=0.1, prediction_intervals=conformal),
    ]
    data = history.rename(columns={"sku": "unique_id", "date": "ds", "qty": "y"})
    engine = StatsForecast(models=models, freq="D", n_jobs=2)
    frame = engine.forecast(df=data, h=H, level=list(LEVELS)).reset_index()
    names = {"SeasonalNaive": "SeasonalNaive", "AutoETS": "AutoETS",
             "CrostonClassic": "CrostonClassic", "CrostonSBA": "CrostonSBA", "TSB": "TSB"}
    return {label: statsforecast_quantiles(frame, column) for label, column in names.items()}


def run_lightgbm(history: pd.DataFrame) -> pd.DataFrame:
    """mlforecast LightGBM with lags, rolling means and the weekday; conformal quantiles."""
    import lightgbm as lgb
    from mlforecast import MLForecast
    from mlforecast.lag_transforms import RollingMean
    from mlforecast.utils import PredictionIntervals

    data = history.rename(columns={"sku": "unique_id", "date": "ds", "qty": "y"})
    forecaster = MLForecast(
        models={"LightGBM": lgb.LGBMRegressor(n_estimators=200, learning_rate=0.05,
                                              num_leaves=31, verbose=-1, random_state=0)},
        freq="D", lags=[1, 7, 14, 28],
        lag_transforms={1: [RollingMean(7), RollingMean(28)], 7: [RollingMean(4)]},
        date_features=["dayofweek"], num_threads=2,
    )
    forecaster.fit(data, prediction_intervals=PredictionIntervals(n_windows=2, h=H))
    frame = forecaster.predict(H, level=list(LEVELS))
    return statsforecast_quantiles(frame, "LightGBM")


def run_invdash(history: pd.DataFrame, country: str | None = None) -> pd.DataFrame:
    """invdash auto (inner backtest folds all before the test origin); ``country``: its public
    holidays as events of the fast models."""
    return run_forecast(history, ForecastOptions(horizon=H, folds=3, country=country)).forecasts


def evaluate(panel: pd.DataFrame, *, skip_ml: bool, country: str | None = None) -> pd.DataFrame:
    """Scores per method, fold and SKU over the 3 test origins."""
    last = panel["date"].max()
    origins = [last - pd.Timedelta(days=H * k - 1) for k in range(FOLDS, 0, -1)]
    rows, seconds = [], {}
    for fold, origin in enumerate(origins):
        history = panel[panel["date"] < origin]
        truth = fold_truth(panel, origin)
        history = history[history["sku"].isin(truth["skus"])]
        methods = {"invdash auto": partial(run_invdash, country=country)}
        if not skip_ml:
            methods |= {"statsforecast": run_statsforecast, "LightGBM": run_lightgbm}
        for label, method in methods.items():
            started = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out = method(history)
            seconds[label] = seconds.get(label, 0.0) + time.perf_counter() - started
            outputs = out if isinstance(out, dict) else {label: out}
            for name, forecasts in outputs.items():
                rows.append(score(name, fold, truth, forecasts))
        print(f"fold {fold + 1}/{FOLDS} origin {origin.date()}: {len(truth['skus'])} SKUs; "
              + ", ".join(f"{k} {v:.0f}s" for k, v in seconds.items()), file=sys.stderr)
    return pd.concat(rows, ignore_index=True)


def table(scores: pd.DataFrame) -> pd.DataFrame:
    """One row per method: RMSSE, SPL, MASE, WAPE, coverage80 (means over SKU-folds)."""
    grouped = scores.groupby("method")
    out = grouped[["rmsse", "spl", "mase", "coverage80"]].mean()
    out["wape"] = grouped["abs_error"].sum() / grouped["actual_sum"].sum()
    return out.sort_values("rmsse").round(4)


# --- interval calibration per demand class (``--coverage``) ---------------------------------

def _class_cells(forecasts: pd.DataFrame, choices: pd.DataFrame, test: pd.DataFrame,
                 open_days: pd.Index | None) -> pd.DataFrame:
    """One row per scored SKU-period: class and whether the actual lies in each band."""
    cells = test.merge(forecasts, on=["sku", "date"], how="inner")
    cells = cells.merge(choices[["sku", "demand_class"]], on="sku", how="left")
    cells = cells[cells["qty"].notna()]
    # A day the whole shop sold nothing is a closed day (Saturdays, Christmas), not demand: the
    # forecast is 0 with a [0, 0] interval, which "covers" it whatever the calibration.
    is_open = cells["date"].isin(open_days) if open_days is not None else True
    return pd.DataFrame({
        "open": np.broadcast_to(is_open, len(cells)),
        "demand_class": cells["demand_class"].to_numpy(),
        "in80": ((cells["qty"] >= cells["p10"]) & (cells["qty"] <= cells["p90"])).to_numpy(),
        "le95": (cells["qty"] <= cells["p95"]).to_numpy(),
        "le99": (cells["qty"] <= cells["p99"]).to_numpy(),
    })


def _coverage_folds(name: str, skus: int) -> list[tuple]:
    """``(history, test, future, horizon, open_days)`` per held-out origin of one panel."""
    import bench_grain

    if name == "or":
        panel = load_panel(DATA, skus)
        last = panel["date"].max()
        origins = [last - pd.Timedelta(days=H * k - 1) for k in range(FOLDS, 0, -1)]
        totals = panel.groupby("date")["qty"].sum()
        open_days = totals.index[totals > 0]
        out = []
        for origin in origins:
            scored = fold_truth(panel, origin)["skus"]
            part = panel[panel["sku"].isin(scored)]
            test = part[(part["date"] >= origin) & (part["date"] < origin + pd.Timedelta(days=H))]
            out.append((part[part["date"] < origin], test, None, H, open_days))
        return out
    panel = bench_grain.load(skus) if name == "aus" else bench_grain.load_oj(skus)
    freq = "MS" if name == "aus" else "W-THU"
    periods = pd.DatetimeIndex(sorted(panel["date"].unique()))
    out = []
    for fold in range(bench_grain.FOLDS):
        origin = periods[len(periods) - bench_grain.H * (bench_grain.FOLDS - fold)]
        dates = pd.date_range(origin, periods=bench_grain.H, freq=freq)
        test = panel[panel["date"].isin(dates)]
        if "stockout" in test:
            test = test.assign(qty=test["qty"].where(~test["stockout"]))
        history = panel[panel["date"] < origin].drop(columns=["qty_peer"], errors="ignore")
        future = test[["sku", "date", "price", "promo"]] if name == "oj" else None
        out.append((history, test[["sku", "date", "qty"]], future, bench_grain.H, None))
    return out


def coverage_by_class(names: list[str], skus: int) -> pd.DataFrame:
    """invdash auto's coverage per data set and demand class over the held-out origins."""
    rows = []
    for name in names:
        cells = []
        for history, test, future, horizon, open_days in _coverage_folds(name, skus):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                run = run_forecast(history, ForecastOptions(horizon=horizon, folds=3),
                                   future=future)
            cells.append(_class_cells(run.forecasts, run.choices, test, open_days))
        frame = pd.concat(cells, ignore_index=True)
        frame = pd.concat([frame, frame.assign(demand_class="all")], ignore_index=True)
        table = frame[frame["open"]].groupby("demand_class").agg(
            cells=("in80", "size"), cov80=("in80", "mean"), p95=("le95", "mean"),
            p99=("le99", "mean"))
        table["cov80_all_days"] = frame.groupby("demand_class")["in80"].mean()
        rows.append(table.reset_index().assign(data=name))
        print(f"{name}: done", file=sys.stderr)
    out = pd.concat(rows, ignore_index=True)
    out["in_band"] = out["cov80"].between(0.77, 0.83)
    columns = ["data", "demand_class", "cells", "cov80", "p95", "p99", "in_band", "cov80_all_days"]
    return out[columns].round(3)


def main() -> None:
    """Build the panel, run every method on the 3 folds, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=1000)
    parser.add_argument("--skip-ml", action="store_true", help="only invdash (quick check)")
    parser.add_argument("--panel", help="a parquet of the built panel (skips the CSV parse)")
    parser.add_argument("--country", help="public holidays for invdash (GB); default none")
    parser.add_argument("--coverage", help="coverage per demand class on these panels "
                        "(comma-separated: or, oj, aus); --skus is then SKUs/series per panel")
    args = parser.parse_args()
    if args.coverage:
        print(coverage_by_class(args.coverage.split(","), args.skus).to_string(index=False))
        return
    assert len(QUANTILES) == len(QUANTILE_COLUMNS)
    panel = load_panel(DATA, args.skus) if args.panel is None else pd.read_parquet(args.panel)
    print(f"panel: {panel['sku'].nunique()} SKUs, {panel['date'].min().date()}.."
          f"{panel['date'].max().date()}, {(panel['qty'] == 0).mean():.0%} zero days",
          file=sys.stderr)
    result = table(evaluate(panel, skip_ml=args.skip_ml, country=args.country))
    print(result.to_string())


if __name__ == "__main__":
    main()
