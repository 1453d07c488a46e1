"""Reading an uploaded sales or order-line file for the Upload & Forecast page.

Design:
- The uploaded bytes go through the same ingest pipeline as ``invdash ingest``
  (``invdash.ingest.ingest_file``), into a throw-away DuckDB file in a temporary folder, and the
  daily sales come back through ``store.load_sales``. So the page accepts exactly the files the
  CLI accepts, aggregates order lines to daily demand by the same rule (cancellations, returns
  and non-product codes left out) and shows the CLI's error text. The user's database is never
  opened.
- Column mapping: the guess is the ingest's own header-alias lookup. When the user keeps the
  guess, the file goes to the pipeline byte for byte; when they change it, only the header line
  is rewritten (chosen columns get the canonical names, other alias columns a neutral name),
  so the pipeline maps exactly what was chosen.
- Large files: the uploaded file is copied to disk in ``UPLOAD_CHUNK_BYTES`` chunks
  (``save_upload``, hashing as it copies) and DuckDB reads it from that path; the page never
  calls ``getvalue()``. ``upload_sales`` and ``inspect_upload`` are ``ui.cache.cached_on_file``
  calls keyed by the saved path, which holds the content's SHA-256, so no file bytes enter a
  cache key.
  Files over ``server.maxUploadSize`` (``.streamlit/config.toml``) are refused with a message
  pointing to ``invdash ingest FILE`` (``upload_size_error``); the browser refuses them too.
- The work is in the plain functions ``read_header_at`` / ``read_sales_at``;
  ``read_upload_header`` / ``read_upload_sales`` take bytes (tests, small callers).
"""

from __future__ import annotations

import gzip
import hashlib
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd
import streamlit as st
from streamlit import config as st_config

from invdash import store
from invdash.forecast.grain import DAILY, Grain, default_horizon, detect_grain, to_grain
from invdash.ingest import ingest_file
from invdash.ingest.columns import KINDS, detect_kind, normalize
from invdash.ingest.detect import sniff_file
from invdash.schema import DATE, MEAN, MODEL, SKU, InvalidDataError
from invdash.ui.cache import cached_on_file

__all__ = [
    "sales_grain",
    "period_word",
    "horizon_choice",
    "UPLOAD_CHUNK_BYTES",
    "max_upload_bytes",
    "upload_size_error",
    "copy_in_chunks",
    "save_upload",
    "saved_upload",
    "read_header_at",
    "read_sales_at",
    "UPLOAD_KINDS",
    "NO_COLUMN",
    "MAPPING_KEY_PREFIX",
    "UploadedSales",
    "read_upload_header",
    "field_rows",
    "guess_mapping",
    "read_upload_sales",
    "inspect_upload",
    "upload_sales",
    "upload_fields",
    "forget_mapping",
    "sales_summary",
    "sku_sales",
    "forecast_csv",
    "CSV_COLUMNS",
]

#: Columns of the downloadable forecast CSV (same as the ``invdash forecast`` CLI output).
CSV_COLUMNS = (SKU, DATE, MODEL, MEAN, "p10", "p50", "p90")
#: Bytes per read when an upload is copied to disk (never the whole file at once).
UPLOAD_CHUNK_BYTES = 1 << 20
#: Where uploads are saved: ``<tmp>/invdash_uploads/<sha256 prefix>/<file name>``.
_UPLOAD_ROOT = "invdash_uploads"
#: Session-state key prefix remembering where this session saved an upload (per file id).
_SAVED_KEY_PREFIX = "_invdash_saved_upload_"
#: File kinds a forecast can start from (display order).
UPLOAD_KINDS = ("sales", "order_lines")
#: The mapping choice "this field is not in the file".
NO_COLUMN = "(none)"
#: Session-state key prefix of the mapping selectboxes (cleared when the file or kind changes).
MAPPING_KEY_PREFIX = "upload_forecast_map_"


