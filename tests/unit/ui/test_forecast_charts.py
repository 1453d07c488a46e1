"""Chart builders and frame helpers of the forecasting pages, on hand-made frames.

The run used here is a real ``ForecastRun`` built by hand: one SKU ``A-1`` (smooth demand, chosen
model ``ets``) and one SKU ``B-2`` (lumpy, chosen ``tsb``), two forecast days each, and a
backtest of three models over the two demand classes.
"""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from invdash.forecast.results import ForecastRun
from invdash.ui import forecast_views as views
from invdash.ui import upload_views as uploads
from invdash.ui.charts import forecast as charts


def _forecasts(sku: str, level: float) -> pd.DataFrame:
    dates = pd.date_range("2024-04-01", periods=2, freq="D")
    return pd.DataFrame(
        {
            "sku": sku,
            "date": dates,
            "model": "ets",
            "mean": level,
            "p05": level - 3,
            "p10": level - 2,
            "p25": level - 1,
            "p50": level,
            "p75": level + 1,
            "p90": level + 2,
            "p95": level + 3,
            "p99": level + 4,
        }
    )


@pytest.fixture
def run() -> ForecastRun:
    forecasts = pd.concat([_forecasts("A-1", 5.0), _forecasts("B-2", 3.0)], ignore_index=True)
    choices = pd.DataFrame(
        {
            "sku": ["A-1", "B-2"],
            "model": ["ets", "tsb"],
            "demand_class": ["smooth", "lumpy"],
            "reason": ["lowest RMSSE", "lowest RMSSE"],
            "score": [0.7, 0.9],
        }
    )
    backtest = pd.DataFrame(
        {
            "model": ["ets", "naive", "tsb", "ets", "naive", "tsb"],
            "demand_class": ["smooth"] * 3 + ["lumpy"] * 3,
            "n_skus": [1] * 6,
            "mase": [0.8, 1.0, 0.9, 1.3, 1.5, 1.1],
            "rmsse": [0.7, 1.0, 0.8, 1.2, 1.4, 0.9],
            "wape": [0.3, 0.4, 0.35, 0.9, 1.0, 0.8],
            "bias": [0.0, 0.1, -0.1, 0.2, 0.3, 0.1],
            "spl": [0.5, 0.6, 0.55, 0.9, 1.0, 0.8],
            "coverage80": [0.81, 0.7, 0.78, 0.75, 0.6, 0.79],
        }
    )
    return ForecastRun(
        forecasts=forecasts,
        choices=choices,
        backtest=backtest,
        device="cpu",
        duration_s=1.5,
        horizon=2,
        model_param="auto",
    )


@pytest.fixture
def history() -> pd.DataFrame:
    dates = pd.date_range("2023-01-01", "2024-03-31", freq="D")
    return pd.DataFrame({"sku": "A-1", "date": dates, "qty": 5.0})


def test_fan_chart_draws_history_band_median_and_mean(history, run):
    figure = charts.fan_chart(history, views.sku_forecasts(run, "A-1"), title="A-1")

    names = [trace.name for trace in figure.data]
    assert names == ["History", "P10", "P10-P90", "P50", "Forecast (mean)"]
    band = figure.data[2]
    assert band.fill == "tonexty"  # filled down to the P10 trace: the p10-p90 fan
    assert list(figure.data[1].y) == [3.0, 3.0] and list(band.y) == [7.0, 7.0]
    assert figure.layout.title.text == "A-1"


def test_fan_chart_shows_only_recent_history(history):
    figure = charts.fan_chart(history, pd.DataFrame(), history_days=30)

    assert len(figure.data) == 1
    assert len(figure.data[0].x) == 30
    assert pd.Timestamp(figure.data[0].x[-1]) == pd.Timestamp("2024-03-31")


def test_accuracy_chart_has_one_bar_group_per_demand_class(run):
    figure = charts.accuracy_chart(run.backtest, metric="rmsse")

    assert sorted(trace.name for trace in figure.data) == ["lumpy", "smooth"]
    smooth = next(trace for trace in figure.data if trace.name == "smooth")
    assert list(smooth.x) == ["ets", "naive", "tsb"] and list(smooth.y) == [0.7, 1.0, 0.8]
    assert figure.layout.barmode == "group"


def test_accuracy_chart_without_demand_class_or_data():
    backtest = pd.DataFrame({"model": ["ets", "naive"], "rmsse": [0.7, 1.0]})

    assert [trace.name for trace in charts.accuracy_chart(backtest).data] == ["all"]
    assert len(charts.accuracy_chart(backtest.iloc[0:0]).data) == 0
    assert len(charts.accuracy_chart(backtest, metric="spl").data) == 0


def test_sku_accuracy_compares_models_on_the_skus_demand_class(run):
    table = views.sku_accuracy(run, "B-2")

    assert table["model"].tolist() == ["tsb", "ets", "naive"]  # best RMSSE first
    assert table["chosen"].tolist() == [True, False, False]
    assert table["rmsse"].tolist() == [0.9, 1.2, 1.4]
    assert list(table.columns) == ["model", "chosen", *views.METRICS]


