"""``PartitionRunner``: the per-SKU steps of a forecast run, mapped over SKU partitions.

``forecast.engine.run_forecast(..., ForecastOptions(runner=PartitionRunner(executor)))`` runs
the pooled steps (panel and calendar, fusion, spread calibration) in this process and hands the
two per-SKU steps to the runner:

- ``backtest``: ``backtest_panel`` on each partition (with the shop's calendar at every origin),
  merged back in whole-panel order;
- ``forecast``: ``fit_and_assemble`` on each partition. SKUs whose chosen model is not a panel
  model (similar-products for new SKUs, the neural model) need every SKU's sales, so they are
  fitted here, on the driver, with the same function.
- ``trainers``: models the cluster trains rather than the driver. ``make_runner("ray")`` sets
  ``neural`` to ``ray_train.RayTrainedNeural`` (Ray Train: data-parallel on the cluster's
  GPUs, else two CPU workers); its backtest folds and final fit run on the driver's whole
  panel, each training on the cluster.

The executor decides where a partition runs: ``LocalExecutor`` (here, in turn; the reference
the tests compare with) or ``ray_executor.RayExecutor`` (one Ray task per partition).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any, Protocol

import numpy as np
import pandas as pd

from invdash.distributed.partition import (
    backtest_origins,
    join_backtests,
    merge_backtests,
    merge_forecasts,
    split_panel,
)
from invdash.forecast.backtest import backtest_panel
from invdash.forecast.engine import fit_and_assemble
from invdash.forecast.models.baseline import PanelForecaster
from invdash.forecast.panel import Panel
from invdash.forecast.registry import MODELS
from invdash.forecast.results import BacktestResult
from invdash.schema import SKU, ConfigError

__all__ = [
    "Executor", "LocalExecutor", "PartitionRunner", "make_runner", "make_executor", "ENGINES",
]

ENGINES = ("local", "ray")
Progress = Callable[[int, int, str], None]
Call = tuple[tuple[Any, ...], dict[str, Any]]


class Executor(Protocol):
    """Runs ``fn(*args, **kwargs)`` for each call and returns the results in call order."""

    def map(self, fn: Callable, calls: Sequence[Call], *, label: str,
            progress: Progress | None) -> list[Any]: ...

    def workers(self) -> int: ...


class LocalExecutor:
    """Every partition in this process, one after the other."""

    def __init__(self) -> None:
        self.nodes_used: set[str] = set()

    def map(self, fn: Callable, calls: Sequence[Call], *, label: str,
            progress: Progress | None) -> list[Any]:
        """Call ``fn`` on each call in turn."""
        results = []
        for done, (args, kwargs) in enumerate(calls):
            if progress is not None:
                progress(done, len(calls), f"{label}: partition {done + 1}/{len(calls)}")
            results.append(fn(*args, **kwargs))
        self.nodes_used.add("local")
        return results

    def workers(self) -> int:
        """One worker: this process."""
        return 1


def backtest_part(part: Panel, factories: Mapping[str, Callable], *, folds: int,
                  horizon: int) -> BacktestResult:
    """The backtest of one partition (panel models only; they need no sales frame)."""
    return backtest_panel(part, factories, folds=folds, horizon=horizon)


def forecast_part(part: Panel, choices: pd.DataFrame, *, spreads: pd.Series, horizon: int,
                  seed: int) -> pd.DataFrame:
    """The final fits of one partition (panel models only)."""
    return fit_and_assemble(part, choices, spreads=spreads, horizon=horizon, seed=seed,
                            sales=None, products=None, future=None)


def _is_panel_model(name: str) -> bool:
    return issubclass(MODELS[name], PanelForecaster)


class PartitionRunner:
    """The ``runner`` of ``run_forecast`` that runs per-SKU steps on SKU partitions.

    Args:
        executor: where partitions run (``LocalExecutor``, ``RayExecutor``).
        parts_per_worker: partitions per executor worker (more: better balance, more overhead).
    """

    def __init__(self, executor: Executor, *, parts_per_worker: int = 2,
                 trainers: Mapping[str, Callable[[Callable], Any]] | None = None) -> None:
        self.executor = executor
        self.parts_per_worker = parts_per_worker
        self.trainers = dict(trainers or {})

    def _n_parts(self) -> int:
        return max(1, self.executor.workers() * self.parts_per_worker)

    def backtest(self, panel: Panel, factories: Mapping[str, Callable], *, folds: int,
                 horizon: int, progress: Progress | None = None,
                 **_frames: object) -> BacktestResult:
        """``backtest_panel`` over partitions (the sales frames are not needed: panel models);
        models that learn across SKUs (``pools_skus``, the global booster) are backtested here on
        the whole panel, so every model sees what it would see locally."""
        factories = {**factories, **self._trained_on_cluster(factories)}
        others = [name for name, factory in factories.items()
                  if not isinstance(factory(), PanelForecaster) and name not in self.trainers]
        if others:
            raise ConfigError(
                f"the distributed engine backtests panel models only, not {', '.join(others)}; "
                "run this model with --engine local."
            )
        pooled = {n: f for n, f in factories.items()
                  if getattr(f(), "pools_skus", False) or n in self.trainers}
        per_sku = {n: f for n, f in factories.items() if n not in pooled}
        if not per_sku:  # e.g. --model neural: nothing to partition
            return backtest_panel(panel, pooled, folds=folds, horizon=horizon, **_frames)
        origins = backtest_origins(panel, folds=folds, horizon=horizon)
        parts = split_panel(panel, self._n_parts(), origins=origins)
        calls = [((part, per_sku), {"folds": folds, "horizon": horizon}) for part in parts]
        results = self.executor.map(backtest_part, calls, label="backtest", progress=progress)
        merged = merge_backtests(results, list(per_sku))
        if not pooled:
            return merged
        whole = backtest_panel(panel, pooled, folds=folds, horizon=horizon, **_frames)
        return join_backtests(merged, whole, list(factories))

    def _trained_on_cluster(self, factories: Mapping[str, Callable]) -> dict[str, Callable]:
        """The factories of models the cluster trains (``trainers``), wrapping the run's own."""
        return {name: partial(self.trainers[name], factories[name])
                for name in factories if name in self.trainers}

    def forecast(self, panel: Panel, choices: pd.DataFrame, *, spreads: pd.Series,  # noqa: PLR0913
                 horizon: int, seed: int, sales: pd.DataFrame, products: pd.DataFrame | None,
                 future: pd.DataFrame | None) -> pd.DataFrame:
        """``fit_and_assemble`` over partitions; non-panel models on the driver (the neural
        model trained on the cluster by its ``trainers`` entry). When a SKU's forecast uses a
        model that learns across SKUs, the final fit runs here on the whole panel (it is
        fitted on every SKU anyway)."""
        trained = {name: partial(trainer, partial(MODELS[name], seed=seed))
                   for name, trainer in self.trainers.items()}
        if any(getattr(MODELS[m], "pools_skus", False) for ms in choices["members"] for m in ms):
            return fit_and_assemble(panel, choices, spreads=spreads, horizon=horizon, seed=seed,
                                    sales=sales, products=products, future=future,
                                    models=trained)
        by_sku = choices.set_index(SKU).reindex(panel.skus)
        on_panel = np.array([all(_is_panel_model(m) for m in members)
                             for members in by_sku["members"]])
        parts = split_panel(panel, self._n_parts(), rows=on_panel)
        calls = [((part, choices[choices[SKU].isin(part.skus)]),
                  {"spreads": spreads, "horizon": horizon, "seed": seed}) for part in parts]
        frames = self.executor.map(forecast_part, calls, label="forecast", progress=None)
        for part in split_panel(panel, 1, rows=~on_panel):
            frames.append(fit_and_assemble(part, choices, spreads=spreads, horizon=horizon,
                                           seed=seed, sales=sales, products=products,
                                           future=future, models=trained))
        return merge_forecasts(frames, panel.skus)


