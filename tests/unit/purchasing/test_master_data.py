"""Master-data edits: validated, audited (who, when, field, old -> new), used by the next run."""

from __future__ import annotations

import pandas as pd
import pytest

from invdash import auth, reorder, store
from invdash.forecast.stored import latest_forecast, load_latest_run
from invdash.policy import PolicyParams
from invdash.reorder import master_data
from invdash.schema import InvalidDataError
from invdash.store import master_data as md_store

PLANNER = auth.User(name="pat", role="planner")


def _policy(conn) -> pd.DataFrame:
    forecast = load_latest_run(conn)
    run = reorder.ensure_policy_run(
        conn, forecast.forecasts, forecast_run_id=forecast.run_id, params=PolicyParams()
    )
    return run.table.set_index("sku")


def test_an_edit_is_audited_and_the_next_policy_run_uses_it(cycle):
    sku = cycle.approved[0]
    conn = store.connect(cycle.path)
    try:
        before = _policy(conn).loc[sku]
        old = store.load_products(conn).set_index("sku").loc[sku]
        changes = {"lead_time_days": "30", "moq": "50", "pack_size": "25", "unit_cost": 9.5}
        done = master_data.edit_master_data(conn, sku, changes, PLANNER)
        after = _policy(conn).loc[sku]
        audit = md_store.load_audit(conn, sku=sku).set_index("field")
        product = store.load_products(conn).set_index("sku").loc[sku]
    finally:
        conn.close()
    assert list(done["field"]) == ["lead_time_days", "moq", "pack_size", "unit_cost"]
    assert audit.at["lead_time_days", "old_value"] == f"{old['lead_time_days']:g}"
    assert audit.at["lead_time_days", "new_value"] == "30"
    assert set(audit["user"]) == {"pat"} and audit["changed_at"].notna().all()
    assert product["lead_time_days"] == 30 and product["pack_size"] == 25
    assert after["lead_time_days"] == 30 and before["lead_time_days"] == old["lead_time_days"]
    assert after["unit_cost"] == 9.5
    assert after["suggested_qty"] % 25 == 0 and after["suggested_qty"] >= 50


def test_a_stock_count_is_a_new_snapshot_and_changes_the_policy(cycle):
    sku = cycle.approved[0]
    conn = store.connect(cycle.path)
    try:
        snapshots = len(store.load_inventory(conn))
        master_data.edit_master_data(
            conn, sku, {"on_hand": "500"}, PLANNER, on=pd.Timestamp("2025-11-02")
        )
        latest = store.latest_on_hand(conn).set_index("sku").loc[sku]
        policy = _policy(conn).loc[sku]
        audit = md_store.load_audit(conn, sku=sku)
        with pytest.raises(InvalidDataError, match="older than its latest snapshot"):
            master_data.edit_master_data(
                conn, sku, {"on_hand": "1"}, PLANNER, on=pd.Timestamp("2025-11-01")
            )
        still_current = latest_forecast(conn) is not None
        grown = len(store.load_inventory(conn))
    finally:
        conn.close()
    assert grown == snapshots + 1
    assert latest["on_hand"] == 500 and pd.Timestamp(latest["as_of"]) == pd.Timestamp("2025-11-02")
    assert policy["on_hand"] == 500
    assert audit.iloc[0][["field", "new_value"]].tolist() == ["on_hand", "500"]
    assert still_current, "a stock count does not make the stored forecast stale"


def test_an_unchanged_value_writes_no_audit_row(cycle):
    sku = cycle.approved[0]
    conn = store.connect(cycle.path)
    try:
        supplier = store.load_products(conn).set_index("sku").at[sku, "supplier"]
        done = master_data.edit_master_data(conn, sku, {"supplier": supplier}, PLANNER)
        audit = md_store.load_audit(conn)
    finally:
        conn.close()
    assert done.empty and audit.empty


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"pack_size": "0.5"}, "pack_size must be a whole number >= 1, got '0.5'"),
        ({"moq": "-1"}, "moq must be a whole number of units >= 0"),
        ({"lead_time_days": "abc"}, "lead_time_days must be a number of days from 0 to 365"),
        ({"lead_time_sd_days": "inf"}, "lead_time_sd_days must be a spread in days"),
        ({"unit_cost": "-2"}, "unit_cost must be a cost per unit >= 0"),
        ({"supplier": "  "}, "supplier must be a supplier name of 1 to 100 characters"),
        ({"on_hand": "-3"}, "on_hand must be units counted"),
        ({"colour": "red"}, "unknown master-data field 'colour'; editable: lead_time_days"),
        ({}, "no change given"),
        ({"moq": "12", "pack_size": "0"}, "pack_size must be"),
    ],
)
def test_a_bad_value_is_refused_naming_the_field_and_nothing_is_written(cycle, changes, message):
    sku = cycle.approved[0]
    conn = store.connect(cycle.path)
    try:
        products = store.load_products(conn)
        with pytest.raises(InvalidDataError, match=message):
            master_data.edit_master_data(conn, sku, changes, PLANNER)
        assert store.load_products(conn).equals(products)
        assert md_store.load_audit(conn).empty
    finally:
        conn.close()


def test_an_unknown_sku_and_nobody_signed_in_are_refused(cycle):
    conn = store.connect(cycle.path)
    try:
        with pytest.raises(InvalidDataError, match="SKU 'NOPE' is not in the products table"):
            master_data.edit_master_data(conn, "NOPE", {"moq": "1"}, PLANNER)
        with pytest.raises(auth.PermissionDeniedError):
            master_data.edit_master_data(conn, cycle.approved[0], {"moq": "1"}, None)
    finally:
        conn.close()


def test_parse_assignments():
    assert master_data.parse_assignments(["moq=24", " supplier = Acme = Co "]) == {
        "moq": "24",
        "supplier": "Acme = Co",
    }
    with pytest.raises(InvalidDataError, match="FIELD=VALUE"):
        master_data.parse_assignments(["moq"])
    with pytest.raises(InvalidDataError, match="set twice"):
        master_data.parse_assignments(["moq=1", "moq=2"])
