"""Forecast overrides in the store: add (validated, audited), apply before the policy, judge (FVA).

- ``add_forecast_override``: a planner adjusts a SKU's or a category's forecast over a date
  range (``factor`` / ``units`` / ``set``, see ``invdash.forecast.overrides``) with a reason; the
  row records who, when and the forecast run it was made on.
- ``policy_forecasts``: THE step between a stored forecast and ``compute_policy``; every policy
  run (``reorder.runs.current_policy``: CLI and pages alike) goes through it.
- ``fva_report``: once actuals exist for an override's dates, the system forecast (the run the
  override was made on) and the overridden one are scored on them: MAE, bias, FVA, helped.
"""

from __future__ import annotations

import math

import duckdb
import pandas as pd

from invdash import auth, store
from invdash.forecast.overrides import (
    OVERRIDE_KINDS,
    apply_overrides,
    override_skus,
    value_added,
)
from invdash.schema import SKU, InvalidDataError
from invdash.store import forecasts as forecast_store
from invdash.store import master_data as md_store

__all__ = [
    "FVA_COLUMNS",
    "add_forecast_override",
    "end_forecast_override",
    "load_forecast_overrides",
    "policy_forecasts",
    "fva_report",
]

FVA_COLUMNS = (
    "override_id", "scope", "key", "kind", "value", "start_date", "end_date", "reason", "user",
    "periods", "system_mae", "override_mae", "system_bias", "override_bias", "fva_mae", "helped",
)  # fmt: skip

_MAX_FACTOR = 100.0


def _check_value(kind: str, value: float) -> float:
    if kind not in OVERRIDE_KINDS:
        raise InvalidDataError(f"override kind must be one of {', '.join(OVERRIDE_KINDS)}.")
    value = float(value)
    if not math.isfinite(value):
        raise InvalidDataError(f"the override {kind} must be a finite number, got {value!r}.")
    if kind == "factor" and not 0 <= value <= _MAX_FACTOR:
        raise InvalidDataError(f"--factor must be from 0 to 100 (1.2 = +20 %), got {value:g}.")
    if kind == "set" and value < 0:
        raise InvalidDataError(f"--set must be units per period >= 0, got {value:g}.")
    return value


def _check_scope(products: pd.DataFrame, sku: str | None, category: str | None) -> tuple[str, str]:
    if (sku is None) == (category is None):
        raise InvalidDataError("an override needs exactly one of a SKU (--sku) or a category.")
    if sku is not None:
        if sku not in set(products[SKU].astype(str)):
            raise InvalidDataError(f"SKU {sku!r} is not in the products table; check the spelling.")
        return "sku", sku
    known = products["category"].dropna().astype(str).str.strip()
    match = known[known.str.casefold() == str(category).strip().casefold()]
    if match.empty:
        raise InvalidDataError(
            f"category {category!r} is not in the products table; known: "
            f"{', '.join(sorted(known.unique())[:10])}."
        )
    return "category", str(match.iloc[0])


def _check_dates(start: object, end: object) -> tuple[pd.Timestamp, pd.Timestamp]:
    try:
        first, last = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    except (TypeError, ValueError):
        raise InvalidDataError(
            f"override dates must be YYYY-MM-DD, got {start!r} and {end!r}."
        ) from None
    if pd.isna(first) or pd.isna(last) or last < first:
        raise InvalidDataError(f"the override ends ({end}) before it starts ({start}).")
    return first, last


def add_forecast_override(  # noqa: PLR0913 - an override has these parts
    conn: duckdb.DuckDBPyConnection,
    actor: auth.User,
    *,
    start: object,
    end: object,
    kind: str,
    value: float,
    reason: str,
    sku: str | None = None,
    category: str | None = None,
) -> str:
    """Validate and store one override (in a transaction); returns its id.

    Raises:
        InvalidDataError: neither or both of SKU and category, unknown SKU or category, bad
            dates, a kind or value out of range, or no reason.
        PermissionDeniedError: the actor may not override forecasts.
    """
    auth.require(actor, "override_forecasts")
    scope, key = _check_scope(store.load_products(conn), sku, category)
    first, last = _check_dates(start, end)
    value = _check_value(kind, value)
    if not (reason or "").strip():
        raise InvalidDataError("an override needs a reason (--reason), e.g. 'promo in week 12'.")
    override = {
        "scope": scope, "key": key, "start_date": first.date(), "end_date": last.date(),
        "kind": kind, "value": value, "reason": reason.strip(), "user": actor.name,
        "forecast_run_id": forecast_store.latest_run_id(conn),
    }  # fmt: skip
    with store.transaction(conn):
        return md_store.insert_override(conn, override)


def end_forecast_override(
    conn: duckdb.DuckDBPyConnection, override_id: str, actor: auth.User
) -> None:
    """End an active override (it stays in the FVA report).

    Raises:
        InvalidDataError: no active override with that id.
    """
    auth.require(actor, "override_forecasts")
    with store.transaction(conn):
        ended = md_store.end_override(conn, override_id, user=actor.name)
    if not ended:
        raise InvalidDataError(f"no active forecast override {override_id!r}.")


def load_forecast_overrides(
    conn: duckdb.DuckDBPyConnection, *, active_only: bool = True
) -> pd.DataFrame:
    """Stored overrides, oldest first (see ``store.master_data.load_overrides``)."""
    return md_store.load_overrides(conn, active_only=active_only)


def policy_forecasts(conn: duckdb.DuckDBPyConnection, forecasts: pd.DataFrame) -> pd.DataFrame:
    """The forecast the policy plans on: ``forecasts`` with the active overrides applied."""
    overrides = md_store.load_overrides(conn)
    if overrides.empty:
        return forecasts
    return apply_overrides(forecasts, overrides, store.load_products(conn))


def _score(conn: duckdb.DuckDBPyConnection, override: pd.Series, products: pd.DataFrame) -> dict:
    skus = sorted(override_skus(override, products))
    run_id = override["forecast_run_id"]
    if run_id is None or pd.isna(run_id) or not skus:
        return {"periods": 0.0}
    system = forecast_store.load_run_forecasts(conn, str(run_id), skus=skus)
    inside = system["date"].between(override["start_date"], override["end_date"])
    system = system[inside]
    overridden = apply_overrides(system, override.to_frame().T, products)
    actuals = store.load_sales(conn, skus=skus)
    return value_added(system, overridden, actuals)


def fva_report(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Forecast value added per override (active or ended), with ``FVA_COLUMNS``.

    ``periods`` is the number of (SKU, day) rows with actuals; ``helped`` is True when the
    override's MAE is lower than the system forecast's, None while no actuals exist.
    """
    overrides = md_store.load_overrides(conn, active_only=False)
    products = store.load_products(conn) if len(overrides) else None  # 100,000 rows unused
    scores = [_score(conn, row, products) for _, row in overrides.iterrows()]
    report = pd.concat(
        [overrides.reset_index(drop=True), pd.DataFrame(scores, columns=list(FVA_COLUMNS[9:15]))],
        axis=1,
    )
    report["periods"] = report["periods"].fillna(0).astype("int64")
    helped = (report["fva_mae"] > 0).astype(object)
    report["helped"] = helped.where(report["periods"] > 0, None)
    return report[list(FVA_COLUMNS)]
