"""``forecast.names.MODEL_NAMES`` (the pickers' names without the models) is the registry's
list of models, in its order, and importing it loads no model."""

from __future__ import annotations

from invdash.forecast import registry
from invdash.forecast.names import MODEL_NAMES


def test_the_names_are_the_registrys_models_in_order():
    assert MODEL_NAMES == tuple(registry.MODELS)
    assert registry.available_models() == ["auto", *MODEL_NAMES]


def test_the_names_import_no_model(loaded_after):
    heavy = ("invdash.forecast.registry", "invdash.forecast.panel", "scipy")
    assert loaded_after("import invdash.forecast.names", heavy) == []
