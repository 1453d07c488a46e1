"""`invdash forecast`: probabilistic demand forecasts per SKU, model chosen by backtest.

``invdash forecast (--db PATH | --csv FILE [--future FILE]) [--horizon 28] [--model auto|NAME]
[--sku S ...] [--out FILE]
[--engine local|ray [--ray-address HOST:PORT]]`` writes ``sku, date, model, mean, p10, p50, p90``
(``--all-quantiles``
adds p05..p99). With ``--db`` the run is stored in DuckDB (``forecast_runs`` and friends)
unless ``--sku`` limits it to some SKUs (the stored run is every SKU's forecast). A progress bar
goes to stderr. ``--csv`` files go through ``invdash.ingest`` (the same checks and
messages as ``invdash ingest``) into an in-memory store, so sales or order-line exports work.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from invdash.commands._common import db_path, write_frame
from invdash.schema import DATE, MEAN, MODEL, QUANTILE_COLUMNS, SKU, InvalidDataError

__all__ = [
    "add_arguments", "run", "add_source_arguments", "read_source", "read_source_versioned",
    "ProgressBar", "OUTPUT_COLUMNS",
]

OUTPUT_COLUMNS = (SKU, DATE, MODEL, MEAN, "p10", "p50", "p90")


class ProgressBar:
    """A one-line text progress bar on stderr: ``callable(done, total, message)``."""

    def __init__(self, *, enabled: bool = True, width: int = 30) -> None:
        self.enabled = enabled
        self.width = width

    def __call__(self, done: int, total: int, message: str) -> None:
        """Redraw the bar (a new line per update when stderr is not a terminal)."""
        if not self.enabled:
            return
        filled = int(self.width * done / max(total, 1))
        line = f"[{'#' * filled}{'.' * (self.width - filled)}] {done}/{total} {message}"
        if sys.stderr.isatty():
            sys.stderr.write("\r" + line[:120].ljust(120))
            if done >= total:
                sys.stderr.write("\n")
        else:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()


def add_source_arguments(parser: argparse.ArgumentParser) -> None:
    """``--db PATH | --csv FILE``, ``--horizon``, ``--model``, ``--sku``, ``--out`` and friends."""
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--db", metavar="PATH",
                        help="DuckDB file (default: $INVDASH_DB or data/invdash.duckdb)")
    source.add_argument("--csv", metavar="FILE",
                        help="sales CSV (date, sku, qty[, price, promo]) or an order-line export")
    parser.add_argument("--horizon", type=int, default=None,
                        help="periods to forecast and backtest (default 28 days, 13 weeks or 12 "
                             "months); a stored run (--db) forecasts at least the longest lead "
                             "time (mean + 2 sd) plus the 7-day review period")
    parser.add_argument("--freq", default="auto", choices=("auto", "D", "W", "M"),
                        help="grain: auto (detected from the dates), D, W or M (aggregates)")
    parser.add_argument("--model", default="auto",
                        help="auto (chosen per SKU by backtest) or a model name, e.g. ets, tsb")
    parser.add_argument("--sku", nargs="+", action="extend", metavar="S", help="only these SKUs")
    parser.add_argument("--folds", type=int, default=3, help="backtest origins (default 3)")
    parser.add_argument("--seed", type=int, default=0, help="seed of stochastic models")
    parser.add_argument("--out", metavar="FILE", help="output CSV (default: stdout)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--engine", choices=("local", "ray"), default="local",
                        help="where the per-SKU work runs: this process (default) or a Ray "
                        "cluster (same result; see docs/distributed.md)")
    parser.add_argument("--ray-address", metavar="HOST:PORT",
                        help="head of the Ray cluster for --engine ray (default: Ray's own)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the forecast arguments."""
    add_source_arguments(parser)
    parser.add_argument("--future", metavar="FILE",
                        help="known future covariates: date, sku, price/promo (with --csv)")
    parser.add_argument("--neural", action="store_true",
                        help="add the global neural model to the auto set (slow on CPU)")
    parser.add_argument("--all-quantiles", action="store_true",
                        help="also write p05, p25, p75, p95, p99")
    parser.add_argument("--chunk-skus", type=int, default=None, metavar="N",
                        help="with --db: SKUs read and forecast at a time (default 5000; the "
                        "result does not depend on it)")


