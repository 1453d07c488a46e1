"""The global neural model trained with Ray Train on a real two-node cluster
(``distributed.ray_train``; the ``ray_cluster`` fixture of ``test_distributed``: ``ray start
--head`` and a second ``ray start --address`` on 127.0.0.1, one CPU each)."""

from __future__ import annotations

import numpy as np
import pytest
from test_distributed import ray_cluster  # noqa: F401 - the two-node cluster fixture

from invdash.demo import make_sales
from invdash.distributed import make_runner
from invdash.distributed.ray_train import RayTrainedNeural, train_workers
from invdash.forecast import registry
from invdash.forecast.engine import run_forecast
from invdash.forecast.models.neural import GlobalNeuralForecaster
from invdash.forecast.options import ForecastOptions

SMALL = {"context_days": 28, "horizon_days": 14, "d_model": 16, "n_layers": 1, "n_heads": 2,
         "max_epochs": 3, "windows_per_epoch": 512, "batch_size": 64}


def test_workers_follow_the_clusters_gpus_else_two_cpus():
    assert train_workers({"CPU": 16.0}) == (2, False)
    assert train_workers({"CPU": 1.0}) == (1, False)
    assert train_workers({"CPU": 64.0, "GPU": 4.0}) == (4, True)
    assert train_workers({"CPU": 64.0, "GPU": 4.0}, wanted=1) == (1, True)


@pytest.mark.slow
def test_ray_train_fits_on_both_nodes_and_forecasts_like_a_local_fit(ray_cluster):  # noqa: F811
    sales = make_sales(12, 150, seed=2)
    trained = RayTrainedNeural(GlobalNeuralForecaster(seed=0, **SMALL),
                               address=ray_cluster).fit(sales)
    assert len(trained.workers_) == 2
    assert len({w["node"] for w in trained.workers_}) == 2, "one worker on each node"
    losses = trained.workers_[0]["losses"]
    assert len(losses) == 3 and losses[-1] < losses[0]  # it learnt
    forecast = trained.predict(14)
    assert len(forecast) == 12 * 14 and (forecast["mean"] >= 0).all()
    assert np.isfinite(forecast[["mean", "p10", "p90"]].to_numpy()).all()
    local = GlobalNeuralForecaster(seed=0, **SMALL).fit(sales).predict(14)
    # Data-parallel training sees other windows: not bit-equal, the same level of demand.
    ratio = forecast["mean"].sum() / local["mean"].sum()
    assert 0.7 < ratio < 1.4, ratio


@pytest.mark.slow
def test_engine_ray_with_the_neural_model_trains_it_on_the_cluster(ray_cluster, monkeypatch):  # noqa: F811
    class SmallNeural(GlobalNeuralForecaster):  # local: Ray pickles it by value
        def __init__(self, seed: int = 0) -> None:
            super().__init__(seed=seed, **SMALL)

    monkeypatch.setitem(registry.MODELS, "neural", SmallNeural)
    sales = make_sales(10, 150, seed=4)
    runner = make_runner("ray", ray_address=ray_cluster)
    trainers_called: list[str] = []
    train = runner.trainers["neural"]
    runner.trainers["neural"] = lambda factory: trainers_called.append("fit") or train(factory)
    run = run_forecast(sales, ForecastOptions(model="neural", folds=1, horizon=14,
                                              runner=runner))
    assert set(run.forecasts["model"]) == {"neural"}
    assert run.forecasts["sku"].nunique() == 10 and (run.forecasts["mean"] >= 0).all()
    assert "neural" in set(run.backtest["model"])
    assert len(trainers_called) >= 2  # the backtest fold and the final fit, both on Ray Train