def make_runner(engine: str, *, ray_address: str | None = None) -> PartitionRunner | None:
    """The runner for ``--engine``: None for ``local`` (the plain in-process run), a
    ``PartitionRunner`` on a Ray cluster for ``ray`` (``ray_address``: its head, e.g.
    ``10.0.0.5:6379``; None: Ray's own default, a cluster started on this machine).

    Raises:
        ConfigError: an unknown engine, or ``ray`` without the ``distributed`` extra.
    """
    if not _on_ray(engine, ray_address):
        return None
    from invdash.distributed.ray_executor import RayExecutor

    return PartitionRunner(RayExecutor(ray_address),
                           trainers={"neural": partial(_ray_trained, address=ray_address)})


def _ray_trained(factory: Callable, *, address: str | None) -> Any:
    """The neural model of ``factory`` trained with Ray Train (``distributed.ray_train``)."""
    from invdash.distributed.ray_train import RayTrainedNeural

    return RayTrainedNeural(factory(), address=address)


def make_executor(engine: str, *, ray_address: str | None = None) -> Executor | None:
    """The executor of a chunked run (``forecast.chunked``) for ``--engine``: None for
    ``local`` (chunks in turn, in this process), a ``RayExecutor`` for ``ray`` (one Ray task
    per chunk; the chunks' temporary folders must be on a disk the workers share, as on one
    machine).

    Raises:
        ConfigError: an unknown engine, or ``ray`` without the ``distributed`` extra.
    """
    if not _on_ray(engine, ray_address):
        return None
    from invdash.distributed.ray_executor import RayExecutor

    return RayExecutor(ray_address)


def _on_ray(engine: str, ray_address: str | None) -> bool:
    """True for ``--engine ray``; False for ``local`` (which takes no ``--ray-address``).

    Raises:
        ConfigError: an unknown engine, or ``--ray-address`` without ``--engine ray``.
    """
    if engine not in ENGINES:
        raise ConfigError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}.")
    if engine == "local" and ray_address:
        raise ConfigError("--ray-address needs --engine ray.")
    return engine == "ray"
