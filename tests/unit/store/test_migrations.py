"""Stored columns renamed by a migration keep their values: a file written before the rename
opens with the new names and the same numbers."""

from __future__ import annotations

import duckdb

from invdash import store
from invdash.store.schema import MIGRATIONS, SCHEMA_VERSION, UNKEY_ORDER_LINES


def _file_at_version(path, version: int) -> None:
    conn = duckdb.connect(str(path))
    conn.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMP)")
    for number, statements in MIGRATIONS:
        if number > version:
            break
        for statement in statements:
            conn.execute(statement)
        conn.execute("INSERT INTO schema_version VALUES (?, now())", [number])
    conn.close()


def test_protection_demand_columns_are_renamed_with_their_values(tmp_path):
    path = tmp_path / "v4.duckdb"
    _file_at_version(path, 4)
    conn = duckdb.connect(str(path))
    conn.execute(
        "INSERT INTO suggestions (run_id, sku, demand_lt_mean, demand_lt_sd) "
        "VALUES ('r1', 'A', 139.1, 12.5)"
    )
    conn.close()

    conn = store.connect(path)
    try:
        assert store.schema_version(conn) == SCHEMA_VERSION
        columns = store.table_columns(conn, "suggestions")
        assert "demand_lt_mean" not in columns and "demand_lt_sd" not in columns
        row = conn.execute(
            "SELECT protection_demand_mean, protection_demand_sd FROM suggestions WHERE sku = 'A'"
        ).fetchone()
    finally:
        conn.close()
    assert row == (139.1, 12.5)


def test_order_lines_lose_their_primary_key_and_keep_every_row(tmp_path):
    path = tmp_path / "keyed.duckdb"
    before = next(v for v, group in MIGRATIONS if group is UNKEY_ORDER_LINES) - 1
    _file_at_version(path, before)
    conn = duckdb.connect(str(path))
    conn.execute(
        "INSERT INTO order_lines SELECT 'o' || (i // 3), i % 3 + 1, 'c' || (i % 7), "
        "'S' || (i % 11), TIMESTAMP '2024-01-01' + INTERVAL (i) MINUTE, i % 5 - 1, 0.5 * i "
        "FROM range(3000) t(i)"
    )
    stored = conn.execute("SELECT * FROM order_lines ORDER BY ALL").fetchall()
    conn.close()

    conn = store.connect(path)
    try:
        assert store.schema_version(conn) == SCHEMA_VERSION
        assert conn.execute("SELECT * FROM order_lines ORDER BY ALL").fetchall() == stored
        kinds = {r[0] for r in conn.execute(
            "SELECT constraint_type FROM duckdb_constraints() WHERE table_name = 'order_lines'"
        ).fetchall()}
        tables = {r[0] for r in conn.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    finally:
        conn.close()
    assert kinds == {"NOT NULL"}
    assert "order_lines__keyed" not in tables
