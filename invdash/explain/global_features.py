"""The global model's own view of a forecast: exact TreeSHAP over its features.

Design:
- The ``lgbm`` booster predicts, per (SKU, step), the ratio of demand to the SKU's base level
  (level x weekday factor x yearly factor x event factor, ``forecast/models/global_model.py``)
  with a Tweedie loss, so its raw score is the log of that ratio. LightGBM's
  ``pred_contrib=True`` returns exact TreeSHAP values of the raw score (Lundberg et al. 2020):
  ``bias + sum_j phi_j = log ratio`` per row.
- The explanation is therefore multiplicative and exact: ``forecast = base x exp(bias) x
  prod_j exp(phi_j)``; the log contributions add up, and ``explain_global_features`` checks on
  every call that they rebuild the model's own forecast.
- The driver explanation (``ForecastExplainer``) stays the one in units for every model, the
  global model included; this view says which of the booster's inputs (lags, calendar, price,
  promotion ...) moved its correction of the base level.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from invdash.explain.explainer import ForecastExplainer
from invdash.forecast.features import FEATURES
from invdash.schema import InvalidDataError

__all__ = ["GlobalFeatureExplanation", "explain_global_features"]

_TOLERANCE = 1e-6


@dataclass(frozen=True)
class GlobalFeatureExplanation:
    """TreeSHAP of the global model's forecast of one SKU.

    Attributes:
        sku: the SKU.
        base: the base level per date (units), shape (h,).
        bias: the booster's expected log ratio per date, shape (h,).
        log_contributions: frame indexed by date, one column per feature (log units).
        forecast: the global model's own mean per date (units), shape (h,).
    """

    sku: str
    base: np.ndarray
    bias: np.ndarray
    log_contributions: pd.DataFrame
    forecast: np.ndarray

    def factors(self) -> pd.Series:
        """Each feature's multiplicative effect over the horizon (geometric mean of its
        per-date factors ``exp(phi)``), largest effect first."""
        factors = np.exp(self.log_contributions.mean(axis=0))
        return factors.reindex((np.log(factors)).abs().sort_values(ascending=False).index)


def explain_global_features(explainer: ForecastExplainer, sku: str) -> GlobalFeatureExplanation:
    """The global model's TreeSHAP explanation of ``sku`` in ``explainer``'s run (the booster is
    the explainer's cached one, trained once).

    Raises:
        InvalidDataError: unknown SKU, or the contributions do not rebuild the forecast.
    """
    row = explainer.rows.get_indexer([str(sku)])[0]
    if row < 0:
        raise InvalidDataError(f"SKU {sku!r} is not in this run's sales; check the SKU.")
    model = explainer.fitted_global_models(("lgbm",))["lgbm"]
    h = int(explainer.run.horizon)
    mean = model.predict_mean(h)  # trains the booster for this horizon once
    steps = max(h, model.horizon)
    booster = model.state_[steps]
    if booster is None:
        raise InvalidDataError("the global model had too little history to train; no view.")
    features, base = model._rows(explainer.panel, len(explainer.panel.dates), steps, train=False)
    block = features.reshape(len(explainer.panel.skus), steps, -1)[row, :h]
    contributions = booster.predict(block, pred_contrib=True)
    rebuilt = base[row, :h] * np.exp(contributions.sum(axis=1))
    gap = np.abs(rebuilt - mean[row]) / np.maximum(1.0, np.abs(mean[row]))
    if np.any(gap > _TOLERANCE):
        raise InvalidDataError(
            f"the global model's contributions for SKU {sku} do not rebuild its forecast "
            f"(largest gap {gap.max():.2e}); rerun the forecast."
        )
    dates = pd.DatetimeIndex(explainer.forecasts[explainer.forecasts["sku"] == str(sku)]
                             .sort_values("date")["date"])[:h]
    return GlobalFeatureExplanation(
        sku=str(sku), base=base[row, :h], bias=contributions[:, -1],
        log_contributions=pd.DataFrame(contributions[:, :-1], index=dates, columns=list(FEATURES)),
        forecast=mean[row],
    )
