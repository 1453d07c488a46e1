"""Run the per-SKU steps of a forecast run on SKU partitions: in this process or on Ray.

- ``partition``: split a panel into SKU partitions that carry the shop's pooled calendar, and
  merge the partitions' backtests and forecasts back in panel order (pure, no Ray).
- ``runner``: ``PartitionRunner``, the ``runner`` of ``forecast.engine.run_forecast``; it maps
  ``backtest_panel`` and ``fit_and_assemble`` over partitions with an executor:
  ``LocalExecutor`` (in this process) or ``ray_executor.RayExecutor`` (Ray tasks).
- ``ray_executor``: connects to a Ray cluster; imports ``ray`` only when used (the optional
  extra ``invdash[distributed]``).
"""

from invdash.distributed.partition import merge_backtests, split_panel
from invdash.distributed.runner import LocalExecutor, PartitionRunner, make_executor, make_runner

__all__ = [
    "split_panel", "merge_backtests", "PartitionRunner", "LocalExecutor", "make_runner",
    "make_executor",
]
