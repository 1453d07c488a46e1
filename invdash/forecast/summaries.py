"""What a page or a report shows of a forecast run: one SKU's rows, its choice, accuracy tables.

Pure functions of a ``ForecastRun`` (None allowed: they then return an empty frame or None), so
the dashboard's views only render and the rules are unit-tested.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from invdash.forecast.fusion import members_of
from invdash.forecast.results import ForecastRun
from invdash.schema import DATE, MEAN, MODEL, SKU

__all__ = [
    "METRICS", "forecast_skus", "sku_forecasts", "chosen_model", "sku_accuracy",
    "backtest_table", "choice_summary",
]

#: Backtest metrics in display order (lower is better except coverage, which should be ~0.8).
METRICS = ("mase", "rmsse", "wape", "bias", "spl", "coverage80")


def forecast_skus(run: ForecastRun | None) -> list[str]:
    """The SKUs a run forecast, sorted."""
    return [] if run is None else sorted(run.forecasts[SKU].astype(str).unique())


def sku_forecasts(run: ForecastRun | None, sku: str) -> pd.DataFrame:
    """The forecast rows of one SKU in ``run`` (empty when the run has none or is None)."""
    if run is None:
        return pd.DataFrame(columns=[SKU, DATE, MODEL, MEAN])
    return run.forecasts[run.forecasts[SKU].astype(str) == sku].sort_values(DATE)


def chosen_model(run: ForecastRun | None, sku: str) -> dict[str, Any] | None:
    """The run's choice for ``sku`` (``model, demand_class, reason, score``), or None."""
    if run is None or run.choices is None:
        return None
    rows = run.choices[run.choices[SKU].astype(str) == sku]
    return None if rows.empty else rows.iloc[0].to_dict()


def sku_accuracy(run: ForecastRun | None, sku: str) -> pd.DataFrame:
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


def backtest_table(run: ForecastRun | None) -> pd.DataFrame:
    """The run's backtest by model and demand class, sorted for reading."""
    if run is None or run.backtest is None:
        return pd.DataFrame(columns=[MODEL, "demand_class", *METRICS])
    keys = [c for c in ("demand_class", "rmsse", MODEL) if c in run.backtest]
    return run.backtest.sort_values(keys).reset_index(drop=True)


def choice_summary(run: ForecastRun | None) -> pd.DataFrame:
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
