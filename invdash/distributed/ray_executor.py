"""``RayExecutor``: each partition of a forecast run as one Ray task on a Ray cluster.

- ``ray.init(address=...)`` joins an existing cluster (``ray start --head`` on one machine,
  ``ray start --address HEAD:PORT`` on the others). Only the driver (the machine running
  ``invdash``) reads the DuckDB file; partitions travel to the workers through Ray's object
  store and results come back the same way, so workers need no shared disk, only the same
  ``invdash`` and Python packages installed.
- Tasks ask for one CPU each and are spread over the nodes (``SPREAD``); each task reports
  the node it ran on (``nodes_used``), which the tests use to check both nodes worked.
- Ray's own log lines stay off the driver's stderr (``log_to_driver=False``, warnings only).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from invdash.schema import ConfigError

__all__ = ["RayExecutor", "join_cluster"]

Progress = Callable[[int, int, str], None]


def join_cluster(ray: Any, address: str | None) -> None:
    """Connect this process to the cluster at ``address`` once (Ray's logs off stderr).

    Raises:
        ConfigError: the cluster cannot be reached, with how to start one.
    """
    if ray.is_initialized():
        return
    try:
        ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING,
                 include_dashboard=False)
    except (ConnectionError, ValueError, RuntimeError) as err:
        raise ConfigError(
            f"cannot reach the Ray cluster at {address or 'the default address'} "
            f"({str(err).splitlines()[0][:200]}); start one with `ray start --head` "
            "or pass --ray-address HOST:PORT of its head."
        ) from err


def _on_node(fn: Callable, args: tuple, kwargs: dict) -> tuple[Any, str]:
    import ray

    return fn(*args, **kwargs), ray.get_runtime_context().get_node_id()


class RayExecutor:
    """Runs partitions as Ray tasks.

    Args:
        address: the cluster's head ``HOST:PORT`` (None: Ray's default, ``RAY_ADDRESS`` or a
            cluster on this machine).
        cpus_per_task: CPUs each task reserves.
    """

    def __init__(self, address: str | None = None, *, cpus_per_task: float = 1.0) -> None:
        try:
            import ray
        except ImportError as err:  # pragma: no cover - depends on the install
            raise ConfigError(
                "--engine ray needs the distributed extra: pip install 'invdash[distributed]'."
            ) from err
        self._ray = ray
        self.cpus_per_task = cpus_per_task
        self.nodes_used: set[str] = set()
        join_cluster(ray, address)
        self._remote = ray.remote(num_cpus=cpus_per_task, scheduling_strategy="SPREAD")(_on_node)

    def workers(self) -> int:
        """Tasks the cluster can run at once."""
        cpus = self._ray.cluster_resources().get("CPU", 1.0)
        return max(1, int(cpus // self.cpus_per_task))

    def map(self, fn: Callable, calls: Sequence[tuple[tuple, dict]], *, label: str,
            progress: Progress | None) -> list[Any]:
        """Submit every call, wait for all; results in call order."""
        ray = self._ray
        refs = [self._remote.remote(fn, args, kwargs) for args, kwargs in calls]
        pending, done = list(refs), 0
        while pending:
            finished, pending = ray.wait(pending, num_returns=1)
            done += len(finished)
            if progress is not None:
                progress(done, len(refs), f"{label}: {done}/{len(refs)} partitions on Ray")
        results = ray.get(refs)
        self.nodes_used |= {node for _, node in results}
        return [value for value, _ in results]

    def shutdown(self) -> None:
        """Disconnect this process from the cluster (the cluster keeps running)."""
        self._ray.shutdown()
