"""The CLI contract: every command listed, exit 0 on success, 2 on invalid input, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from invdash import store
from invdash.cli import COMMANDS, main

ALL_COMMANDS = (
    "demo", "ingest", "forecast", "backtest", "explain", "reorder", "decide", "replay",
    "simulate", "recommend",
)


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    # `user` (dashboard logins) came with issue 7; `replay` is the new name of `simulate`, which
    # stays as an alias for scripts.
    # `po`, `override` and `master` (purchase orders, forecast overrides, master data): issue 12.
    assert tuple(COMMANDS) == (*ALL_COMMANDS, "user", "po", "override", "master")
    for command in ALL_COMMANDS:
        assert command in out


def test_the_console_script_lists_every_command():
    script = Path(sys.executable).with_name("invdash")  # installed by `make setup` (pip -e)
    done = subprocess.run(
        [str(script), "--help"], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0
    assert all(command in done.stdout for command in ALL_COMMANDS)


def test_demo_builds_the_tables_and_prints_a_summary(tmp_path, capsys):
    path = tmp_path / "shop.duckdb"
    assert main(["demo", "--db", str(path), "--skus", "20", "--days", "60", "--seed", "3"]) == 0
    captured = capsys.readouterr()
    assert "20 SKUs x 60 days" in captured.out
    assert "writing the database" in captured.err
    conn = store.connect_read_only(path)
    try:
        counts = store.table_counts(conn)
    finally:
        conn.close()
    for table in ("products", "sales", "inventory", "purchase_orders", "order_lines"):
        assert counts[table] > 0, table
    assert counts["products"] == 20


def test_an_unknown_flag_exits_with_code_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "--colour", "blue"])
    assert exit_info.value.code == 2
    assert "unrecognized arguments: --colour" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("flag", "value"), [("--skus", "0"), ("--skus", "-5"), ("--days", "3"), ("--seed", "-1")]
)
def test_out_of_range_sizes_exit_2_with_a_message_naming_the_flag(tmp_path, capsys, flag, value):
    path = tmp_path / "shop.duckdb"
    assert main(["demo", "--db", str(path), flag, value]) == 2
    err = capsys.readouterr().err
    assert f"invdash demo: error: {flag} must be" in err
    assert "Traceback" not in err


def test_the_installed_entry_point_reports_bad_input_without_a_traceback(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "invdash.cli", "demo", "--db", str(tmp_path / "x.duckdb"),
         "--skus", "0"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 2
    assert "--skus must be from 1" in done.stderr
    assert "Traceback" not in done.stderr


def test_running_demo_again_replaces_the_shop_and_says_so(tmp_path, capsys):
    path = tmp_path / "shop.duckdb"
    assert main(["demo", "--db", str(path), "--skus", "30", "--days", "40"]) == 0
    capsys.readouterr()
    assert main(["demo", "--db", str(path), "--skus", "12", "--days", "40"]) == 0
    assert "replacing the existing data" in capsys.readouterr().err
    conn = store.connect_read_only(path)
    try:
        assert store.table_counts(conn)["products"] == 12
    finally:
        conn.close()
