"""Cached reads, the replay run and plotly charts for the Policy Replay page.

Design:
- The page reads its form and calls ``run_replay`` (and ``run_curve`` when asked); both go through
  ``invdash.replay`` (the same functions the ``invdash simulate`` CLI uses), with an
  ``st.progress`` bar driven by the replay's ``progress(fraction, message)`` callback: one step
  per forecast origin (most of a first replay), then the review days.
- A replay is heavy (one forecast per review day and calibration origin; models chosen every
  28 days and refitted between, ``replay.forecasts``), so it runs only behind the form's
  submit and its result is kept in the page's session state, not recomputed on every rerun.
  Its forecasts do not depend on the service target, so they are kept per data version and
  window (``replay.replay_forecast_cache`` in ``ui.cache.cached_model``, shared by
  sessions): the curve after a replay, or a replay at another target, reuses them.
- Sales and products are read once per data version (``ui.cache.cached_on_data``), when a
  replay runs; opening the page reads only the sales' first and last day.
- Chart builders live in ``ui.charts.replay``; ``summary_table`` is a pure function of frames.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

from invdash import store
from invdash.forecast.registry import available_models
from invdash.replay import (
    ForecastCache,
    ReplayParams,
    ReplayResult,
    compare_policies,
    fill_rate_curve,
    replay_forecast_cache,
    stock_at_fill,
    store_policy_options,
)
from invdash.store import overview as overview_store
from invdash.ui.cache import cached_model, cached_on_data, cached_read
from invdash.ui.charts.replay import POLICY_NAMES, curve_chart, on_hand_chart
from invdash.ui.labels import relabel

__all__ = [
    "replay_inputs", "data_span", "default_start", "model_choices", "progress_reporter",
    "replay_params", "forecast_cache", "run_replay", "run_curve", "summary_table", "policy_metrics",
    "on_hand_chart", "curve_chart", "busiest_skus", "CURVE_TARGETS", "equal_fill_comparison",
]

#: Service targets of the fill-rate vs mean-stock curve.
CURVE_TARGETS = (0.80, 0.90, 0.95, 0.98)


def replay_inputs() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Daily sales and products of the configured database (cached per database version)."""
    return cached_on_data(store.load_sales), cached_on_data(store.load_products)


def data_span() -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """First and last sales day, or None without sales (a DuckDB aggregate: opening the page
    reads no sales rows; a replay reads them when it runs)."""
    return cached_read(overview_store.sales_span)


def default_start(last_day: pd.Timestamp, days: int) -> pd.Timestamp:
    """The latest start that still fits ``days`` replayed days before ``last_day``."""
    return pd.Timestamp(last_day) - pd.Timedelta(days=days - 1)


def model_choices() -> list[str]:
    """Forecast models the invdash policy can use (``auto`` first)."""
    return ["auto", *[m for m in available_models() if m != "auto"]]


def progress_reporter(bar: Any) -> Any:
    """A replay ``progress(fraction, message)`` callback that drives an ``st.progress`` bar."""

    def report(fraction: float, message: str) -> None:
        bar.progress(min(max(fraction, 0.0), 1.0), text=message)

    return report


def replay_params(
    *, start: Any, days: int, review_days: int, lead_time_days: int | None
) -> ReplayParams:
    """The replay window from the form (``lead_time_days`` None: each product's own)."""
    return ReplayParams(
        start=pd.Timestamp(start), days=int(days), review_period_days=int(review_days),
        lead_time_days=None if lead_time_days is None else int(lead_time_days),
    )


def _new_forecast_cache(  # noqa: PLR0913 - the cache key parts, then the unhashed days
    conn: duckdb.DuckDBPyConnection, start: pd.Timestamp, review_days: int,
    lead_time_days: int | None, model: str, *, days: int,
) -> ForecastCache:  # fmt: skip
    params = ReplayParams(
        start=start, days=days, review_period_days=review_days, lead_time_days=lead_time_days
    )
    return replay_forecast_cache(
        store.load_sales(conn), store.load_products(conn), params=params,
        options=store_policy_options(conn, model),
    )  # fmt: skip


def forecast_cache(params: ReplayParams, model: str) -> ForecastCache:
    """The replay forecasts of this window (data version, start, review period, lead time,
    model), shared by every target, the curve and every session; the number of days is checked
    against the data but is no part of the key (the forecasts are kept per review day).

    Raises:
        InvalidDataError: the window does not fit the data.
    """
    return cached_model(
        _new_forecast_cache, params.start, params.review_period_days, params.lead_time_days,
        model, unhashed={"days": params.days},
    )  # fmt: skip


def run_replay(
    params: ReplayParams, *, service_level: float, model: str, progress: Any
) -> ReplayResult:
    """Replay the invdash and textbook policies on the database's sales."""
    sales, products = replay_inputs()
    return compare_policies(
        sales, params=params, service_level=float(service_level), products=products,
        options=cached_on_data(store_policy_options, model), progress=progress,
        cache=forecast_cache(params, model),
    )


def run_curve(params: ReplayParams, *, model: str, progress: Any) -> pd.DataFrame:
    """Fill rate and mean stock of both policies at ``CURVE_TARGETS`` (the replay's forecasts
    reused)."""
    sales, products = replay_inputs()
    return fill_rate_curve(
        sales, params=params, service_levels=CURVE_TARGETS, products=products,
        options=cached_on_data(store_policy_options, model), progress=progress,
        cache=forecast_cache(params, model),
    )


def policy_metrics(result: ReplayResult) -> list[dict[str, Any]]:
    """Per policy: display name, fill rate, stockout days and mean stock, ready for st.metric."""
    return [
        {
            "policy": POLICY_NAMES.get(row.policy, row.policy),
            "fill_rate": f"{row.fill_rate:.1%}",
            "stockout_days": f"{row.stockout_days:,}",
            "mean_on_hand": f"{row.mean_on_hand:,.1f}",
        }
        for row in result.summary.itertuples(index=False)
    ]


def summary_table(result: ReplayResult) -> pd.DataFrame:
    """The summary with display names and labels."""
    table = result.summary[["policy", "fill_rate", "stockout_days", "mean_on_hand", "lost",
                            "orders"]].copy()
    table["policy"] = table["policy"].map(lambda p: POLICY_NAMES.get(p, p))
    return relabel(table)


def busiest_skus(result: ReplayResult) -> list[str]:
    """Replayed SKUs, most demand first."""
    return result.skus_by_demand()


def equal_fill_comparison(result: ReplayResult, curve: pd.DataFrame) -> str:
    """One sentence comparing the two policies at equal fill: the textbook policy's mean stock
    at the fill rate invdash reached (read off the textbook curve), against invdash's own."""
    mine = result.summary.set_index("policy").loc["invdash"]
    units, inside = stock_at_fill(curve, "textbook", float(mine["fill_rate"]))
    saving = 1 - float(mine["mean_on_hand"]) / units if units > 0 else 0.0
    how = "read off its curve" if inside else "extrapolated beyond its measured curve"
    return (
        f"At equal fill ({mine['fill_rate']:.1%}), the textbook policy needs {units:,.0f} units of "
        f"mean stock ({how}); invdash holds {mine['mean_on_hand']:,.0f}: "
        f"{abs(saving):.0%} {'less' if saving >= 0 else 'more'}."
    )
