"""`invdash explain`: SHAP explanation of one SKU's forecast, per date and for the horizon total.

``invdash explain (--db PATH | --csv FILE [--future FILE]) --sku SKU [--horizon 28] [--json]``.
The forecast explained is the one ``invdash forecast`` prints for the same data, horizon, model
and seed (all SKUs forecast together, as ``invdash forecast`` does without ``--sku``): with
``--db`` the latest stored run for the current data is reused when it matches, else the run is
made afresh. ``--json`` prints one object per date: ``sku, date, forecast, base_value,
contributions, feature_values``; without it, a readable table and a one-line summary.
"""

from __future__ import annotations

import argparse
import json
import sys
from types import SimpleNamespace

import pandas as pd

from invdash.schema import InvalidDataError

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the explain arguments."""
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--db", metavar="PATH", help="DuckDB file (default: $INVDASH_DB or data/invdash.duckdb)"
    )
    source.add_argument("--csv", metavar="FILE", help="sales CSV (date, sku, qty[, price, promo])")
    parser.add_argument("--future", metavar="FILE", help="known future date, sku, price/promo")
    parser.add_argument("--sku", required=True, help="the SKU to explain")
    parser.add_argument("--horizon", type=int, default=28, help="days to forecast (default 28)")
    parser.add_argument("--model", default="auto", help="auto or a model name (as in forecast)")
    parser.add_argument("--seed", type=int, default=0, help="seed (as in forecast)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def _stored_run(args: argparse.Namespace, sales: pd.DataFrame):
    """The latest stored run for the current data when it is the run asked for."""
    from invdash import store
    from invdash.commands._common import db_path
    from invdash.forecast.stored import load_latest_run

    conn = store.connect_read_only(db_path(args))
    try:
        run = load_latest_run(conn, data_version=store.data_version(conn))
    finally:
        conn.close()
    if run is None or run.horizon != args.horizon or run.model_param != args.model:
        return None
    if set(run.forecasts["sku"].astype(str)) != set(sales["sku"].astype(str)):
        return None
    return run


def _forecast_run(args: argparse.Namespace, sales: pd.DataFrame, products):
    from invdash.commands.forecast import ProgressBar, _read_future, stored_events
    from invdash.forecast.engine import run_forecast
    from invdash.forecast.options import ForecastOptions

    # A stored run never saw this --future file: planned prices take a fresh run.
    run = None if args.csv or args.future else _stored_run(args, sales)
    if run is not None:
        return run
    return run_forecast(
        sales,
        ForecastOptions(horizon=args.horizon, model=args.model, seed=args.seed),
        products=products,
        future=_read_future(args.future),
        progress=ProgressBar(enabled=not args.json),
        events=stored_events(args),
    )


def _print_table(explanation) -> None:
    from invdash.explain import summarise

    frame = explanation.contributions.copy()
    frame.insert(0, "base_value", explanation.base_value)
    frame["forecast"] = explanation.forecast
    frame.index = frame.index.strftime("%Y-%m-%d")
    print(f"SKU {explanation.sku}, model {explanation.model}")
    print(frame.round(2).to_string())
    print("\nHorizon total:")
    print(explanation.total().round(2).to_string())
    print("\nDriver values:")
    for driver, value in explanation.feature_values.items():
        print(f"  {driver}: {value}")
    print("\n" + summarise(explanation))


def run(args: argparse.Namespace) -> int:
    """Explain the forecast of ``--sku``."""
    from invdash.commands.forecast import read_source
    from invdash.explain import explain_run

    sales, products = read_source(SimpleNamespace(csv=args.csv, db=args.db, sku=None))
    if args.sku not in set(sales["sku"].astype(str)):
        raise InvalidDataError(
            f"SKU {args.sku!r} is not in the sales data; pick one of its SKUs "
            f"(e.g. {sales['sku'].astype(str).iloc[0]})."
        )
    from invdash.commands.forecast import _read_future, stored_events

    forecast_run = _forecast_run(args, sales, products)
    # The explanation refits on what the forecast saw: titles and categories, the stored
    # events and the planned prices (without them an explanation cannot add up to it).
    explanation = explain_run(sales, forecast_run, sku=args.sku, seed=args.seed,
                              products=products, events=stored_events(args),
                              future=_read_future(args.future))
    if args.json:
        json.dump(explanation.to_records(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        _print_table(explanation)
    return 0
