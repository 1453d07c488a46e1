"""The review workflow on a stored run: decisions carry over to new runs and re-ingests, rules
refuse edits, history, closes by PO and reopen, and older files get their decisions back."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest
from review_cycle import MANAGER_NAME, plan, reforecast

from invdash import auth, reorder, store
from invdash.policy import PolicyParams
from invdash.store import proposals as proposals_store
from invdash.store.schema import MIGRATIONS

MANAGER = auth.User(MANAGER_NAME, "manager")


def _pick(reviewed: pd.DataFrame) -> tuple[str, str, str, pd.Series]:
    packed = reviewed[reviewed["pack_size"] > 1].iloc[0]
    others = reviewed[reviewed["sku"] != packed["sku"]]["sku"].tolist()
    return others[0], packed["sku"], others[1], packed


def test_decisions_survive_a_new_run_with_a_new_run_id(cycle_db):
    conn = store.connect(cycle_db.path)
    try:
        first = reorder.reviewed_run(conn, cycle_db.run_id)
        approved, edited, rejected, packed = _pick(first)
        reorder.decide(conn, MANAGER, cycle_db.run_id, [approved], action="approve")
        reorder.decide(
            conn, MANAGER, cycle_db.run_id, [edited], action="edit",
            qty=[packed["suggested_qty"] + packed["pack_size"]],
        )  # fmt: skip
        reorder.decide(
            conn, MANAGER, cycle_db.run_id, [rejected], action="reject",
            reason="Discontinued by supplier",
        )  # fmt: skip
        again = plan(conn, PolicyParams(service_level=0.951))
        assert again.run_id != cycle_db.run_id
        reviewed = reorder.reviewed_run(conn, again.run_id).set_index("sku")
    finally:
        conn.close()
    assert reviewed.loc[approved, "status"] in ("approved", "reconfirm")
    assert reviewed.loc[edited, "status"] in ("edited", "reconfirm")
    assert reviewed.loc[edited, "final_qty"] == packed["suggested_qty"] + packed["pack_size"]
    assert reviewed.loc[rejected, "status"] == "rejected"
    assert reviewed.loc[rejected, "decision_reason"] == "Discontinued by supplier"
    assert (reviewed.drop(index=[approved, edited, rejected])["status"] == "pending").all()


def test_decisions_survive_a_re_ingest_of_a_one_row_products_file(cycle_db, tmp_path):
    from invdash.cli import main

    conn = store.connect(cycle_db.path)
    try:
        sku = reorder.reviewed_run(conn, cycle_db.run_id)["sku"].iloc[0]
        reorder.decide(conn, MANAGER, cycle_db.run_id, [sku], action="approve")
    finally:
        conn.close()
    products = tmp_path / "products.csv"
    products.write_text(f"sku,name\n{sku},Relabelled\n")
    assert main(["ingest", str(products), "--db", str(cycle_db.path), "--quiet"]) == 0
    conn = store.connect(cycle_db.path)
    try:
        reforecast(conn)
        rerun = plan(conn, PolicyParams())
        assert rerun.run_id != cycle_db.run_id, "a re-ingest -> a new policy run"
        row = reorder.reviewed_run(conn, rerun.run_id).set_index("sku").loc[sku]
    finally:
        conn.close()
    assert row["status"] == "approved" and row["decided_by"] == MANAGER_NAME
    assert row["carry_note"].startswith(f"approved {row['final_qty']:g} on ")


def test_an_edit_breaking_the_pack_rule_is_refused_unless_overridden_and_both_are_recorded(
    cycle_db,
):
    conn = store.connect(cycle_db.path)
    try:
        reviewed = reorder.reviewed_run(conn, cycle_db.run_id)
        line = reviewed[reviewed["pack_size"] > 1].iloc[0]
        odd = float(line["suggested_qty"] + 1)
        with pytest.raises(
            reorder.RuleBrokenError, match=f"packs of {line['pack_size']:g}; nearest valid"
        ):
            reorder.decide(conn, MANAGER, cycle_db.run_id, [line["sku"]], action="edit", qty=[odd])
        assert reorder.decision_history(conn, line["sku"]).empty, "a refused edit stores nothing"
        reorder.decide(
            conn, MANAGER, cycle_db.run_id, [line["sku"]], action="edit", qty=[odd],
            override_reason="supplier splits a pack this once",
        )  # fmt: skip
        stored = conn.execute(
            "SELECT qty, override_reason, rules_broken FROM decisions WHERE sku = ?", [line["sku"]]
        ).fetchone()
    finally:
        conn.close()
    assert stored == (odd, "supplier splits a pack this once", f"packs of {line['pack_size']:g}")


def test_a_planner_may_not_decide(cycle_db):
    conn = store.connect(cycle_db.path)
    try:
        sku = reorder.reviewed_run(conn, cycle_db.run_id)["sku"].iloc[0]
        with pytest.raises(auth.PermissionDeniedError, match="needs the manager role"):
            reorder.decide(
                conn, auth.User("pat", "planner"), cycle_db.run_id, [sku], action="approve"
            )
    finally:
        conn.close()


def test_closing_by_a_purchase_order_and_reopening_end_the_proposal_and_show_in_history(cycle_db):
    conn = store.connect(cycle_db.path)
    try:
        ordered, reopened = reorder.reviewed_run(conn, cycle_db.run_id)["sku"].iloc[:2]
        reorder.decide(conn, MANAGER, cycle_db.run_id, [ordered, reopened], action="approve")
        with store.transaction(conn):
            assert reorder.close_proposals(conn, [ordered], po_id="PO-0001", user="ann") == 1
        assert reorder.reopen(conn, MANAGER, [reopened]) == 1
        reviewed = reorder.reviewed_run(conn, cycle_db.run_id).set_index("sku")
        history = reorder.decision_history(conn, ordered)
    finally:
        conn.close()
    assert reviewed.loc[[ordered, reopened], "status"].tolist() == ["pending", "pending"]
    assert history["event"].tolist() == ["ordered", "approve"]
    assert history.at[0, "po_id"] == "PO-0001" and history.at[1, "user"] == "ann"


def test_saving_a_decision_recomputes_nothing_else(cycle_db):
    conn = store.connect(cycle_db.path)
    try:
        counts = "SELECT (SELECT count(*) FROM policy_runs), (SELECT count(*) FROM suggestions)"
        before = conn.execute(counts).fetchone()
        sku = reorder.reviewed_run(conn, cycle_db.run_id)["sku"].iloc[0]
        reorder.decide(conn, MANAGER, cycle_db.run_id, [sku], action="approve")
        assert conn.execute(counts).fetchone() == before
        assert len(proposals_store.current_decisions(conn)) == 1
    finally:
        conn.close()


def test_an_older_file_gets_its_decisions_back_after_the_upgrade(tmp_path):
    path = tmp_path / "v4.duckdb"
    raw = duckdb.connect(str(path))
    raw.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMP)")
    for version, statements in MIGRATIONS:
        if version <= 4:
            for statement in statements:
                raw.execute(statement)
            raw.execute("INSERT INTO schema_version VALUES (?, now())", [version])
    raw.execute("INSERT INTO products (sku, supplier, unit_cost) VALUES ('A', 'Acme', 2.0)")
    raw.execute("INSERT INTO sales VALUES ('A', DATE '2025-01-01', 3, 1.0, 0)")
    raw.execute("INSERT INTO policy_runs (run_id, as_of) VALUES ('old', DATE '2025-01-01')")
    for run_id, qty in (("old", 48.0), ("new", 50.0)):
        raw.execute(
            "INSERT INTO suggestions (run_id, sku, suggested_qty, order_by_date, unit_cost, "
            "on_hand, on_order, raw_qty, moq, pack_size, order_up_to, demand_lt_mean, "
            "safety_stock, demand_daily_mean) "
            "VALUES (?, 'A', ?, DATE '2025-01-05', 2.0, 0, 0, 48, 0, 1, 48, 40, 8, 3)",
            [run_id, qty],
        )
    raw.execute(
        "INSERT INTO decisions VALUES ('d1', 'old', 'A', 'approve', 48, NULL, 'ann', "
        "TIMESTAMP '2025-01-01 10:00')"
    )
    raw.close()
    conn = store.connect(path)
    try:
        row = reorder.reviewed_run(conn, "new", as_of=pd.Timestamp("2025-01-02")).iloc[0]
    finally:
        conn.close()
    assert row["status"] == "approved" and row["final_qty"] == 48
    assert row["carry_note"] == "approved 48 on 2025-01-01 by ann"