def _read_csv_store(path: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    from invdash import store
    from invdash.ingest import ingest_file

    if not Path(path).is_file():
        raise InvalidDataError(f"{path}: file not found; pass an existing sales CSV to --csv.")
    conn = store.connect(":memory:")
    try:
        ingest_file(conn, path, kind="auto")
        return store.load_sales(conn), store.load_products(conn)
    finally:
        conn.close()


def read_source(args: argparse.Namespace) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Sales (gap-free, with ``stockout``) and products from ``--csv`` or the database."""
    sales, products, _ = read_source_versioned(args)
    return sales, products


def read_source_versioned(
    args: argparse.Namespace,
) -> tuple[pd.DataFrame, pd.DataFrame | None, str | None]:
    """``read_source`` plus the database's data version read in the same connection (None for
    ``--csv``), so a stored run is stamped with the data it was fitted on even when an ingest
    lands while it runs."""
    version = None
    if args.csv:
        sales, products = _read_csv_store(args.csv)
        where = args.csv
    else:
        from invdash import store

        path = db_path(args)
        conn = store.connect_read_only(path)
        try:
            sales = store.load_sales(conn, skus=args.sku)
            products = store.load_products(conn)
            version = store.data_version(conn)
        finally:
            conn.close()
        where = str(path)
    if sales.empty:
        raise InvalidDataError(f"{where} has no sales rows; load a sales or order-line file.")
    return sales, (products if len(products) else None), version


def stored_events(args: argparse.Namespace) -> pd.DataFrame | None:
    """The database's user events (``invdash ingest --kind events``); None for ``--csv``."""
    if args.csv:
        return None
    from invdash import store
    from invdash.store.events import load_events

    conn = store.connect_read_only(db_path(args))
    try:
        return load_events(conn)
    finally:
        conn.close()


def _read_future(path: str | None) -> pd.DataFrame | None:
    if path is None:
        return None
    if not Path(path).is_file():
        raise InvalidDataError(f"{path}: file not found; pass an existing CSV to --future.")
    future = pd.read_csv(path)
    future.columns = [str(c).strip().lower() for c in future.columns]
    missing = [c for c in (DATE, SKU) if c not in future.columns]
    if missing:
        raise InvalidDataError(
            f"{path} is missing column(s) {', '.join(missing)}; --future needs date, sku and "
            "price and/or promo."
        )
    future[DATE] = pd.to_datetime(future[DATE], errors="coerce")
    if future[DATE].isna().any():
        raise InvalidDataError(f"{path}.date has values that are not dates; use YYYY-MM-DD.")
    future[SKU] = future[SKU].astype(str)
    return future


def output_frame(forecasts: pd.DataFrame, *, all_quantiles: bool) -> pd.DataFrame:
    """The CSV shape: ``sku, date, model, mean, p10, p50, p90`` (dates as YYYY-MM-DD)."""
    columns = [SKU, DATE, MODEL, MEAN, *(QUANTILE_COLUMNS if all_quantiles else ("p10", "p50",
                                                                                "p90"))]
    frame = forecasts[columns].copy()
    frame[DATE] = pd.to_datetime(frame[DATE]).dt.strftime("%Y-%m-%d")
    return frame


def _can_chunk(args: argparse.Namespace) -> bool:
    """Whole-store daily runs of panel models stream SKU chunks from the database."""
    from invdash.forecast.models.baseline import PanelForecaster
    from invdash.forecast.registry import MODELS

    panel_model = args.model == "auto" or (
        args.model in MODELS and issubclass(MODELS[args.model], PanelForecaster)
    )
    return not (args.csv or args.sku or args.neural or args.future) and panel_model and (
        args.freq in ("auto", "D")
    )


