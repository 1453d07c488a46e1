"""SHAP explanations of the forecast that is shown, in drivers a planner recognises.

Design:
- The explained quantity is the shown point forecast: the per-SKU fusion (one model or the
  equal-weight mean of several, clipped at zero) chosen by the forecast run, not one member.
- A SKU's history ``y`` (its known, open days) is split exactly into additive components, in this
  order: a constant base level ``c`` (the history's mean), **promotion** (promo-day demand above
  the nearby non-promo median), **trend** (a least-squares line through the rest, mean zero),
  a slow component (28-day centred mean of what is left) cut into **recent level** (its last 56
  days) and **yearly season** (its earlier part), **same weekday in past weeks** (mean by weekday
  of what is left, mean zero) and **irregular days** (the remainder). ``c + sum = y`` exactly.
- The drivers are the players of a cooperative game: a coalition ``S`` gives the history
  ``c + sum_{k in S} component_k`` (clipped at zero), the chosen models are refitted on it with
  the same shop context (weekday rhythm, closed days) and forecast ``h`` days. The Shapley values
  over all ``2^k`` coalitions are evaluated in one vectorised
  panel fit (the models are SKU-vectorised, so 64 coalitions cost one fit of 64 rows).
  ``shap.KernelExplainer`` enumerating every coalition returns the exact Shapley values; since
  they are linear in the game, shap's answer for the ``2^k`` unit games is kept as a matrix and
  each explanation is one matrix product (``shapley_matrix``).
- Shapley values are additive by construction (efficiency): base value (all drivers off: a flat
  history at level ``c``) + contributions = the shown forecast, per date and for the horizon
  total. ``explain_sku`` checks it against the forecast run and refuses to return an
  explanation that does not reproduce the shown number.
- SKUs the run forecast with a model that does not learn from their own history (the
  similar-products cold start) get one driver, **similar products**, worth the whole forecast.
  Models that are not SKU-vectorised (ARIMA, the neural model) are explained the same way but
  need one fit per coalition (slower).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
import pandas as pd

from invdash.forecast.baseline import PanelForecaster
from invdash.forecast.fusion import members_of
from invdash.forecast.panel import Panel, row_covariates, shop_weekday_share, to_panel
from invdash.schema import DATE, MEAN, MODEL, PROMO, SKU, InvalidDataError

__all__ = [
    "DRIVERS",
    "Explanation",
    "ForecastExplainer",
    "decompose_history",
    "shapley_matrix",
    "explain_sku",
    "explain_run",
    "global_importance",
    "summarise",
]

RECENT = "recent level"
YEARLY = "yearly season"
TREND = "trend"
WEEKDAY = "same weekday in past weeks"
PROMOTION = "promotion"
IRREGULAR = "irregular days"
SIMILAR = "similar products"
DRIVERS = (RECENT, YEARLY, TREND, WEEKDAY, PROMOTION, IRREGULAR)

_RECENT_DAYS = 56
_SLOW_WINDOW_DAYS = 28
_PROMO_WINDOW_DAYS = 29
_TOLERANCE = 1e-3


@dataclass(frozen=True)
class Explanation:
    """SHAP explanation of one SKU's shown forecast.

    Attributes:
        sku: the SKU.
        model: the forecast's model (a fusion such as ``ens(ets+tsb)`` is explained as a whole).
        dates: the ``h`` forecast dates.
        forecast: the shown mean per date, shape (h,).
        base_value: the forecast with every driver off, per date, shape (h,).
        contributions: frame indexed by date, one column per driver (units).
        feature_values: driver -> its value in words a planner reads.
    """

    sku: str
    model: str
    dates: pd.DatetimeIndex
    forecast: np.ndarray
    base_value: np.ndarray
    contributions: pd.DataFrame
    feature_values: dict[str, str]

    def total(self) -> pd.Series:
        """Horizon totals: ``base_value``, one entry per driver, and ``forecast``."""
        totals = self.contributions.sum(axis=0)
        return pd.concat(
            [
                pd.Series({"base_value": float(self.base_value.sum())}),
                totals,
                pd.Series({"forecast": float(self.forecast.sum())}),
            ]
        )

    def to_records(self) -> list[dict]:
        """One JSON-ready object per date (the ``invdash explain --json`` format)."""
        return [
            {
                SKU: self.sku,
                DATE: day.date().isoformat(),
                "forecast": float(value),
                "base_value": float(base),
                "contributions": {k: float(v) for k, v in self.contributions.loc[day].items()},
                "feature_values": dict(self.feature_values),
            }
            for day, value, base in zip(self.dates, self.forecast, self.base_value, strict=True)
        ]


def _rolling(values: np.ndarray, window: int, how: str) -> np.ndarray:
    rolled = pd.Series(values).rolling(window, center=True, min_periods=1)
    return (rolled.median() if how == "median" else rolled.mean()).to_numpy()


def decompose_history(
    values: np.ndarray, promo: np.ndarray, weekdays: np.ndarray
) -> tuple[float, dict[str, np.ndarray]]:
    """Split a history into a base level and additive drivers (see the module docstring).

    Args:
        values: daily demand, NaN on unknown or closed days, shape (T,).
        promo: promotion flag per day (> 0 on promo days), shape (T,).
        weekdays: weekday of each day (Monday = 0), shape (T,).

    Returns:
        ``(c, components)``: ``c + sum(components) == values`` on known days (NaN elsewhere).

    Example:
        A flat 5 units/day history gives ``c = 5`` and all-zero components.
    """
    known = ~np.isnan(values)
    if not known.any():
        raise InvalidDataError("the SKU has no known demand day to explain.")
    level = float(values[known].mean())
    on_promo = known & (promo > 0)
    calm = np.where(known & ~on_promo, values, np.nan)
    nearby = np.nan_to_num(_rolling(calm, _PROMO_WINDOW_DAYS, "median"), nan=level)
    promotion = np.where(on_promo, values - nearby, 0.0)
    rest = values - level - promotion
    t = np.arange(len(values), dtype=float)
    slope = np.polyfit(t[known], rest[known], 1)[0] if known.sum() > 1 else 0.0
    trend = slope * (t - t[known].mean())
    rest = rest - trend
    slow = np.nan_to_num(_rolling(np.where(known, rest, np.nan), _SLOW_WINDOW_DAYS, "mean"))
    recent_part = t >= len(values) - _RECENT_DAYS
    rest = rest - slow
    by_day = np.array(
        [
            rest[known & (weekdays == d)].mean() if (known & (weekdays == d)).any() else 0.0
            for d in range(7)
        ]
    )
    weekday = by_day[weekdays] - by_day[np.unique(weekdays[known])].mean()
    components = {
        RECENT: np.where(recent_part, slow, 0.0),
        YEARLY: np.where(recent_part, 0.0, slow),
        TREND: trend,
        WEEKDAY: weekday,
        PROMOTION: promotion,
    }
    components[IRREGULAR] = values - level - sum(components.values())
    return level, {k: np.where(known, v, np.nan) for k, v in components.items()}


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
    from invdash.forecast.engine import MODELS

    means = []
    for name in members:
        model = MODELS[name](seed=seed)
        if not isinstance(model, PanelForecaster):
            raise InvalidDataError(
                f"the {name} model is not explainable by driver yet; choose another model "
                "(--model auto uses explainable models)."
            )
        means.append(model.fit_panel(panel).predict_mean(h) if context is None or not hasattr(
            model, "predict_mean_on") else model.fit_panel(context).predict_mean_on(panel, h))
    return np.clip(np.mean(means, axis=0), 0.0, None)


def _feature_values(
    level: float, components: dict[str, np.ndarray], promo: np.ndarray, dates: pd.DatetimeIndex
) -> dict[str, str]:
    known = ~np.isnan(components[IRREGULAR])
    recent = known & (np.arange(len(dates)) >= len(dates) - _RECENT_DAYS)
    recent_mean = (
        level + np.nanmean((components[RECENT] + components[TREND])[recent])
        if (recent.any())
        else level
    )
    slope_month = (np.nanmean(np.diff(components[TREND])) if len(dates) > 1 else 0.0) * 30
    weekday = {
        d: np.nanmean(components[WEEKDAY][known & (dates.weekday == d)])
        for d in range(7)
        if (known & (dates.weekday == d)).any()
    }
    peak = max(weekday, key=weekday.get) if weekday else 0
    promo_days = int(((promo > 0) & known).sum())
    lift = np.nanmean(components[PROMOTION][(promo > 0) & known]) if promo_days else 0.0
    return {
        RECENT: f"{recent_mean:.1f} units/day over the last {_RECENT_DAYS} days "
        f"(history average {level:.1f})",
        YEARLY: f"seasonal swing up to {np.nanmax(np.abs(components[YEARLY])):.1f} units/day "
        "earlier in the history",
        TREND: f"{slope_month:+.2f} units/day per month",
        WEEKDAY: f"busiest weekday {pd.Timestamp(2024, 1, 1 + peak).day_name()} "
        f"({weekday.get(peak, 0.0):+.1f} units vs average)",
        PROMOTION: f"{promo_days} promotion days in the history, +{lift:.1f} units on each",
        IRREGULAR: f"day-to-day noise, sd {np.nanstd(components[IRREGULAR]):.1f} units",
    }


def _coalitions(n_players: int) -> np.ndarray:
    """All ``2^k`` coalitions as 0/1 rows; row ``i`` holds the bits of ``i``."""
    return ((np.arange(2**n_players)[:, None] >> np.arange(n_players)[None, :]) & 1).astype(float)


def _shapley(game, n_players: int) -> tuple[np.ndarray, np.ndarray]:  # noqa: ANN001
    """Exact Shapley values of ``game`` (masks (m, k) -> outputs (m, h)) with the shap library.

    ``shap.KernelExplainer`` with one all-off background row and ``nsamples >= 2^k`` enumerates
    every coalition, so its weighted regression returns the exact Shapley values (checked
    against the Shapley formula in the tests). It is preferred to ``shap.explainers.Exact``,
    which compiles numba kernels for about a minute on first use in each process.

    Returns:
        ``(values, base)``: values shape (k, h), base (the all-off output) shape (h,).
    """
    import shap

    explainer = shap.KernelExplainer(game, np.zeros((1, n_players)))
    values = np.asarray(
        explainer.shap_values(np.ones((1, n_players)), nsamples=2**n_players, silent=True)
    )
    return values.reshape(n_players, -1), np.asarray(explainer.expected_value, float).reshape(-1)


@lru_cache(maxsize=4)
def shapley_matrix(n_players: int) -> np.ndarray:
    """The (k, 2^k) matrix W with Shapley values = ``W @ outputs_of_all_coalitions``.

    Shapley values are linear in the game, so W is shap's answer for the ``2^k`` unit games
    (game ``j`` is 1 on coalition ``j`` only), computed once per process; an explanation is
    then one matrix product instead of one kernel regression per forecast day.
    """
    masks = _coalitions(n_players)
    weights = 1 << np.arange(n_players)
    unit = np.eye(2**n_players)

    def game(coalitions: np.ndarray) -> np.ndarray:
        return unit[(np.asarray(coalitions) > 0.5).astype(int) @ weights]

    values, _ = _shapley(game, n_players)
    assert values.shape == (n_players, len(masks))
    return values


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

    outputs = forecast_of(_coalitions(len(DRIVERS)))
    values, base = shapley_matrix(len(DRIVERS)) @ outputs, outputs[0]
    return values.T, np.broadcast_to(base, (h,)).copy(), components, level


def _promo_matrix(sales: pd.DataFrame, panel: Panel) -> np.ndarray:
    """Promotion flag per SKU and day aligned with ``panel`` (zeros without a promo column)."""
    promo = np.zeros(panel.actual.shape)
    if PROMO not in sales.columns:
        return promo
    rows = pd.Index(panel.skus.astype(str)).get_indexer(sales[SKU].astype(str))
    days = (pd.to_datetime(sales[DATE]).dt.normalize() - panel.dates[0]).dt.days.to_numpy()
    np.maximum.at(promo, (rows, days), pd.to_numeric(sales[PROMO]).fillna(0.0).to_numpy())
    return promo


class ForecastExplainer:
    """Explains the SKUs of one forecast run; pivots the sales once for all of them.

    Args:
        sales: the sales frame the run was made on (the same SKUs: the shop context matters).
        run: a ``ForecastRun`` (its ``choices`` name the model per SKU).
        seed: the run's seed.
    """

    def __init__(self, sales: pd.DataFrame, run, *, seed: int = 0) -> None:  # noqa: ANN001
        self.run = run
        self.seed = seed
        self.panel = to_panel(sales)
        self.promo = _promo_matrix(sales, self.panel)
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
            feature_values=_feature_values(level, components, self.promo[row], self.panel.dates),
        )


def explain_run(sales: pd.DataFrame, run, *, sku: str, seed: int = 0) -> Explanation:  # noqa: ANN001
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
    from invdash.forecast.engine import run_forecast

    if str(sku) not in set(sales[SKU].astype(str)):
        raise InvalidDataError(f"SKU {sku!r} is not in the sales data; check --sku.")
    run = run_forecast(sales, products=products, horizon=horizon, seed=seed, model=model)
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


def summarise(explanation: Explanation, *, day: pd.Timestamp | None = None, top: int = 2) -> str:
    """One plain-language line: the largest drivers of a day (or of the horizon total)."""
    if day is None:
        values = explanation.contributions.sum(axis=0)
        when, total = "over the horizon", explanation.forecast.sum()
    else:
        values = explanation.contributions.loc[pd.Timestamp(day)]
        when, total = (
            f"on {pd.Timestamp(day):%d %b}",
            explanation.contributions.loc[pd.Timestamp(day)].sum()
            + explanation.base_value[explanation.dates.get_loc(pd.Timestamp(day))],
        )
    ranked = values.reindex(values.abs().sort_values(ascending=False).index)[:top]
    parts = [
        f"{driver} {'adds' if value >= 0 else 'takes'} {abs(value):.0f} units"
        + ("" if value >= 0 else " off")
        for driver, value in ranked.items()
        if abs(value) >= 0.5
    ]
    head = f"Forecast {when}: {total:.0f} units"
    return head + ("; " + "; ".join(parts) if parts else "; no single driver stands out") + "."
