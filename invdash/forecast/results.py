"""What a forecast run and a backtest return: plain, frozen result records.

A leaf module (it imports no other part of the forecast package), so the engine, the backtest,
fusion, the stored-run functions, explanations and the reorder workflow can all name these types
in signatures without importing each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["ForecastRun", "BacktestFold", "BacktestResult", "FoldErrors"]


@dataclass(frozen=True)
class FoldErrors:
    """The backtest's out-of-sample forecasts of the chosen candidates, one row per SKU and fold.

    What the reorder calibration (``policy.calibration``) needs to compare past forecasts with
    what was then sold over any protection window up to ``h`` days, without re-running them.

    Attributes:
        sku, fold, origin: row keys (n,); ``origin`` is the fold's first test day.
        mean: forecast means per test day, (n, h).
        variance: the calibrated gamma variance per test day (variance index x mean), (n, h).
        actual: units sold per test day, NaN on stock-out (censored) days, (n, h).
    """

    sku: np.ndarray
    fold: np.ndarray
    origin: np.ndarray
    mean: np.ndarray
    variance: np.ndarray
    actual: np.ndarray


@dataclass(frozen=True)
class ForecastRun:
    """A forecast run: forecasts, the per-SKU choice, the backtest table and run facts.

    Attributes:
        forecasts: ``sku, date, model, mean, p05 .. p99``; ``model`` is the chosen candidate.
        choices: ``sku, model, demand_class, reason, score`` (score: backtest RMSSE).
        backtest: ``model, demand_class, n_skus, mase, rmsse, wape, bias, spl, coverage80``.
        device: ``cpu`` or the CUDA device name when the neural model ran.
        duration_s: wall time of the run, in seconds.
        horizon: periods forecast (days, weeks or months: see ``freq``).
        model_param: the ``model`` argument (``auto`` or a model name).
        run_id, created_at, data_version: set when the run comes from the store.
    """

    forecasts: pd.DataFrame
    choices: pd.DataFrame
    backtest: pd.DataFrame
    device: str
    duration_s: float
    horizon: int
    model_param: str
    run_id: str | None = None
    created_at: pd.Timestamp | None = None
    data_version: str | None = None
    #: The grain forecast at (``grain.Grain.freq``: ``D``, ``W-MON`` .., ``MS``, ``ME``).
    freq: str = "D"
    #: The backtest's forecasts per SKU and fold (None without a backtest or from the store).
    fold_errors: FoldErrors | None = None
    #: The country whose public holidays were events of the run (``ForecastOptions.country``),
    #: so an explanation refits with the same calendar; None: none.
    country: str | None = None


@dataclass(frozen=True)
class BacktestFold:
    """Out-of-sample data of one origin (rows: ``skus``; columns: the ``h`` test days)."""

    origin: pd.Timestamp
    skus: np.ndarray
    actual: np.ndarray
    scale_abs: np.ndarray
    scale_sq: np.ndarray
    dispersion: np.ndarray
    means: Mapping[str, np.ndarray]
    integer_rows: np.ndarray


@dataclass(frozen=True)
class BacktestResult:
    """Backtest output.

    Attributes:
        per_sku: ``sku, model, fold, demand_class`` and the metric columns (plus the sums
            ``abs_error, error, actual_sum`` behind WAPE and bias).
        summary: ``model, demand_class, n_skus`` and the metric columns.
        folds: out-of-sample means per fold, for the fusion step.
        classes: ``sku, adi, cv2, demand_class`` of every SKU.
    """

    per_sku: pd.DataFrame
    summary: pd.DataFrame
    folds: tuple[BacktestFold, ...]
    classes: pd.DataFrame
