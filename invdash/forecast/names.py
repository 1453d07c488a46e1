"""The forecast models' ``--model`` names, without importing the models.

The SKU Explorer's model picker needs only the names; ``forecast.registry`` imports every model
module (the panel, the gamma maths, scipy.special) to register their classes, which was a
second of the page's first open on a loaded server. ``tests/unit/forecast/test_model_names.py``
pins ``MODEL_NAMES`` to the registry's ``MODELS``, in its order.
"""

from __future__ import annotations

__all__ = ["MODEL_NAMES"]

#: ``forecast.registry.MODELS``' names, in its order.
MODEL_NAMES = (
    "naive", "ma", "ma_trend", "ets", "holt", "arima", "croston", "sba", "tsb", "lgbm", "hw",
    "neural", "coldstart",
)  # fmt: skip
