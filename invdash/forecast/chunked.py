"""A forecast run over the store in chunks of SKUs: bounded memory, the whole-panel result.

Flow of ``forecast_store_chunked(conn, options, chunk_skus=...)``:

0. The store is read into chunk folders once (``chunk_store.read_store_chunks``: each chunk's
   sales, event codes and, for ``auto``, the cold start's donor profiles).
1. The pooled statistics (calendar, weekday share, yearly season, at the end and at each backtest
   origin) in passes over the chunks (``pooled.pool_shop``).
2. The global booster's sample panel (``sampled.py``) is gathered from the chunks.
3. Backtest of each chunk (``backtest_panel`` on ``pooled.chunk_panel``), merged
   (``parts.merge_backtests``); the fusion's choice, the spread calibration (class averages and
   interval growth) and the backtest table then run on the merged backtest, which is n x h per
   model and fold, not n x T.
4. Final fits of each chunk (``fit_and_assemble``); each chunk's forecasts go to ``on_forecasts``
   (the store, a CSV) as soon as they exist.

The chunked run equals ``run_forecast`` on the whole panel (every forecast column to 1e-6 and
the same chosen models, tested) when the shop has at most ``sampled.SAMPLE_SKUS`` SKUs; above, the
global booster learns from that sample. New SKUs (under 28 days) and catalogue SKUs that never
sold get the whole run's similar-products cold start: each SKU's donor profile is taken as its
chunk is read, and one cold start is fitted from all of them at the end (``forecast.newskus``).
``use_neural`` and weekly or monthly sales take the whole-panel run.

``backtest_store_chunked`` is steps 0-3 alone: ``invdash backtest --db`` in bounded memory.

``executor`` runs the per-chunk backtests and final fits: anything with ``map(fn, calls,
label=, progress=)`` and ``workers()``, such as ``invdash.distributed.LocalExecutor`` or
``RayExecutor``; None runs them here, one after the other. The driver reads the store, keeps the
chunk folders and builds each chunk's panel, which travels to the worker whole (Ray's object
store), ``workers()`` chunks at a time; the pooled passes run on the driver.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from invdash import store
from invdash.forecast.backtest import _origins, backtest_panel
from invdash.forecast.chunk_store import read_store_chunks
from invdash.forecast.classify import classify_panel
from invdash.forecast.engine import (
    backtest_table,
    choose_for_classes,
    fit_and_assemble,
    spreads_for,
)
from invdash.forecast.fold_errors import fold_errors
from invdash.forecast.grain import DAILY, Grain, min_history_periods
from invdash.forecast.models.baseline import PanelForecaster
from invdash.forecast.models.coldstart import SimilarProductForecaster
from invdash.forecast.newskus import (
    can_cold_start,
    prefitted,
    unsold_forecasts,
)
from invdash.forecast.options import ForecastOptions
from invdash.forecast.panel import Panel
from invdash.forecast.parts import merge_backtests
from invdash.forecast.pooled import ShopStats, chunk_panel, load_chunk
from invdash.forecast.registry import MODELS, auto_model_factories
from invdash.forecast.results import BacktestResult, FoldErrors
from invdash.forecast.sampled import BoosterSample, SampledBoostForecaster, sample_positions
from invdash.forecast.stack import stack_panels
from invdash.schema import SKU, ConfigError

__all__ = ["CHUNK_SKUS", "ChunkedRun", "forecast_store_chunked", "backtest_store_chunked",
           "LocalMap"]

#: SKUs per chunk (about 30 MB per SKU x day matrix at 730 days).
CHUNK_SKUS = 5_000
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class ChunkedRun:
    """What a chunked run reports (its forecasts went to ``on_forecasts``).

    Attributes:
        choices: ``sku, model, members, demand_class, reason, score``.
        backtest: the backtest table by model and class.
        n_skus: SKUs forecast. horizon: periods. duration_s: wall time. chunks: chunks used.
        fold_errors: the backtest's folds for the reorder calibration (None without folds).
    """

    choices: pd.DataFrame
    backtest: pd.DataFrame
    n_skus: int
    horizon: int
    duration_s: float
    chunks: int
    fold_errors: FoldErrors | None = None


class LocalMap:
    """Runs every call here, in turn (the executor when none is given)."""

    def map(self, fn: Callable, calls: Sequence[tuple[tuple, dict]], *, label: str,
            progress: Progress | None) -> list[Any]:
        """``fn(*args, **kwargs)`` per call, in order."""
        out = []
        for done, (args, kwargs) in enumerate(calls):
            if progress is not None:
                progress(done, len(calls), f"{label}: chunk {done + 1}/{len(calls)}")
            out.append(fn(*args, **kwargs))
        return out

    def workers(self) -> int:
        """One: this process."""
        return 1


def _cuts(dates: pd.DatetimeIndex, folds: int, horizon: int, grain: Grain) -> list[int]:
    """The backtest origins (none when the backtest cannot run) and the end."""
    if folds == 0 or len(dates) - horizon * folds < min_history_periods(grain):
        return [len(dates)]
    empty = Panel(skus=np.array([], dtype=object), dates=dates, actual=np.empty((0, len(dates))),
                  fit_values=np.empty((0, len(dates))), last_index=np.array([], dtype=int),
                  open_weekdays=np.ones(7, dtype=bool), grain=grain)
    return [*_origins(empty, folds, horizon), len(dates)]


def _rows_of(folder: Path, shop: ShopStats, wanted: set[str]) -> Panel | None:
    panel = chunk_panel(load_chunk(folder), shop)
    rows = np.isin(panel.skus, list(wanted))
    return stack_panels([panel], rows=[rows]) if rows.any() else None


def _sample_panel(folders: Sequence[Path], shop: ShopStats, skus: list[str]) -> Panel:
    wanted = {skus[k] for k in sample_positions(len(skus))}
    parts = [p for p in (_rows_of(f, shop, wanted) for f in folders) if p is not None]
    return stack_panels(parts)


def _backtest_part(panel: Panel, factories: dict, *, folds: int, horizon: int):
    """One chunk's classes and backtest (None when the history is too short for one)."""
    classes = classify_panel(panel, min_history_days=min_history_periods(panel.grain))
    if not panel.shop_at:
        return None, classes
    return backtest_panel(panel, factories, folds=folds, horizon=horizon), classes


