"""The invdash policy's forecasts in a replay: models chosen every few weeks, refitted between.

A replay forecasts at every review day and at every calibration origin before one (about 29
origins for 84 days with weekly reviews and 45-day lead times). ``ForecastCache`` runs the whole
engine (``run_forecast``) at each: a rolling-origin backtest of the auto model set, the choice
per SKU, the spread calibration, then the final fits. The backtest is about three quarters of a
run, and a choice made on one day hardly changes a week later.

Design:
- ``ReplayForecasts`` keeps what a backtest decided at a *choice point* (``ModelChoice``: each
  SKU's chosen candidate, the spread per demand class, the panel the global booster trains on)
  and, at the origins of the next ``choose_every_days`` days, refits only the chosen models on
  the data before that origin (``forecast.engine.fit_and_assemble``) with the global booster
  trained once at the choice point. Choice points lie on a grid from the replay's earliest
  origin (``anchor``), ``choose_every_days`` apart, so each origin's choice point is a fixed
  function of its date (never of the order of the calls).
- No look-ahead: the choice point of an origin o is on or before o, and its backtest, spreads and
  booster see only the sales before the choice point; the refit sees the sales before o. So a
  decision on day d still uses nothing sold on or after d (``tests/unit/replay``).
- A choice point runs the engine's own steps (``choice_run``: ``to_panel`` with the run's
  calendar, i.e. the user events and the country's public holidays of ``ForecastOptions``,
  ``backtest_panel``,
  ``choose_for_classes``, ``spreads_for``, ``fit_and_assemble``), so its forecasts equal
  ``run_forecast``'s for every SKU with sales (tested). Two differences by design: catalogue
  SKUs without any sales before an origin get no forecast (``run_forecast`` adds a
  similar-products one; the replay plans only SKUs sold before its start, so they matter only to
  the calibration at origins before their first sale), and a SKU that was ``new`` at the choice
  point and has history now takes ETS, the engine's rule for SKUs without a backtest score.
- ``replay_origins`` lists the origins a replay forecasts at (the review days and their
  calibration origins, as ``estimate_level_uncertainty_cv`` walks them), so ``prepare`` runs them
  in date order with a progress message per forecast before the day-by-day replay starts.
- New SKUs take the similar-products model, which embeds the product titles: a replay keeps
  the vectors in an in-memory store (``runtime.embeddings.embeddings_stored_in``), so the
  titles are encoded once per replay rather than at every origin (the same vectors).
- Weekly or monthly panels (rare in a replay, which fills every day) take ``ForecastCache``'s
  whole-engine path.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial

import duckdb
import pandas as pd

from invdash import store
from invdash.forecast.backtest import backtest_panel
from invdash.forecast.classify import classify_panel
from invdash.forecast.engine import choose_for_classes, fit_and_assemble, run_events, spreads_for
from invdash.forecast.grain import DAILY, min_history_periods, resolve_grain
from invdash.forecast.models.global_model import GlobalBoostForecaster
from invdash.forecast.options import ForecastOptions
from invdash.forecast.panel import Panel, to_panel
from invdash.forecast.registry import MODELS, auto_model_factories
from invdash.policy.calibration import ForecastCache
from invdash.replay.params import CHOOSE_EVERY_DAYS, Progress, ReplayParams
from invdash.runtime.embeddings import embeddings_stored_in
from invdash.schema import DATE, SKU

__all__ = [
    "CHOOSE_EVERY_DAYS", "ModelChoice", "ReplayForecasts", "choice_run", "replay_origins",
    "replay_panel",
]

_KEPT = ["model", "members", "reason", "score"]


@dataclass
class ModelChoice:
    """What the backtest at ``origin`` decided, for the origins up to the next choice point.

    Attributes:
        origin: the choice point (its backtest saw the sales before it only).
        choices: ``sku, model, members, demand_class, reason, score`` (``choose_for_classes``).
        spreads: ``demand_class, spread, growth`` (``spreads_for``).
        panel: the panel at the choice point, on which the global booster trains.
        boosters: the booster trained on ``panel`` per number of steps.
    """

    origin: pd.Timestamp
    choices: pd.DataFrame
    spreads: pd.DataFrame
    panel: Panel
    boosters: dict[int, object] = field(default_factory=dict)

    def booster(self, steps: int, params: dict) -> object:
        """The global booster trained on the choice point's panel for ``steps`` days."""
        if steps not in self.boosters:
            trainer = GlobalBoostForecaster(**params).fit_panel(self.panel)
            self.boosters[steps] = GlobalBoostForecaster._train(trainer, self.panel, steps)
        return self.boosters[steps]


