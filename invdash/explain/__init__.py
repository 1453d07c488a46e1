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

The global model (``lgbm``) has a second, exact view on its own features:
``explain_global_features`` (LightGBM's TreeSHAP, ``pred_contrib``), multiplicative in the
booster's log scale and checked to rebuild its forecast on every call.

Modules: ``drivers`` (the decomposition and its words), ``shapley`` (exact Shapley values as a
matrix), ``explainer`` (the game over refitted forecasts, ``explain_sku``, ``global_importance``),
``summary`` (one sentence per explanation).
"""

from __future__ import annotations

from invdash.explain.drivers import DRIVERS, Explanation, decompose_history
from invdash.explain.explainer import (
    ForecastExplainer,
    explain_run,
    explain_sku,
    global_importance,
)
from invdash.explain.global_features import GlobalFeatureExplanation, explain_global_features
from invdash.explain.shapley import shapley_matrix
from invdash.explain.summary import summarise

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
    "GlobalFeatureExplanation",
    "explain_global_features",
]
