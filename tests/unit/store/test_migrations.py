"""Stored columns renamed by a migration keep their values: a file written before the rename
opens with the new names and the same numbers."""

from __future__ import annotations

import duckdb

from invdash import store
from invdash.store.schema import MIGRATIONS, SCHEMA_VERSION


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