def _forecast_part(  # noqa: PLR0913 - one chunk task's inputs
    panel: Panel, choices: pd.DataFrame, *, spreads: pd.DataFrame,
    horizon: int, seed: int, factories: dict,
) -> pd.DataFrame:
    """One chunk's final fits (its SKUs on panel models; the chunked run has no others)."""
    by_sku = choices.set_index(SKU).reindex(panel.skus)
    on_panel = np.array([all(_is_panel(m) for m in members) for members in by_sku["members"]])
    if not on_panel.any():
        return pd.DataFrame()
    part = stack_panels([panel], rows=[on_panel])
    return fit_and_assemble(part, choices, spreads=spreads, horizon=horizon, seed=seed,
                            sales=None, products=None, future=None, models=factories)


def _in_waves(executor, folders: Sequence[Path], shop: ShopStats, task: Callable,  # noqa: PLR0913
              args: tuple, kwargs: dict, label: str, progress: Progress | None):
    """``task(panel, *args, **kwargs)`` for every chunk, ``executor.workers()`` chunks at a time:
    the driver builds each chunk's panel (``chunk_panel``) and hands it over whole, so a Ray
    worker needs no disk of the driver's, and only one wave of panels is in memory."""
    wave = max(1, executor.workers())
    for start in range(0, len(folders), wave):
        _report(progress, start, len(folders), label)
        calls = [((chunk_panel(load_chunk(folder), shop), *args), kwargs)
                 for folder in folders[start:start + wave]]
        yield from executor.map(task, calls, label=label, progress=None)


def _is_panel(name: str) -> bool:
    return issubclass(MODELS[name], PanelForecaster)


def _model_names(options: ForecastOptions) -> list[str]:
    if options.model == "auto":
        return list(auto_model_factories(seed=options.seed))
    return [options.model]


