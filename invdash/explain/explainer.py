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
    price_cut_flags,
    promo_matrix,
)
from invdash.explain.shapley import coalitions, shapley_matrix
from invdash.forecast.calendar import pooled_event_lifts
from invdash.forecast.engine import run_events, run_forecast
from invdash.forecast.fusion import members_of
from invdash.forecast.grain import Grain
from invdash.forecast.models.baseline import PanelForecaster, deseasonalise, shop_price_prior
from invdash.forecast.options import ForecastOptions
from invdash.forecast.panel import (
    Panel,
    row_covariates,
    shop_weekday_share,
    to_panel,
    weekday_profile,
)
from invdash.forecast.registry import MODELS
from invdash.forecast.results import ForecastRun
from invdash.forecast.season import season_factors
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


def _with_pooled_events(panel: Panel) -> Panel:
    """``panel`` with its events' pooled lifts fixed (``calendar.pooled_event_lifts`` on the
    adjusted history every fast model learns from), so a panel of one SKU's alternative
    histories keeps the lifts pooled over the shop, as the run's models learnt them."""
    if panel.events is None:
        return panel
    adjusted = deseasonalise(panel, weekday_profile(panel))
    if panel.yearly is not None:
        adjusted = adjusted / season_factors(panel.yearly, panel.dates.to_numpy(), panel.grain)
    pooled = pooled_event_lifts(adjusted, panel.events, panel.grain)
    return replace(panel, events=replace(panel.events, pooled=pooled))


def _with_pooled_price(panel: Panel) -> Panel:
    """``panel`` with its pooled price and promotion effects fixed (``price.PricePrior``), for
    the same reason as ``_with_pooled_events``."""
    return replace(panel, price_prior=shop_price_prior(panel))


def _fused_means(
    panel: Panel, members: tuple[str, ...], h: int, seed: int, fixed: dict | None = None
) -> np.ndarray:
    """The run's fusion on a panel: mean of the members' means, clipped at zero.

    ``fixed``: global models already fitted on the run's own panel, by name; a global model
    (one booster over all SKUs) is fed the alternative histories as inputs, instead of being
    refitted on them, and its booster is trained once per explainer, not once per SKU.
    """
    means = []
    for name in members:
        model = fixed.get(name) if fixed is not None else None
        if model is not None:
            means.append(model.predict_mean_on(panel, h))
            continue
        model = MODELS[name](seed=seed)
        if not isinstance(model, PanelForecaster):
            raise InvalidDataError(
                f"the {name} model is not explainable by driver yet; choose another model "
                "(--model auto uses explainable models)."
            )
        means.append(model.fit_panel(panel).predict_mean(h))
    return np.clip(np.mean(means, axis=0), 0.0, None)


def _active(stacked: np.ndarray) -> np.ndarray:
    """Drivers whose history component is not all zero (a null player's Shapley value is 0,
    and leaving it out leaves the others' values unchanged, so the game is played without it)."""
    return np.flatnonzero(np.any(np.abs(stacked) > 1e-12, axis=1))


