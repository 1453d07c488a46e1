"""GPU check: train and forecast the global neural model on a large generated panel, CUDA vs CPU.

One prepared, time-bounded script. It runs two workers, each in its own subprocess with a timeout:

- ``cuda``: the full panel (``--skus``, default 30,000 SKUs x ``--days`` 730) on the GPU chosen by
  ``invdash.runtime.device`` (bf16 autocast). Skipped with a message when CUDA is unavailable.
- ``cpu``: the same model and training settings (single-threaded by design, see ``neural.py``)
  on the first ``--cpu-skus`` SKUs with ``--cpu-windows`` windows per epoch
  (``CUDA_VISIBLE_DEVICES=""``, so the device module picks the CPU); its time for the full panel
  and full window budget is *extrapolated* from the measured rates (training windows per second,
  forecast SKUs per second; panel preparation is folded into the training rate) and labelled.

Each worker generates the same seeded panel (weekly and yearly seasonality, promotions with price
cuts, stock-out days, late launches, slow movers), holds out the last ``--horizon`` days, fits,
forecasts, and scores WAPE against seasonal naive on the hold-out. The final table prints every
number. Always exits 0 unless the arguments are wrong; a failed or timed-out worker is a row
saying so.

    python benchmarks/gpu_check.py                       # 30,000 SKUs on CUDA, 2,000 on CPU
    python benchmarks/gpu_check.py --skus 2000 --epochs 1 --windows 8192   # quick CPU-only check
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
_RESULT = "RESULT "


def generate_panel(n_skus: int, n_days: int, seed: int = 0) -> pd.DataFrame:
    """A seeded retail-like daily panel, long format ``sku, date, qty, price, promo, stockout``."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range(end="2025-12-31", periods=n_days, freq="D")
    t = np.arange(n_days)[None, :]
    level = np.exp(rng.normal(0.5, 1.3, (n_skus, 1)))
    weekly = 1 + rng.uniform(0.1, 0.5, (n_skus, 1)) * np.sin(
        2 * np.pi * dates.dayofweek.to_numpy()[None, :] / 7 + rng.uniform(0, 6.3, (n_skus, 1)))
    yearly = 1 + rng.uniform(0, 0.4, (n_skus, 1)) * np.sin(
        2 * np.pi * dates.dayofyear.to_numpy()[None, :] / 365.25
        + rng.uniform(0, 6.3, (n_skus, 1)))
    trend = np.exp(rng.normal(0, 0.0006, (n_skus, 1)) * t)
    promo = (rng.random((n_skus, n_days)) < 0.04).astype(np.float32)
    lift = 1 + promo * rng.uniform(0.5, 2.0, (n_skus, 1))
    base_price = np.exp(rng.normal(2, 0.7, (n_skus, 1)))
    price = base_price * (1 - 0.2 * promo)
    mean = level * weekly * yearly * trend * lift
    qty = rng.negative_binomial(2, 2 / (2 + mean)).astype(np.float32)
    stockout = rng.random((n_skus, n_days)) < 0.01
    qty[stockout] = 0
    launch = np.where(rng.random(n_skus) < 0.1, rng.integers(0, n_days - 60, n_skus), 0)
    alive = t >= launch[:, None]
    frame = pd.DataFrame({
        "sku": np.repeat(np.array([f"G{i:06d}" for i in range(n_skus)]), n_days)[alive.ravel()],
        "date": np.tile(dates.to_numpy(), n_skus)[alive.ravel()],
        "qty": qty[alive], "price": np.broadcast_to(price, qty.shape)[alive],
        "promo": promo[alive], "stockout": stockout[alive],
    })
    return frame


def _wape(actual: pd.DataFrame, forecasts: pd.DataFrame, column: str) -> float:
    joined = actual.merge(forecasts, on=["sku", "date"], how="inner")
    joined = joined[~joined["stockout"]]
    return float((joined[column] - joined["qty"]).abs().sum() / max(joined["qty"].sum(), 1e-9))


