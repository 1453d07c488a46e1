"""Cached reads, forecast runs and page sections: SKU Explorer, Model Quality, Upload & Forecast.

Design:
- Pages stay thin: they read widgets and call this module; every frame shaping and every chart
  lives here, and every core call goes through ``invdash.forecast.engine`` and
  ``invdash.forecast.stored`` (the same functions the ``invdash forecast`` CLI uses).
- Reads are ``ui.cache.cached_read`` calls of core functions, so they are reused until the
  database file changes. The all-SKU forecast run is stored in DuckDB and looked up by
  ``store.data_version``: it is reused until the sales, inventory or products change.
- A forecast for one SKU on demand is cached (not stored: the stored run stays the all-SKU one).
- Heavy work (forecast runs) only happens when a page calls ``run_all_forecasts`` /
  ``forecast_sku`` / ``forecast_frame`` behind a button; progress goes to an ``st.progress`` bar.
- Products without any sales are not passed to the engine (it forecasts only SKUs with sales,
  and its cold-start path currently fails on products it has no panel row for).
- Reading uploads lives in ``upload_views``.
- Frame helpers are core functions (``forecast.summaries``); the plotly builders are in
  ``ui.charts.forecast``.
  Both are unit-tested in ``tests/unit/ui/test_forecast_charts.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from invdash import store
from invdash.forecast import stored as forecast_stored
from invdash.forecast.names import MODEL_NAMES
from invdash.forecast.summaries import (
    METRICS,
    backtest_table,
    choice_summary,
    chosen_model,
    forecast_skus,
    sku_accuracy,
    sku_forecasts,
)
from invdash.schema import MODEL, SKU
from invdash.ui import labels
from invdash.ui.cache import cached_on_data, cached_read, read_connection, write_connection
from invdash.ui.labels import label, relabel

__all__ = [
    "model_choices",
    "has_sales",
    "sku_catalog",
    "sku_formatter",
    "default_sku",
    "sku_history",
    "latest_run",
    "newest_run",
    "latest_run_for",
    "full_run",
    "run_skus",
    "is_current",
    "run_history",
    "run_all_forecasts",
    "forecast_sku",
    "forecast_frame",
    "progress_reporter",
    "forecast_skus",
    "sku_forecasts",
    "chosen_model",
    "sku_accuracy",
    "backtest_table",
    "choice_summary",
    "render_model_section",
    "metric_columns",
    "METRICS",
]



def metric_columns() -> dict[str, Any]:
    """``st.dataframe`` column settings for backtest tables: metrics to three decimals, SKU
    counts as whole numbers (instead of raw floats and "None" cells)."""
    settings: dict[str, Any] = {
        label(m): st.column_config.NumberColumn(label(m), format="%.3f") for m in METRICS
    }
    settings[label("n_skus")] = st.column_config.NumberColumn(label("n_skus"), format="%d")
    settings[label("duration_s")] = st.column_config.NumberColumn(
        label("duration_s"), format="%.1f"
    )
    return settings


def model_choices() -> list[str]:
    """``auto`` (backtest fusion) followed by every single model the engine offers."""
    return ["auto", *MODEL_NAMES]  # the registry's names, without importing every model


# -- cached reads -------------------------------------------------------------------------------


def has_sales() -> bool:
    """Whether the database holds any sales (row counts only)."""
    return cached_read(store.table_counts).get("sales", 0) > 0


def sku_catalog() -> pd.DataFrame:
    """SKUs with sales: ``sku, qty`` (units sold in total), ``name``; top sellers first."""
    return cached_read(store.sku_catalog)


def sku_formatter(catalog: pd.DataFrame) -> Callable[[str], str]:
    """A selectbox ``format_func`` showing "SKU — product name" (``labels.sku_formatter``)."""
    return labels.sku_formatter(dict(zip(catalog[SKU], catalog["name"], strict=True)))


def default_sku(catalog: pd.DataFrame, selected: str | None) -> int:
    """Index of the SKU to preselect: the shared ``selected`` one if known, else the top seller."""
    skus = catalog[SKU].tolist()
    return skus.index(selected) if selected in skus else 0


def sku_history(sku: str) -> pd.DataFrame:
    """Gap-free daily sales of one SKU."""
    return cached_read(store.load_sales, skus=[sku])


def latest_run() -> Any:
    """The stored all-SKU forecast run for the current data, or None (data changed / never run)."""
    return cached_read(forecast_stored.latest_forecast)


def latest_run_for(sku: str) -> Any:
    """The stored all-SKU run for the current data holding only ``sku``'s rows, or None: the SKU
    Explorer reads one SKU of a run over 100,000, not the whole run."""
    return cached_read(forecast_stored.latest_forecast_for, (str(sku),))


def newest_run() -> Any:
    """The most recent stored forecast run whatever data it was made on, without its forecast
    rows (facts, choices, backtest), or None."""
    return cached_read(forecast_stored.newest_run_summary)


def full_run(run_id: str) -> Any:
    """Every row of the stored run ``run_id`` (only behind a button: large at 100,000 SKUs)."""
    return cached_read(forecast_stored.load_run, run_id)


def run_skus(run: Any) -> int:
    """How many SKUs ``run`` chose a model for."""
    return 0 if run is None or run.choices is None else int(run.choices[SKU].nunique())


def is_current(run: Any) -> bool:
    """Whether a stored ``run`` was made on the data now in the database."""
    return run is not None and getattr(run, "data_version", None) == cached_read(store.data_version)


def run_history() -> pd.DataFrame:
    """Stored forecast runs, newest first; ``current`` marks runs made on the current data."""
    return cached_read(forecast_stored.run_history)


# -- forecast runs (behind buttons) ---------------------------------------------------------------


def progress_reporter(bar: Any) -> Callable[[int, int, str], None]:
    """A ``progress(done, total, message)`` callback that drives an ``st.progress`` bar."""

    def report(done: int, total: int, message: str = "") -> None:
        bar.progress(min(max(done / total, 0.0), 1.0) if total else 1.0, text=message or None)

    return report


def run_all_forecasts(
    *, model: str, horizon: int, use_neural: bool, progress: Callable[..., None]
) -> Any:
    """Forecast every SKU in the database, store the run and return it (the cache is dropped).

    Args:
        model: ``auto`` or one model name.
        horizon: days to forecast.
        use_neural: add the global neural model to the ``auto`` set (slow without a GPU).
        progress: ``callable(done, total, message)``.
    """
    with read_connection() as conn:
        inputs = forecast_stored.load_inputs(conn)
    run = forecast_stored.forecast_inputs(
        inputs, model=model, horizon=horizon, use_neural=use_neural, progress=progress
    )
    with write_connection() as conn:
        forecast_stored.save_run(conn, run, data_version=inputs.data_version)
    return run


def forecast_sku(sku: str, *, model: str, horizon: int) -> Any:
    """Forecast one SKU now (its backtest compares every model on it); cached until data change."""
    return cached_on_data(
        forecast_stored.forecast_one_sku, sku, model, horizon, spinner="Forecasting this SKU ..."
    )


def forecast_frame(
    sales: pd.DataFrame,
    *,
    products: pd.DataFrame | None,
    model: str,
    horizon: int,
    progress: Callable[..., None],
) -> Any:
    """Forecast an uploaded sales frame (nothing is stored)."""
    return forecast_stored.forecast_upload(
        sales, products=products, model=model, horizon=horizon, progress=progress
    )


# -- page sections -------------------------------------------------------------------------------


def render_model_section(run: Any, sku: str, *, on_demand: bool) -> None:
    """SKU Explorer: the chosen model, why, and every model's backtest accuracy next to it.

    Args:
        run: the run that forecast ``sku``.
        sku: the SKU shown.
        on_demand: the run was made for this SKU alone (its backtest is this SKU's own).
    """
    choice = chosen_model(run, sku) or {}
    st.subheader("Model")
    model_col, class_col, device_col = st.columns(3)
    model_col.metric(label(MODEL), str(choice.get(MODEL, "?")))
    class_col.metric(label("demand_class"), str(choice.get("demand_class", "?")))
    device_col.metric(label("device"), str(run.device))
    source = "this SKU alone" if on_demand else "the stored run for all SKUs"
    if choice.get("reason"):
        st.caption(f"{label('reason')}: {choice['reason']} (forecast from {source}).")
    accuracy = sku_accuracy(run, sku)
    if accuracy.empty:
        st.caption("No backtest in this run.")
    else:
        scope = "this SKU" if on_demand else f"{choice.get('demand_class', 'its')} SKUs"
        st.markdown(
            f"**Backtest accuracy of every model on {scope}** (lower is better; "
            "80% interval coverage should be near 0.80)"
        )
        st.dataframe(relabel(accuracy), hide_index=True)
    with st.expander("Forecast table"):
        st.dataframe(relabel(sku_forecasts(run, sku)), hide_index=True)
