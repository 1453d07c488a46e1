"""Typed casting and validation of a staged file, with messages that name line, column and fix.

Design: every check is a SQL predicate over ``_ingest_typed`` (typed canonical columns plus the
raw text ``raw_<column>`` of parsed ones). All predicates are counted in one scan; only failing
checks fetch their first three lines. Every failure found is listed (one line each), so a user
fixes the file in one round. Line numbers are file lines with the header as line 1 (Parquet:
row numbers, first data row = 1). After the fast read, columns the CSV reader typed have no raw
text: their checks test the typed value (nothing failed to parse), and a failing file is read
again with its text so the message quotes it.

Date and timestamp columns get one format per column, chosen on a sample: ISO 8601 first, then
the common day-first / month-first forms. A column that fits both (every day <= 12) is read
month-first and reported as a warning.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from invdash.ingest.columns import KINDS, MAX_ABS_QTY, Column, ColumnMapping
from invdash.schema import InvalidDataError
from invdash.store import ingest as sql

__all__ = ["Check", "DATE_FORMATS", "typed_columns", "run_checks", "check_unique"]

#: Candidate timestamp formats after ISO 8601 (``None``), in order of preference.
DATE_FORMATS: tuple[str | None, ...] = (
    None,
    "%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y",
    "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y",
    "%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y",
    "%Y/%m/%d %H:%M:%S", "%Y/%m/%d", "%Y%m%d", "%d-%m-%Y", "%m/%d/%y %H:%M", "%m/%d/%y",
    "%d/%m/%y",
)
_TEMPLATES = {"key": sql.TEXT, "text": sql.TEXT, "number": sql.NUMBER, "flag": sql.FLAG}
_DATE_TEMPLATES = {
    "timestamp": (sql.TIMESTAMP_ISO, sql.TIMESTAMP_FORMAT),
    "day": (sql.DAY_ISO, sql.DAY_FORMAT),
}


@dataclass(frozen=True)
class Check:
    """One rule over the typed table.

    Args:
        predicate: SQL predicate true on offending rows, from ``store.ingest.predicate``.
        column: canonical column it is about.
        problem: what is wrong, for ``N <problem>``.
        fix: how to fix it.
        show: the column whose value is quoted in the message (raw text when parsed).
    """

    predicate: str
    column: str
    problem: str
    fix: str
    show: str


def _pick_format(
    conn: duckdb.DuckDBPyConnection, raw: str, warnings: list[str], label: str
) -> str | None:
    if sql.count_format_failures(conn, raw, None) == 0:
        return None  # ISO 8601 comes first and fits: no other format can win (one query)
    failures = {fmt: sql.count_format_failures(conn, raw, fmt) for fmt in DATE_FORMATS}
    best = min(DATE_FORMATS, key=lambda fmt: failures[fmt])
    day_first = None if best is None else best.replace("%m/%d", "%d/%m")
    if best is not None and best.startswith("%m/%d") and failures[day_first] == 0:
        warnings.append(f"{label} fits both month/day and day/month; read as month/day ({best}).")
    return best


def typed_columns(
    conn: duckdb.DuckDBPyConnection, mapping: ColumnMapping
) -> tuple[list[tuple[str, str | None, str, str | None]], list[str]]:
    """How to cast each mapped column (date formats chosen on the staged sample), and warnings.

    Returns:
        ``(canonical name, raw column, template, format)`` per mapped column, for
        ``store.ingest.create_typed``; and the warnings (ambiguous date formats).
    """
    warnings: list[str] = []
    specs: list[tuple[str, str | None, str, str | None]] = []
    for column in KINDS[mapping.kind]:
        if column.name not in mapping.columns:
            specs.append((column.name, None, sql.ABSENT[column.parse], None))
            continue
        raw = f"col{mapping.columns[column.name][0]}"
        if column.parse in ("timestamp", "day"):
            fmt = _pick_format(conn, raw, warnings, f"column {mapping.source(column.name)!r}")
            iso, formatted = _DATE_TEMPLATES[column.parse]
            template = iso if fmt is None else formatted
            specs.append((column.name, raw, template, fmt))
        else:
            specs.append((column.name, raw, _TEMPLATES[column.parse], None))
    return specs, warnings


def _column_checks(column: Column, staged: frozenset[str]) -> list[Check]:
    """The checks of one column; ``staged`` are the typed table's columns. A column the CSV
    reader typed itself has no ``raw_`` text: none of its values failed to parse, an empty
    one is NULL, and the messages quote the typed value."""
    name = column.name
    if column.parse in ("key", "text"):
        if not column.required:
            return []
        return [Check(sql.predicate("missing", name), name, "empty values",
                      "every row needs a value", name)]
    has_text = f"raw_{name}" in staged
    show = f"raw_{name}" if has_text else name
    parse = "timestamp" if column.parse == "day" else column.parse
    word = {"number": "numbers", "flag": "0/1 flags", "timestamp": "dates"}[parse]
    fix = {
        "number": "write plain numbers with '.' as the decimal point and no thousands separator",
        "flag": "write 0/1, true/false or yes/no",
        "timestamp": "write dates as YYYY-MM-DD (or YYYY-MM-DD HH:MM:SS), one format per column",
    }[parse]
    checks = [Check(sql.predicate("unparseable", name), name, f"values that are not {word}",
                    fix, show)] if has_text else []
    if column.required:
        checks.append(Check(sql.predicate("empty" if has_text else "missing", name), name,
                            "empty values", "every row needs a value", show))
    if parse == "number":
        checks.append(Check(sql.predicate("non_finite", name), name,
                            "non-finite values (inf/nan)", "write a finite number", show))
    if column.bounded:
        checks.append(Check(sql.predicate("above", name, MAX_ABS_QTY), name,
                            f"absurd values (more than {MAX_ABS_QTY:,.0f} units)",
                            "check the unit and that this is the quantity column", show))
    if column.min_value is not None:
        checks.append(Check(sql.predicate("below", name, column.min_value), name,
                            "negative values", column.rule, show))
    if parse == "timestamp":
        checks.append(Check(sql.predicate("date_range", name), name, "dates outside 1900..2199",
                            "check the date column", show))
    return checks


def _describe(conn: duckdb.DuckDBPyConnection, check: Check, count: int, mapping: ColumnMapping,
              where: tuple[str, int]) -> str:
    unit, first_line = where
    first = sql.first_where(conn, check.predicate, check.show, first_line=first_line)
    cases = ", ".join(f"{unit} {line} {value!r}" if value is not None else f"{unit} {line}"
                      for line, value in first)
    return (f"column {mapping.source(check.column)!r} ({check.column}) has {count:,} "
            f"{check.problem} (first: {cases}); fix: {check.fix}.")


def run_checks(conn: duckdb.DuckDBPyConnection, mapping: ColumnMapping, *, file: str,
               where: tuple[str, int]) -> None:
    """Run every column check of the mapped kind in one scan.

    Args:
        conn: connection holding ``_ingest_typed``.
        mapping: the file's column mapping.
        file: file name for the message.
        where: ``("line", 2)`` for a CSV (header = line 1), ``("row", 1)`` for Parquet.

    Raises:
        InvalidDataError: listing every failing check with its first offending lines.
    """
    staged = sql.staged_columns(conn)
    checks = [check for column in KINDS[mapping.kind] if column.name in mapping.columns
              for check in _column_checks(column, staged)]
    counts = sql.count_where(conn, [c.predicate for c in checks])
    problems = [_describe(conn, check, n, mapping, where)
                for check, n in zip(checks, counts, strict=True) if n]
    if problems:
        raise InvalidDataError(_join(file, problems))


def check_unique(conn: duckdb.DuckDBPyConnection, keys: tuple[str, ...], *, file: str,
                 where: tuple[str, int], fix: str) -> None:
    """Raise when a key combination occurs on more than one row of the file."""
    unit, first_line = where
    total, groups = sql.first_duplicates(conn, keys, first_line=first_line)
    if not total:
        return
    cases = "; ".join(
        f"{'/'.join(str(k) for k in key)} on {unit}s {', '.join(str(n) for n in lines[:4])}"
        for key, lines in groups
    )
    raise InvalidDataError(
        _join(file, [f"{total:,} duplicated ({', '.join(keys)}) keys (first: {cases}); "
                     f"fix: {fix}."])
    )


def _join(file: str, problems: list[str]) -> str:
    if len(problems) == 1:
        return f"{file}: {problems[0]} Nothing was stored."
    body = "\n".join(f"  - {p}" for p in problems)
    return f"{file}: {len(problems)} problems, nothing was stored:\n{body}"
