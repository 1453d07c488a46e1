"""SQL for the recs area (owned by that area's module; registered as a migration in schema.py)."""

from __future__ import annotations

__all__ = ["DDL"]

#: CREATE TABLE IF NOT EXISTS statements for this area's tables.
DDL: tuple[str, ...] = ()
