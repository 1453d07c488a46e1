"""Planner overrides of a forecast, and whether they added value (pure functions on frames).

An override covers some SKUs (one SKU, or every SKU of a category) and a date range, and is one
of three kinds, applied per forecast period (a day at daily grain) to the mean and every
quantile, so the spread keeps its shape and quantiles never cross:

- ``factor`` F: every value times F (F >= 0); "promo next week, +30 %" is F = 1.3.
- ``units`` N: N units added per period (N may be negative; values stop at 0).
- ``set`` N: the mean becomes N per period; quantiles scale by N / mean (all N where the
  mean was 0).

Overlapping overrides apply in the order they were made (the frame's order), each on the
result of the one before. Forecast value added (FVA, Gilliland): the error of the system
forecast minus the error of the overridden one on the actuals; > 0 means the override helped.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from invdash.schema import DATE, MEAN, QTY, QUANTILE_COLUMNS, SKU

__all__ = ["OVERRIDE_KINDS", "override_skus", "apply_overrides", "value_added"]

OVERRIDE_KINDS = ("factor", "units", "set")

_VALUES = [MEAN, *QUANTILE_COLUMNS]


def override_skus(override: pd.Series, products: pd.DataFrame) -> set[str]:
    """SKUs an override covers: its SKU, or the products whose category is its key."""
    if override["scope"] == "sku":
        return {str(override["key"])}
    category = products["category"].astype(str).str.strip().str.casefold()
    chosen = products[category == str(override["key"]).strip().casefold()]
    return set(chosen[SKU].astype(str))


def _adjust(values: np.ndarray, kind: str, amount: float) -> np.ndarray:
    """One override on rows of ``[mean, quantiles...]`` (column 0 is the mean)."""
    if kind == "factor":
        return values * amount
    if kind == "units":
        return np.maximum(values + amount, 0.0)
    mean = values[:, :1]
    scale = np.divide(amount, mean, out=np.zeros_like(mean), where=mean > 0)
    return np.where(mean > 0, values * scale, amount)


def apply_overrides(
    forecasts: pd.DataFrame, overrides: pd.DataFrame, products: pd.DataFrame
) -> pd.DataFrame:
    """The forecasts with ``overrides`` applied (a new frame; the input is not changed).

    Args:
        forecasts: ``sku, date, model, mean, p05 .. p99``.
        overrides: ``scope, key, start_date, end_date, kind, value`` in the order made.
        products: ``sku, category`` (for category overrides).

    Example: mean 10, p90 14 with ``factor`` 1.5 -> 15 and 21; ``units`` -12 -> 0 and 2;
    ``set`` 5 -> 5 and 7.
    """
    adjusted = forecasts.copy()
    if overrides.empty or forecasts.empty:
        return adjusted
    skus = adjusted[SKU].astype(str)
    dates = pd.to_datetime(adjusted[DATE])
    values = adjusted[_VALUES].to_numpy(dtype=float)
    for _, override in overrides.iterrows():
        rows = (
            skus.isin(override_skus(override, products))
            & (dates >= pd.Timestamp(override["start_date"]))
            & (dates <= pd.Timestamp(override["end_date"]))
        ).to_numpy()
        if rows.any():
            values[rows] = _adjust(values[rows], override["kind"], float(override["value"]))
    adjusted[_VALUES] = values
    return adjusted


def value_added(
    system: pd.DataFrame, overridden: pd.DataFrame, actuals: pd.DataFrame
) -> dict[str, float]:
    """MAE and bias of the system and the overridden forecast on the actuals, and the FVA.

    Args:
        system: ``sku, date, mean`` before the override.
        overridden: the same rows after it.
        actuals: ``sku, date, qty`` sold; only (sku, date) rows present here are scored.

    Returns:
        ``periods`` scored, ``system_mae``, ``override_mae``, ``system_bias``,
        ``override_bias`` (mean forecast - actual, units per period) and ``fva_mae`` (system
        MAE - override MAE; > 0: the override helped). NaN metrics when nothing is scored.

    Example: actuals 10, 10; system 6, 6; override 9, 12 -> system MAE 4, bias -4; override
    MAE 1.5, bias 0.5; FVA 2.5.
    """
    keys = [SKU, DATE]
    scored = (
        system[[*keys, MEAN]]
        .merge(overridden[[*keys, MEAN]], on=keys, suffixes=("_system", "_override"))
        .merge(actuals[[*keys, QTY]], on=keys)
    )
    system_error = scored[f"{MEAN}_system"] - scored[QTY]
    override_error = scored[f"{MEAN}_override"] - scored[QTY]
    result = {
        "periods": float(len(scored)),
        "system_mae": float(system_error.abs().mean()) if len(scored) else np.nan,
        "override_mae": float(override_error.abs().mean()) if len(scored) else np.nan,
        "system_bias": float(system_error.mean()) if len(scored) else np.nan,
        "override_bias": float(override_error.mean()) if len(scored) else np.nan,
    }
    result["fva_mae"] = result["system_mae"] - result["override_mae"]
    return result