class _CsvChunks:
    """Writes each chunk's forecasts to ``--out`` (or stdout), the header once."""

    def __init__(self, out: str | None, *, all_quantiles: bool) -> None:
        self.out, self.all_quantiles, self.rows = out, all_quantiles, 0

    def __call__(self, forecasts: pd.DataFrame) -> None:
        frame = output_frame(forecasts, all_quantiles=self.all_quantiles)
        first = self.rows == 0
        if self.out and self.out != "-":
            Path(self.out).parent.mkdir(parents=True, exist_ok=True)
            frame.to_csv(self.out, index=False, header=first, mode="w" if first else "a")
        else:
            frame.to_csv(sys.stdout, index=False, header=first)
        self.rows += len(frame)


def _country() -> str:
    """The shop's country (``INVDASH_COUNTRY``): its public holidays are forecast events."""
    from invdash.config import load_settings

    return load_settings().country


def _run_chunked(args: argparse.Namespace, conn, path: Path) -> int:
    from invdash import store
    from invdash.distributed import make_executor
    from invdash.forecast.chunked import CHUNK_SKUS
    from invdash.forecast.options import ForecastOptions
    from invdash.forecast.stored import forecast_and_store_chunked

    options = ForecastOptions(horizon=args.horizon, model=args.model, seed=args.seed,
                              folds=args.folds, freq=args.freq, country=_country())
    csv = _CsvChunks(args.out, all_quantiles=args.all_quantiles)
    run_id, run = forecast_and_store_chunked(
        conn, options, on_forecasts=csv, chunk_skus=args.chunk_skus or CHUNK_SKUS,
        executor=make_executor(args.engine, ray_address=args.ray_address),
        progress=ProgressBar(enabled=not args.quiet),
        # The file is free for the dashboard while the chunks are forecast (minutes to hours).
        reopen=lambda: store.connect(path),
    )
    if csv.rows == 0:
        write_frame(pd.DataFrame(columns=list(OUTPUT_COLUMNS)), args.out)
    if not args.quiet:
        print(f"stored forecast run {run_id} ({run.duration_s:.1f} s, cpu, {run.n_skus:,} SKUs "
              f"in {run.chunks} chunks)", file=sys.stderr)
    return 0


def run(args: argparse.Namespace) -> int:
    """Forecast, store the run when reading a database, write the CSV."""
    if _can_chunk(args):
        from invdash import store
        from invdash.forecast.stored import is_daily_store

        path = store.require_database(db_path(args))
        conn = store.connect(path)
        try:
            if is_daily_store(conn, args.freq):
                return _run_chunked(args, conn, path)
        finally:
            conn.close()
    return _run_whole(args)


def _run_whole(args: argparse.Namespace) -> int:
    from invdash.distributed import make_runner
    from invdash.forecast.engine import run_forecast
    from invdash.forecast.options import ForecastOptions, planning_days

    runner = make_runner(args.engine, ray_address=args.ray_address)
    sales, products, version = read_source_versioned(args)
    stored = not args.csv and not args.sku  # the run the reorder reads reaches its lead times
    result = run_forecast(
        sales,
        ForecastOptions(
            horizon=args.horizon, model=args.model, seed=args.seed, folds=args.folds,
            use_neural=args.neural, skus=args.sku, runner=runner, freq=args.freq,
            country=_country(), plan_days=planning_days(products) if stored else 0,
        ),
        products=products,
        future=_read_future(args.future),
        progress=ProgressBar(enabled=not args.quiet),
        events=stored_events(args),
    )
    if stored:
        _save(args, result, data_version=version)
    elif not args.csv and not args.quiet:
        # A run for some SKUs is not stored: the dashboard and `invdash reorder` take the latest
        # stored run as the forecast of every SKU.
        print("forecast for selected SKUs only: shown, not stored", file=sys.stderr)
    write_frame(output_frame(result.forecasts, all_quantiles=args.all_quantiles), args.out)
    return 0


def _save(args: argparse.Namespace, result, *, data_version: str | None) -> None:
    from invdash import store
    from invdash.forecast.stored import save_run

    conn = store.connect(db_path(args))
    try:
        run_id = save_run(conn, result, data_version=data_version or store.data_version(conn))
    finally:
        conn.close()
    if not args.quiet:
        print(f"stored forecast run {run_id} ({result.duration_s:.1f} s, {result.device})",
              file=sys.stderr)
