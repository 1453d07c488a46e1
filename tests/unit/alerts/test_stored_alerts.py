"""The alerts stored with a policy run are the alerts computed live, and stop being used as soon
as the data they were computed on changes.

On a copy of the demo shop (60 SKUs) with a stored moving-average forecast run and policy run:
``alerts.ensure_run_alerts`` stores the run's alerts; ``alerts.alert_window`` reads them from
DuckDB with the stored statuses applied; a write after the run (a price, a stock count, the
as-of day) makes the reads compute them live, equal to ``current_alerts`` on the new data, until
they are stored again.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from alert_runs import store_ma_runs

from invdash import alerts, store
from invdash.store import app_settings, master_data, versions
from invdash.store import run_alerts as run_alerts_store

EVERY = 10_000  # rows per page: one page holds every alert of the demo shop


@pytest.fixture(scope="module")
def shop_with_run(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A demo shop copy with a stored forecast run and policy run (alerts not stored yet)."""
    path = tmp_path_factory.mktemp("alerts") / "shop.duckdb"
    shutil.copy(demo_db, path)
    conn = store.connect(path)
    try:
        policy = store_ma_runs(conn).policy
    finally:
        conn.close()
    return path, policy.run_id


@pytest.fixture
def shop(shop_with_run: tuple[Path, str], tmp_path: Path) -> tuple[Path, str]:
    """A writable copy of ``shop_with_run`` and its policy run id."""
    path, run_id = shop_with_run
    target = tmp_path / "shop.duckdb"
    shutil.copy(path, target)
    return target, run_id


def every_alert(conn, run_id: str) -> pd.DataFrame:
    """All alerts of the run as the page's read gives them (one page holds them all)."""
    return alerts.alert_window(conn, run_id, alerts.AlertQuery(), page=1, rows=EVERY).alerts


def assert_same_alerts(read: pd.DataFrame, live: pd.DataFrame) -> None:
    # a missing user is None from DuckDB and NaN from a pandas merge: both mean "nobody"
    pd.testing.assert_frame_equal(
        read.astype({"user": object}).where(read.notna(), None).reset_index(drop=True),
        live.astype({"user": object}).where(live.notna(), None).reset_index(drop=True),
        check_dtype=False,
    )


def set_some_states(conn, keys: list[str], today: pd.Timestamp) -> None:
    """An acknowledgement, a snooze running past today and one that ended before today."""
    alerts.set_alert_status(conn, [keys[0]], status="acknowledged", user="ann")
    alerts.set_alert_status(
        conn, [keys[1]], status="snoozed", user="bo", snooze_until=today + pd.Timedelta(days=3)
    )
    alerts.set_alert_status(
        conn, [keys[2]], status="snoozed", user="bo", snooze_until=today - pd.Timedelta(days=1)
    )


def test_the_alerts_stored_with_a_run_equal_the_live_computation_with_their_statuses(shop):
    path, run_id = shop
    conn = store.connect(path)
    try:
        assert not alerts.has_current_alerts(conn, run_id)  # the policy run alone stores none
        assert alerts.ensure_run_alerts(conn, run_id)
        assert alerts.has_current_alerts(conn, run_id)
        assert not alerts.ensure_run_alerts(conn, run_id)  # current: nothing to do
        today = app_settings.as_of(conn)
        set_some_states(conn, alerts.current_alerts(conn, run_id)["alert_key"].tolist(), today)
        stored = conn.execute(
            "SELECT alert_key, type, sku, money_at_risk, reason FROM run_alerts WHERE run_id = ?",
            [run_id],
        ).df()
        read, live = every_alert(conn, run_id), alerts.current_alerts(conn, run_id)
        found = alerts.found_alerts(conn, run_id)
    finally:
        conn.close()
    assert set(live["type"]) >= {"stockout_risk", "overstock", "demand_shift"}
    assert_same_alerts(read, live)
    assert read["status"].tolist().count("open") == len(read) - 2  # the ended snooze is open
    by_key = stored.set_index("alert_key").sort_index()
    expected = found.set_index("alert_key")[by_key.columns].sort_index()
    pd.testing.assert_frame_equal(by_key, expected, check_dtype=False)


