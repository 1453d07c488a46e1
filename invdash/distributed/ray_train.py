"""Ray Train for the global neural model: data-parallel training on the workers of a Ray cluster.

``RayTrainedNeural(model, address=..., workers=...)`` is a forecaster that trains ``model`` (a
``GlobalNeuralForecaster``, unfitted) with ``ray.train.torch.TorchTrainer`` and then forecasts
on the driver exactly as the plain model does:

- **Workers and devices.** One worker per GPU when the cluster has GPUs (``use_gpu``), else one
  per CPU up to ``workers`` (default 2). Each worker takes its device from Ray Train
  (``ray.train.torch.get_device``: its GPU, or the CPU) and the network is wrapped by
  ``prepare_model`` (DistributedDataParallel: gradients are averaged at every step; gloo on CPU,
  nccl on GPU).
- **Data.** The driver (the machine that reads DuckDB) puts the sales and product frames in
  Ray's object store; every worker builds the same panel from them
  (``GlobalNeuralForecaster.training_data``) and draws its own share of the training windows
  (``train_net(rank=, world=)``: ``windows / world`` per epoch and ``batch / world`` per step, so
  the workers together take the steps one process would). Workers need no disk of the driver's.
- **Weights back.** Rank 0 sends the trained weights (CPU tensors) and every worker its loss and
  node to a small mailbox actor that the driver owns; no checkpoint is written, so the nodes
  need no shared storage. Ray Train's own run folder is a temporary folder on the driver.
- **After training** the driver builds the network on its own device (``runtime.device``),
  loads the weights and keeps them (``adopt``): ``predict`` is the plain model's.

Training is data-parallel and the workers' windows differ from one process's, so the forecasts
are not bit-equal to a local fit; they are the same model trained on the same data (the tests
check the fit ran on both nodes of a real cluster and forecasts as well as a local fit).
"""

from __future__ import annotations

import tempfile
import time
from typing import Any

import pandas as pd

from invdash.distributed.ray_executor import join_cluster
from invdash.forecast.models.neural import GlobalNeuralForecaster
from invdash.schema import ConfigError

__all__ = ["RayTrainedNeural", "train_workers"]

_DEFAULT_CPU_WORKERS = 2


def train_workers(resources: dict[str, float], wanted: int | None = None) -> tuple[int, bool]:
    """``(workers, use_gpu)`` for a cluster's resources: one worker per GPU when it has GPUs,
    else one per CPU, at most ``wanted`` (default 2 on CPUs, every GPU)."""
    gpus, cpus = int(resources.get("GPU", 0)), int(resources.get("CPU", 1))
    if gpus > 0:
        return max(1, min(gpus, wanted or gpus)), True
    return max(1, min(cpus, wanted or _DEFAULT_CPU_WORKERS)), False


def _train_loop(config: dict[str, Any]) -> None:
    """One Ray Train worker: its share of the windows on its device (module docstring)."""
    import ray
    import ray.train
    import ray.train.torch

    context = ray.train.get_context()
    rank, world = context.get_world_rank(), context.get_world_size()
    model: GlobalNeuralForecaster = config["model"]
    sales, products = ray.get(config["sales"]), ray.get(config["products"])
    device = ray.train.torch.get_device()
    data = model.training_data(sales, products, device)
    net = model.new_net(device)
    wrapped = ray.train.torch.prepare_model(net)
    losses = model.train_net(wrapped, data, rank=rank, world=world)
    mailbox = config["mailbox"]
    node = ray.get_runtime_context().get_node_id()
    ray.get(mailbox.put.remote(f"worker{rank}", {"node": node, "losses": losses,
                                                 "device": str(device)}))
    if rank == 0:
        state = {key: value.detach().cpu() for key, value in net.state_dict().items()}
        ray.get(mailbox.put.remote("state", state))


class _Mailbox:
    """What the workers send back (a Ray actor owned by the driver)."""

    def __init__(self) -> None:
        self.items: dict[str, Any] = {}

    def put(self, key: str, value: Any) -> None:
        self.items[key] = value

    def get(self) -> dict[str, Any]:
        return self.items


class RayTrainedNeural:
    """A ``GlobalNeuralForecaster`` trained with Ray Train (module docstring).

    Args:
        model: the unfitted neural model (its hyper-parameters and seed).
        address: the cluster's head ``HOST:PORT`` (None: Ray's default).
        workers: at most this many training workers (None: every GPU, or 2 CPUs).

    Attributes (after ``fit``):
        model_: the fitted ``GlobalNeuralForecaster`` (its ``predict`` is used).
        workers_: per worker ``{"node", "losses", "device"}``, by rank.
    """

    name = "neural"

    def __init__(self, model: GlobalNeuralForecaster, *, address: str | None = None,
                 workers: int | None = None) -> None:
        self.model = model
        self.address = address
        self.workers = workers

    def fit(self, sales: pd.DataFrame, *, products: pd.DataFrame | None = None
            ) -> RayTrainedNeural:
        """Train on the cluster, then keep the weights on the driver.

        Raises:
            ConfigError: Ray (with Ray Train) is not installed or the cluster cannot be reached.
        """
        ray, trainer_cls, scaling_cls, run_cls = _ray_train()
        join_cluster(ray, self.address)
        started = time.perf_counter()
        workers, use_gpu = train_workers(ray.cluster_resources(), self.workers)
        mailbox = ray.remote(num_cpus=0)(_Mailbox).remote()
        config = {"model": self.model, "sales": ray.put(sales), "products": ray.put(products),
                  "mailbox": mailbox}
        with tempfile.TemporaryDirectory(prefix="invdash-train-") as folder:
            trainer_cls(
                _train_loop, train_loop_config=config,
                scaling_config=scaling_cls(num_workers=workers, use_gpu=use_gpu),
                run_config=run_cls(storage_path=folder, name="neural"),
            ).fit()
        sent = ray.get(mailbox.get.remote())
        ray.kill(mailbox)
        self.workers_ = [sent[f"worker{rank}"] for rank in range(workers)]
        self.model_ = self._adopt(sent["state"], sales, products, started)
        self.model_.train_loss_ = self.workers_[0]["losses"]
        return self

    def _adopt(self, state: dict[str, Any], sales: pd.DataFrame,
               products: pd.DataFrame | None, started: float) -> GlobalNeuralForecaster:
        from invdash.runtime.device import torch_device

        model = self.model
        data = model.training_data(sales, products, torch_device())
        net = model.new_net(data.device)
        net.load_state_dict(state)
        return model.adopt(net, data, started)

    def predict(self, h: int, *, future: pd.DataFrame | None = None) -> pd.DataFrame:
        """The fitted model's forecast (``GlobalNeuralForecaster.predict``)."""
        if not hasattr(self, "model_"):
            raise ConfigError("RayTrainedNeural is not fitted; call fit first.")
        return self.model_.predict(h, future=future)


def _ray_train() -> tuple[Any, Any, Any, Any]:
    try:
        import ray
        from ray.train import RunConfig, ScalingConfig
        from ray.train.torch import TorchTrainer
    except ImportError as err:  # pragma: no cover - depends on the install
        raise ConfigError(
            "--engine ray needs the distributed extra: pip install 'invdash[distributed]'."
        ) from err
    return ray, TorchTrainer, ScalingConfig, RunConfig