def test_sku_accuracy_and_choice_are_empty_for_an_unknown_sku(run):
    assert views.chosen_model(run, "Z-9") is None
    assert views.chosen_model(None, "A-1") is None
    assert views.sku_accuracy(run, "Z-9").empty
    assert views.sku_forecasts(None, "A-1").empty


def test_chosen_model_reports_model_class_and_reason(run):
    choice = views.chosen_model(run, "A-1")

    assert choice["model"] == "ets" and choice["demand_class"] == "smooth"
    assert choice["reason"] == "lowest RMSSE"


def test_backtest_table_sorts_by_class_then_accuracy(run):
    table = views.backtest_table(run)

    assert table["demand_class"].tolist() == ["lumpy"] * 3 + ["smooth"] * 3
    assert table["model"].tolist()[:3] == ["tsb", "ets", "naive"]
    assert views.backtest_table(None).empty


def test_forecast_csv_has_the_cli_columns_and_plain_dates(run):
    before = run.forecasts.copy()
    text = uploads.forecast_csv(run.forecasts).decode("utf-8").splitlines()

    assert text[0] == "sku,date,model,mean,p10,p50,p90"
    assert text[1] == "A-1,2024-04-01,ets,5.0,3.0,5.0,7.0"
    assert len(text) == 1 + len(run.forecasts)
    pd.testing.assert_frame_equal(run.forecasts, before)  # input not mutated


def test_sku_picker_labels_and_default():
    catalog = pd.DataFrame(
        {"sku": ["B-2", "A-1", "C-3"], "qty": [90.0, 40.0, 0.0], "name": ["Blue mug", None, "Cup"]}
    )
    format_sku = views.sku_formatter(catalog)

    assert format_sku("B-2") == "B-2 — Blue mug"
    assert format_sku("A-1") == "A-1"  # no product name: the SKU alone
    assert views.default_sku(catalog, "C-3") == 2
    assert views.default_sku(catalog, None) == 0  # the top seller
    assert views.default_sku(catalog, "gone") == 0


def test_progress_reporter_drives_a_bar_between_zero_and_one():
    calls = []
    bar = SimpleNamespace(progress=lambda value, text=None: calls.append((value, text)))
    report = views.progress_reporter(bar)

    report(0, 4, "starting")
    report(2, 4, "half")
    report(5, 4, "")
    report(0, 0, "nothing to do")
    assert calls == [(0.0, "starting"), (0.5, "half"), (1.0, None), (1.0, "nothing to do")]


def test_choice_summary_counts_skus_per_model_and_class(run):
    summary = views.choice_summary(run)

    assert summary.to_dict("records") == [
        {"model": "ets", "demand_class": "smooth", "n_skus": 1},
        {"model": "tsb", "demand_class": "lumpy", "n_skus": 1},
    ]
    assert views.choice_summary(None).empty


def test_sku_accuracy_marks_every_member_of_a_chosen_combination(run):
    run.choices.loc[run.choices["sku"] == "A-1", "model"] = "ens(ets+tsb)"

    table = views.sku_accuracy(run, "A-1")

    assert dict(zip(table["model"], table["chosen"], strict=True)) == {
        "ets": True,
        "tsb": True,
        "naive": False,
    }


@pytest.mark.parametrize(("freq", "periods"), [("W-MON", 30), ("MS", 30)])
def test_the_fan_chart_draws_history_and_forecast_on_the_forecast_grain(freq, periods):
    anchors = pd.date_range("2022-01-03" if freq == "W-MON" else "2022-01-01", periods=periods,
                            freq=freq)
    days = pd.date_range(anchors[0], anchors[-1])
    # As the store returns a weekly or monthly file: its rows, zeros on the days between.
    history = pd.DataFrame({"date": days, "qty": 0.0})
    history.loc[history["date"].isin(anchors), "qty"] = 70.0
    future = pd.date_range(anchors[-1], periods=4, freq=freq)[1:]
    forecasts = _forecasts("A-1", 65.0).iloc[[0, 1, 1]].assign(date=future)
    figure = charts.fan_chart(history, forecasts)
    drawn = next(t for t in figure.data if t.name == "History")
    x = pd.DatetimeIndex(drawn.x)
    assert x.isin(anchors).all() and len(x) >= 12
    assert (pd.Series(drawn.y) == 70.0).all()
    mean = next(t for t in figure.data if t.name not in ("History",) and t.line.width == 2)
    assert pd.DatetimeIndex(mean.x).equals(future)


def test_a_daily_history_stays_daily():
    history = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=300), "qty": 3.0})
    recent, grain = charts.history_at_grain(history, _forecasts("A-1", 5.0))
    assert grain.kind == "D" and len(recent) == 180
