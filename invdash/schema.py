"""Shared vocabulary: column names, frame contracts, parameter types and the error family.

One vocabulary everywhere (database, frames, CLI, CSVs): ``sku`` (string), ``date`` (a day, no
timezone), ``qty`` (units, float >= 0), ``price``, ``promo``. Library-specific names (``unique_id``,
``ds``, ``y``) appear only at the call into that library.

Frames:
- Sales (long, one row per sku and day, missing days filled in ``store.load_sales``):
  ``sku, date, qty, price, promo, stockout``. ``stockout`` is True on days with zero stock on hand,
  where zero sales are censored demand, not zero demand.
- Forecasts: ``sku, date, model, mean`` and the quantile columns ``QUANTILE_COLUMNS``
  (``p05 .. p99``; ``p10, p50, p90`` always present).
"""

from __future__ import annotations

import pandas as pd

__all__ = [
    "SKU",
    "DATE",
    "QTY",
    "PRICE",
    "PROMO",
    "STOCKOUT",
    "MODEL",
    "MEAN",
    "SALES_COLUMNS",
    "FORECAST_COLUMNS",
    "QUANTILES",
    "QUANTILE_COLUMNS",
    "quantile_column",
    "InvdashError",
    "InvalidDataError",
    "NotFittedError",
    "ConfigError",
    "StoreBusyError",
    "validate_sales",
    "validate_forecasts",
]

SKU = "sku"
DATE = "date"
QTY = "qty"
PRICE = "price"
PROMO = "promo"
STOCKOUT = "stockout"
MODEL = "model"
MEAN = "mean"

SALES_COLUMNS = (SKU, DATE, QTY, PRICE, PROMO, STOCKOUT)

#: Quantile levels every forecaster returns; the stock policy needs up to 0.99.
QUANTILES = (0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95, 0.99)


def quantile_column(q: float) -> str:
    """Column name of quantile ``q`` (a fraction): 0.1 -> ``"p10"``, 0.05 -> ``"p05"``."""
    return f"p{round(q * 100):02d}"


QUANTILE_COLUMNS = tuple(quantile_column(q) for q in QUANTILES)
FORECAST_COLUMNS = (SKU, DATE, MODEL, MEAN, *QUANTILE_COLUMNS)

#: The policy table (``policy.compute_policy``), also the stored suggestions' columns.
POLICY_COLUMNS = (
    SKU,
    "service_level",
    "abc",
    "xyz",
    "lead_time_days",
    "demand_daily_mean",
    "protection_demand_mean",
    "protection_demand_sd",
    "safety_stock",
    "lead_time_point",
    "reorder_point",
    "order_up_to",
    "on_hand",
    "on_order",
    "inventory_position",
    "raw_qty",
    "moq",
    "pack_size",
    "suggested_qty",
    "order_by_date",
    "stockout_date",
    "stockout_probability",
    "expected_short_units",
    "days_of_cover",
    "excess_units",
    "excess_value",
    "unit_cost",
    "reason",
)


class InvdashError(Exception):
    """Base of every error a user can act on; the CLI maps it to exit code 2."""


class InvalidDataError(InvdashError, ValueError):
    """Input data breaks a contract; the message names file/column/rows and the fix."""


class NotFittedError(InvdashError, RuntimeError):
    """``predict`` was called before ``fit``."""


class ConfigError(InvdashError, ValueError):
    """A setting or parameter is invalid."""


class StoreBusyError(InvdashError, RuntimeError):
    """The database is locked by another writer; retry shortly."""


def _fail(what: str, bad: pd.DataFrame, rule: str) -> None:
    first = bad.head(3)
    cases = "; ".join(
        f"{row[SKU]} on {pd.Timestamp(row[DATE]).date()}" if DATE in bad else str(row[SKU])
        for _, row in first.iterrows()
    )
    raise InvalidDataError(f"{what} has {len(bad)} {rule} (first: {cases}).")


def validate_sales(sales: pd.DataFrame, *, name: str = "sales") -> pd.DataFrame:
    """Check the sales contract at a boundary and return the frame unchanged.

    Args:
        sales: long frame with at least ``sku, date, qty``.
        name: how the frame is named in error messages.

    Raises:
        InvalidDataError: missing columns, empty keys, negative or non-finite qty, duplicate rows.
    """
    missing = [c for c in (SKU, DATE, QTY) if c not in sales.columns]
    if missing:
        raise InvalidDataError(
            f"{name} is missing column(s) {', '.join(missing)}; expected at least sku, date, qty."
        )
    if sales[SKU].isna().any() or (sales[SKU].astype(str).str.strip() == "").any():
        raise InvalidDataError(f"{name}.sku has empty values; every row needs a SKU.")
    qty = pd.to_numeric(sales[QTY], errors="coerce")
    bad = sales[~qty.notna() | ~(qty.abs() < float("inf"))]
    if len(bad):
        _fail(f"{name}.qty", bad, "missing or non-finite values; units sold must be numbers")
    bad = sales[qty < 0]
    if len(bad):
        _fail(f"{name}.qty", bad, "negative values; units sold must be >= 0")
    dup = sales[sales.duplicated([SKU, DATE], keep=False)]
    if len(dup):
        _fail(name, dup, "duplicated (sku, date) rows; aggregate to one row per sku and day")
    return sales


def validate_forecasts(forecasts: pd.DataFrame) -> pd.DataFrame:
    """Check the forecast contract: columns present, non-negative, quantiles not crossed."""
    missing = [c for c in FORECAST_COLUMNS if c not in forecasts.columns]
    if missing:
        raise InvalidDataError(f"forecasts are missing column(s) {', '.join(missing)}.")
    values = forecasts[[MEAN, *QUANTILE_COLUMNS]]
    if (values < 0).to_numpy().any() or values.isna().to_numpy().any():
        raise InvalidDataError("forecasts have negative or missing values; they must be >= 0.")
    quantiles = forecasts[list(QUANTILE_COLUMNS)].to_numpy()
    if (quantiles[:, 1:] < quantiles[:, :-1] - 1e-9).any():
        raise InvalidDataError(
            "forecast quantiles are crossed; p05 <= p10 <= ... <= p99 must hold."
        )
    return forecasts