@dataclass(frozen=True)
class UploadedSales:
    """Daily sales read from an upload.

    Args:
        sales: gap-free daily ``sku, date, qty, price, promo, stockout``.
        products: ``sku, name, ...`` where the file gave names (order lines), else empty.
        summary: the ingest report's summary (what was read, left out and why).
        warnings: the ingest's warnings.
    """

    sales: pd.DataFrame
    products: pd.DataFrame
    summary: str
    warnings: tuple[str, ...]


def max_upload_bytes() -> int:
    """The upload limit in bytes: ``server.maxUploadSize`` (MB) of ``.streamlit/config.toml``."""
    return int(st_config.get_option("server.maxUploadSize")) * 1024 * 1024


def upload_size_error(file_name: str, size_bytes: int) -> str | None:
    """The message for a file over the upload limit, or None when it fits."""
    limit = max_upload_bytes()
    if size_bytes <= limit:
        return None
    return (
        f"{file_name}: {size_bytes / 1024 / 1024:,.1f} MB is over the upload limit of "
        f"{limit // (1024 * 1024):,} MB (server.maxUploadSize in .streamlit/config.toml). "
        "Load large files on the server with `invdash ingest FILE`."
    )


class _HashingWriter:
    """A write-only file wrapper that feeds every chunk to a SHA-256 as well."""

    def __init__(self, target: BinaryIO) -> None:
        self.target = target
        self.digest = hashlib.sha256()

    def write(self, chunk: bytes) -> int:
        self.digest.update(chunk)
        return self.target.write(chunk)


def copy_in_chunks(source: BinaryIO, target: Path, *, chunk_bytes: int = UPLOAD_CHUNK_BYTES) -> str:
    """Copy a file-like to ``target`` reading ``chunk_bytes`` at a time; return its SHA-256."""
    with target.open("wb") as out:
        writer = _HashingWriter(out)
        shutil.copyfileobj(source, writer, chunk_bytes)
    return writer.digest.hexdigest()


def save_upload(source: BinaryIO, file_name: str) -> Path:
    """Stream an upload to ``<tmp>/invdash_uploads/<sha256 prefix>/<file name>``; return the path.

    The folder names the content, so the path is a cache key for it; the file keeps the user's
    name so reports and messages name it. Copied once per content (a rerun reuses the file).
    """
    root = Path(tempfile.gettempdir()) / _UPLOAD_ROOT
    root.mkdir(parents=True, exist_ok=True)
    if source.seekable():
        source.seek(0)  # a rerun hands the page the same file object, already read
    with tempfile.TemporaryDirectory(prefix="incoming-", dir=root) as incoming:
        partial = Path(incoming) / "upload"
        sha256 = copy_in_chunks(source, partial, chunk_bytes=UPLOAD_CHUNK_BYTES)
        folder = root / sha256[:16]
        folder.mkdir(exist_ok=True)
        path = folder / (Path(file_name).name or "upload")
        if not path.exists() or path.stat().st_size != partial.stat().st_size:
            partial.replace(path)
    return path


def saved_upload(uploaded: Any) -> Path:
    """``save_upload`` once per uploaded file and session; later reruns reuse the saved path.

    Args:
        uploaded: what ``st.file_uploader`` returned (a file-like with ``file_id`` and ``name``).
    """
    key = f"{_SAVED_KEY_PREFIX}{uploaded.file_id}"
    saved = st.session_state.get(key)
    if saved is None or not Path(saved).exists():
        saved = str(save_upload(uploaded, uploaded.name))
        st.session_state[key] = saved
    return Path(saved)


def _write(folder: Path, data: bytes, file_name: str) -> Path:
    path = folder / Path(file_name).name
    path.write_bytes(data)
    return path


