"""Cached reads, forecast runs and page sections: SKU Explorer, Model Quality, Upload & Forecast.

Design:
- Pages stay thin: they read widgets and call this module; every frame shaping and every chart
  lives here, and every core call goes through ``invdash.forecast.engine`` and
  ``invdash.forecast.stored`` (the same functions the ``invdash forecast`` CLI uses).
- Reads are ``st.cache_data`` wrappers whose first argument is ``db_key()``, so they are reused
  until the database file changes. The all-SKU forecast run is stored in DuckDB and looked up by
  ``store.data_version``: it is reused until the sales, inventory or products change.
- A forecast for one SKU on demand is cached (not stored: the stored run stays the all-SKU one).
- Heavy work (forecast runs) only happens when a page calls ``run_all_forecasts`` /
  ``forecast_sku`` / ``forecast_frame`` behind a button; progress goes to an ``st.progress`` bar.
- Products without any sales are not passed to the engine (it forecasts only SKUs with sales,
  and its cold-start path currently fails on products it has no panel row for).
- Reading uploads lives in ``upload_views``.
- Frame helpers are pure functions of frames; the plotly builders are in ``forecast_charts``.
  Both are unit-tested in ``tests/unit/test_forecast_charts.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from invdash import store
from invdash.forecast import stored as forecast_stored
from invdash.forecast.engine import run_forecast
from invdash.forecast.fusion import members_of
from invdash.forecast.registry import available_models
from invdash.runtime.device import device_name
from invdash.schema import DATE, MEAN, MODEL, QTY, SKU
from invdash.store import forecasts as forecast_store
from invdash.ui.cache import db_key, read_connection, write_connection
from invdash.ui.labels import label, relabel

__all__ = [
    "model_choices",
    "sku_catalog",
    "sku_formatter",
    "default_sku",
    "sku_history",
    "compute_device",
    "latest_run",
    "newest_run",
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
    "METRICS",
]

#: Backtest metrics in display order (lower is better except coverage, which should be ~0.8).
METRICS = ("mase", "rmsse", "wape", "bias", "spl", "coverage80")


def model_choices() -> list[str]:
    """``auto`` (backtest fusion) followed by every single model the engine offers."""
    return ["auto", *[m for m in available_models() if m != "auto"]]


# -- cached reads -------------------------------------------------------------------------------


@st.cache_data(ttl=300, max_entries=4, show_spinner=False)
def _catalog(key: str) -> pd.DataFrame:  # noqa: ARG001 - cache key
    with read_connection() as conn:
        products = store.load_products(conn)
        sales = store.read_table(conn, "sales")
    units = sales.groupby(SKU, as_index=False)[QTY].sum().astype({SKU: str})
    names = products[[SKU, "name"]].astype({SKU: str})
    catalog = units.merge(names, on=SKU, how="left")
    return catalog.sort_values([QTY, SKU], ascending=[False, True]).reset_index(drop=True)


def sku_catalog() -> pd.DataFrame:
    """SKUs with sales: ``sku, qty`` (units sold in total), ``name``; top sellers first."""
    return _catalog(db_key())


def sku_formatter(catalog: pd.DataFrame) -> Callable[[str], str]:
    """A selectbox ``format_func`` showing "SKU — product name" (searchable by either)."""
    names = dict(zip(catalog[SKU], catalog["name"], strict=True))

    def format_sku(sku: str) -> str:
        name = names.get(sku)
        return f"{sku} — {name}" if isinstance(name, str) and name else str(sku)

    return format_sku


def default_sku(catalog: pd.DataFrame, selected: str | None) -> int:
    """Index of the SKU to preselect: the shared ``selected`` one if known, else the top seller."""
    skus = catalog[SKU].tolist()
    return skus.index(selected) if selected in skus else 0


@st.cache_data(ttl=300, max_entries=32, show_spinner=False)
def _history(key: str, sku: str) -> pd.DataFrame:  # noqa: ARG001 - cache key
    with read_connection() as conn:
        return store.load_sales(conn, skus=[sku])


def sku_history(sku: str) -> pd.DataFrame:
    """Gap-free daily sales of one SKU."""
    return _history(db_key(), sku)


@st.cache_data(ttl=300, max_entries=4, show_spinner=False)
def _latest_run(key: str, current_only: bool) -> Any:  # noqa: ARG001 - cache key
    with read_connection() as conn:
        version = store.data_version(conn) if current_only else None
        return forecast_stored.load_latest_run(conn, data_version=version)


def latest_run() -> Any:
    """The stored all-SKU forecast run for the current data, or None (data changed / never run)."""
    return _latest_run(db_key(), True)


def newest_run() -> Any:
    """The most recent stored forecast run whatever data it was made on, or None."""
    return _latest_run(db_key(), False)


@st.cache_data(ttl=300, max_entries=4, show_spinner=False)
def _data_version(key: str) -> str:  # noqa: ARG001 - cache key
    with read_connection() as conn:
        return store.data_version(conn)


def is_current(run: Any) -> bool:
    """Whether a stored ``run`` was made on the data now in the database."""
    return run is not None and getattr(run, "data_version", None) == _data_version(db_key())


@st.cache_data(ttl=300, max_entries=4, show_spinner=False)
def _runs(key: str) -> pd.DataFrame:  # noqa: ARG001 - cache key
    with read_connection() as conn:
        runs = forecast_store.list_runs(conn)
        version = store.data_version(conn)
    if "data_version" in runs:
        runs.insert(1, "current", runs.pop("data_version") == version)
    return runs


def run_history() -> pd.DataFrame:
    """Stored forecast runs, newest first; ``current`` marks runs made on the current data."""
    return _runs(db_key())


# -- forecast runs (behind buttons) ---------------------------------------------------------------


def progress_reporter(bar: Any) -> Callable[[int, int, str], None]:
    """A ``progress(done, total, message)`` callback that drives an ``st.progress`` bar."""

    def report(done: int, total: int, message: str = "") -> None:
        bar.progress(min(max(done / total, 0.0), 1.0) if total else 1.0, text=message or None)

    return report


def compute_device() -> str:
    """The device the neural model would run on (``cpu`` or ``cuda (name)``)."""
    return device_name()


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
        sales = store.load_sales(conn)
        products = store.load_products(conn)
        version = store.data_version(conn)
    extra = {"use_neural": True} if use_neural else {}
    run = run_forecast(
        sales,
        products=_with_sales(products, sales),
        horizon=horizon,
        model=model,
        progress=progress,
        **extra,
    )
    with write_connection() as conn:
        forecast_stored.save_run(conn, run, data_version=version)
    return run


@st.cache_data(ttl=3600, max_entries=32, show_spinner="Forecasting this SKU ...")
def _forecast_sku(key: str, sku: str, model: str, horizon: int) -> Any:  # noqa: ARG001
    with read_connection() as conn:
        sales = store.load_sales(conn, skus=[sku])
        products = store.load_products(conn)
    return run_forecast(
        sales, products=products, horizon=horizon, model=model, skus=[sku]
    )


def forecast_sku(sku: str, *, model: str, horizon: int) -> Any:
    """Forecast one SKU now (its backtest compares every model on it); cached until data change."""
    return _forecast_sku(db_key(), sku, model, horizon)


def _with_sales(products: pd.DataFrame | None, sales: pd.DataFrame) -> pd.DataFrame | None:
    """Only the products that have sales (the ones a run forecasts), None when there are none."""
    if products is None or products.empty:
        return None
    kept = products[products[SKU].astype(str).isin(set(sales[SKU].astype(str)))]
    return kept if len(kept) else None


def forecast_frame(
    sales: pd.DataFrame,
    *,
    products: pd.DataFrame | None,
    model: str,
    horizon: int,
    progress: Callable[..., None],
) -> Any:
    """Forecast an uploaded sales frame (nothing is stored)."""
    return run_forecast(
        sales,
        products=_with_sales(products, sales),
        horizon=horizon,
        model=model,
        progress=progress,
    )


# -- frame helpers ---------------------------------------------------------------------------------


def forecast_skus(run: Any) -> list[str]:
    """The SKUs a run forecast, sorted."""
    return [] if run is None else sorted(run.forecasts[SKU].astype(str).unique())


def sku_forecasts(run: Any, sku: str) -> pd.DataFrame:
    """The forecast rows of one SKU in ``run`` (empty when the run has none or is None)."""
    if run is None:
        return pd.DataFrame(columns=[SKU, DATE, MODEL, MEAN])
    return run.forecasts[run.forecasts[SKU].astype(str) == sku].sort_values(DATE)


def chosen_model(run: Any, sku: str) -> dict[str, Any] | None:
    """The run's choice for ``sku`` (``model, demand_class, reason, score``), or None."""
    if run is None or run.choices is None:
        return None
    rows = run.choices[run.choices[SKU].astype(str) == sku]
    return None if rows.empty else rows.iloc[0].to_dict()


