"""`invdash po | override | master`: the same core functions, exit 2 with a clear message."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from invdash import auth, store
from invdash.cli import main
from invdash.store import master_data as md_store


@pytest.fixture
def cli_env(monkeypatch, tmp_path):
    """The CLI user is ``mia``; no users file (local single-user mode: she acts as manager)."""
    monkeypatch.setenv("INVDASH_USER", "mia")
    monkeypatch.setenv("INVDASH_CURRENCY", "eur")
    monkeypatch.setenv("INVDASH_USERS_FILE", str(tmp_path / "no-users.toml"))


def _list(db, capsys) -> pd.DataFrame:
    capsys.readouterr()
    assert main(["po", "--db", str(db), "list"]) == 0
    return pd.read_csv(io.StringIO(capsys.readouterr().out))


def test_po_draft_send_receive_and_list(cycle, cli_env, capsys, tmp_path):  # noqa: ARG001
    db = str(cycle.path)
    assert main(["po", "--db", db, "draft"]) == 0
    drafted = capsys.readouterr().out
    listing = _list(cycle.path, capsys)
    for column in ("po_id", "supplier", "status", "lines", "units", "value", "currency",
                   "order_date", "expected_date"):  # fmt: skip
        assert column in listing.columns
    draft = listing[listing["status"] == "draft"]
    po_id = draft["po_id"].iloc[0]
    assert po_id in drafted and set(draft["currency"]) == {"EUR"}
    out = tmp_path / "po.csv"
    assert main(["po", "--db", db, "send", po_id, "--out", str(out)]) == 0
    document = pd.read_csv(out, encoding="utf-8-sig")
    assert set(document["po_id"]) == {po_id} and document["qty"].dtype.kind == "i"
    sku = document.at[0, "sku"]
    assert main(["po", "--db", db, "receive", po_id, "--sku", sku, "--qty", "1"]) == 0
    assert "received 1, on hand now" in capsys.readouterr().out
    row = _list(cycle.path, capsys).set_index("po_id").loc[po_id]
    assert row["status"] == ("partly_received" if document["qty"].sum() > 1 else "received")
    export = tmp_path / "all.csv"
    assert main(["po", "--db", db, "export", "--status", "draft", "--out", str(export)]) == 0
    combined = pd.read_csv(export, encoding="utf-8-sig")
    assert set(combined["po_id"]) == set(draft["po_id"]) - {po_id}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["po", "send", "PO-0"], "no purchase order 'PO-0'"),
        (["po", "receive", "PO-0", "--qty", "3"], "--qty needs --sku"),
        (["master", "--sku", "NOPE", "--set", "moq=1"], "SKU 'NOPE' is not in the products"),
        (["master", "--sku", "{sku}", "--set", "pack_size=0"], "pack_size must be a whole"),
        (["master", "--sku", "{sku}", "--set", "moq"], "--set expects FIELD=VALUE"),
        (["master", "--sku", "{sku}"], "give at least one --set"),
        (
            [
                "override",
                "--sku",
                "{sku}",
                "--from",
                "2025-11-01",
                "--to",
                "2025-11-07",
                "--factor",
                "1.2",
            ],
            "needs a reason",
        ),  # fmt: skip
        (
            [
                "override",
                "--sku",
                "{sku}",
                "--from",
                "2025-11-01",
                "--to",
                "2025-11-07",
                "--reason",
                "promo",
            ],
            "--factor F, --units N or --set N",
        ),  # fmt: skip
        (["override", "--sku", "{sku}", "--reason", "x", "--factor", "2"], "--from DATE --to"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(cycle, cli_env, capsys, argv, message):  # noqa: ARG001
    argv = [a.replace("{sku}", cycle.approved[0]) for a in argv]
    assert main([argv[0], "--db", str(cycle.path), *argv[1:]]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_master_and_override_record_the_cli_user(cycle, cli_env, capsys):  # noqa: ARG001
    db, sku = str(cycle.path), cycle.approved[0]
    argv = ["master", "--db", db, "--sku", sku, "--set", "moq=48", "--set", "supplier=Acme"]
    assert main(argv) == 0
    assert f"{sku}: moq" in capsys.readouterr().out
    argv = ["override", "--db", db, "--sku", sku, "--from", "2025-11-01", "--to", "2025-11-07",
            "--units", "5", "--reason", "trade fair"]  # fmt: skip
    assert main(argv) == 0
    assert main(["override", "--db", db, "--report"]) == 0
    report = pd.read_csv(io.StringIO(capsys.readouterr().out.split("\n", 1)[1]))
    conn = store.connect_read_only(cycle.path)
    try:
        audit = md_store.load_audit(conn, sku=sku)
    finally:
        conn.close()
    assert set(audit["user"]) == {"mia"} and set(audit["field"]) == {"moq", "supplier"}
    assert report.loc[0, ["user", "reason", "kind", "periods"]].tolist() == [
        "mia", "trade fair", "units", 0,
    ]  # fmt: skip


def test_a_planner_in_the_users_file_cannot_send(cycle, monkeypatch, tmp_path, capsys):
    users = tmp_path / "users.toml"
    auth.add_user(users, "pat", "planner", "long password")
    monkeypatch.setenv("INVDASH_USERS_FILE", str(users))
    monkeypatch.setenv("INVDASH_USER", "pat")
    assert main(["po", "--db", str(cycle.path), "draft"]) == 0, "a planner may draft"
    po_id = _list(cycle.path, capsys)["po_id"].iloc[0]
    assert main(["po", "--db", str(cycle.path), "send", po_id]) == 2
    assert "needs the manager role" in capsys.readouterr().err
    monkeypatch.setenv("INVDASH_USER", "stranger")
    assert main(["po", "--db", str(cycle.path), "send", po_id]) == 2
    assert "is not in the users file" in capsys.readouterr().err


def test_a_bad_currency_setting_exits_2(cycle, cli_env, monkeypatch, capsys):  # noqa: ARG001
    monkeypatch.setenv("INVDASH_CURRENCY", "euro")
    assert main(["po", "--db", str(cycle.path), "list"]) == 2
    assert "INVDASH_CURRENCY must be a 3-letter code" in capsys.readouterr().err
