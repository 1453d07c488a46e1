"""Cached reads, writes and chart builders for the policy pages (Reorder, Alerts, KPIs, charts).

Every read goes through ``read_connection`` inside an ``st.cache_data`` wrapper keyed by
``db_key()``; every write through ``write_connection`` inside ``store.transaction`` (which drops
the caches). The policy run is derived data: the first view on new data computes and stores it,
later views (and restarts) read the stored run and its decisions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from invdash import alerts, auth, reorder, store
from invdash.forecast import stored as forecast_stored
from invdash.overview import stock_kpis
from invdash.policy import PolicyParams, project_stock
from invdash.store import reorder as reorder_store
from invdash.ui import auth_views
from invdash.ui.cache import db_key, read_connection, settings, write_connection

__all__ = [
    "has_forecast",
    "run_forecast",
    "policy_run",
    "reviewed_lines",
    "save_decisions",
    "export_files",
    "alert_table",
    "set_alert_status",
    "projected_stock_chart",
    "sku_projection",
    "render_projected_stock",
    "render_overview_kpis",
    "current_user",
    "can",
    "overrides",
    "save_override",
]


def current_user() -> str:
    """The signed-in user's name (see ``auth_views.gate``), recorded with alert states."""
    return _actor().name


def _actor() -> auth.User:
    """The session's user; outside a gated session nobody may decide (role ``planner``)."""
    return auth_views.current_user() or auth.User(name=settings().user, role="planner")


def can(action: str) -> bool:
    """Whether the session's user may do ``action`` (``approve_orders``, ``set_service_levels``)."""
    return auth.can(_actor(), action)


@st.cache_data(ttl=300, max_entries=8)
def _has_forecast(key: str) -> bool:  # noqa: ARG001 - cache key
    with read_connection() as conn:
        return forecast_stored.latest_forecast(conn) is not None


def has_forecast() -> bool:
    """Whether a forecast run exists for the current data."""
    return _has_forecast(db_key())


def run_forecast(progress_bar: Any) -> None:
    """Forecast all SKUs with the engine (``auto``) and store the run, driving ``progress_bar``."""
    from invdash.forecast.engine import run_forecast as engine_run
    from invdash.forecast.stored import save_run

    def report(done: int, total: int, message: str = "") -> None:
        progress_bar.progress(min(done / total, 1.0) if total else 1.0, text=message or None)

    with read_connection() as conn:
        sales, products = store.load_sales(conn), store.load_products(conn)
        version = store.data_version(conn)
    run = engine_run(sales, products=products, progress=report)
    with write_connection() as conn:
        save_run(conn, run, data_version=version)


def _find_run(conn: Any, params: PolicyParams) -> tuple[Any, str | None]:
    forecast = forecast_stored.latest_forecast(conn)
    if forecast is None:
        return None, None
    run_id = reorder_store.find_policy_run(
        conn,
        data_version=reorder.inputs_version(conn),
        forecast_run_id=forecast.run_id,
        params=reorder.params_key(params),
    )
    return forecast, run_id


@st.cache_data(ttl=3600, max_entries=8, show_spinner="Calibrating on past forecasts ...")
def _calibrated(data_key: str, service_level: float, review_days: int) -> PolicyParams:  # noqa: ARG001
    params = PolicyParams(service_level=service_level, review_period_days=review_days)
    with read_connection() as conn:
        return reorder.calibrate_params(conn, params)


def _calibrated_params(service_level: float, review_days: int) -> PolicyParams:
    """Policy parameters calibrated on past forecasts; recomputed only when the demand data
    change (decisions and alert states do not trigger the six forecasts it costs)."""
    with read_connection() as conn:
        data_key = f"{settings().db_path.resolve()}|{store.data_version(conn)}"
    return _calibrated(data_key, service_level, review_days)


@st.cache_data(ttl=600, max_entries=16, show_spinner="Computing the stock policy ...")
def _policy_run(key: str, service_level: float, review_days: int) -> reorder.PolicyRun | None:  # noqa: ARG001
    params = _calibrated_params(service_level, review_days)
    with read_connection() as conn:
        forecast, run_id = _find_run(conn, params)
        if forecast is None:
            return None
        if run_id is not None:
            return reorder.ensure_policy_run(
                conn, forecast.forecasts, forecast_run_id=forecast.run_id, params=params
            )
    with write_connection() as conn:
        return reorder.ensure_policy_run(
            conn, forecast.forecasts, forecast_run_id=forecast.run_id, params=params
        )


def policy_run(service_level: float = 0.95, review_days: int = 7) -> reorder.PolicyRun | None:
    """The stored policy run for the current data (computed once), or None without a forecast."""
    return _policy_run(db_key(), float(service_level), int(review_days))


