"""A table's current definition, as the migrations in ``store.schema`` leave it.

Whole-table rewrites (the demo build, large ingests) create a fresh copy of a core table and
rename it into place; the copy must have the table's current shape, which is its last
``CREATE TABLE`` in the migrations plus the columns later migrations added.
"""

from __future__ import annotations

from invdash.store.schema import MIGRATIONS

__all__ = ["current_ddl"]


def current_ddl(table: str, name: str | None = None) -> list[str]:
    """The statements that create ``table`` as the migrations leave it, optionally as ``name``
    (a staging copy): its last ``CREATE TABLE`` (a table rebuilt by a later migration, as
    ``order_lines`` without its key, has a second one) and the ``ALTER TABLE`` statements after
    it, renames left out.

    Raises:
        ValueError: no migration creates ``table``.
    """
    create = f"CREATE TABLE IF NOT EXISTS {table} ("
    prefixes = (f"ALTER TABLE {table} ", f"ALTER TABLE IF EXISTS {table} ")
    target = name or table
    statements: list[str] = []
    for statement in (s for _, group in MIGRATIONS for s in group):
        if statement.startswith(create):
            statements = [statement.replace(f"EXISTS {table}", f"EXISTS {target}", 1)]
        elif statements and statement.startswith(prefixes) and " RENAME TO " not in statement:
            statements.append(statement.replace(f"{table} ", f"{target} ", 1))
    if not statements:
        raise ValueError(f"no migration creates a table {table!r}")
    return statements