def sku_accuracy(run: Any, sku: str) -> pd.DataFrame:
    """Backtest accuracy of every model next to the chosen one for ``sku``.

    With a run made for this SKU alone (``forecast_sku``) the rows are this SKU's own backtest;
    with an all-SKU run they are the models' accuracy on the SKU's demand class. The ``chosen``
    column marks the model the run picked (or the members of a combination ``ens(a+b)``); best
    (lowest RMSSE) first.
    """
    choice = chosen_model(run, sku)
    if choice is None or run.backtest is None or run.backtest.empty:
        return pd.DataFrame(columns=[MODEL, "chosen", *METRICS])
    backtest = run.backtest
    if "demand_class" in backtest and choice.get("demand_class") in set(backtest["demand_class"]):
        backtest = backtest[backtest["demand_class"] == choice["demand_class"]]
    table = backtest.copy()
    table["chosen"] = table[MODEL].isin(members_of(str(choice[MODEL])))
    columns = [MODEL, "chosen", *[m for m in METRICS if m in table]]
    order = [m for m in ("rmsse", "mase") if m in table][:1] or [MODEL]
    return table[columns].sort_values(order).reset_index(drop=True)


def backtest_table(run: Any) -> pd.DataFrame:
    """The run's backtest by model and demand class, sorted for reading."""
    if run is None or run.backtest is None:
        return pd.DataFrame(columns=[MODEL, "demand_class", *METRICS])
    keys = [c for c in ("demand_class", "rmsse", MODEL) if c in run.backtest]
    return run.backtest.sort_values(keys).reset_index(drop=True)


def choice_summary(run: Any) -> pd.DataFrame:
    """How many SKUs each model was chosen for, per demand class (most used first)."""
    if run is None or run.choices is None or run.choices.empty:
        return pd.DataFrame(columns=[MODEL, "demand_class", "n_skus"])
    keys = [c for c in (MODEL, "demand_class") if c in run.choices]
    counts = run.choices.groupby(keys, as_index=False)[SKU].nunique()
    return (
        counts.rename(columns={SKU: "n_skus"})
        .sort_values(["n_skus", *keys], ascending=[False, *[True] * len(keys)])
        .reset_index(drop=True)
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
