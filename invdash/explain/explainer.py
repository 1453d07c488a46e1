"""Explaining the shown forecast: the drivers are the players of a game whose value is the
refitted fusion."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from invdash.explain.drivers import (
    DRIVERS,
    SIMILAR,
    Explanation,
    decompose_history,
    describe_drivers,
    promo_matrix,
)
from invdash.explain.shapley import coalitions, shapley_matrix
from invdash.forecast.engine import run_forecast
from invdash.forecast.fusion import members_of
from invdash.forecast.models.baseline import PanelForecaster
from invdash.forecast.options import ForecastOptions
from invdash.forecast.panel import Panel, row_covariates, shop_weekday_share, to_panel
from invdash.forecast.registry import MODELS
from invdash.forecast.results import ForecastRun
from invdash.schema import DATE, MEAN, MODEL, SKU, InvalidDataError

__all__ = ["ForecastExplainer", "explain_run", "explain_sku", "global_importance"]


_TOLERANCE = 1e-3


def _coalition_panel(panel: Panel, row: int, histories: np.ndarray) -> Panel:
    """A panel whose rows are alternative histories of SKU ``row``, in the shop's context."""
    n = histories.shape[0]
    return replace(
        panel,
        skus=np.array([f"{panel.skus[row]}#{i}" for i in range(n)], dtype=object),
        actual=histories,
        fit_values=histories,
        last_index=np.full(n, panel.last_index[row]),
        weekday_share=shop_weekday_share(panel), **row_covariates(panel, row, n),
    )


def _fused_means(
    panel: Panel, members: tuple[str, ...], h: int, seed: int, context: Panel | None = None
) -> np.ndarray:
    """The run's fusion on a panel: mean of the members' means, clipped at zero."""

    means = []
    for name in members:
        model = MODELS[name](seed=seed)
        if not isinstance(model, PanelForecaster):
            raise InvalidDataError(
                f"the {name} model is not explainable by driver yet; choose another model "
                "(--model auto uses explainable models)."
            )
        # A global model (one booster over all SKUs) is fitted on the run's own panel and fed
        # the alternative histories as inputs, instead of being refitted on them.
        if context is not None and hasattr(model, "predict_mean_on"):
            means.append(model.fit_panel(context).predict_mean_on(panel, h))
        else:
            means.append(model.fit_panel(panel).predict_mean(h))
    return np.clip(np.mean(means, axis=0), 0.0, None)


def _explain_row(  # noqa: PLR0913 - the row, its promotions and the run's fusion settings
    panel: Panel, row: int, promo: np.ndarray, *, members: tuple[str, ...], h: int, seed: int
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray], float]:
    level, components = decompose_history(panel.fit_values[row], promo, panel.dates.weekday)
    stacked = np.stack([np.nan_to_num(components[d]) for d in DRIVERS])
    known = ~np.isnan(panel.fit_values[row])

    def forecast_of(masks: np.ndarray) -> np.ndarray:
        # Rounding snaps float dust (1e-16 on a zero day) back to the recorded value, so the
        # full coalition is exactly the SKU's history (zero days matter to the models).
        histories = np.round(np.clip(level + masks @ stacked, 0.0, None), 9)
        histories = np.where(known[None, :], histories, np.nan)
        coalition = _coalition_panel(panel, row, histories)
        return _fused_means(coalition, members, h, seed, context=panel)

    outputs = forecast_of(coalitions(len(DRIVERS)))
    values, base = shapley_matrix(len(DRIVERS)) @ outputs, outputs[0]
    return values.T, np.broadcast_to(base, (h,)).copy(), components, level