class _Row:
    """One SKU's history split into drivers, and the game over its coalitions."""

    def __init__(self, explainer: ForecastExplainer, row: int) -> None:
        panel = explainer.panel
        self.panel, self.row = panel, row
        t = panel.actual.shape[1]
        events = None if panel.events is None else panel.events.codes[row, :t] > 0
        self.level, self.components = decompose_history(
            panel.fit_values[row], explainer.promo[row], panel.dates.weekday.to_numpy(), events,
            kind=panel.grain.kind,
        )
        self.stacked = np.stack([np.nan_to_num(self.components[d]) for d in DRIVERS])
        self.known = ~np.isnan(panel.fit_values[row])

    def shapley(
        self, members: tuple[str, ...], h: int, seed: int, fixed: dict
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(values (h, k), base (h,))`` over all ``DRIVERS`` (inactive ones 0)."""
        active = _active(self.stacked)
        masks = coalitions(len(active))
        # Rounding snaps float dust (1e-16 on a zero day) back to the recorded value, so the
        # full coalition is exactly the SKU's history (zero days matter to the models).
        histories = np.round(np.clip(self.level + masks @ self.stacked[active], 0.0, None), 9)
        histories = np.where(self.known[None, :], histories, np.nan)
        coalition = _coalition_panel(self.panel, self.row, histories)
        outputs = _fused_means(coalition, members, h, seed, fixed)
        values = np.zeros((len(DRIVERS), h))
        if len(active):
            values[active] = shapley_matrix(len(active)) @ outputs
        return values.T, np.broadcast_to(outputs[0], (h,)).copy()


class ForecastExplainer:
    """Explains the SKUs of one forecast run; pivots the sales once for all of them.

    Args:
        sales: the sales frame the run was made on (the same SKUs: the shop context matters).
        run: a ``ForecastRun`` (its ``choices`` name the model per SKU).
        seed: the run's seed.
        products: the run's product table (categories pool the yearly season and scope events).
        events: the run's user events (``date, event[, sku | category]``).
        future: the run's known future prices and promotions (``--future``): the models that
            read them (the global booster) are refitted with them, so the explanation adds
            up to the forecast they moved.
    """

    def __init__(  # noqa: PLR0913 - the run and its inputs
        self, sales: pd.DataFrame, run: ForecastRun, *, seed: int = 0,
        products: pd.DataFrame | None = None, events: pd.DataFrame | None = None,
        future: pd.DataFrame | None = None,
    ) -> None:
        self.run = run
        self.seed = seed
        grain = Grain(run.freq)
        events = run_events(sales, events, country=run.country, grain=grain, horizon=run.horizon)
        self.panel = _with_pooled_price(_with_pooled_events(to_panel(
            sales, grain=grain, products=products, events=events, future=future,
        )))
        flags = promo_matrix(sales, self.panel)
        prices = self.panel.price
        cuts = np.zeros_like(flags) if prices is None else np.stack(
            [price_cut_flags(p, flags.shape[1]) for p in prices]
        )
        self.promo = np.maximum(flags, cuts)
        self.rows = pd.Index(self.panel.skus.astype(str))
        self.models = run.choices.assign(**{SKU: run.choices[SKU].astype(str)}).set_index(SKU)[
            "model"
        ]
        self.forecasts = run.forecasts.assign(**{SKU: run.forecasts[SKU].astype(str)})
        self._fixed: dict[str, PanelForecaster] = {}

    def fitted_global_models(self, members: tuple[str, ...]) -> dict[str, PanelForecaster]:
        """The global members fitted once on the run's panel (cached for every SKU)."""
        for name in members:
            if name not in self._fixed and hasattr(MODELS[name], "predict_mean_on"):
                self._fixed[name] = MODELS[name](seed=self.seed).fit_panel(self.panel)
        return self._fixed

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
        members = members_of(model)
        history = _Row(self, row)
        values, base = history.shapley(members, len(dates), self.seed,
                                       self.fitted_global_models(members))
        _check_additive(sku, forecast, base, values)
        contributions = pd.DataFrame(values, index=dates, columns=list(DRIVERS))
        totals = contributions.sum(axis=0)
        totals.attrs["h"] = len(dates)
        return Explanation(
            sku=sku, model=model, dates=dates, forecast=forecast, base_value=base,
            contributions=contributions,
            feature_values=describe_drivers(
                history.level, history.components, self.promo[row], self.panel.dates, totals,
                kind=self.panel.grain.kind,
            ),
        )


def explain_run(  # noqa: PLR0913 - the run and its inputs
    sales: pd.DataFrame, run: ForecastRun, *, sku: str, seed: int = 0,
    products: pd.DataFrame | None = None, events: pd.DataFrame | None = None,
    future: pd.DataFrame | None = None,
) -> Explanation:
    """Explain SKU ``sku`` of a forecast ``run`` made on ``sales`` (see ``ForecastExplainer``)."""
    return ForecastExplainer(sales, run, seed=seed, products=products, events=events,
                             future=future).explain(sku)


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
    return explain_run(sales, run, sku=sku, seed=seed, products=products)


def global_importance(  # noqa: PLR0913 - the run, its inputs and the SKUs
    sales: pd.DataFrame,
    run,
    *,
    skus: list[str],
    products: pd.DataFrame | None = None,
    seed: int = 0,
    events: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Mean absolute horizon-total contribution per driver, over ``skus`` and by category.

    Returns:
        Frame ``category, driver, mean_abs_units, share`` (category ``all`` over every SKU).
    """
    explainer = ForecastExplainer(sales, run, seed=seed, products=products, events=events)
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
