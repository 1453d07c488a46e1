"""Alerts on the shop's one "as of" day, the filters of the Alerts page, and overstock cover
that says "no demand" instead of a 28-digit number of days."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from invdash import alerts, store
from invdash.schema import QUANTILE_COLUMNS, InvalidDataError
from invdash.store import app_settings
from invdash.store import reorder as reorder_store

LAST_SALE = pd.Timestamp("2025-10-31")


def _forecasts(skus: list[str], mean: float = 2.0) -> pd.DataFrame:
    days = pd.date_range(LAST_SALE + pd.Timedelta(days=1), periods=14)
    levels = dict.fromkeys(QUANTILE_COLUMNS, mean)
    return pd.DataFrame(
        [{"sku": s, "date": d, "model": "hand", "mean": mean, **levels} for s in skus for d in days]
    )


def _policy(skus: list[str], **columns) -> pd.DataFrame:
    base = {
        "stockout_probability": 0.0, "expected_short_units": 0.0, "lead_time_days": 7.0,
        "on_hand": 10.0, "stockout_date": pd.NaT, "excess_units": 0.0, "excess_value": 0.0,
        "order_up_to": 20.0, "days_of_cover": 5.0, "demand_daily_mean": 2.0,
    }  # fmt: skip
    return pd.DataFrame({"sku": skus, **{k: columns.get(k, v) for k, v in base.items()}})


@pytest.fixture
def shop(tmp_path, monkeypatch):
    monkeypatch.delenv("INVDASH_AS_OF", raising=False)
    conn = store.connect(tmp_path / "shop.duckdb")
    days = pd.date_range(end=LAST_SALE, periods=30)
    with store.transaction(conn):
        store.upsert_frame(
            conn,
            "products",
            pd.DataFrame({"sku": ["A-1", "A-10"], "name": ["x", "y"], "category": ["K", "K"]}),
        )
        store.upsert_frame(
            conn,
            "sales",
            pd.DataFrame(
                [
                    {"sku": s, "date": d, "qty": 2.0, "price": 1.0, "promo": 0.0}
                    for s in ("A-1", "A-10")
                    for d in days
                ]
            ),
        )
        store.upsert_frame(conn, "inventory", pd.DataFrame(
            {"sku": ["A-1", "A-10"], "as_of": [LAST_SALE] * 2, "on_hand": [10.0, 10.0]}
        ))  # fmt: skip
    yield conn
    conn.close()


def test_as_of_is_the_data_last_date_unless_set(shop, monkeypatch):
    assert app_settings.as_of(shop) == LAST_SALE
    with store.transaction(shop):
        app_settings.set_as_of(shop, "2025-11-15", user="ann")
    assert app_settings.as_of(shop) == pd.Timestamp("2025-11-15")
    monkeypatch.setenv("INVDASH_AS_OF", "2025-12-01")
    assert app_settings.as_of(shop) == pd.Timestamp("2025-12-01"), "the setting in config wins"
    monkeypatch.setenv("INVDASH_AS_OF", "someday")
    with pytest.raises(InvalidDataError, match="INVDASH_AS_OF must be a date"):
        app_settings.as_of(shop)


def test_stale_data_and_snoozes_use_the_as_of_day_not_the_clock(shop):
    table, forecasts = _policy(["A-1", "A-10"]), _forecasts(["A-1", "A-10"])
    found = alerts.alerts_for_run(shop, table, forecasts)
    assert not (found["sku"] == "*").any(), "on the data's own last day nothing is stale"
    with store.transaction(shop):
        reorder_store.set_alert_state(
            shop, ["demand_shift:A-1", "stale_data:*"], status="snoozed", user="ann",
            snooze_until=pd.Timestamp("2025-11-20"),
        )  # fmt: skip
        app_settings.set_as_of(shop, "2025-11-30", user="ann")
    later = alerts.alerts_for_run(shop, table, forecasts).set_index("alert_key")
    assert "more than 7 days before 2025-11-30" in later.loc["stale_data:*", "reason"]
    assert later.loc["stale_data:*", "status"] == "open", "the snooze ran out by the as-of day"
    assert alerts.snooze_until(shop, days=7) == pd.Timestamp("2025-12-07")


def _table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "alert_key": ["overstock:A-1", "overstock:A-10", "demand_shift:A-1x"],
            "type": ["overstock", "overstock", "demand_shift"],
            "sku": ["A-1", "A-10", "A-1x"],
            "category": ["K", "K", "B"],
            "status": ["open", "snoozed", "acknowledged"],
        }
    )


def test_status_all_without_other_filters_keeps_every_alert():
    assert len(alerts.filter_alerts(_table(), status="all")) == 3
    assert alerts.filter_alerts(_table(), status="snoozed")["sku"].tolist() == ["A-10"]
    with pytest.raises(InvalidDataError, match="status must be one of"):
        alerts.filter_alerts(_table(), status="closed")


def test_choosing_a_sku_selects_that_sku_only():
    assert alerts.filter_alerts(_table(), sku="A-1")["alert_key"].tolist() == ["overstock:A-1"]
    both = alerts.filter_alerts(_table(), types=["overstock"], categories=["K"], sku=" A-10 ")
    assert both["sku"].tolist() == ["A-10"]


def test_overstock_cover_says_no_demand_for_a_vanishing_forecast():
    table = _policy(
        ["A-1", "A-10"], excess_units=[50.0, 50.0], excess_value=[100.0, 100.0],
        on_hand=[80.0, 80.0], demand_daily_mean=[2.6e-26, 0.01], days_of_cover=[3.1e27, 8000.0],
    )  # fmt: skip
    found = alerts.compute_alerts(
        table, sales=pd.DataFrame({"sku": ["A-1"], "date": [LAST_SALE], "qty": [0.0]}),
        forecasts=_forecasts(["A-1", "A-10"], mean=0.01),
        products=pd.DataFrame({"sku": ["A-1", "A-10"], "unit_cost": [2.0, 2.0]}),
        on_hand=pd.DataFrame({"sku": ["A-1", "A-10"], "on_hand": [80.0, 80.0]}), today=LAST_SALE,
    ).set_index("alert_key")  # fmt: skip
    assert found.loc["overstock:A-1", "reason"].endswith("no forecast demand")
    assert found.loc["overstock:A-10", "reason"].endswith("more than 10 years of cover")
    assert not any(len(n) > 6 for r in found["reason"] for n in re.findall(r"\d+", r))
    assert np.isfinite(found["money_at_risk"]).all()