class ForecastExplainer:
    """Explains the SKUs of one forecast run; pivots the sales once for all of them.

    Args:
        sales: the sales frame the run was made on (the same SKUs: the shop context matters).
        run: a ``ForecastRun`` (its ``choices`` name the model per SKU).
        seed: the run's seed.
    """

    def __init__(self, sales: pd.DataFrame, run: ForecastRun, *, seed: int = 0) -> None:
        self.run = run
        self.seed = seed
        self.panel = to_panel(sales)
        self.promo = promo_matrix(sales, self.panel)
        self.rows = pd.Index(self.panel.skus.astype(str))
        self.models = run.choices.assign(**{SKU: run.choices[SKU].astype(str)}).set_index(SKU)[
            "model"
        ]
        self.forecasts = run.forecasts.assign(**{SKU: run.forecasts[SKU].astype(str)})

    def explain(self, sku: str) -> Explanation:
        """The explanation of ``sku``'s shown forecast.

        Raises:
            InvalidDataError: the SKU is not in the run, or the explanation would not add up
                to the shown forecast.
        """
        sku = str(sku)
        shown = self.forecasts[self.forecasts[SKU] == sku].sort_values(DATE)
        if shown.empty:
            raise InvalidDataError(f"SKU {sku!r} has no forecast in this run; check the SKU.")
        model = str(self.models.get(sku, shown[MODEL].iloc[0]))
        dates = pd.DatetimeIndex(shown[DATE])
        forecast = shown[MEAN].to_numpy(dtype=float)
        row = self.rows.get_indexer([sku])[0]
        if model == "coldstart" or row < 0:
            return _similar_products_explanation(sku, model, dates, forecast)
        values, base, components, level = _explain_row(
            self.panel,
            row,
            self.promo[row],
            members=members_of(model),
            h=len(dates),
            seed=self.seed,
        )
        _check_additive(sku, forecast, base, values)
        return Explanation(
            sku=sku,
            model=model,
            dates=dates,
            forecast=forecast,
            base_value=base,
            contributions=pd.DataFrame(values, index=dates, columns=list(DRIVERS)),
            feature_values=describe_drivers(level, components, self.promo[row], self.panel.dates),
        )


def explain_run(sales: pd.DataFrame, run: ForecastRun, *, sku: str, seed: int = 0) -> Explanation:
    """Explain SKU ``sku`` of a forecast ``run`` made on ``sales`` (see ``ForecastExplainer``)."""
    return ForecastExplainer(sales, run, seed=seed).explain(sku)


def _similar_products_explanation(
    sku: str, model: str, dates: pd.DatetimeIndex, forecast: np.ndarray
) -> Explanation:
    return Explanation(
        sku=str(sku),
        model=model,
        dates=dates,
        forecast=forecast,
        base_value=np.zeros(len(dates)),
        contributions=pd.DataFrame({SIMILAR: forecast}, index=dates),
        feature_values={SIMILAR: "too little history: demand borrowed from similar titles"},
    )


def _check_additive(sku: str, forecast: np.ndarray, base: np.ndarray, values: np.ndarray) -> None:
    rebuilt = base + values.sum(axis=1)
    gap = np.abs(rebuilt - forecast) / np.maximum(1.0, np.abs(forecast))
    if np.any(gap > _TOLERANCE):
        raise InvalidDataError(
            f"the explanation of SKU {sku} does not add up to its forecast (largest gap "
            f"{gap.max():.2e}); the forecast was probably made on different data, rerun it."
        )


def explain_sku(  # noqa: PLR0913 - mirrors run_forecast's arguments
    sales: pd.DataFrame,
    *,
    sku: str,
    horizon: int = 28,
    seed: int = 0,
    products: pd.DataFrame | None = None,
    model: str = "auto",
) -> Explanation:
    """Forecast every SKU as ``invdash forecast`` does, then explain ``sku``'s forecast."""

    if str(sku) not in set(sales[SKU].astype(str)):
        raise InvalidDataError(f"SKU {sku!r} is not in the sales data; check --sku.")
    run = run_forecast(
        sales,
        ForecastOptions(horizon=horizon, seed=seed, model=model),
        products=products,
    )
    return explain_run(sales, run, sku=sku, seed=seed)


def global_importance(
    sales: pd.DataFrame,
    run,
    *,
    skus: list[str],
    products: pd.DataFrame | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """Mean absolute horizon-total contribution per driver, over ``skus`` and by category.

    Returns:
        Frame ``category, driver, mean_abs_units, share`` (category ``all`` over every SKU).
    """
    explainer = ForecastExplainer(sales, run, seed=seed)
    rows = []
    for sku in skus:
        totals = explainer.explain(sku).contributions.sum(axis=0)
        rows += [{SKU: sku, "driver": k, "abs_units": abs(float(v))} for k, v in totals.items()]
    frame = pd.DataFrame(rows, columns=[SKU, "driver", "abs_units"])
    categories = (
        products.set_index(SKU)["category"]
        if products is not None and "category" in products
        else pd.Series(dtype=object)
    )
    frame["category"] = frame[SKU].map(categories).fillna("uncategorised")
    both = pd.concat([frame, frame.assign(category="all")])
    table = both.groupby(["category", "driver"], as_index=False)["abs_units"].mean()
    table = table.rename(columns={"abs_units": "mean_abs_units"})
    table["share"] = table["mean_abs_units"] / table.groupby("category")[
        "mean_abs_units"
    ].transform("sum").replace(0, np.nan)
    return table.fillna({"share": 0.0}).sort_values(
        ["category", "mean_abs_units"], ascending=[True, False]
    )
