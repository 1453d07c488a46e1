"""The SKU Explorer's views import neither the forecast engine nor the explainer nor scipy.stats
(branch h-pages3): a stored run is read and its projected stock drawn without them; they load
when a forecast is run or an explanation asked for. At 100,000 SKUs under load those imports
were 5-6 of the page's 7 s first open."""

from __future__ import annotations

HEAVY = (
    "scipy.stats", "shap", "invdash.explain", "invdash.forecast.engine",
    "invdash.forecast.chunked", "invdash.forecast.registry", "invdash.forecast.panel",
)  # fmt: skip
PAGE_VIEWS = (
    "from invdash.ui import explain_views, forecast_views, paging, stock_views\n"
    "from invdash.ui.charts import forecast\n"
    "from invdash.forecast import stored\n"
)


def test_the_sku_explorer_views_import_no_engine_explainer_or_scipy_stats(loaded_after):
    assert loaded_after(PAGE_VIEWS, HEAVY) == []


def test_the_probe_sees_the_engine_and_explainer_once_used(loaded_after):
    code = "import invdash.explain.stored\nimport invdash.forecast.engine\nimport scipy.stats\n"
    unused = {"shap", "invdash.forecast.chunked"}
    assert loaded_after(code, HEAVY) == sorted(set(HEAVY) - unused)
