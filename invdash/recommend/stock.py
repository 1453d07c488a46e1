"""Stock status per SKU for recommendations: in stock, overstocked, at risk, out of stock.

Design: a recommendation must not sell what the shop cannot deliver. A SKU is
- ``out_of_stock`` when its latest on-hand count is <= 0;
- ``at_risk`` when it is projected to stock out before the next delivery could arrive;
- ``overstocked`` when its stock covers more than ``overstock_days`` of demand (may be boosted);
- ``in_stock`` otherwise, and ``unknown`` when the shop has no inventory record for it (treated as
  sellable: the recommender can't know better, and the page says so).

"Projected to stock out before delivery" comes from the best source available, named in ``basis``:
1. ``policy``: the newest stored policy run (the Reorder page's table): stockout date before
   as-of + lead time (the policy's stockout date already counts open purchase orders arriving);
2. ``forecast``: the newest stored forecast run through ``invdash.policy.compute_policy`` (same
   rule), when no policy run is stored;
3. ``recent demand``: days of cover = on hand / mean daily demand over the last
   ``window_days`` of sales, against the days to the next open purchase order's ETA, or the
   product's lead time (default 7 days) when none is open.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from invdash import store
from invdash.schema import QTY, SKU, InvdashError

__all__ = ["STATUSES", "SELLABLE", "classify_cover", "stock_status"]

STATUSES = ("in_stock", "overstocked", "at_risk", "out_of_stock", "unknown")
SELLABLE = frozenset({"in_stock", "overstocked", "unknown"})
_DEFAULT_LEAD_DAYS = 7.0
_COLUMNS = [SKU, "on_hand", "daily_demand", "cover_days", "horizon_days", "status", "basis"]


def classify_cover(
    on_hand: np.ndarray,
    daily_demand: np.ndarray,
    horizon_days: np.ndarray,
    *,
    overstock_days: float = 180.0,
) -> np.ndarray:
    """Status from on hand, mean daily demand and the days until the next possible delivery.

    Example: 10 on hand at 2 a day covers 5 days: ``at_risk`` with a 7-day lead time, ``in_stock``
    with a 3-day one; 0 on hand is ``out_of_stock``; NaN on hand is ``unknown``.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        cover = np.where(daily_demand > 0, on_hand / daily_demand, np.inf)
    status = np.full(len(on_hand), "in_stock", dtype=object)
    status[cover > overstock_days] = "overstocked"
    status[cover < horizon_days] = "at_risk"
    status[on_hand <= 0] = "out_of_stock"
    status[np.isnan(on_hand)] = "unknown"
    return status


def _recent_demand(conn: duckdb.DuckDBPyConnection, *, window_days: int) -> pd.Series:
    sales = store.read_table(conn, "sales")
    if sales.empty:
        return pd.Series(dtype=float)
    sales["date"] = pd.to_datetime(sales["date"])
    recent = sales[sales["date"] > sales["date"].max() - pd.Timedelta(days=window_days)]
    return recent.groupby(SKU)[QTY].sum() / float(window_days)


def _horizons(conn: duckdb.DuckDBPyConnection, skus: pd.Index, as_of: pd.Timestamp) -> np.ndarray:
    products = store.load_products(conn).set_index(SKU)
    lead = products["lead_time_days"].reindex(skus).fillna(_DEFAULT_LEAD_DAYS).to_numpy(float)
    orders = store.open_purchase_orders(conn)
    if orders.empty:
        return lead
    eta = pd.to_datetime(orders["eta"]).groupby(orders[SKU]).min().reindex(skus)
    days = ((eta - as_of).dt.days.clip(lower=0)).to_numpy(float)
    return np.where(np.isnan(days), lead, days)


def _from_recent_demand(
    conn: duckdb.DuckDBPyConnection,
    on_hand: pd.DataFrame,
    *,
    window_days: int,
    overstock_days: float,
) -> pd.DataFrame:
    as_of = pd.Timestamp(on_hand["as_of"].max()) if len(on_hand) else pd.Timestamp.now()
    skus = pd.Index(sorted(set(store.load_products(conn)[SKU]) | set(on_hand[SKU])), name=SKU)
    stock = on_hand.set_index(SKU)["on_hand"].reindex(skus).to_numpy(float)
    demand = _recent_demand(conn, window_days=window_days).reindex(skus).fillna(0.0).to_numpy()
    horizon = _horizons(conn, skus, as_of)
    with np.errstate(divide="ignore", invalid="ignore"):
        cover = np.where(demand > 0, stock / demand, np.inf)
    return pd.DataFrame(
        {
            SKU: skus,
            "on_hand": stock,
            "daily_demand": demand,
            "cover_days": cover,
            "horizon_days": horizon,
            "status": classify_cover(stock, demand, horizon, overstock_days=overstock_days),
            "basis": "recent demand",
        }
    )


