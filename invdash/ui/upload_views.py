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
- ``upload_sales`` and ``inspect_upload`` are ``st.cache_data`` wrappers keyed by the file bytes;
  the work is in the plain functions ``read_upload_header`` and ``read_upload_sales``, which
  the unit tests call directly.
"""

from __future__ import annotations

import gzip
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from invdash import store
from invdash.ingest import ingest_file
from invdash.ingest.columns import KINDS, detect_kind, normalize
from invdash.ingest.detect import sniff_file
from invdash.schema import DATE, MEAN, MODEL, SKU, InvalidDataError

__all__ = [
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


def _write(folder: Path, data: bytes, file_name: str) -> Path:
    path = folder / Path(file_name).name
    path.write_bytes(data)
    return path


def read_upload_header(data: bytes, file_name: str) -> tuple[tuple[str, ...], str]:
    """The file's header and its guessed kind (``sales`` or ``order_lines``).

    Raises:
        InvalidDataError: the file is no readable CSV (the ingest's message).
    """
    with tempfile.TemporaryDirectory(prefix="invdash-upload-") as folder:
        file_format = sniff_file(_write(Path(folder), data, file_name))
    if file_format.format != "csv":
        raise InvalidDataError(
            f"{file_name}: is a Parquet file; upload a CSV file here, or "
            "load it with `invdash ingest FILE`."
        )
    try:
        kind = detect_kind(file_name, file_format.header)
    except InvalidDataError:
        kind = "sales"
    return file_format.header, kind if kind in UPLOAD_KINDS else "sales"


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


def _remap(path: Path, kind: str, mapping: dict[str, str]) -> Path:
    file_format = sniff_file(path)
    if file_format.encoding == "utf-16":
        raise InvalidDataError(
            f"{path.name}: is UTF-16 text; save it as UTF-8 to change the column mapping."
        )
    text = path.read_bytes()
    text = gzip.decompress(text) if file_format.compression == "gzip" else text
    end = text.find(b"\n")
    newline = b"\r\n" if end > 0 and text[end - 1 : end] == b"\r" else b"\n"
    header = _renamed_header(file_format.header, kind, mapping)
    remapped = (
        file_format.delimiter.join(header).encode(file_format.encoding)
        + newline
        + (text[end + 1 :] if end >= 0 else b"")
    )
    target = path.parent / "mapped" / path.name  # same name: the messages name the user's file
    target.parent.mkdir()
    gzipped = file_format.compression == "gzip"
    target.write_bytes(gzip.compress(remapped, mtime=0) if gzipped else remapped)
    return target


def read_upload_sales(
    data: bytes, file_name: str, *, kind: str, mapping: dict[str, str]
) -> UploadedSales:
    """Read an upload through the ingest pipeline into daily sales (nothing else is touched).

    Args:
        data: the file's bytes (CSV, optionally gzip-compressed).
        file_name: its name, used in messages.
        kind: ``sales`` or ``order_lines``.
        mapping: canonical column -> header name (``NO_COLUMN`` for absent optional fields).

    Raises:
        InvalidDataError: the file breaks a rule; the message is the ``invdash ingest`` one.
    """
    with tempfile.TemporaryDirectory(prefix="invdash-upload-") as folder:
        path = _write(Path(folder), data, file_name)
        header, _ = read_upload_header(data, file_name)
        guessed = {name: guess_mapping(header, kind).get(name, NO_COLUMN) for name in mapping}
        if mapping != guessed:
            path = _remap(path, kind, mapping)
        conn = store.connect(Path(folder) / "upload.duckdb")
        try:
            report = ingest_file(conn, path, kind=kind)
            sales, products = store.load_sales(conn), store.load_products(conn)
        finally:
            conn.close()
    if sales.empty:
        raise InvalidDataError(f"{file_name}: no sales left to forecast ({report.summary()}).")
    return UploadedSales(sales, products, report.summary(), tuple(report.warnings))


@st.cache_data(max_entries=4, show_spinner="Reading the file ...")
def inspect_upload(data: bytes, file_name: str) -> tuple[tuple[str, ...], str]:
    """Cached ``read_upload_header``."""
    return read_upload_header(data, file_name)


@st.cache_data(max_entries=4, show_spinner="Checking the file ...")
def _upload_sales(
    data: bytes, file_name: str, kind: str, mapping: tuple[tuple[str, str], ...]
) -> UploadedSales:
    return read_upload_sales(data, file_name, kind=kind, mapping=dict(mapping))


def upload_sales(
    data: bytes, file_name: str, *, kind: str, mapping: dict[str, str]
) -> UploadedSales:
    """Cached ``read_upload_sales``."""
    return _upload_sales(data, file_name, kind, tuple(sorted(mapping.items())))


def forget_mapping() -> None:
    """Drop the mapping choices (a new file or kind gets a fresh guess)."""
    for key in [k for k in st.session_state if str(k).startswith(MAPPING_KEY_PREFIX)]:
        del st.session_state[key]


def sales_summary(sales: pd.DataFrame) -> dict[str, object]:
    """SKUs, days and first/last day of a sales frame, for the preview."""
    dates = pd.to_datetime(sales[DATE])
    return {
        "skus": int(sales[SKU].nunique()),
        "days": int(dates.nunique()),
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
