"""Budgets are stored (app_settings), managers set them, and the bulk confirmation warns with
the stored limits."""

from __future__ import annotations

import pytest

from invdash import auth, reorder, store
from invdash.auth import PermissionDeniedError
from invdash.schema import InvalidDataError

MANAGER = auth.User("ann", "manager")


def test_budgets_are_stored_replaced_removed_and_warn_in_the_bulk_summary(cycle_db):
    conn = store.connect(cycle_db.path)
    try:
        assert reorder.stored_budget(conn) is None
        reorder.save_budget(conn, MANAGER, supplier=None, limit=100.0)
        reviewed = reorder.reviewed_run(conn, cycle_db.run_id)
        supplier = str(reviewed["supplier"].iloc[0])
        budget = reorder.save_budget(conn, MANAGER, supplier=supplier, limit=5.0)
        assert budget == reorder.Budget(total=100.0, per_supplier={supplier: 5.0})
        summary = reorder.bulk_summary(
            reviewed, reviewed, run_id=cycle_db.run_id, budget=reorder.stored_budget(conn)
        )
        assert any(w.startswith("total ") for w in summary.warnings)
        assert any(w.startswith(f"{supplier}: ") for w in summary.warnings)
        reorder.save_budget(conn, MANAGER, supplier=None, limit=0)  # 0 removes the total
        assert reorder.stored_budget(conn) == reorder.Budget(per_supplier={supplier: 5.0})
        reorder.save_budget(conn, MANAGER, supplier=supplier, limit=None)
        assert reorder.stored_budget(conn) is None
    finally:
        conn.close()


def test_only_managers_set_budgets_and_limits_are_checked(cycle_db):
    conn = store.connect(cycle_db.path)
    try:
        with pytest.raises(PermissionDeniedError):
            reorder.save_budget(conn, auth.User("bo", "planner"), supplier=None, limit=10.0)
        with pytest.raises(InvalidDataError, match="a budget must be a number >= 0"):
            reorder.save_budget(conn, MANAGER, supplier="Acme", limit=-1.0)
        with pytest.raises(InvalidDataError, match="supplier's name"):
            reorder.save_budget(conn, MANAGER, supplier=" ", limit=1.0)
        assert reorder.stored_budget(conn) is None
    finally:
        conn.close()