class _KeptBoostForecaster(GlobalBoostForecaster):
    """``lgbm`` whose booster is the one trained at a ``ModelChoice`` (features: this panel's)."""

    def __init__(self, choice: ModelChoice | None = None, seed: int = 0) -> None:
        super().__init__(seed=seed)
        self.choice = choice

    def _train(self, panel: Panel, h: int) -> object:
        del panel
        params = {k: v for k, v in self.get_params().items() if k != "choice"}
        return self.choice.booster(h, params)


def _cold_start(products: pd.DataFrame | None, model: str) -> bool:
    """The engine's rule: new SKUs take the similar-products model (auto, named products)."""
    return (
        model == "auto" and "coldstart" in MODELS and products is not None
        and "name" in products.columns and bool(products["name"].notna().any())
    )


def _fit(  # noqa: PLR0913 - fit_and_assemble's inputs
    panel: Panel, choices: pd.DataFrame, choice: ModelChoice, *, sales: pd.DataFrame,
    products: pd.DataFrame | None, horizon: int, seed: int,
) -> pd.DataFrame:  # fmt: skip
    return fit_and_assemble(
        panel, choices, spreads=choice.spreads, horizon=horizon, seed=seed, sales=sales,
        products=products, future=None,
        models={"lgbm": partial(_KeptBoostForecaster, choice, seed=seed)},
    )  # fmt: skip


def replay_panel(
    sales: pd.DataFrame, products: pd.DataFrame | None, *, options: ForecastOptions,
    events: pd.DataFrame | None,
) -> Panel:  # fmt: skip
    """The daily panel ``run_forecast`` builds from ``sales`` with these options: the user
    ``events`` plus ``options.country``'s public holidays (``engine.run_events``)."""
    calendar = run_events(sales, events, country=options.country, grain=DAILY,
                          horizon=int(options.horizon or 1))  # fmt: skip
    return to_panel(sales, grain=DAILY, products=products, events=calendar)


def choice_run(
    sales: pd.DataFrame, products: pd.DataFrame | None, origin: pd.Timestamp, *,
    options: ForecastOptions, events: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, ModelChoice]:  # fmt: skip
    """``run_forecast``'s steps on daily ``sales`` (before ``origin``), keeping the choice.

    ``options`` (model, horizon, seed, folds, country) and ``events`` as ``run_forecast``'s.
    Returns the forecasts (as ``run_forecast(sales, options, events=events).forecasts`` for
    every SKU with sales) and the ``ModelChoice`` that later origins refit with.
    """
    model, horizon, seed, folds = options.model, int(options.horizon), options.seed, options.folds
    panel = replay_panel(sales, products, options=options, events=events)
    names = list(auto_model_factories(seed=seed)) if model == "auto" else [model]
    factories = {name: partial(MODELS[name], seed=seed) for name in names}
    backtest = None
    if folds and len(panel.dates) - horizon * folds >= min_history_periods(DAILY):
        backtest = backtest_panel(
            panel, factories, folds=folds, horizon=horizon, sales=sales, products=products
        )
    classes = classify_panel(panel, min_history_days=min_history_periods(DAILY))
    choices = choose_for_classes(
        classes, backtest, model, cold_start=_cold_start(products, model)
    )
    choice = ModelChoice(origin, choices, spreads_for(backtest, choices, seed), panel)
    return _fit(panel, choices, choice, sales=sales, products=products, horizon=horizon,
                seed=seed), choice  # fmt: skip


def refit_choices(
    panel: Panel, choice: ModelChoice, *, model: str, cold_start: bool
) -> pd.DataFrame:
    """Each SKU's candidate at a later origin: the choice point's, except for SKUs that are
    ``new`` now or were ``new`` (or absent) then, which take the engine's rule without a
    backtest (``choose_for_classes``: new -> similar products or mean; the rest -> ETS)."""
    classes = classify_panel(panel, min_history_days=min_history_periods(DAILY))
    fresh = choose_for_classes(classes, None, model, cold_start=cold_start)
    kept = choice.choices[choice.choices["demand_class"] != "new"].set_index(SKU)
    carry = (fresh[SKU].isin(kept.index) & (fresh["demand_class"] != "new")).to_numpy()
    rows = kept.reindex(fresh.loc[carry, SKU])
    for column in _KEPT:
        values = fresh[column].to_numpy(dtype=object).copy()
        values[carry] = rows[column].to_numpy(dtype=object)
        fresh[column] = values
    fresh["score"] = pd.to_numeric(fresh["score"], errors="coerce")
    return fresh