def read_header_at(path: Path) -> tuple[tuple[str, ...], str]:
    """The header of a saved upload and its guessed kind (``sales`` or ``order_lines``).

    Raises:
        InvalidDataError: the file is no readable CSV (the ingest's message).
    """
    file_format = sniff_file(path)
    if file_format.format != "csv":
        raise InvalidDataError(
            f"{path.name}: is a Parquet file; upload a CSV file here, or "
            "load it with `invdash ingest FILE`."
        )
    try:
        kind = detect_kind(path.name, file_format.header)
    except InvalidDataError:
        kind = "sales"
    return file_format.header, kind if kind in UPLOAD_KINDS else "sales"


def read_upload_header(data: bytes, file_name: str) -> tuple[tuple[str, ...], str]:
    """``read_header_at`` for a file given as bytes."""
    with tempfile.TemporaryDirectory(prefix="invdash-upload-") as folder:
        return read_header_at(_write(Path(folder), data, file_name))


def upload_fields(kind: str) -> list[tuple[str, bool]]:
    """``(canonical column, required)`` of a file kind, in the ingest's order."""
    return [(column.name, column.required) for column in KINDS[kind]]


def field_rows(kind: str, *, per_row: int) -> list[list[tuple[str, bool]]]:
    """``upload_fields(kind)`` in rows of ``per_row`` (for a grid of column pickers)."""
    fields = upload_fields(kind)
    return [fields[i : i + per_row] for i in range(0, len(fields), per_row)]


def guess_mapping(header: tuple[str, ...], kind: str) -> dict[str, str]:
    """Canonical column -> header name, by the ingest's aliases (first match wins)."""
    guess: dict[str, str] = {}
    for column in KINDS[kind]:
        found = [h for h in header if normalize(h) in column.aliases and h not in guess.values()]
        if found:
            guess[column.name] = found[0]
    return guess


def _renamed_header(header: tuple[str, ...], kind: str, mapping: dict[str, str]) -> list[str]:
    chosen = {source: name for name, source in mapping.items() if source != NO_COLUMN}
    if len(chosen) < len([s for s in mapping.values() if s != NO_COLUMN]):
        raise InvalidDataError(
            "the same file column is chosen for two fields; pick one file column per field."
        )
    aliases = {alias for column in KINDS[kind] for alias in column.aliases}
    return [chosen.get(h, f"unused_{h}" if normalize(h) in aliases else h) for h in header]


def _remap(path: Path, kind: str, mapping: dict[str, str], folder: Path) -> Path:
    """A copy of ``path`` in ``folder`` with only the header line renamed (streamed, not loaded)."""
    file_format = sniff_file(path)
    if file_format.encoding == "utf-16":
        raise InvalidDataError(
            f"{path.name}: is UTF-16 text; save it as UTF-8 to change the column mapping."
        )
    header = _renamed_header(file_format.header, kind, mapping)
    target = folder / "mapped" / path.name  # same name: the messages name the user's file
    target.parent.mkdir()
    gzipped = file_format.compression == "gzip"
    with (
        gzip.open(path, "rb") if gzipped else path.open("rb") as source,
        gzip.GzipFile(target, "wb", mtime=0) if gzipped else target.open("wb") as out,
    ):
        first = source.readline()
        newline = b"\r\n" if first.endswith(b"\r\n") else b"\n"
        out.write(file_format.delimiter.join(header).encode(file_format.encoding) + newline)
        shutil.copyfileobj(source, out, UPLOAD_CHUNK_BYTES)
    return target