def _factories(options: ForecastOptions, folders: Sequence[Path], shop: ShopStats,
               skus: list[str]) -> dict[str, Callable]:
    """The run's model factories; ``lgbm`` learns from the booster sample (``sampled.py``)."""
    factories = {name: partial(MODELS[name], seed=options.seed) for name in _model_names(options)}
    if "lgbm" in factories:
        sample = BoosterSample(_sample_panel(folders, shop, skus))
        factories["lgbm"] = partial(SampledBoostForecaster, sample, seed=options.seed)
    return factories


def forecast_store_chunked(  # noqa: PLR0913 - the run's inputs
    conn: duckdb.DuckDBPyConnection, options: ForecastOptions | None = None, *,
    on_forecasts: Callable[[pd.DataFrame], None], chunk_skus: int = CHUNK_SKUS,
    executor: Any = None, progress: Progress | None = None,
    after_reading: Callable[[], None] | None = None,
) -> ChunkedRun:
    """Forecast every SKU of the store chunk by chunk (see the module docstring).

    Args:
        conn: the store (read here; ``on_forecasts`` may write to it).
        options: horizon, model, seed, folds (``skus``, ``freq`` other than auto/D, and
            ``use_neural`` are refused: those take ``run_forecast``).
        on_forecasts: receives each chunk's forecasts ``sku, date, model, mean, p05 .. p99``.
        chunk_skus: SKUs per chunk.
        executor: runs the per-chunk steps (module docstring); None: here, in turn.
        progress: optional ``callable(done, total, message)``.
        after_reading: called once every read of ``conn`` is done (the sales are in the chunk
            folders, the cold start is fitted), e.g. to close it during the long part.

    Raises:
        ConfigError: options the chunked run does not take, or ``chunk_skus`` below 1.
    """
    started = time.perf_counter()
    options = _check(options or ForecastOptions(), chunk_skus)
    executor = executor or LocalMap()
    horizon = options.horizon or 28
    reach = options.reach(horizon, 1.0)  # forecast days; ``horizon`` is backtested
    cold = can_cold_start(store.load_products(conn), options.model)
    with read_store_chunks(conn, chunk_skus=chunk_skus, cold_start=cold, seed=options.seed,
                           progress=progress, holidays=(options.country, reach)) as data:
        if after_reading is not None:
            after_reading()
        folders, skus = data.folders, data.skus
        shop = data.pool(_cuts(data.dates, options.folds, horizon, DAILY), progress)
        factories = _factories(options, folders, shop, skus)
        choices, spreads, table, errors = _choose(executor, folders, shop, factories, options,
                                                  horizon, progress, cold_start=cold)
        _final(executor, folders, shop, choices, spreads, factories, options, reach,
               on_forecasts, progress)
        if data.cold_model is not None:
            choices = _cold_start(folders, shop, choices, spreads, data.cold_model, data.unsold,
                                  reach, on_forecasts)
    return ChunkedRun(choices=choices, backtest=table, n_skus=len(skus), horizon=reach,
                      duration_s=time.perf_counter() - started, chunks=len(folders),
                      fold_errors=errors)


def backtest_store_chunked(
    conn: duckdb.DuckDBPyConnection, options: ForecastOptions | None = None, *,
    chunk_skus: int = CHUNK_SKUS, executor: Any = None, progress: Progress | None = None,
) -> BacktestResult:
    """``invdash backtest --db``: the rolling-origin backtest of ``options.model`` (``auto``:
    the auto set) over the store's SKUs in chunks, as the chunked forecast run backtests them
    (the same pooled calendar, season and events; the same booster sample). Bounded memory;
    equals ``backtest_panel`` on the whole panel (tested).

    Raises:
        ConfigError: as ``forecast_store_chunked``, or too little history for the folds.
    """
    options = _check(options or ForecastOptions(), chunk_skus)
    executor = executor or LocalMap()
    horizon = options.horizon or 28
    with read_store_chunks(conn, chunk_skus=chunk_skus, cold_start=False, seed=options.seed,
                           progress=progress, holidays=(options.country, horizon)) as data:
        cuts = _cuts(data.dates, options.folds, horizon, DAILY)
        if len(cuts) == 1:
            raise ConfigError(
                f"{len(data.dates)} days of sales are too few for {options.folds} folds of "
                f"{horizon} days (need {min_history_periods(DAILY)} days of history before the "
                "first origin); lower --folds or --horizon."
            )
        shop = data.pool(cuts, progress)
        factories = _factories(options, data.folders, shop, data.skus)
        results = list(_in_waves(executor, data.folders, shop, _backtest_part, (factories,),
                                 {"folds": options.folds, "horizon": horizon}, "backtest",
                                 progress))
    return merge_backtests([r[0] for r in results], list(factories))


