"""Cached reads, forecast runs and plotly charts: SKU Explorer, Model Quality, Upload & Forecast.

Design:
- Pages stay thin: they read widgets and call this module; every frame shaping and every chart
  lives here, and every core call goes through ``invdash.forecast.engine`` and
  ``invdash.store.forecasts`` (the same functions the ``invdash forecast`` CLI uses).
- Reads are ``st.cache_data`` wrappers whose first argument is ``db_key()``, so they are reused
  until the database file changes. The all-SKU forecast run is stored in DuckDB and looked up by
  ``store.data_version``: it is reused until the sales, inventory or products change.
- A forecast for one SKU on demand is cached (not stored: the stored run stays the all-SKU one).
- Heavy work (forecast runs) only happens when a page calls ``run_all_forecasts`` /
  ``forecast_sku`` / ``forecast_frame`` behind a button; progress goes to an ``st.progress`` bar.
- The engine is imported lazily: while it is missing, ``forecasting_unavailable()`` says why and
  the pages show that instead of failing.
- Chart builders (``fan_chart``, ``accuracy_chart``) and frame helpers are pure functions of
  frames, unit-tested in ``tests/unit/test_forecast_charts.py``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from invdash import store
from invdash.schema import DATE, MEAN, MODEL, QTY, SKU
from invdash.ui.cache import db_key, read_connection, write_connection
from invdash.ui.labels import label

__all__ = [
    "forecasting_unavailable", "model_choices", "sku_catalog", "sku_formatter", "default_sku",
    "sku_history", "compute_device", "latest_run", "newest_run", "run_history", "run_all_forecasts",
    "forecast_sku", "forecast_frame", "progress_reporter", "forecast_skus", "sku_forecasts",
    "chosen_model", "sku_accuracy", "backtest_table", "choice_summary", "fan_chart",
    "accuracy_chart", "forecast_csv", "CSV_COLUMNS", "METRICS",
]

#: Columns of the downloadable forecast CSV (same as the ``invdash forecast`` CLI output).
CSV_COLUMNS = (SKU, DATE, MODEL, MEAN, "p10", "p50", "p90")
#: Backtest metrics in display order (lower is better except coverage, which should be ~0.8).
METRICS = ("mase", "rmsse", "wape", "bias", "spl", "coverage80")
_HISTORY_DAYS = 180
_BAND = "rgba(31, 111, 139, 0.20)"
_LINE = "#1f6f8b"


def _engine() -> Any:
    return importlib.import_module("invdash.forecast.engine")


def _run_store() -> Any:
    return importlib.import_module("invdash.store.forecasts")


def forecasting_unavailable() -> str | None:
    """Why forecasting can't run in this installation, or None when it can."""
    try:
        engine, runs = _engine(), _run_store()
    except ImportError as err:
        return f"Forecasting is not available in this installation yet ({err})."
    for module, names in ((engine, ("run_forecast", "available_models")),
                          (runs, ("save_run", "load_latest_run", "list_runs"))):
        missing = [n for n in names if not hasattr(module, n)]
        if missing:
            return f"Forecasting is not available yet ({module.__name__} lacks {missing[0]})."
    return None


def model_choices() -> list[str]:
    """``auto`` (backtest fusion) followed by every single model the engine offers."""
    return ["auto", *[m for m in _engine().available_models() if m != "auto"]]


# -- cached reads -------------------------------------------------------------------------------

@st.cache_data(ttl=300, max_entries=4, show_spinner=False)
def _catalog(key: str) -> pd.DataFrame:  # noqa: ARG001 - cache key
    with read_connection() as conn:
        products = store.load_products(conn)
        sales = store.read_table(conn, "sales")
    units = sales.groupby(SKU, as_index=False)[QTY].sum()
    units[SKU] = units[SKU].astype(str)
    names = products[[SKU, "name"]].astype({SKU: str}) if len(products) else None
    catalog = units if names is None else units.merge(names, on=SKU, how="left")
    catalog["name"] = catalog.get("name", pd.Series(index=catalog.index, dtype=object))
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
        return _run_store().load_latest_run(conn, data_version=version)


def latest_run() -> Any:
    """The stored all-SKU forecast run for the current data, or None (data changed / never run)."""
    return _latest_run(db_key(), True)


def newest_run() -> Any:
    """The most recent stored forecast run whatever data it was made on, or None."""
    return _latest_run(db_key(), False)


@st.cache_data(ttl=300, max_entries=4, show_spinner=False)
def _runs(key: str) -> pd.DataFrame:  # noqa: ARG001 - cache key
    with read_connection() as conn:
        runs = _run_store().list_runs(conn)
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
    return importlib.import_module("invdash.forecast.device").device_name()


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
    run = _engine().run_forecast(
        sales, products=products, horizon=horizon, model=model, progress=progress, **extra
    )
    with write_connection() as conn:
        _run_store().save_run(conn, run, data_version=version)
    return run


