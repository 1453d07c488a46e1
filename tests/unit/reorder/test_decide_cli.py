"""`invdash decide` and the decision columns of `invdash reorder`: roles, the pack rule exit 2
with the nearest valid quantities, overrides, and clean numbers in the CSV."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from invdash import auth, reorder, store
from invdash.cli import main
from invdash.store import reorder as reorder_store


@pytest.fixture
def local_manager(monkeypatch, tmp_path):
    """Local single-user mode (no users file) as ``ann``."""
    monkeypatch.setenv("INVDASH_USER", "ann")
    monkeypatch.setenv("INVDASH_USERS_FILE", str(tmp_path / "absent-users.toml"))
    monkeypatch.delenv("INVDASH_AS_OF", raising=False)


def _reorder(db, out) -> pd.DataFrame:
    assert main(["reorder", "--db", str(db), "--out", str(out), "--quiet", "--model", "ma"]) == 0
    return pd.read_csv(out)


def _packed_sku(path) -> str:
    """A SKU of the newest policy run with a suggested order and packs of more than one."""
    conn = store.connect_read_only(path)
    try:
        run_id = reorder_store.latest_policy_run(conn).at[0, "run_id"]
        lines = reorder.reviewed_run(conn, run_id)
    finally:
        conn.close()
    return lines[lines["pack_size"] > 1]["sku"].iloc[0]


def test_decide_refuses_a_pack_break_with_exit_2_then_accepts_an_override(
    cycle_db,
    tmp_path,
    capsys,
    local_manager,  # noqa: ARG001 - fixture sets the user
):
    out = tmp_path / "reorder.csv"
    report = _reorder(cycle_db.path, out)
    assert list(report.columns)[-4:] == ["status", "decided_qty", "decided_by", "decided_at"]
    sku = _packed_sku(cycle_db.path)
    assert main(["decide", "--db", str(cycle_db.path), "--sku", sku, "--qty", "5"]) == 2
    err = capsys.readouterr().err
    assert re.search(r"5 breaks (MOQ \d+ / )?packs of \d+; nearest valid: \d+ or \d+", err), err
    assert main([
        "decide", "--db", str(cycle_db.path), "--sku", sku, "--qty", "5",
        "--override-reason", "sample order",
    ]) == 0  # fmt: skip
    assert "edited to 5" in capsys.readouterr().out
    _reorder(cycle_db.path, out)
    text = out.read_text()
    after = pd.read_csv(out).set_index("sku")
    assert after.loc[sku, "status"] == "edited" and after.loc[sku, "decided_qty"] == 5
    assert after.loc[sku, "decided_by"] == "ann" and pd.notna(after.loc[sku, "decided_at"])
    assert (after.drop(index=sku)["status"].isin(["pending", "no order"])).all()
    assert not re.search(r"(^|,)-0(\.0)?(,|$)", text, flags=re.M), "no -0 in the export"
    assert not re.search(r"\d\.\d{4,}", text), "no float noise in the export"


def test_decide_approve_and_reject_and_reopen(cycle_db, tmp_path, capsys, local_manager):  # noqa: ARG001
    report = _reorder(cycle_db.path, tmp_path / "r.csv")
    first, second = report[report["suggested_qty"] > 0]["sku"].iloc[:2]
    db = str(cycle_db.path)
    assert main(["decide", "--db", db, "--sku", first, "--approve"]) == 0
    assert (
        main(["decide", "--db", db, "--sku", second, "--reject", "Discontinued by supplier"]) == 0
    )
    assert "rejected on" in capsys.readouterr().out
    assert main(["decide", "--db", db, "--sku", second, "--reopen"]) == 0
    status = _reorder(cycle_db.path, tmp_path / "r2.csv").set_index("sku")["status"]
    assert status[first] == "approved" and status[second] == "pending"
    assert main(["decide", "--db", db, "--sku", "NOPE", "--approve"]) == 2
    assert "not in policy run" in capsys.readouterr().err
    assert main(["decide", "--db", db, "--sku", first, "--reject", "x", "--until", "soon"]) == 2
    assert "valid_until must be a date like 2025-12-31, got 'soon'" in capsys.readouterr().err


def test_with_a_users_file_a_planner_may_not_decide(cycle_db, tmp_path, capsys, monkeypatch):
    users = tmp_path / "users.toml"
    auth.add_user(users, "pat", "planner", "long enough password")
    monkeypatch.setenv("INVDASH_USERS_FILE", str(users))
    monkeypatch.setenv("INVDASH_USER", "pat")
    _reorder(cycle_db.path, tmp_path / "r.csv")
    assert main(["decide", "--db", str(cycle_db.path), "--sku", "X", "--approve"]) == 2
    assert "needs the manager role; pat is a planner" in capsys.readouterr().err
    monkeypatch.setenv("INVDASH_USER", "stranger")
    assert main(["decide", "--db", str(cycle_db.path), "--sku", "X", "--approve"]) == 2
    assert "not in the users file" in capsys.readouterr().err