def _choose(executor, folders, shop, factories, options, horizon, progress, *,  # noqa: PLR0913
            cold_start: bool):
    results = list(_in_waves(executor, folders, shop, _backtest_part, (factories,),
                             {"folds": options.folds, "horizon": horizon}, "backtest", progress))
    classes = pd.concat([r[1] for r in results], ignore_index=True)
    backtest = None if results[0][0] is None else merge_backtests(
        [r[0] for r in results], list(factories)
    )
    del results
    choices = choose_for_classes(classes, backtest, options.model, cold_start=cold_start)
    spreads = spreads_for(backtest, choices, options.seed)
    # The folds the reorder calibration reads (``forecast.fold_errors``), as a whole run keeps.
    errors = fold_errors(backtest, choices, spreads, model=options.model)
    return choices, spreads, backtest_table(backtest, choices, spreads), errors


def _final(executor, folders, shop, choices, spreads, factories, options, horizon,  # noqa: PLR0913
           on_forecasts, progress) -> None:
    kwargs = {"spreads": spreads, "horizon": horizon, "seed": options.seed,
              "factories": factories}
    for frame in _in_waves(executor, folders, shop, _forecast_part, (choices,), kwargs,
                           "forecasting chunks", progress):
        if len(frame):
            on_forecasts(frame)
    _report(progress, len(folders), len(folders), "forecast done")


def _cold_start(  # noqa: PLR0913 - the run's state at its end
    folders: Sequence[Path], shop: ShopStats, choices: pd.DataFrame, spreads: pd.DataFrame,
    model: SimilarProductForecaster, unsold: set[str], horizon: int,
    on_forecasts: Callable[[pd.DataFrame], None],
) -> pd.DataFrame:
    """The new SKUs' and never-sold SKUs' forecasts from the cold start (``forecast.newskus``),
    assembled as the whole run assembles them; returns the choices with the never-sold rows."""
    new = set(choices.loc[choices["model"] == "coldstart", SKU].astype(str))
    parts = [p for p in (_rows_of(f, shop, new) for f in folders) if p is not None] if new else []
    if parts:
        on_forecasts(fit_and_assemble(
            stack_panels(parts), choices, spreads=spreads, horizon=horizon, seed=model.seed,
            sales=None, products=None, future=None, models={"coldstart": prefitted(model)},
        ))
    if not unsold:
        return choices
    frame, rows = unsold_forecasts(model, horizon, unsold)
    on_forecasts(frame)
    return pd.concat([choices, rows], ignore_index=True)


def _report(progress: Progress | None, done: int, total: int, message: str) -> None:
    if progress is not None:
        progress(done, total, message)


def _check(options: ForecastOptions, chunk_skus: int) -> ForecastOptions:
    if chunk_skus < 1:
        raise ConfigError(f"chunk_skus must be a positive number of SKUs, got {chunk_skus}.")
    if options.use_neural or options.skus or options.freq not in ("auto", "D"):
        raise ConfigError(
            "the chunked run forecasts every SKU at the daily grain without the neural model; "
            "use run_forecast for --sku, --freq W/M or --neural."
        )
    if options.model != "auto" and not _is_panel(options.model):
        raise ConfigError(
            f"the chunked run fits panel models only, not {options.model}; use run_forecast."
        )
    return options

