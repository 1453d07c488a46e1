"""Two dashboard sessions on one database do not see each other's picks or on-demand forecasts.

Each ``AppTest`` is its own session (its own ``st.session_state``) in this process, sharing the
process-wide ``st.cache_data`` / ``st.cache_resource`` exactly as two browser tabs on one server
do. Shared caches are keyed by their inputs and hand out copies, so what one session asks for
never shows up in the other.
"""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

from invdash.ui import state

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGE = "pages/sku_explorer.py"


def _session() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def _traces(at: AppTest) -> list[str]:
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    return [trace.get("name") for trace in figure["data"]]


def _forecast(at: AppTest, model: str) -> AppTest:
    at.selectbox(key="sku_explorer_model").set_value(model)
    at.button(key="sku_explorer_forecast_one").click().run()
    assert not at.exception
    return at


def _pick(at: AppTest, sku: str) -> AppTest:
    at.selectbox(key="sku_explorer_sku").set_value(sku).run()
    assert not at.exception
    return at


def test_two_sessions_keep_their_own_picks_and_forecasts(db):  # noqa: ARG001
    one, two = _session(), _session()
    skus = one.selectbox(key="sku_explorer_sku").options
    first, second = (option.split(" — ")[0] for option in skus[1:3])

    _forecast(_pick(one, first), "naive")
    _pick(two, second)

    # the other session neither moved nor got a forecast
    assert two.selectbox(key="sku_explorer_sku").value == second
    assert _traces(two) == ["History"]
    assert two.session_state["sku_explorer_requests"] == {}
    # ... not even when it opens the SKU the first one forecast on demand
    _pick(two, first)
    assert _traces(two) == ["History"]
    assert "No forecast for this SKU yet" in two.info[0].value

    # the same SKU with another model: each session sees its own model
    _forecast(two, "ma")
    one.run()
    assert one.selectbox(key="sku_explorer_sku").value == first
    assert one.session_state[state.SELECTED_SKU] == first
    assert one.session_state["sku_explorer_requests"] == {first: ("naive", 28)}
    assert two.session_state["sku_explorer_requests"] == {first: ("ma", 28)}
    assert one.metric[0].value == "naive" and two.metric[0].value == "ma"
    assert "P50" in _traces(one) and "P50" in _traces(two)


def test_a_page_switch_keeps_each_sessions_own_pick(db):  # noqa: ARG001
    one, two = _session(), _session()
    skus = [option.split(" — ")[0] for option in one.selectbox(key="sku_explorer_sku").options]
    _pick(one, skus[3])
    _pick(two, skus[4])

    for at in (one, two):
        at.switch_page("pages/overview.py").run()
        assert not at.exception
        at.switch_page(PAGE).run()
    assert one.selectbox(key="sku_explorer_sku").value == skus[3]
    assert two.selectbox(key="sku_explorer_sku").value == skus[4]
