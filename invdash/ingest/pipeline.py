"""``ingest_file``: one file into the store, completely or not at all.

Steps: sniff the file (``detect``) -> map its header onto a kind (``columns``) -> hash it (a large
file in a thread, while it is read); if this content was ingested as this kind before, stop
(nothing changes) -> DuckDB reads it once into a typed staging table (``_ingest_typed``) ->
check every column in one scan (``checks``) -> write the kind's tables and the ``ingest_log``
row (``write``: in one transaction, or for a large file through committed staging copies
swapped in by one short transaction). Everything runs under
DuckDB's ``memory_limit`` (``IngestLimits``, ``INVDASH_INGEST_MEMORY``). Any error before or
during the writes leaves the database as it was.

Order-line exports (e.g. UCI Online Retail) are stored in ``order_lines`` and aggregated into
daily ``sales`` in SQL; see ``store.ingest.store_order_lines`` for the demand rule.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb

from invdash.config import load_settings
from invdash.ingest.checks import check_unique, run_checks, typed_columns
from invdash.ingest.columns import KIND_NAMES, ColumnMapping, detect_kind, map_columns
from invdash.ingest.detect import FileFormat, file_sha256, sniff_file
from invdash.ingest.report import IngestReport
from invdash.ingest.write import (
    NON_PRODUCT_CODES,
    UNIQUE_KEYS,
    IngestLimits,
    StoreJob,
    store_file,
)
from invdash.schema import InvalidDataError
from invdash.store import ingest as sql
from invdash.store.ingest_swap import bounded_memory

__all__ = [
    "ingest_file", "inspect_file", "FilePreview", "NON_PRODUCT_CODES", "KIND_CHOICES",
    "IngestLimits",
]

KIND_CHOICES = ("auto", *KIND_NAMES)
_READ_FIX = "check that it is a complete CSV or Parquet file, or export it again"

Progress = Callable[[str], None]

#: Files of at least this many bytes are hashed in a thread while DuckDB reads them (the hash
#: of a 10-million-line export takes about 2 s, one core); an unchanged file that big is
#: recognised after the read, not before it. Smaller files are hashed first.
HASH_WHILE_READING = 64 * 2**20


class FilePreview:
    """What ``inspect_file`` found: format, kind and the column mapping.

    Attributes:
        file_format: how the file is read.
        kind: the detected (or given) kind.
        mapping: canonical column -> header name.
        ignored: header names not used.
    """

    def __init__(self, file_format: FileFormat, mapping: ColumnMapping) -> None:
        self.file_format = file_format
        self.kind = mapping.kind
        self.mapping = {name: source for name, (_, source) in mapping.columns.items()}
        self.ignored = mapping.ignored


def _header(conn: duckdb.DuckDBPyConnection, fmt: FileFormat) -> tuple[str, ...]:
    if fmt.format == "csv":
        return fmt.header
    try:
        return tuple(sql.parquet_columns(conn, fmt.path))
    except duckdb.Error as err:
        raise InvalidDataError(f"{fmt.path.name}: not a readable Parquet file "
                               f"({_first_line(err)}); {_READ_FIX}.") from err


def _mapping(conn: duckdb.DuckDBPyConnection, fmt: FileFormat, kind: str) -> ColumnMapping:
    if kind not in KIND_CHOICES:
        raise InvalidDataError(f"unknown kind {kind!r}; use one of {', '.join(KIND_CHOICES)}.")
    header = _header(conn, fmt)
    found = detect_kind(fmt.path.name, header) if kind == "auto" else kind
    return map_columns(fmt.path.name, header, found)


def inspect_file(
    conn: duckdb.DuckDBPyConnection, path: str | Path, *, kind: str = "auto"
) -> FilePreview:
    """Detect a file's format and kind and map its columns, without reading the rows.

    Raises:
        InvalidDataError: the file cannot be read or its header fits no kind.
    """
    fmt = sniff_file(path)
    return FilePreview(fmt, _mapping(conn, fmt, kind))


def _first_line(err: Exception) -> str:
    return str(err).strip().splitlines()[0][:200]


_REJECT_WORDS = {
    "MISSING COLUMNS": "fewer fields than the header",
    "TOO MANY COLUMNS": "more fields than the header",
    "UNQUOTED VALUE": "broken quoting",
    "LINE SIZE OVER MAXIMUM": "a line over 10 MB",
    "INVALID ENCODING": "text that is not valid in the file's encoding",
    "INVALID UNICODE": "text that is not valid in the file's encoding",
}


def _source(fmt: FileFormat, width: int, encoding: str) -> sql.CsvSource | sql.ParquetSource:
    if fmt.format == "parquet":
        return sql.ParquetSource(path=fmt.path, n_columns=width)
    return sql.CsvSource(path=fmt.path, n_columns=width, delimiter=fmt.delimiter,
                         encoding=encoding, compression=fmt.compression)


def _read_error(fmt: FileFormat, err: duckdb.Error) -> InvalidDataError:
    return InvalidDataError(f"{fmt.path.name}: could not be read ({_first_line(err)}); "
                            f"{_READ_FIX}.")


def _malformed(fmt: FileFormat, total: int, rejects: list[tuple[int, str, str, str]]) -> str:
    cases = ", ".join(f"line {line} ({_REJECT_WORDS.get(kind, kind.lower())})"
                      for line, _, kind, _ in rejects[:3])
    delim = {"\t": "tab"}.get(fmt.delimiter, repr(fmt.delimiter))
    return (
        f"{fmt.path.name}: {total:,} malformed line(s) (first: {cases}); fix: every line needs "
        f"the header's {len(fmt.header)} fields separated by {delim}, and every quote must be "
        'closed (a quote inside a quoted field is written twice: ""). Nothing was stored.'
    )


def _stage(conn: duckdb.DuckDBPyConnection, fmt: FileFormat, mapping: ColumnMapping,
           width: int, *, fast: bool) -> tuple[int, list[str], bool]:
    """Read the file once into ``_ingest_typed``; returns ``(rows, warnings, fast)``.

    ``fast`` tries ``create_typed_if_clean`` first; the returned flag says whether it held
    (then the raw text of reader-parsed columns is not kept: see ``_checked``).
    """
    encoding = fmt.encoding
    try:
        source = _source(fmt, width, encoding)
        sql.stage_sample(conn, source)
        specs, warnings = typed_columns(conn, mapping)
        total, rejects = 0, []
        fast = fast and isinstance(source, sql.CsvSource) and sql.create_typed_if_clean(
            conn, source, specs
        )
        if not fast:
            total, rejects = sql.create_typed(conn, source, specs)
        if total and encoding == "utf-8" and all(
            "ENCOD" in r[2] or "UNICODE" in r[2] for r in rejects
        ):  # the sample was UTF-8, later lines are not: Latin-1 (Windows exports)
            total, rejects = sql.create_typed(conn, _source(fmt, width, "latin-1"), specs)
    except duckdb.Error as err:
        raise _read_error(fmt, err) from err
    if total:
        raise InvalidDataError(_malformed(fmt, total, rejects))
    rows = sql.staged_rows(conn)
    if rows == 0:
        raise InvalidDataError(f"{fmt.path.name}: has a header but no data rows; "
                               "export the rows as well.")
    return rows, warnings, fast


def _check(conn: duckdb.DuckDBPyConnection, fmt: FileFormat, mapping: ColumnMapping) -> None:
    where = ("line", 2) if fmt.format == "csv" else ("row", 1)
    run_checks(conn, mapping, file=fmt.path.name, where=where)
    if mapping.kind == "products":  # an upsert: no primary key refuses a repeated SKU
        keys, fix = UNIQUE_KEYS["products"]
        check_unique(conn, keys, file=fmt.path.name, where=where, fix=fix)
    if mapping.kind == "events" and {"sku", "category"} <= set(mapping.columns):
        _check_event_scope(conn, fmt.path.name, where)


def _check_event_scope(conn: duckdb.DuckDBPyConnection, file: str, where: tuple[str, int]) -> None:
    """An event row names a SKU, a category or neither (the whole shop), never both."""
    unit, first_line = where
    both = "nullif(trim(sku), '') IS NOT NULL AND nullif(trim(category), '') IS NOT NULL"
    first = sql.first_where(conn, both, "sku", first_line=first_line)
    if first:
        lines = ", ".join(f"{unit} {line} ({value!r})" for line, value in first)
        raise InvalidDataError(
            f"{file}: column sku and column category are both filled on {lines}; an event "
            "applies to one SKU, one category or (both empty) the whole shop: empty one of them."
        )


def _checked(conn: duckdb.DuckDBPyConnection, fmt: FileFormat, mapping: ColumnMapping,
             say: Callable[[str], None]) -> tuple[int, list[str]]:
    """Stage and check the file; a failed check after the fast read stages it again with the
    raw text kept, so every message quotes the offending text as it is in the file."""
    width = len(_header(conn, fmt))
    rows, warnings, fast = _stage(conn, fmt, mapping, width, fast=True)
    say(f"checking {rows:,} rows")
    try:
        _check(conn, fmt, mapping)
    except InvalidDataError:
        if not fast:
            raise
        rows, warnings, _ = _stage(conn, fmt, mapping, width, fast=False)
        _check(conn, fmt, mapping)
    return rows, warnings


def _extra_warnings(conn: duckdb.DuckDBPyConnection, kind: str) -> list[str]:
    if kind != "inventory":
        return []
    negative = sql.count_where(conn, [sql.predicate("below", "on_hand", 0.0)])[0]
    return [f"{negative:,} snapshots have negative on_hand (backorders?); stored as given."] * (
        negative > 0
    )


@dataclass(frozen=True)
class _Run:
    limits: IngestLimits
    say: Progress
    started: float
    sha: Future[str]


def _write(conn: duckdb.DuckDBPyConnection, fmt: FileFormat, mapping: ColumnMapping,
           base: dict[str, object], run: _Run) -> IngestReport:
    """Stage, check and store the file; returns the report (logged with the data)."""
    say = run.say
    rows, warnings = _checked(conn, fmt, mapping, say)
    base = base | {"sha256": run.sha.result()}
    if sql.logged_at(conn, str(base["sha256"]), mapping.kind) is not None:  # a large file
        return IngestReport(rows_read=0, already_ingested=True, **base)  # type: ignore[arg-type]
    warnings += _extra_warnings(conn, mapping.kind)
    say(f"storing {rows:,} {mapping.kind} rows")
    reports: list[IngestReport] = []

    def finish(stored: dict[str, int], extra: dict[str, object]) -> None:
        report = IngestReport(rows_read=rows, rows_stored=stored, warnings=tuple(warnings),
                              seconds=round(time.perf_counter() - run.started, 3), **base,
                              **extra)  # type: ignore[arg-type]
        sql.log_ingest(conn, sha256=str(base["sha256"]), kind=mapping.kind,
                       source=str(fmt.path), rows_read=rows,
                       rows_stored=sum(stored.values()), report=report.to_json())
        reports.append(report)

    where = ("line", 2) if fmt.format == "csv" else ("row", 1)
    store_file(conn, mapping, StoreJob(rows=rows, limits=run.limits, finish=finish,
                                       file=fmt.path.name, where=where, say=say))
    return reports[0]


def ingest_file(
    conn: duckdb.DuckDBPyConnection,
    path: str | Path,
    *,
    kind: str = "auto",
    progress: Progress | None = None,
    limits: IngestLimits | None = None,
) -> IngestReport:
    """Load one CSV (plain or gzip) or Parquet file into the store, atomically and idempotently.

    Args:
        conn: a read-write store connection (``store.connect``).
        path: the file.
        kind: ``auto`` or one of ``sales, order_lines, products, inventory, purchase_orders,
            events``.
        progress: called with a short message at each stage (the CLI prints them on stderr).
        limits: DuckDB's memory limit and the staging block sizes (default: ``IngestLimits``
            with ``INVDASH_INGEST_MEMORY``).

    Returns:
        The ``IngestReport``; ``already_ingested`` is True (and nothing changed) when the same
        bytes were ingested as the same kind before.

    Raises:
        InvalidDataError: the file is missing, unreadable or breaks a rule; the message names the
            file, the column, the first offending lines (header = line 1) and the fix. The
            database is unchanged.
    """
    started = time.perf_counter()
    say = progress or (lambda _message: None)
    limits = limits or IngestLimits(memory_limit=load_settings().ingest_memory_limit)
    fmt = sniff_file(path)
    mapping = _mapping(conn, fmt, kind)
    base = {"file": fmt.path.name, "kind": mapping.kind,
            "column_mapping": {k: v for k, (_, v) in mapping.columns.items()},
            "ignored_columns": mapping.ignored}
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="invdash-hash") as pool:
        sha = pool.submit(file_sha256, fmt.path)
        alongside = fmt.path.stat().st_size >= HASH_WHILE_READING
        if not alongside:
            say(f"hashing {fmt.path.name}")
            if sql.logged_at(conn, sha.result(), mapping.kind) is not None:
                return IngestReport(rows_read=0, already_ingested=True, sha256=sha.result(),
                                    **base)
        with bounded_memory(conn, limits.memory_limit):
            try:
                sql.drop_staging(conn)  # what a killed ingest left behind
                say(f"reading {fmt.path.name} ({fmt.format}, {fmt.compression}, {fmt.encoding})"
                    + (", hashing it alongside" if alongside else ""))
                return _write(conn, fmt, mapping, base, _Run(limits, say, started, sha))
            finally:
                sql.drop_staging(conn)
