"""SHAP explanations on the dashboard: the SKU Explorer explains the forecast it shows with two
waterfalls and a plain-language line; Model Quality ranks the drivers across SKUs."""

from __future__ import annotations

import json

import pytest
from app_session import open_app_page
from streamlit.testing.v1 import AppTest

from invdash.explain import DRIVERS


def _waterfalls(at: AppTest) -> list[dict]:
    figures = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    return [f for f in figures if f["data"] and f["data"][0].get("type") == "waterfall"]


def test_the_sku_explorer_explains_the_forecast_it_shows(db):  # noqa: ARG001
    at = open_app_page("pages/sku_explorer.py")
    at.button(key="sku_explorer_forecast_one").click().run()
    assert not at.exception

    assert any(h.value == "Why this forecast" for h in at.subheader)
    assert any(m.value.startswith("Forecast over the horizon:") for m in at.markdown)
    day_chart, total_chart = _waterfalls(at)
    trace = total_chart["data"][0]
    assert trace["x"] == ["history average", *DRIVERS, "forecast"]
    base, *contributions, forecast = trace["y"]
    assert base + sum(contributions) == pytest.approx(forecast, abs=1e-3 * max(1, forecast))
    assert day_chart["data"][0]["measure"][-1] == "total"


def test_model_quality_ranks_the_drivers_across_skus(db):  # noqa: ARG001
    at = open_app_page("pages/sku_explorer.py")
    at.selectbox(key="sku_explorer_model").set_value("ets")
    at.button(key="sku_explorer_run_all").click().run()
    assert not at.exception

    at.switch_page("pages/model_quality.py").run()
    at.button(key="model_quality_importance").click().run()
    assert not at.exception
    bars = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    importance = [f for f in bars if f["layout"].get("title", {}).get("text") == "All SKUs"]
    assert importance and set(importance[0]["data"][0]["y"]) == set(DRIVERS)


def test_a_global_model_forecast_also_shows_its_own_inputs(db):  # noqa: ARG001
    at = open_app_page("pages/sku_explorer.py")
    at.selectbox(key="sku_explorer_model").set_value("lgbm")
    at.button(key="sku_explorer_forecast_one").click().run()
    assert not at.exception
    assert any("global model's own inputs" in m.value for m in at.markdown)
    table = next(d.value for d in at.dataframe if "Effect" in d.value.columns)
    assert len(table) > 0 and table["Effect"].str.startswith("x").all()
    _, total_chart = _waterfalls(at)
    base, *contributions, forecast = total_chart["data"][0]["y"]
    assert base + sum(contributions) == pytest.approx(forecast, abs=1e-3 * max(1, forecast))


def test_a_stored_run_opens_without_explaining_and_explains_on_the_toggle(
    forecast_db_copy, use_database, monkeypatch
):
    """The first open shows the stored forecast at once and builds no explainer (that took 24 of
    the 25 s of the page's first open on a 200-SKU shop); the toggle explains it."""
    from invdash.explain import stored as explain_stored

    built = []
    real = explain_stored.explainer_for_run

    def spy(conn, run_key, scope_sku, *, run):
        built.append(run_key)
        return real(conn, run_key, scope_sku, run=run)

    monkeypatch.setattr(explain_stored, "explainer_for_run", spy)
    use_database(forecast_db_copy)
    at = open_app_page("pages/sku_explorer.py")
    assert _waterfalls(at) == [] and built == []
    assert not any(h.value == "Why this forecast" for h in at.subheader)
    assert any(h.value == "Model" for h in at.subheader)  # the stored forecast is shown

    at.toggle(key="sku_explorer_explain").set_value(True).run()
    assert not at.exception
    assert len(built) == 1 and any(h.value == "Why this forecast" for h in at.subheader)
    assert len(_waterfalls(at)) == 2
