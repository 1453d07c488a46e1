"""Policy Replay page: set the form, run the replay, see both policies' metrics and the chart.

Runs on a copy of the small demo shop (``demo_db_copy``, 60 SKUs x 400 days) with a short replay
(14 days, weekly reviews, the fast "ma" model) so the page answers in a few seconds.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest

from invdash import store

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGE = "pages/replay.py"


def _last_sales_day(db: Path):
    conn = store.connect_read_only(db)
    try:
        return store.read_table(conn, "sales")["date"].max()
    finally:
        conn.close()


def _open() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def test_page_asks_for_a_run_before_showing_results(db):  # noqa: ARG001 - sets INVDASH_DB
    at = _open()
    assert any("Run replay" in info.value for info in at.info)
    assert not at.metric


def test_replay_shows_both_policies_metrics_and_the_stock_chart(db):
    at = _open()
    start = (_last_sales_day(db) - pd.Timedelta(days=40)).date()
    at.date_input(key="replay_start").set_value(start)
    at.number_input(key="replay_days").set_value(14)
    at.slider(key="replay_service_level").set_value(0.9)
    at.checkbox(key="replay_own_lead").set_value(False)
    at.number_input(key="replay_lead_time").set_value(5)
    at.number_input(key="replay_review_days").set_value(7)
    at.selectbox(key="replay_model").set_value("ma")  # fast; auto is exercised by the CLI test
    at.button(key="replay_run").click()
    at.run()
    assert not at.exception
    assert not at.error
    labels = [metric.label for metric in at.metric]
    assert labels.count("Fill rate") == 2
    assert labels.count("Mean stock on hand (units per SKU-day)") == 2
    fill_rates = [m.value for m in at.metric if m.label == "Fill rate"]
    assert all(value.endswith("%") for value in fill_rates)
    markdown = " ".join(md.value for md in at.markdown)
    assert "invdash" in markdown and "Textbook" in markdown
    assert at.selectbox(key="replay_sku").options
    assert len(at.get("plotly_chart")) == 1


def test_start_without_enough_history_shows_an_error(db):
    at = _open()
    conn = store.connect_read_only(db)
    try:
        first = store.read_table(conn, "sales")["date"].min()
    finally:
        conn.close()
    at.date_input(key="replay_start").set_value(first.date())
    at.number_input(key="replay_days").set_value(14)
    at.button(key="replay_run").click()
    at.run()
    assert not at.exception
    assert any("days of sales before start" in err.value for err in at.error)


def test_the_first_replay_reports_each_forecast_on_the_progress_bar(db, monkeypatch):
    from invdash.ui import replay_views

    shown: list[tuple[float, str]] = []
    real = replay_views.progress_reporter

    def recording(bar):
        report = real(bar)  # the page's st.progress bar still moves

        def both(fraction: float, message: str) -> None:
            shown.append((fraction, message))
            report(fraction, message)

        return both

    monkeypatch.setattr(replay_views, "progress_reporter", recording)
    at = _open()
    start = (_last_sales_day(db) - pd.Timedelta(days=30)).date()
    at.date_input(key="replay_start").set_value(start)
    at.number_input(key="replay_days").set_value(14)
    at.checkbox(key="replay_own_lead").set_value(False)
    at.number_input(key="replay_lead_time").set_value(5)
    at.selectbox(key="replay_model").set_value("ma")
    at.button(key="replay_run").click()
    at.run()
    assert not at.exception and not at.error
    forecasts = [m for _, m in shown if m.startswith("invdash forecasts: forecast ")]
    assert len(forecasts) >= 3 and forecasts[0].startswith("invdash forecasts: forecast 1/")
    assert "choosing models" in forecasts[0]
    fractions = [f for f, _ in shown]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert fractions[len(forecasts) - 1] < 0.95, "the forecasts fill the bar up to the replay"
