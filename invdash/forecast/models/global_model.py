"""The global model: one LightGBM fitted on every SKU at once (registry name ``lgbm``).

Design and the choice made here:
- Direct multi-horizon regression (``features.py``): rows are (SKU, origin, step ahead) taken
  from ``n_origins`` past origins a week apart (every period of the last 52 weeks or 36 months
  on coarse panels), the target scaled by the SKU's level and capped at 20x it (a SKU back
  from a long pause once produced targets of 10^4 that took every monthly forecast with them).
  Trained with a Tweedie loss (variance power 1.3), the standard loss for
  non-negative, zero-heavy counts: it models the mean, which the fusion and the gamma
  quantiles need, and never predicts below zero.
- LightGBM rather than torch: on the 2-core CPU that most shops run on it fits 200k rows in
  seconds, needs no device, and is deterministic with ``deterministic=True`` and one seed. The
  neural model (``neural.py``) stays the GPU option.
- It is a ``PanelForecaster``: fitted on the panel the backtest truncates, so it is backtested,
  fused and calibrated like the fast models. Prices and promotions on the panel
  (``Panel.price`` / ``Panel.promo``) are read as known ahead: for the periods after the data,
  ``--future`` gives them, else the last price and no promotion are assumed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from invdash.config import load_settings
from invdash.forecast.calendar import event_window
from invdash.forecast.features import WINDOWS, origin_features, stack_rows, target_features
from invdash.forecast.models.base import check_is_fitted
from invdash.forecast.models.baseline import PanelForecaster
from invdash.forecast.panel import Panel, future_period_dates
from invdash.forecast.price import price_window
from invdash.forecast.season import season_factors

__all__ = ["GlobalBoostForecaster"]

_COARSE_ORIGINS = {"W": 52, "M": 36}
_MAX_RATIO = 20.0


class GlobalBoostForecaster(PanelForecaster):
    """LightGBM on all SKUs jointly (see the module docstring).

    ``pools_skus``: one SKU's forecast depends on every SKU's history, so a distributed run fits
    it on the whole panel (``invdash.distributed``), never on a part.

    Args:
        horizon: the fewest steps ahead the training rows cover (a longer ``h`` trains for h).
        n_origins: past origins sampled for training rows.
        max_rows: training rows kept (a seeded sample when there are more).
        n_estimators: boosting rounds. learning_rate: shrinkage. num_leaves: tree size.
        country: holiday calendar (``holidays`` code) for daily panels; None: the setting
            ``INVDASH_COUNTRY`` (``config.Settings.country``, default GB).
        seed: seed of the row sample and of LightGBM.
    """

    pools_skus = True

    name = "lgbm"

    def __init__(  # noqa: PLR0913 - hyper-parameters, stored unchanged
        self, horizon: int = 28, n_origins: int = 12, max_rows: int = 50_000,
        n_estimators: int = 80, learning_rate: float = 0.08, num_leaves: int = 31,
        country: str | None = None, seed: int = 0,
    ) -> None:
        self.horizon = horizon
        self.n_origins = n_origins
        self.max_rows = max_rows
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.country = country
        self.seed = seed

    def _fit_state(self, panel: Panel, deseason: np.ndarray) -> dict:
        """Keeps the adjusted series; the booster is trained on the first ``predict_mean(h)``
        for steps up to ``max(h, horizon)`` (training rows depend on the horizon)."""
        del panel
        self.adjusted_ = deseason
        return {}

    def _train(self, panel: Panel, h: int):
        import lightgbm as lgb

        blocks = [self._rows(panel, origin, h, train=True) for origin in self._origins(panel, h)]
        blocks = [b for b in blocks if b is not None]
        if not blocks:
            return None
        features = np.vstack([b[0] for b in blocks])
        target = np.concatenate([b[1] for b in blocks])
        rng = np.random.default_rng(self.seed)
        if len(target) > self.max_rows:
            keep = np.sort(rng.choice(len(target), self.max_rows, replace=False))
            features, target = features[keep], target[keep]
        params = {
            "objective": "tweedie", "tweedie_variance_power": 1.3, "verbose": -1,
            "learning_rate": self.learning_rate, "num_leaves": self.num_leaves,
            "min_data_in_leaf": 100, "max_bin": 63, "feature_fraction": 0.9,
            "bagging_fraction": 0.8, "bagging_freq": 1, "seed": self.seed,
            "deterministic": True, "num_threads": 1, "force_row_wise": True,
        }
        return lgb.train(params, lgb.Dataset(features, target), self.n_estimators)

    def _origins(self, panel: Panel, h: int) -> list[int]:
        """Training origins: ``n_origins`` a week apart for days; every period of the last
        ``_COARSE_ORIGINS`` for weeks and months, which have few periods per year (12 monthly
        origins would show each calendar month once)."""
        daily = panel.grain.kind == "D"
        step, count = (7, self.n_origins) if daily else (1, _COARSE_ORIGINS[panel.grain.kind])
        last = len(panel.dates) - h
        origins = [last - step * j for j in range(count)]
        return [o for o in origins if o >= WINDOWS[panel.grain.kind][1]]

    def _rows(self, panel: Panel, origin: int, h: int, *, train: bool):
        per_sku = origin_features(self.adjusted_, origin, WINDOWS[panel.grain.kind])
        if train:
            dates = panel.dates[origin:origin + h]
        else:
            dates = pd.DatetimeIndex(future_period_dates(panel, h)[np.argmax(panel.last_index)])
        weekday = np.broadcast_to(dates.weekday.to_numpy(), (len(panel.skus), len(dates)))
        weekday_factor = np.take_along_axis(self.profile_, weekday, axis=1)
        season = (
            np.ones_like(weekday_factor) if self.yearly_ is None
            else season_factors(self.yearly_, dates.to_numpy(), panel.grain)
        )
        rel_price, promo = _covariates(panel, origin, len(dates))
        per_target = target_features(
            dates, weekday_factor, season, rel_price, promo, daily=panel.grain.kind == "D",
            country=self.country or load_settings().country,
        )
        features = stack_rows(per_sku, per_target)
        # The booster learns corrections to level x weekday x yearly x event x price factor: a
        # tree would need many splits to rebuild a 20x December factor from the feature alone.
        first = np.full(len(panel.skus), origin)
        events = event_window(self.events_, first, len(dates)) * price_window(
            self.price_, first, len(dates))
        base = np.maximum(per_sku["scale"][:, None] * weekday_factor * season * events, 1e-6)
        if not train:
            return features, base
        # A ratio far above the level (a SKU back from a long pause) would dominate the loss.
        target = np.minimum(panel.actual[:, origin:origin + h] / base, _MAX_RATIO)
        ok = np.isfinite(target).ravel()
        return (features[ok], target.ravel()[ok]) if ok.any() else None

    def predict_mean_on(self, panel: Panel, h: int) -> np.ndarray:
        """Means (n, h) for the SKUs of another ``panel`` from the booster learnt on the fitted
        one: a fixed model fed other histories, as an explanation by drivers needs (refitting
        a global model on one SKU's alternative histories would change the model itself)."""
        check_is_fitted(self, "panel_")
        return _predict_on(self, panel, h)

    def predict_mean(self, h: int) -> np.ndarray:
        """Forecast means, shape (n, h)."""
        check_is_fitted(self, "panel_")
        panel, steps = self.panel_, _steps(self, h)
        if steps not in self.state_:
            self.state_[steps] = self._train(panel, steps)
        booster = self.state_[steps]
        if booster is None:
            return np.zeros((len(panel.skus), h))
        features, base = self._rows(panel, len(panel.dates), steps, train=False)
        mean = booster.predict(features).reshape(len(panel.skus), steps) * base
        return np.clip(mean[:, :h], 0.0, None)


def _steps(model: GlobalBoostForecaster, h: int) -> int:
    """Steps the booster trains for: at least ``horizon`` days on daily panels; exactly ``h``
    weeks or months (28 months of steps would push every training origin back 28 months)."""
    return max(h, model.horizon) if model.panel_.grain.kind == "D" else h


def _predict_on(model: GlobalBoostForecaster, panel: Panel, h: int) -> np.ndarray:
    steps = _steps(model, h)
    if steps not in model.state_:
        model.state_[steps] = model._train(model.panel_, steps)
    other = GlobalBoostForecaster(**model.get_params()).fit_panel(panel)
    other.state_ = {steps: model.state_[steps]}
    return other.predict_mean(h)


def _covariates(panel: Panel, origin: int, h: int) -> tuple[np.ndarray, np.ndarray]:
    """Relative price and promotion flag of the ``h`` periods from ``origin``, each (n, h)."""
    n = len(panel.skus)
    if panel.price is None:
        return np.ones((n, h)), np.zeros((n, h))
    regular = np.nanmedian(panel.price[:, max(origin - 28, 0):origin], axis=1)
    regular = np.where(np.isfinite(regular) & (regular > 0), regular, np.nan)
    future = panel.price[:, origin:origin + h]
    if future.shape[1] < h:  # no planned prices: the last known price holds
        last = panel.price[:, :origin][np.arange(n), -1]
        future = np.column_stack([future, np.repeat(last[:, None], h - future.shape[1], 1)])
    rel = np.nan_to_num(future / regular[:, None], nan=1.0)
    promo = np.zeros((n, h))
    known = panel.promo[:, origin:origin + h] if panel.promo is not None else promo[:, :0]
    promo[:, :known.shape[1]] = np.nan_to_num(known)
    return rel, promo
