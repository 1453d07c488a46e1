"""`invdash backtest`: rolling-origin accuracy per model and demand class.

A daily store on panel models is backtested in SKU chunks (``forecast.chunked.
backtest_store_chunked``: bounded memory, and the backtest the forecast run makes, with the
product categories' season and the stored events); ``--csv``, ``--sku``, weekly or monthly
data and ``--neural`` take the whole-panel backtest.

``invdash backtest (--db PATH | --csv FILE) [--folds 3] [--horizon 28] [--model auto|NAME]
[--out FILE]
[--engine local|ray [--ray-address HOST:PORT]]`` writes ``model, demand_class, n_skus, mase,
rmsse, wape, bias, spl, coverage80``
(class ``all`` included). ``--model auto`` backtests the auto set, a name only that model.
"""

from __future__ import annotations

import argparse
from functools import partial

from invdash.commands._common import db_path, write_frame
from invdash.commands.forecast import ProgressBar, add_source_arguments, read_source
from invdash.schema import ConfigError

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the backtest arguments (same data source flags as ``forecast``)."""
    add_source_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Backtest and write the table."""
    from invdash.distributed import make_runner
    from invdash.forecast.backtest import run_backtest
    from invdash.forecast.grain import default_horizon, resolve_grain
    from invdash.forecast.panel import to_panel
    from invdash.forecast.registry import MODELS, auto_model_factories, available_models
    from invdash.schema import validate_sales

    if args.model != "auto" and args.model not in MODELS:
        raise ConfigError(
            f"unknown model {args.model!r}; choose one of: {', '.join(available_models())}."
        )
    if _can_chunk(args):
        from invdash import store
        from invdash.forecast.stored import is_daily_store

        conn = store.connect_read_only(store.require_database(db_path(args)))
        try:
            if is_daily_store(conn, args.freq):
                return _backtest_chunked(args, conn)
        finally:
            conn.close()
    sales, products = read_source(args)
    if args.sku:
        sales = sales[sales["sku"].isin(set(args.sku))]
    grain = resolve_grain(sales, args.freq)
    if args.model == "auto":  # the grain's own set: weekly and monthly data add `hw`
        models = auto_model_factories(seed=args.seed, grain=grain.kind)
    else:
        models = {args.model: partial(MODELS[args.model], seed=args.seed)}
    horizon = args.horizon or default_horizon(grain)
    progress = ProgressBar(enabled=not args.quiet)
    runner = make_runner(args.engine, ray_address=args.ray_address)
    if runner is None:
        result = run_backtest(
            sales, models=models, folds=args.folds, horizon=horizon, products=products,
            seed=args.seed, progress=progress, freq=args.freq,
        )
    else:  # the same backtest_panel per SKU partition (daily panels)
        result = runner.backtest(to_panel(validate_sales(sales)), models, folds=args.folds,
                                 horizon=horizon, progress=progress)
    write_frame(result.summary.round(4), args.out)
    return 0


def _can_chunk(args: argparse.Namespace) -> bool:
    """A whole daily store on panel models streams SKU chunks (as ``forecast --db`` does)."""
    from invdash.commands.forecast import _can_chunk as forecast_can_chunk

    return forecast_can_chunk(args)


def _backtest_chunked(args: argparse.Namespace, conn) -> int:
    from invdash.distributed import make_executor
    from invdash.forecast.chunked import CHUNK_SKUS, backtest_store_chunked
    from invdash.forecast.options import ForecastOptions

    options = ForecastOptions(horizon=args.horizon, model=args.model, seed=args.seed,
                              folds=args.folds, freq=args.freq)
    result = backtest_store_chunked(
        conn, options, chunk_skus=getattr(args, "chunk_skus", None) or CHUNK_SKUS,
        executor=make_executor(args.engine, ray_address=args.ray_address),
        progress=ProgressBar(enabled=not args.quiet),
    )
    write_frame(result.summary.round(4), args.out)
    return 0