def read_sales_at(path: Path, *, kind: str, mapping: dict[str, str]) -> UploadedSales:
    """Read a saved upload through the ingest pipeline into daily sales (nothing else is touched).

    Args:
        path: the file (CSV, optionally gzip-compressed); its name is used in messages.
        kind: ``sales`` or ``order_lines``.
        mapping: canonical column -> header name (``NO_COLUMN`` for absent optional fields).

    Raises:
        InvalidDataError: the file breaks a rule; the message is the ``invdash ingest`` one.
    """
    header, _ = read_header_at(path)
    guessed = {name: guess_mapping(header, kind).get(name, NO_COLUMN) for name in mapping}
    with tempfile.TemporaryDirectory(prefix="invdash-upload-") as folder:
        source = path if mapping == guessed else _remap(path, kind, mapping, Path(folder))
        conn = store.connect(Path(folder) / "upload.duckdb")
        try:
            report = ingest_file(conn, source, kind=kind)
            sales, products = store.load_sales(conn), store.load_products(conn)
        finally:
            conn.close()
    if sales.empty:
        raise InvalidDataError(f"{path.name}: no sales left to forecast ({report.summary()}).")
    return UploadedSales(sales, products, report.summary(), tuple(report.warnings))


def read_upload_sales(
    data: bytes, file_name: str, *, kind: str, mapping: dict[str, str]
) -> UploadedSales:
    """``read_sales_at`` for a file given as bytes."""
    with tempfile.TemporaryDirectory(prefix="invdash-upload-") as folder:
        return read_sales_at(_write(Path(folder), data, file_name), kind=kind, mapping=mapping)


def inspect_upload(path: Path) -> tuple[tuple[str, ...], str]:
    """Cached ``read_header_at`` (keyed by the content-addressed path of ``save_upload``)."""
    return cached_on_file(read_header_at, path, spinner="Reading the file ...")


def upload_sales(path: Path, *, kind: str, mapping: dict[str, str]) -> UploadedSales:
    """Cached ``read_sales_at`` (keyed by the content-addressed path of ``save_upload``)."""
    return cached_on_file(
        read_sales_at, path, kind=kind, mapping=dict(mapping), spinner="Checking the file ..."
    )


def forget_mapping() -> None:
    """Drop the mapping choices (a new file or kind gets a fresh guess)."""
    for key in [k for k in st.session_state if str(k).startswith(MAPPING_KEY_PREFIX)]:
        del st.session_state[key]


def sales_grain(sales: pd.DataFrame) -> Grain:
    """The grain the sales are forecast at (``grain.detect_grain``: day, week or month).

    Raises:
        InvalidDataError: the dates mix grains (rows of each are named).
    """
    return detect_grain(sales)


def period_word(grain: Grain) -> str:
    """``day``, ``week`` or ``month``."""
    return {"D": "day", "W": "week", "M": "month"}[grain.kind]


def horizon_choice(grain: Grain) -> dict[str, int]:
    """Bounds of the horizon box in periods of ``grain``: ``min, max, default, step``."""
    longest = {"D": 180, "W": 104, "M": 36}[grain.kind]
    return {"min": 1, "max": longest, "default": default_horizon(grain),
            "step": 7 if grain.kind == "D" else 1}


def sales_summary(sales: pd.DataFrame, grain: Grain = DAILY) -> dict[str, object]:
    """SKUs, periods (days, weeks or months at ``grain``) and first/last date, for the preview.

    The store fills the days between a weekly or monthly file's rows with zeros, so periods are
    counted at the grain, not as distinct dates.
    """
    at_grain = to_grain(sales, grain)
    dates = pd.to_datetime(at_grain[DATE])
    return {
        "skus": int(sales[SKU].nunique()),
        "periods": int(dates.nunique()),
        "first": f"{dates.min():%Y-%m-%d}",
        "last": f"{dates.max():%Y-%m-%d}",
    }


def sku_sales(sales: pd.DataFrame, sku: str) -> pd.DataFrame:
    """The rows of one SKU."""
    return sales[sales[SKU].astype(str) == sku]


def forecast_csv(forecasts: pd.DataFrame) -> bytes:
    """The forecast as CSV bytes with ``CSV_COLUMNS`` (dates as YYYY-MM-DD)."""
    frame = forecasts[list(CSV_COLUMNS)].copy()
    frame[DATE] = pd.to_datetime(frame[DATE]).dt.strftime("%Y-%m-%d")
    return frame.to_csv(index=False).encode("utf-8")