@st.cache_data(ttl=3600, max_entries=32, show_spinner="Forecasting this SKU ...")
def _forecast_sku(key: str, sku: str, model: str, horizon: int) -> Any:  # noqa: ARG001
    with read_connection() as conn:
        sales = store.load_sales(conn, skus=[sku])
        products = store.load_products(conn)
    return _engine().run_forecast(
        sales, products=products, horizon=horizon, model=model, skus=[sku]
    )


def forecast_sku(sku: str, *, model: str, horizon: int) -> Any:
    """Forecast one SKU now (its backtest compares every model on it); cached until data change."""
    return _forecast_sku(db_key(), sku, model, horizon)


def forecast_frame(
    sales: pd.DataFrame, *, products: pd.DataFrame | None, model: str, horizon: int,
    progress: Callable[..., None],
) -> Any:
    """Forecast an uploaded sales frame (nothing is stored)."""
    products = products if products is not None and len(products) else None
    return _engine().run_forecast(
        sales, products=products, horizon=horizon, model=model, progress=progress
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


def _members(model: str) -> list[str]:
    """``"ens(ets+sba)"`` -> ``["ets", "sba"]``; a single model -> ``[model]``."""
    if model.startswith("ens(") and model.endswith(")"):
        return model[4:-1].split("+")
    return [model]


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
    table["chosen"] = table[MODEL].isin(_members(str(choice[MODEL])))
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
    return counts.rename(columns={SKU: "n_skus"}).sort_values(
        ["n_skus", *keys], ascending=[False, *[True] * len(keys)]
    ).reset_index(drop=True)


def forecast_csv(forecasts: pd.DataFrame) -> bytes:
    """The forecast as CSV bytes with ``CSV_COLUMNS`` (dates as YYYY-MM-DD)."""
    frame = forecasts[list(CSV_COLUMNS)].copy()
    frame[DATE] = pd.to_datetime(frame[DATE]).dt.strftime("%Y-%m-%d")
    return frame.to_csv(index=False).encode("utf-8")


# -- charts --------------------------------------------------------------------------------------

def fan_chart(
    history: pd.DataFrame, forecasts: pd.DataFrame, *, title: str = "",
    history_days: int = _HISTORY_DAYS,
) -> go.Figure:
    """Daily history with the forecast fan: a p10-p90 band, the p50 (dashed) and the mean.

    Args:
        history: sales of one SKU (``date, qty``); only the last ``history_days`` days are drawn.
        forecasts: forecast rows of the same SKU (``date, mean, p10, p50, p90``); may be empty.
        title: chart title.
        history_days: how many days of history to show before the forecast.

    Returns:
        A plotly figure with traces "History", and when forecasts are given "P10", "P90"
        (the band, filled between them), "P50" and "Forecast (mean)".
    """
    figure = go.Figure()
    recent = history.sort_values(DATE).tail(history_days)
    figure.add_trace(go.Scatter(
        x=pd.to_datetime(recent[DATE]), y=recent[QTY], name="History", mode="lines",
        line={"color": "#555555", "width": 1},
    ))
    if len(forecasts):
        dates = pd.to_datetime(forecasts[DATE])
        figure.add_trace(go.Scatter(x=dates, y=forecasts["p10"], name=label("p10"),
                                    mode="lines", line={"width": 0}, showlegend=False))
        figure.add_trace(go.Scatter(x=dates, y=forecasts["p90"], name=label("p90"), mode="lines",
                                    line={"width": 0}, fill="tonexty", fillcolor=_BAND))
        figure.add_trace(go.Scatter(x=dates, y=forecasts["p50"], name=label("p50"), mode="lines",
                                    line={"color": _LINE, "dash": "dash"}))
        figure.add_trace(go.Scatter(x=dates, y=forecasts[MEAN], name=label(MEAN), mode="lines",
                                    line={"color": _LINE, "width": 2}))
    figure.update_layout(
        title=title, xaxis_title=label(DATE), yaxis_title=label(QTY), hovermode="x unified",
        margin={"l": 10, "r": 10, "t": 40 if title else 10, "b": 10}, height=380,
        legend={"orientation": "h", "y": -0.2},
    )
    return figure


def accuracy_chart(backtest: pd.DataFrame, *, metric: str = "rmsse") -> go.Figure:
    """Grouped bars of one backtest ``metric`` per model, one bar group per demand class."""
    figure = go.Figure()
    if backtest.empty or metric not in backtest:
        return figure
    if "demand_class" not in backtest:
        backtest = backtest.assign(demand_class="all")
    for demand_class, rows in backtest.groupby("demand_class", sort=True):
        figure.add_trace(go.Bar(x=rows[MODEL], y=rows[metric], name=str(demand_class)))
    figure.update_layout(
        barmode="group", xaxis_title=label(MODEL), yaxis_title=label(metric), height=360,
        legend_title=label("demand_class"), margin={"l": 10, "r": 10, "t": 10, "b": 10},
    )
    return figure
