"""Explanations of the forecasts the dashboard shows, built from the sales in the store.

The explained forecast is exactly the one a page shows: a stored all-SKU run is explained in the
context of all SKUs' sales, a forecast made for one SKU on demand in the context of that SKU's
sales alone (the run's own input).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from invdash import store
from invdash.explain.explainer import ForecastExplainer, global_importance
from invdash.forecast.results import ForecastRun
from invdash.schema import QTY, SKU
from invdash.store.events import load_events

__all__ = ["explainer_for_run", "top_sku_importance"]


def explainer_for_run(
    conn: duckdb.DuckDBPyConnection, run_key: str, scope_sku: str | None, *, run: ForecastRun
) -> ForecastExplainer:
    """A ``ForecastExplainer`` of ``run`` (identified by ``run_key``) on the store's sales, or on
    ``scope_sku``'s sales alone when the run forecast that SKU on its own."""
    del run_key  # identifies ``run`` for callers that cache the result
    sales = store.load_sales(conn, skus=[scope_sku] if scope_sku else None)
    return ForecastExplainer(sales, run, products=store.load_products(conn),
                             events=load_events(conn))


def top_sku_importance(
    conn: duckdb.DuckDBPyConnection, run_key: str, n_skus: int, *, run: ForecastRun
) -> pd.DataFrame:
    """``global_importance`` over the ``n_skus`` best-selling SKUs that ``run`` forecast."""
    del run_key  # identifies ``run`` for callers that cache the result
    sales, products = store.load_sales(conn), store.load_products(conn)
    skus = sales.groupby(SKU)[QTY].sum().nlargest(n_skus).index.astype(str).tolist()
    forecast_skus = set(run.forecasts[SKU].astype(str))
    skus = [s for s in skus if s in forecast_skus]
    return global_importance(sales, run, skus=skus, products=products, events=load_events(conn))