@st.cache_data(ttl=300, max_entries=16)
def _products(key: str) -> pd.DataFrame:  # noqa: ARG001 - cache key
    with read_connection() as conn:
        return store.load_products(conn)


@st.cache_data(ttl=60, max_entries=16)
def _decisions(key: str, run_id: str) -> pd.DataFrame:  # noqa: ARG001 - cache key
    with read_connection() as conn:
        return reorder_store.load_decisions(conn, run_id=run_id)


def reviewed_lines(run: reorder.PolicyRun) -> pd.DataFrame:
    """Lines needing an order with their latest decision (status, final quantity, who, when)."""
    lines = reorder.suggestion_lines(run.table, _products(db_key()))
    return reorder.review_lines(lines, _decisions(db_key(), run.run_id))


def save_decisions(
    run_id: str,
    skus: list[str],
    *,
    action: str,
    qty: list[float] | None = None,
    reason: str | None = None,
) -> int:
    """Validate and store decisions for ``skus`` as the signed-in user (managers only)."""
    rows = reorder.decide_as(_actor(), run_id, skus, action=action, qty=qty, reason=reason)
    with write_connection() as conn, store.transaction(conn):
        return reorder_store.record_decisions(conn, rows)


@st.cache_data(ttl=60, max_entries=8)
def _overrides(key: str) -> pd.DataFrame:  # noqa: ARG001 - cache key
    with read_connection() as conn:
        return reorder_store.load_service_level_overrides(conn)


def overrides() -> pd.DataFrame:
    """Stored service-level overrides ``scope, key, service_level, user, updated_at``."""
    return _overrides(db_key())


def save_override(scope: str, key: str, service_level: float) -> None:
    """Validate and store a service-level override (per ABC class or per SKU; managers only)."""
    actor = _actor()
    auth.require(actor, "set_service_levels")
    skus = _products(db_key())["sku"].astype(str).tolist()
    key = reorder.check_override(scope, key, service_level, skus=skus)
    with write_connection() as conn, store.transaction(conn):
        reorder_store.set_service_level_override(
            conn, scope=scope, key=key, service_level=service_level, user=actor.name
        )


def export_files(reviewed: pd.DataFrame, as_of: pd.Timestamp) -> dict[str, bytes]:
    """``{file name: CSV bytes}``: one neutralised purchase order per supplier."""
    orders = reorder.purchase_orders(reviewed, as_of=as_of)
    files = {}
    for supplier, frame in orders.items():
        safe_name = "".join(c if c.isalnum() else "_" for c in supplier)
        files[f"po_{safe_name}_{as_of.date()}.csv"] = reorder.to_spreadsheet_csv(frame)
    return files


@st.cache_data(ttl=300, max_entries=8, show_spinner="Checking alerts ...")
def _alerts(key: str, run_id: str, _table: pd.DataFrame) -> pd.DataFrame:  # noqa: ARG001
    with read_connection() as conn:
        sales, products = store.load_sales(conn), store.load_products(conn)
        on_hand = store.latest_on_hand(conn)
        forecast = forecast_stored.latest_forecast(conn)
    return alerts.compute_alerts(
        _table,
        sales=sales,
        forecasts=forecast.forecasts,
        products=products,
        on_hand=on_hand,
        today=pd.Timestamp.now().normalize(),
    )


def alert_table(run: reorder.PolicyRun) -> pd.DataFrame:
    """All alerts for the run, ranked by money at risk, with their stored status."""
    with read_connection() as conn:
        state = reorder_store.load_alert_state(conn)
    found = _alerts(db_key(), run.run_id, run.table)
    return alerts.apply_alert_state(found, state, today=pd.Timestamp.now().normalize())


def set_alert_status(keys: list[str], *, status: str, snooze_until: Any = None) -> int:
    """Acknowledge, snooze (until a date) or reopen alerts; stored with user and time."""
    with write_connection() as conn, store.transaction(conn):
        return reorder_store.set_alert_state(
            conn, keys, status=status, user=current_user(), snooze_until=snooze_until
        )