class ReplayForecasts(ForecastCache):
    """``ForecastCache`` that chooses models every ``choose_every_days`` (module docstring).

    Args:
        products, model, horizon, seed, folds, country, events: as ``ForecastCache``.
        anchor: the first choice point (the replay's earliest origin); origins before it are
            choice points of their own.
        choose_every_days: days between choice points.

    Attributes:
        counts: forecasts made so far, ``{"choice": n, "refit": m}``.
    """

    def __init__(  # noqa: PLR0913 - ForecastCache's options plus the choice grid
        self, products: pd.DataFrame | None = None, *, model: str = "auto", horizon: int = 28,
        seed: int = 0, folds: int = 3, country: str | None = None,
        events: pd.DataFrame | None = None, anchor: pd.Timestamp,
        choose_every_days: int = CHOOSE_EVERY_DAYS,
    ) -> None:  # fmt: skip
        super().__init__(products, model=model, horizon=horizon, seed=seed, folds=folds,
                         country=country, events=events)  # fmt: skip
        self.anchor = pd.Timestamp(anchor)
        self.choose_every_days = int(choose_every_days)
        self.counts = {"choice": 0, "refit": 0}
        self._choices: dict[pd.Timestamp, ModelChoice] = {}
        self._titles: duckdb.DuckDBPyConnection | None = None

    def _title_store(self) -> duckdb.DuckDBPyConnection:
        """An in-memory store of title embeddings for this replay: the similar-products model
        of new SKUs encodes the product titles once, not at every origin."""
        if self._titles is None:
            self._titles = duckdb.connect(":memory:")
            store.migrate(self._titles)
        return self._titles.cursor()

    def choice_point(self, origin: pd.Timestamp) -> pd.Timestamp:
        """The choice point whose models ``origin`` refits: the last grid day on or before it."""
        origin = pd.Timestamp(origin)
        if origin <= self.anchor:
            return origin
        steps = (origin - self.anchor).days // self.choose_every_days
        return self.anchor + pd.Timedelta(days=steps * self.choose_every_days)

    def has(self, origin: pd.Timestamp) -> bool:
        """Whether the forecasts at ``origin`` are already made."""
        return pd.Timestamp(origin) in self._forecasts

    def forecasts(self, history: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
        """The forecasts from ``history`` (the sales before ``as_of``), made once per origin."""
        key = pd.Timestamp(as_of)
        if key in self._forecasts:
            return self._forecasts[key]
        if resolve_grain(history, "auto").kind != "D":
            return super().forecasts(history, key)
        point = self.choice_point(key)
        with embeddings_stored_in(self._title_store()):
            if point not in self._choices:
                past = history[history[DATE] < point]
                frame, self._choices[point] = choice_run(
                    past, self.products, point, options=self.options(), events=self.events
                )
                self._forecasts[point] = frame
                self.counts["choice"] += 1
            if key not in self._forecasts:
                self._forecasts[key] = self._refit(history, self._choices[point])
                self.counts["refit"] += 1
        return self._forecasts[key]

    def _refit(self, history: pd.DataFrame, choice: ModelChoice) -> pd.DataFrame:
        panel = replay_panel(history, self.products, options=self.options(), events=self.events)
        cold_start = _cold_start(self.products, self.model)
        choices = refit_choices(panel, choice, model=self.model, cold_start=cold_start)
        return _fit(panel, choices, choice, sales=history, products=self.products,
                    horizon=self.horizon, seed=self.seed)  # fmt: skip

    def prepare(
        self, panel: pd.DataFrame, origins: Iterable[pd.Timestamp], progress: Progress | None
    ) -> None:
        """Make the forecasts at ``origins`` (gap-free daily sales ``panel``), earliest first,
        reporting ``progress(fraction, message)`` before each."""
        todo = sorted({pd.Timestamp(o) for o in origins if not self.has(o)})
        for index, origin in enumerate(todo):
            if progress is not None:
                kind = "choosing models" if self.choice_point(origin) == origin else "refit"
                progress(index / len(todo),
                         f"forecast {index + 1}/{len(todo)} from {origin.date()} ({kind})")
            self.forecasts(panel[panel[DATE] < origin].reset_index(drop=True), origin)


def replay_origins(
    params: ReplayParams, protection_days: pd.Series, *, calibration_origins: int,
    first_day: pd.Timestamp,
) -> list[pd.Timestamp]:  # fmt: skip
    """The origins the invdash policy forecasts at: each review day and the weekly origins
    ``estimate_level_uncertainty_cv`` compares before it (``as_of - window - 7 k`` with at
    least 28 days of sales before them), earliest first.

    Example: START 2024-03-01, 14 days, weekly reviews, L + R = 10, 2 origins, sales from
    2024-01-01: reviews 03-01 and 03-08, calibration 02-20, 02-13, 02-27, 02-20 -> 02-13,
    02-20, 02-27, 03-01, 03-08.
    """
    window = int(protection_days.astype(float).max())
    reviews = math.ceil(params.days / params.review_period_days)
    origins = set()
    for j in range(reviews):
        as_of = params.start + pd.Timedelta(days=j * params.review_period_days)
        origins.add(as_of)
        for k in range(calibration_origins):
            origin = as_of - pd.Timedelta(days=window + 7 * k)
            if (origin - pd.Timestamp(first_day)).days < 28:
                break
            origins.add(origin)
    return sorted(origins)

