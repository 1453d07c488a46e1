"""The policy run, its order-by dates and the SKU projection use the shop's one as-of day
(``store.app_settings.as_of``: ``INVDASH_AS_OF``, the stored setting or the data's last date),
the day the sidebar, the alerts and the POs use, not the day before the forecast starts."""

from __future__ import annotations

import pandas as pd

from invdash import auth, reorder, store
from invdash.policy import PolicyParams
from invdash.store import app_settings


def test_a_pinned_as_of_day_dates_the_policy_run(cycle_db, monkeypatch):
    conn = store.connect(cycle_db.path)
    try:
        data_day = app_settings.as_of(conn)
        forecast_start = pd.Timestamp(conn.execute("SELECT min(date) FROM forecasts").fetchone()[0])
        assert forecast_start == data_day + pd.Timedelta(days=1)
        pinned = data_day + pd.Timedelta(days=3)
        monkeypatch.setenv("INVDASH_AS_OF", str(pinned.date()))
        run = reorder.ensure_current_policy_run(conn, PolicyParams())
        assert run.run_id != cycle_db.run_id, "another as-of day is another run"
        assert run.as_of == pinned == app_settings.as_of(conn)
        ordered = run.table[run.table["suggested_qty"] > 0]
        assert (pd.to_datetime(ordered["order_by_date"]) >= pinned).all()
        bands, _ = reorder.sku_projection(conn, str(ordered["sku"].iloc[0]))
        assert pd.to_datetime(bands["date"]).min() > pinned
    finally:
        conn.close()


def test_the_stored_as_of_setting_is_the_run_day_too(cycle_db, monkeypatch):
    monkeypatch.delenv("INVDASH_AS_OF", raising=False)
    conn = store.connect(cycle_db.path)
    try:
        pinned = app_settings.as_of(conn) + pd.Timedelta(days=2)
        with store.transaction(conn):
            app_settings.set_as_of(conn, pinned.date(), user="ann")
        run = reorder.ensure_current_policy_run(conn, PolicyParams())
        assert run.as_of == pinned
    finally:
        conn.close()


def test_a_decision_reads_on_the_as_of_day_and_keeps_the_clock_time_for_the_audit(cycle_db):
    """The demo's data ends in 2025; the clock is later. "approved ... on <day>" names the as-of
    day the manager saw (its run's), the history keeps the clock time it was recorded."""
    manager = auth.User("ann", "manager")
    conn = store.connect(cycle_db.path)
    try:
        day = app_settings.as_of(conn)
        clock_day = pd.Timestamp.now(tz="UTC").tz_localize(None).normalize()
        assert day != clock_day
        sku = str(reorder.reviewed_run(conn, cycle_db.run_id)["sku"].iloc[0])
        reorder.decide(conn, manager, cycle_db.run_id, [sku], action="approve")
        line = reorder.reviewed_run(conn, cycle_db.run_id).set_index("sku").loc[sku]
        history = reorder.decision_history(conn, sku)
    finally:
        conn.close()
    assert f"on {day:%Y-%m-%d} by ann" in line["carry_note"]
    assert f"{clock_day:%Y-%m-%d}" not in line["carry_note"]
    assert pd.Timestamp(line["decided_on"]) == day
    assert pd.Timestamp(history.at[0, "on"]) == day
    assert pd.Timestamp(history.at[0, "at"]).normalize() == clock_day  # the audit keeps the clock
