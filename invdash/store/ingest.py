"""SQL for ingestion: staging a file in DuckDB, typed casting, checks, and the writes.

Design:
- A file is read as text with generated column names ``col0 .. colN`` (the header text a user
  wrote never reaches SQL); the path and every option travel as parameters. ``stage_sample``
  keeps its first records in ``_ingest_raw`` to choose date formats; ``create_typed`` then reads
  the whole file once, casting the mapped columns (``TRY_CAST`` / ``try_strptime``) into
  ``_ingest_typed``, which keeps file order (a record's line = ``rowid`` + first line) and the
  raw text of every parsed column as ``raw_<column>`` so a check can name the offending text and
  line. All checks are counted in one scan (``count_where``).
- Column expressions are built here only from the fixed templates below and identifiers checked
  against ``_IDENT`` (canonical names from ``invdash.ingest.columns`` or ``colN``); values, formats
  and paths are always parameters.
- Writes replace what the file is the authority for (the orders, sku-days, snapshots it contains):
  ``DELETE`` of the matching keys, then ``INSERT ... SELECT`` from the staged table, inside the
  caller's ``store.transaction``; a large file goes through committed staging copies of the
  tables and one swap instead (``ingest_swap``), so memory stays bounded.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from invdash.store.ingest_log import log_ingest, logged_at, recent_ingests

__all__ = [
    "RAW", "TYPED", "predicate", "CsvSource", "ParquetSource", "stage_sample", "TEXT", "NUMBER",
    "TIMESTAMP_ISO", "TIMESTAMP_FORMAT", "DAY_ISO", "DAY_FORMAT", "FLAG", "ABSENT",
    "parquet_columns", "staged_columns", "staged_rows", "count_format_failures", "create_typed",
    "create_typed_if_clean", "count_where",
    "first_where", "first_duplicates", "drop_staging", "logged_at", "log_ingest", "recent_ingests",
    "store_sales", "store_products", "store_inventory", "store_purchase_orders",
    "stage_codes", "store_order_lines", "order_line_stats", "excluded_code_counts",
    "store_product_names", "stage_orders", "stage_day_sales", "insert_lines_sql", "store_kind",
    "stage_kind", "stage_order_tables",
]

# The order-line SQL lives in ``ingest_orders``, the other kinds' writes in ``ingest_writes`` and
# the large-file staging in ``ingest_swap`` (module size); re-exported here.

RAW = "_ingest_raw"
TYPED = "_ingest_typed"
_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")

#: Text -> typed value templates; ``{c}`` is a raw column identifier.
TEXT = "nullif(trim({c}), '')"
# DuckDB's casts accept surrounding blanks; only text keys pay for trim().
NUMBER = "TRY_CAST({c} AS DOUBLE)"
TIMESTAMP_ISO = "TRY_CAST({c} AS TIMESTAMP)"
TIMESTAMP_FORMAT = "try_strptime(trim({c}), ?)"
DAY_ISO = f"CAST({TIMESTAMP_ISO} AS DATE)"
DAY_FORMAT = f"CAST({TIMESTAMP_FORMAT} AS DATE)"
#: Typed NULL per parse kind, for optional columns a file does not have.
ABSENT = {
    "key": "CAST(NULL AS VARCHAR)", "text": "CAST(NULL AS VARCHAR)",
    "number": "CAST(NULL AS DOUBLE)", "flag": "CAST(NULL AS DOUBLE)",
    "timestamp": "CAST(NULL AS TIMESTAMP)", "day": "CAST(NULL AS DATE)",
}
FLAG = (
    "CASE WHEN lower(trim({c})) IN ('true', 'yes', 'y', 't') THEN 1.0 "
    "WHEN lower(trim({c})) IN ('false', 'no', 'n', 'f') THEN 0.0 "
    "ELSE TRY_CAST(nullif(trim({c}), '') AS DOUBLE) END"
)


#: Row rules over ``_ingest_typed``: true on offending rows. ``{n}`` is a canonical column.
_PREDICATES = {
    "missing": "{n} IS NULL",
    "unparseable": "{n} IS NULL AND raw_{n} IS NOT NULL AND trim(raw_{n}) <> ''",
    "empty": "{n} IS NULL AND (raw_{n} IS NULL OR trim(raw_{n}) = '')",
    "non_finite": "NOT isfinite({n})",
    "above": "abs({n}) > {bound}",
    "below": "{n} < {bound}",
    "date_range": "{n} < TIMESTAMP '1900-01-01' OR {n} >= TIMESTAMP '2200-01-01'",
}


def predicate(rule: str, column: str, bound: float = 0.0) -> str:
    """The SQL predicate of ``rule`` (a key of ``_PREDICATES``) for canonical ``column``."""
    return _PREDICATES[rule].format(n=_ident(column), bound=repr(float(bound)))


def _ident(name: str) -> str:
    if not _IDENT.match(name):
        raise ValueError(f"not a safe identifier: {name!r}")
    return name


def _drop_rejects(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute("DROP TABLE IF EXISTS _ingest_rejects")
    conn.execute("DROP TABLE IF EXISTS _ingest_reject_scans")


@dataclass(frozen=True)
class CsvSource:
    """A CSV file and its dialect, read with every column as text named ``col0..``."""

    path: Path
    n_columns: int
    delimiter: str
    encoding: str
    compression: str
    quote: str = '"'


@dataclass(frozen=True)
class ParquetSource:
    """A Parquet file, read with every column cast to text named ``col0..``."""

    path: Path
    n_columns: int


#: How a CSV read treats malformed records: skip them (the sample), keep them in
#: ``_ingest_rejects`` (the careful read), or fail at the first (the fast read of a clean file).
_CSV_ERRORS = {
    "skip": "ignore_errors = true",
    "store": "store_rejects = true, rejects_table = '_ingest_rejects', "
    "rejects_scan = '_ingest_reject_scans'",
    "fail": "ignore_errors = false",
}


def _source(
    source: CsvSource | ParquetSource, *, errors: str, types: dict[str, str] | None = None
) -> tuple[str, list[object]]:
    """The FROM clause reading ``source`` (all text but the columns in ``types``), and its
    parameters."""
    if isinstance(source, ParquetSource):
        select = ", ".join(f"CAST(#{i + 1} AS VARCHAR) AS col{i}"
                           for i in range(source.n_columns))
        return f"(SELECT {select} FROM read_parquet(?))", [str(source.path)]
    columns = {f"col{i}": "VARCHAR" for i in range(source.n_columns)} | (types or {})
    clause = (
        "read_csv(?, columns = ?, header = true, auto_detect = false, delim = ?, quote = ?, "
        f"escape = ?, encoding = ?, compression = ?, max_line_size = 10000000, "
        f"{_CSV_ERRORS[errors]})"
    )
    return clause, [str(source.path), columns, source.delimiter, source.quote, source.quote,
                    source.encoding, source.compression]


def parquet_columns(conn: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    """Column names of a Parquet file, in file order."""
    rel = conn.execute("SELECT * FROM read_parquet(?) LIMIT 0", [str(path)])
    return [d[0] for d in rel.description]


def stage_sample(
    conn: duckdb.DuckDBPyConnection, source: CsvSource | ParquetSource, limit: int = 5000
) -> int:
    """Read the first ``limit`` records (all text) into ``_ingest_raw``, to choose date formats.

    Malformed lines are skipped here; ``create_typed`` reports them. Returns the records read.
    """
    clause, params = _source(source, errors="skip")
    conn.execute("DROP TABLE IF EXISTS _ingest_raw")
    query = f"CREATE TEMP TABLE _ingest_raw AS SELECT * FROM {clause} LIMIT ?"
    conn.execute(query, [*params, limit])
    return int(conn.execute("SELECT count(*) FROM _ingest_raw").fetchone()[0])


def staged_columns(conn: duckdb.DuckDBPyConnection) -> frozenset[str]:
    """The columns of ``_ingest_typed`` (the fast read keeps no ``raw_`` text of some)."""
    return frozenset(d[0] for d in conn.execute("SELECT * FROM _ingest_typed LIMIT 0").description)


def staged_rows(conn: duckdb.DuckDBPyConnection) -> int:
    """Number of records in ``_ingest_typed``."""
    return int(conn.execute("SELECT count(*) FROM _ingest_typed").fetchone()[0])


def count_format_failures(conn: duckdb.DuckDBPyConnection, column: str, fmt: str | None) -> int:
    """How many sampled non-empty values of ``column`` fail to parse with ``fmt``
    (``None``: ISO 8601 via a cast)."""
    col = _ident(column)
    parsed = TIMESTAMP_ISO.format(c="v") if fmt is None else TIMESTAMP_FORMAT.format(c="v")
    sql = (
        f"SELECT count(*) FILTER (WHERE {parsed} IS NULL) FROM "
        f"(SELECT {col} AS v FROM _ingest_raw WHERE nullif(trim({col}), '') IS NOT NULL)"
    )
    return int(conn.execute(sql, [] if fmt is None else [fmt]).fetchone()[0])


def _typed_select(
    columns: Sequence[tuple[str, str | None, str, str | None]],
) -> tuple[str, list[object]]:
    selects: list[str] = []
    params: list[object] = []
    for name, raw, template, fmt in columns:
        if raw is None:
            selects.append(f"{template} AS {_ident(name)}")
            continue
        selects.append(f"{template.format(c=_ident(raw))} AS {_ident(name)}")
        if fmt is not None:
            params.append(fmt)
        if template != TEXT:
            selects.append(f"{_ident(raw)} AS raw_{_ident(name)}")
    return ", ".join(selects), params


#: Templates the CSV reader can apply itself while parsing (a typed column, no text copy).
_PARSED_BY_READER = {NUMBER: ("DOUBLE", "{c}"), TIMESTAMP_ISO: ("TIMESTAMP", "{c}"),
                     DAY_ISO: ("TIMESTAMP", "CAST({c} AS DATE)")}


def create_typed_if_clean(
    conn: duckdb.DuckDBPyConnection,
    source: CsvSource,
    columns: Sequence[tuple[str, str | None, str, str | None]],
) -> bool:
    """``create_typed`` at full reading speed, for a file where every value parses.

    DuckDB's CSV reader is fastest when it parses numbers and ISO timestamps itself, and
    slowest when it keeps rejected records; almost every file is clean. So read strictly, with
    number and ISO date columns typed by the reader: True when the whole file was read into
    ``_ingest_typed``; False (and no table) at the first malformed record, encoding error or
    value that does not parse, after which the caller runs ``create_typed``.

    Reader-typed columns get no ``raw_<column>`` text here (every value parsed, so no message
    needs it to explain a parse failure, and a 10-million-row file keeps no columns of NULLs
    in memory); ``staged_columns`` tells the checks which exist. A caller whose checks then
    fail stages the file again with ``create_typed`` so the message can quote the text.
    """
    selects, params, types = [], [], {}
    for name, raw, template, fmt in columns:
        if raw is not None and template in _PARSED_BY_READER:
            types[_ident(raw)], expression = _PARSED_BY_READER[template]
            selects.append(f"{expression.format(c=_ident(raw))} AS {_ident(name)}")
            continue
        select, more = _typed_select([(name, raw, template, fmt)])
        selects.append(select)
        params += more
    clause, source_params = _source(source, errors="fail", types=types)
    conn.execute("DROP TABLE IF EXISTS _ingest_typed")
    try:
        query = f"CREATE TEMP TABLE _ingest_typed AS SELECT {', '.join(selects)} FROM {clause}"
        conn.execute(query, [*params, *source_params])
    except duckdb.Error:
        conn.execute("DROP TABLE IF EXISTS _ingest_typed")
        return False
    return True


def create_typed(
    conn: duckdb.DuckDBPyConnection,
    source: CsvSource | ParquetSource,
    columns: Sequence[tuple[str, str | None, str, str | None]],
) -> tuple[int, list[tuple[int, str, str, str]]]:
    """Read the whole file once, casting the mapped columns, into ``_ingest_typed``.

    The table keeps file order, so ``rowid + first line`` is a record's line. Parsed columns
    also keep their text as ``raw_<canonical name>`` for the messages.

    Args:
        conn: the connection.
        source: the file.
        columns: ``(canonical name, raw column, template, format)``; the template is one of
            ``TEXT, NUMBER, TIMESTAMP_ISO, TIMESTAMP_FORMAT, DAY_ISO, DAY_FORMAT, FLAG``, or
            ``ABSENT[parse]`` with raw column ``None`` for an optional column the file lacks
            (so every kind's table has all its columns and the writes need no variants).

    Returns:
        The number of rejected CSV records and the first ones as ``(line, column, error type,
        message)``: ragged rows, broken quoting, bad encoding (``line``: header = 1).
    """
    select, params = _typed_select(columns)
    clause, source_params = _source(source, errors="store")
    _drop_rejects(conn)
    conn.execute("DROP TABLE IF EXISTS _ingest_typed")
    query = f"CREATE TEMP TABLE _ingest_typed AS SELECT {select} FROM {clause}"
    conn.execute(query, [*params, *source_params])
    if isinstance(source, ParquetSource):
        return 0, []
    total = conn.execute("SELECT count(*) FROM _ingest_rejects").fetchone()[0]
    rejects = conn.execute(
        "SELECT line, coalesce(column_name, ''), error_type, error_message FROM _ingest_rejects "
        "ORDER BY line LIMIT 20"
    ).fetchall()
    _drop_rejects(conn)
    return int(total), [(int(a), str(b), str(c), str(d)) for a, b, c, d in rejects]


def count_where(conn: duckdb.DuckDBPyConnection, predicates: Sequence[str]) -> list[int]:
    """Count the typed rows matching each predicate, all in one scan.

    Predicates are built by ``invdash.ingest.checks`` from fixed templates over canonical names.
    """
    if not predicates:
        return []
    aggregates = ", ".join(f"count(*) FILTER (WHERE {p})" for p in predicates)
    # The WHERE keeps only rows that break some rule (usually none), so the per-rule counts
    # run on that handful instead of every row: the same counts, one cheap pass.
    anywhere = " OR ".join(f"({p})" for p in predicates)
    query = f"SELECT {aggregates} FROM _ingest_typed WHERE {anywhere}"
    return [int(v) for v in conn.execute(query).fetchone()]


def first_where(
    conn: duckdb.DuckDBPyConnection, predicate: str, value: str, *, first_line: int,
    limit: int = 3,
) -> list[tuple[int, object]]:
    """``(line, value)`` of the first rows matching ``predicate``, in file order."""
    query = (f"SELECT rowid + ?, {_ident(value)} FROM _ingest_typed WHERE {predicate} "
             "ORDER BY rowid LIMIT ?")
    rows = conn.execute(query, [first_line, limit]).fetchall()
    return [(int(line), v) for line, v in rows]


def first_duplicates(
    conn: duckdb.DuckDBPyConnection, keys: Sequence[str], *, first_line: int, limit: int = 3
) -> tuple[int, list[tuple[tuple[object, ...], list[int]]]]:
    """Key groups that occur more than once: ``(number of groups, [(key, lines), ...])``."""
    cols = ", ".join(_ident(k) for k in keys)
    query = (f"SELECT count(*) FROM (SELECT 1 FROM _ingest_typed GROUP BY {cols} "
             "HAVING count(*) > 1)")
    total = conn.execute(query).fetchone()[0]
    query = (f"SELECT {cols}, list(rowid + ? ORDER BY rowid) AS lines FROM _ingest_typed "
             f"GROUP BY {cols} HAVING count(*) > 1 ORDER BY min(rowid) LIMIT ?")
    rows = conn.execute(query, [first_line, limit]).fetchall()
    return int(total), [(tuple(r[:-1]), [int(x) for x in r[-1]]) for r in rows]


def drop_staging(conn: duckdb.DuckDBPyConnection) -> None:
    """Drop the staging tables (safe to call at any time)."""
    conn.execute("DROP TABLE IF EXISTS _ingest_raw")
    conn.execute("DROP TABLE IF EXISTS _ingest_typed")
    conn.execute("DROP TABLE IF EXISTS _ingest_codes")
    for table in ("_ingest_days", "_ingest_orders", "_ingest_sales", "_ingest_line_nos"):
        conn.execute(f"DROP TABLE IF EXISTS {table}")
    _drop_rejects(conn)
    drop_staged(conn)


from invdash.store.ingest_orders import (  # noqa: E402 - re-export after the shared helpers
    excluded_code_counts,
    insert_lines_sql,
    order_line_stats,
    stage_codes,
    stage_day_sales,
    stage_order_tables,
    stage_orders,
    store_order_lines,
    store_product_names,
)
from invdash.store.ingest_swap import drop_staged  # noqa: E402
from invdash.store.ingest_writes import (  # noqa: E402
    stage_kind,
    store_inventory,
    store_kind,
    store_products,
    store_purchase_orders,
    store_sales,
)