def _from_policy_table(
    table: pd.DataFrame, on_hand: pd.DataFrame, basis: str, *, overstock_days: float
) -> pd.DataFrame:
    as_of = pd.Timestamp(on_hand["as_of"].max()) if len(on_hand) else pd.Timestamp.now()
    stock = on_hand.set_index(SKU)["on_hand"].reindex(table[SKU]).to_numpy(float)
    demand = table["demand_daily_mean"].to_numpy(float)
    lead = table["lead_time_days"].fillna(_DEFAULT_LEAD_DAYS).to_numpy(float)
    stockout = pd.to_datetime(table["stockout_date"])
    # The policy projects stock with open orders arriving: a stockout within the lead time
    # happens before a replenishment ordered today could land.
    days_to_stockout = (stockout - as_of).dt.days.to_numpy(float)
    horizon = np.where(np.isnan(days_to_stockout), 0.0, lead)
    cover = np.where(np.isnan(days_to_stockout), np.inf, days_to_stockout)
    status = classify_cover(
        stock,
        np.where(demand > 0, demand, 0.0),
        np.zeros(len(stock)),
        overstock_days=overstock_days,
    )
    status[(cover < horizon) & (status != "out_of_stock") & (status != "unknown")] = "at_risk"
    return pd.DataFrame(
        {
            SKU: table[SKU].to_numpy(),
            "on_hand": stock,
            "daily_demand": demand,
            "cover_days": cover,
            "horizon_days": lead,
            "status": status,
            "basis": basis,
        }
    )


def _policy_source(
    conn: duckdb.DuckDBPyConnection, on_hand: pd.DataFrame
) -> tuple[pd.DataFrame, str] | None:
    from invdash.store import reorder as reorder_store

    latest = reorder_store.latest_policy_run(conn)
    if len(latest):
        table = reorder_store.load_suggestions(conn, str(latest["run_id"].iloc[0]))
        if len(table):
            return table, "policy"
    from invdash.forecast.stored import load_latest_run

    run = load_latest_run(conn)
    if run is None or run.forecasts.empty:
        return None
    from invdash.policy import PolicyParams, compute_policy

    try:
        table = compute_policy(
            run.forecasts,
            store.load_products(conn),
            on_hand,
            store.open_purchase_orders(conn),
            params=PolicyParams(),
        )
    except InvdashError:
        return None
    return table, "forecast"


def stock_status(
    conn: duckdb.DuckDBPyConnection, *, window_days: int = 28, overstock_days: float = 180.0
) -> pd.DataFrame:
    """Stock status of every SKU the shop knows (see the module docstring for the rules).

    Args:
        conn: an open store connection.
        window_days: days of recent sales behind the fallback's mean daily demand.
        overstock_days: days of cover above which a SKU is ``overstocked``.

    Returns:
        Frame ``sku, on_hand, daily_demand, cover_days, horizon_days, status, basis``; empty when
        the shop has no inventory records at all.
    """
    on_hand = store.latest_on_hand(conn)
    if on_hand.empty:
        return pd.DataFrame(columns=_COLUMNS)
    on_hand[SKU] = on_hand[SKU].astype(str)
    source = _policy_source(conn, on_hand)
    if source is None:
        return _from_recent_demand(
            conn, on_hand, window_days=window_days, overstock_days=overstock_days
        )[_COLUMNS]
    table, basis = source
    frame = _from_policy_table(table, on_hand, basis, overstock_days=overstock_days)
    rest = _from_recent_demand(
        conn, on_hand, window_days=window_days, overstock_days=overstock_days
    )
    rest = rest[~rest[SKU].isin(frame[SKU])]
    return pd.concat([frame, rest], ignore_index=True)[_COLUMNS]