_SET_PRODUCT = {
    "unit_price": "UPDATE products SET unit_price = ? WHERE sku = ?",
    "name": "UPDATE products SET name = ? WHERE sku = ?",
}


def set_product(conn, sku: str, column: str, value: object) -> None:
    """A product edit as every store writer makes it: the write and its ``versions.touch`` in
    one transaction. (A products file would do the same, but its ingest makes the forecast
    stale, and the Alerts page then asks for a new forecast first.)"""
    with store.transaction(conn):
        conn.execute(_SET_PRODUCT[column], [value, sku])
        versions.touch(conn, "products")


def _price(conn, sku: str) -> float:
    return float(conn.execute("SELECT unit_price FROM products WHERE sku = ?", [sku]).fetchone()[0])


def _raise_a_price(conn, run_id: str) -> None:
    top = alerts.current_alerts(conn, run_id)
    sku = top.loc[top["type"] == "stockout_risk", "sku"].iloc[0]
    set_product(conn, sku, "unit_price", _price(conn, sku) * 3)


def _count_stock(conn, run_id: str) -> None:  # noqa: ARG001 - one signature
    sku = conn.execute("SELECT min(sku) FROM inventory").fetchone()[0]
    with store.transaction(conn):
        master_data.set_on_hand(conn, sku, 999.0, on=app_settings.as_of(conn))


def _move_as_of(conn, run_id: str) -> None:  # noqa: ARG001 - one signature
    day = app_settings.as_of(conn) + pd.Timedelta(days=9)
    with store.transaction(conn):
        app_settings.set_as_of(conn, day, user="ann")


@pytest.mark.parametrize("write", [_raise_a_price, _count_stock, _move_as_of])
def test_data_written_after_the_run_makes_the_reads_live_until_they_are_stored_again(
    shop, write
):
    path, run_id = shop
    conn = store.connect(path)
    try:
        alerts.ensure_run_alerts(conn, run_id)
        before = every_alert(conn, run_id)
        write(conn, run_id)
        assert not alerts.has_current_alerts(conn, run_id)
        read, live = every_alert(conn, run_id), alerts.current_alerts(conn, run_id)
        assert alerts.ensure_run_alerts(conn, run_id)
        again = every_alert(conn, run_id)
    finally:
        conn.close()
    assert_same_alerts(read, live)
    assert_same_alerts(again, live)
    if write is not _count_stock:  # a new price or day changes the alerts themselves
        assert not read[["alert_key", "money_at_risk", "reason"]].equals(
            before[["alert_key", "money_at_risk", "reason"]]
        )


def test_a_price_raised_after_the_run_shows_in_the_money_at_risk_read(shop):
    path, run_id = shop
    conn = store.connect(path)
    try:
        alerts.ensure_run_alerts(conn, run_id)
        shown = every_alert(conn, run_id)
        first = shown[shown["type"] == "stockout_risk"].iloc[0]  # money: units short x price
        sku = first["sku"]
        set_product(conn, sku, "unit_price", _price(conn, sku) * 2)
        now = every_alert(conn, run_id).set_index("alert_key").loc[first["alert_key"]]
    finally:
        conn.close()
    assert now["money_at_risk"] == pytest.approx(2 * first["money_at_risk"], abs=0.02)


def test_a_renamed_product_shows_its_new_name_without_storing_the_alerts_again(shop):
    path, run_id = shop
    conn = store.connect(path)
    try:
        alerts.ensure_run_alerts(conn, run_id)
        sku = every_alert(conn, run_id)["sku"].iloc[0]
        set_product(conn, sku, "name", "Renamed lamp")
        current = alerts.has_current_alerts(conn, run_id)  # names are not among the inputs
        shown = every_alert(conn, run_id)
    finally:
        conn.close()
    assert current
    assert set(shown.loc[shown["sku"] == sku, "name"]) == {"Renamed lamp"}


def test_a_read_only_connection_reads_alerts_that_are_not_stored_live(shop):
    path, run_id = shop
    conn = store.connect_read_only(path)
    try:
        assert run_alerts_store.stored_inputs(conn, run_id) is None
        read, live = every_alert(conn, run_id), alerts.current_alerts(conn, run_id)
    finally:
        conn.close()
    assert len(live) > 0
    assert_same_alerts(read, live)