def projected_stock_chart(  # noqa: PLR0913 - optional chart layers
    bands: pd.DataFrame,
    *,
    reorder_point: float | None = None,
    order_up_to: float | None = None,
    safety_stock: float | None = None,
    purchase_orders: pd.DataFrame | None = None,
    title: str = "Projected stock",
) -> go.Figure:
    """Plotly chart: p10-p90 band and p50 of projected on-hand stock, open POs arriving (markers),
    and the reorder point, order-up-to and safety-stock lines.

    Args:
        bands: one SKU's ``project_stock`` rows ``date, p10, p50, p90``.
        reorder_point, order_up_to, safety_stock: policy levels in units (omitted when None).
        purchase_orders: that SKU's open orders ``eta, qty``.
        title: chart title.
    """
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(
            x=bands["date"],
            y=bands["p90"],
            line={"width": 0},
            name="P90",
            showlegend=False,
            hoverinfo="skip",
        )
    )
    figure.add_trace(
        go.Scatter(
            x=bands["date"],
            y=bands["p10"],
            fill="tonexty",
            line={"width": 0},
            fillcolor="rgba(31,119,180,0.2)",
            name="P10-P90",
        )
    )
    figure.add_trace(
        go.Scatter(x=bands["date"], y=bands["p50"], name="P50 on hand", line={"color": "#1f77b4"})
    )
    for value, name, dash in (
        (reorder_point, "Reorder point", "dash"),
        (order_up_to, "Order-up-to", "dot"),
        (safety_stock, "Safety stock", "dashdot"),
    ):
        if value is not None:
            figure.add_hline(y=value, line_dash=dash, annotation_text=name)
    if purchase_orders is not None and not purchase_orders.empty:
        figure.add_trace(
            go.Bar(
                x=pd.to_datetime(purchase_orders["eta"]),
                y=purchase_orders["qty"],
                name="PO arriving",
                opacity=0.5,
            )
        )
    figure.update_layout(title=title, yaxis_title="Units", height=380, margin={"t": 50})
    return figure


@st.cache_data(ttl=600, max_entries=64)
def _projection(key: str, sku: str) -> tuple[pd.DataFrame, pd.DataFrame]:  # noqa: ARG001
    with read_connection() as conn:
        forecast = forecast_stored.latest_forecast(conn)
        if forecast is None:
            return pd.DataFrame(), pd.DataFrame()
        orders = store.open_purchase_orders(conn)
        on_hand = store.latest_on_hand(conn)
    forecasts = forecast.forecasts[forecast.forecasts["sku"].astype(str) == sku]
    orders = orders[orders["sku"].astype(str) == sku]
    return project_stock(forecasts, on_hand, orders), orders


def sku_projection(sku: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(bands, open orders)`` of one SKU from the latest forecast (empty without one)."""
    return _projection(db_key(), str(sku))


def render_projected_stock(sku: str, *, service_level: float = 0.95) -> None:
    """The projected-stock chart of one SKU with its policy lines (for the SKU Explorer)."""
    bands, orders = sku_projection(sku)
    if bands.empty:
        st.info("No forecast for the current data yet; run one to see the projected stock.")
        return
    run = policy_run(service_level)
    row = run.table[run.table["sku"] == str(sku)] if run is not None else pd.DataFrame()
    levels = row.iloc[0] if not row.empty else None
    st.plotly_chart(
        projected_stock_chart(
            bands,
            reorder_point=None if levels is None else float(levels["reorder_point"]),
            order_up_to=None if levels is None else float(levels["order_up_to"]),
            safety_stock=None if levels is None else float(levels["safety_stock"]),
            purchase_orders=orders,
            title=f"Projected stock: {sku}",
        )
    )
    if levels is not None:
        st.caption(levels["reason"])


@st.cache_data(ttl=300, max_entries=8)
def _kpis(key: str) -> dict[str, float]:  # noqa: ARG001 - cache key
    with read_connection() as conn:
        sales = store.load_sales(conn)
        if sales.empty:
            return {}
        result = stock_kpis(sales, store.load_inventory(conn), store.load_products(conn))
    return {name: float(value) for name, value in vars(result).items()}


def render_overview_kpis() -> None:
    """KPI cards on the Overview: fill rate, stockout rate, turns, days of supply.

    Stock value is already a card at the top of the Overview (same number), so it is not
    repeated here.
    """
    values = _kpis(db_key())
    if not values:
        return
    st.subheader(f"Stock KPIs (last {values['window_days']:.0f} days)")
    cards: list[tuple[str, Callable[[float], str], str]] = [
        ("fill_rate", lambda v: f"{v:.1%}", "Fill rate (estimated)"),
        ("stockout_rate", lambda v: f"{v:.1%}", "Stockout rate (SKU-days)"),
        ("turns", lambda v: f"{v:.1f}", "Turns per year"),
        ("days_of_supply", lambda v: f"{v:.0f}", "Days of supply"),
    ]
    for column, (name, fmt, text) in zip(st.columns(len(cards)), cards, strict=True):
        value = values[name]
        column.metric(text, fmt(value) if pd.notna(value) and abs(value) != float("inf") else "n/a")