def _seasonal_naive(train: pd.DataFrame, h: int) -> pd.DataFrame:
    last_week = train.groupby("sku").tail(7)
    rows = []
    for step in range(h):
        shift = pd.Timedelta(days=7 * (step // 7 + 1))
        rows.append(last_week.assign(date=last_week["date"] + shift))
    naive = pd.concat(rows).drop_duplicates(["sku", "date"])
    return naive[["sku", "date", "qty"]].rename(columns={"qty": "naive"})


def run_worker(args: argparse.Namespace) -> dict:
    """Generate, hold out, fit, forecast, score; returns the measured numbers."""
    import torch

    from invdash.forecast.models.neural import GlobalNeuralForecaster
    from invdash.runtime.device import device_name

    started = time.perf_counter()
    sales = generate_panel(args.skus, args.days, seed=0)
    cut = sales["date"].max() - pd.Timedelta(days=args.horizon)
    train, actual = sales[sales["date"] <= cut], sales[sales["date"] > cut]
    generate_s = time.perf_counter() - started
    model = GlobalNeuralForecaster(
        seed=0, d_model=args.d_model, n_layers=args.layers, max_epochs=args.epochs,
        windows_per_epoch=args.windows, batch_size=args.batch_size, horizon_days=args.horizon,
    )
    started = time.perf_counter()
    model.fit(train)
    fit_s = time.perf_counter() - started
    started = time.perf_counter()
    forecasts = model.predict(args.horizon)
    predict_s = time.perf_counter() - started
    naive = _seasonal_naive(train, args.horizon)
    return {
        # GlobalNeuralForecaster trains and predicts single-threaded on the CPU (see neural.py).
        "device": device_name(), "cpu_threads": 1 if not torch.cuda.is_available() else 0,
        "skus": args.skus,
        "rows": len(train), "windows": args.epochs * args.windows, "generate_s": generate_s,
        "fit_s": fit_s, "predict_s": predict_s,
        "train_windows_per_s": args.epochs * args.windows / fit_s,
        "predict_skus_per_s": args.skus / predict_s,
        "wape_neural": _wape(actual, forecasts, "mean"),
        "wape_naive": _wape(actual, naive, "naive"),
        "final_loss": model.train_loss_[-1] if model.train_loss_ else float("nan"),
    }


def _spawn(kind: str, args: argparse.Namespace, skus: int, windows: int) -> dict:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    if kind == "cpu":
        env["CUDA_VISIBLE_DEVICES"] = ""
    command = [sys.executable, __file__, "--worker", "--skus", str(skus),
               "--windows", str(windows), "--days", str(args.days),
               "--epochs", str(args.epochs), "--horizon", str(args.horizon),
               "--batch-size", str(args.batch_size), "--d-model", str(args.d_model),
               "--layers", str(args.layers)]
    print(f"[{kind}] {skus} SKUs x {args.days} days, {args.epochs} x {windows} windows ...",
          flush=True)
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True,
                              timeout=args.timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"run": kind, "status": f"timed out after {args.timeout} s"}
    lines = [line for line in done.stdout.splitlines() if line.startswith(_RESULT)]
    if done.returncode or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return {"run": kind, "status": f"failed (exit {done.returncode}): {' | '.join(tail)}"}
    return {"run": kind, "status": "ok", **json.loads(lines[-1][len(_RESULT):])}


def _extrapolate(row: dict, args: argparse.Namespace) -> dict:
    """CPU time for the full panel and window budget from the subset's measured rates."""
    train_s = args.epochs * args.windows / row["train_windows_per_s"]
    predict_s = args.skus / row["predict_skus_per_s"]
    return {"run": "cpu (extrapolated)", "status": "extrapolated", "device": row["device"],
            "skus": args.skus, "windows": args.epochs * args.windows,
            "fit_s": train_s, "predict_s": predict_s}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=30000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--horizon", type=int, default=28)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--windows", type=int, default=131072, help="training windows per epoch")
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--d-model", type=int, default=64)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--cpu-skus", type=int, default=2000)
    parser.add_argument("--cpu-windows", type=int, default=8192)
    parser.add_argument("--timeout", type=int, default=240, help="seconds per worker")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(_RESULT + json.dumps(run_worker(args)), flush=True)
        return 0
    import torch

    rows = []
    if torch.cuda.is_available():
        rows.append(_spawn("cuda", args, args.skus, args.windows))
    else:
        print("[cuda] skipped: torch.cuda.is_available() is False on this machine.", flush=True)
        rows.append({"run": "cuda", "status": "skipped (no CUDA)"})
    cpu = _spawn("cpu", args, min(args.cpu_skus, args.skus), min(args.cpu_windows, args.windows))
    rows.append(cpu)
    if cpu["status"] == "ok":
        rows.append(_extrapolate(cpu, args))
    table = pd.DataFrame(rows)
    pd.set_option("display.width", 250)
    pd.set_option("display.max_columns", 30)
    print("\n" + table.round(3).to_string(index=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
