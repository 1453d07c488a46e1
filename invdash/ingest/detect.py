"""What a file is, before DuckDB reads it: format, compression, encoding, delimiter, header.

Design: look only at the first bytes (64 KiB, decompressed when gzip) so a 1 GB export costs
nothing here. Magic numbers decide the container (gzip, Parquet) and catch the usual wrong files
(images, PDFs, spreadsheets, JSON, binaries) with a message that says what to export instead.
The text sample decides the encoding (BOM, else UTF-8 if it decodes, else Latin-1) and the
delimiter (the candidate that splits the first lines into the same number of fields, most
fields winning). DuckDB then reads the whole file with these options stated explicitly.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import zlib
from dataclasses import dataclass
from pathlib import Path

from invdash.schema import InvalidDataError

__all__ = ["FileFormat", "sniff_file", "file_sha256"]

_SAMPLE_BYTES = 1 << 16
_DELIMITERS = (",", ";", "\t", "|")
_MAGIC = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (an .xlsx workbook is one)"),
    (b"\xd0\xcf\x11\xe0", "an old Excel/Office document"),
    (b"SQLite format 3", "a SQLite database"),
)
_FIX = "export it as CSV (comma, semicolon or tab separated, with a header line) or Parquet"


@dataclass(frozen=True)
class FileFormat:
    """How to read a file.

    Args:
        path: the file.
        format: ``"csv"`` or ``"parquet"``.
        compression: ``"gzip"`` or ``"none"`` (CSV only).
        encoding: ``"utf-8"``, ``"utf-16"`` or ``"latin-1"`` (CSV only).
        delimiter: the field separator (CSV only).
        header: the header fields as written (CSV; Parquet column names are read by DuckDB).
    """

    path: Path
    format: str
    compression: str = "none"
    encoding: str = "utf-8"
    delimiter: str = ","
    header: tuple[str, ...] = ()


def _fail(path: Path, what: str, fix: str = _FIX) -> InvalidDataError:
    return InvalidDataError(f"{path.name}: {what}; {fix}.")


def _read_head(path: Path) -> bytes:
    if not path.exists():
        raise InvalidDataError(f"{path}: no such file; check the path and the working directory.")
    if path.is_dir():
        raise InvalidDataError(f"{path} is a directory; give the path of one CSV or Parquet file.")
    if path.stat().st_size == 0:
        raise _fail(path, "is empty (0 bytes)", "export the data again: a header line and rows")
    with path.open("rb") as handle:
        return handle.read(_SAMPLE_BYTES)


def _gunzip_head(path: Path) -> bytes:
    """Decompress the start of a gzip file; a stream that ends early is reported as truncated."""
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = bytearray()
    with path.open("rb") as handle:
        try:
            while len(out) < _SAMPLE_BYTES:
                chunk = handle.read(1 << 16)
                if not chunk:
                    if not decompressor.eof:
                        raise _fail(path, "is a truncated gzip file (it ends mid-stream)",
                                    "copy or download the file again")
                    break
                out += decompressor.decompress(chunk, _SAMPLE_BYTES)
                if decompressor.eof:
                    break
        except zlib.error as err:
            raise _fail(path, f"is not a valid gzip file ({err})", "compress it again") from err
    if not out:
        raise _fail(path, "is an empty gzip file", "export the data again: a header and rows")
    return bytes(out)


def _decode(path: Path, sample: bytes) -> tuple[str, str]:
    """``(encoding, text)`` of the sample."""
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", sample.decode("utf-16", errors="replace")
    if b"\x00" in sample[:8192]:
        raise _fail(path, "is a binary file, not text")
    if sample.startswith(codecs.BOM_UTF8):
        sample = sample[len(codecs.BOM_UTF8):]
    try:
        return "utf-8", codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        return "latin-1", sample.decode("latin-1")


def _complete_lines(text: str, whole: bool) -> list[str]:
    lines = text.splitlines()
    if not whole and lines:
        lines = lines[:-1]  # the last line of a sample may be cut
    return [line for line in lines if line.strip()][:50]


def _guess_delimiter(lines: list[str]) -> tuple[str, tuple[str, ...]]:
    best: tuple[tuple[float, int], str, list[str]] | None = None
    for delimiter in _DELIMITERS:
        rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))
        width = len(rows[0])
        same = sum(len(r) == width for r in rows) / len(rows)
        score = (same if width > 1 else 0.0, width)
        if best is None or score > best[0]:
            best = (score, delimiter, rows[0])
    assert best is not None
    return best[1], tuple(field.strip() for field in best[2])


def sniff_file(path: str | Path) -> FileFormat:
    """Decide how to read ``path``; raise ``InvalidDataError`` for files that cannot be data.

    Raises:
        InvalidDataError: missing path, empty file, truncated gzip, binary or wrong-format file
            (image, PDF, spreadsheet, JSON), a text file without data rows.
    """
    path = Path(path)
    head = _read_head(path)
    if head.startswith(b"PAR1"):
        return FileFormat(path=path, format="parquet")
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise _fail(path, f"is {what}, not a data file")
    compression = "none"
    whole = path.stat().st_size <= len(head)
    if head.startswith(b"\x1f\x8b"):
        compression = "gzip"
        head = _gunzip_head(path)
        whole = len(head) < _SAMPLE_BYTES
    encoding, text = _decode(path, head)
    if text.lstrip().startswith(("{", "[")):
        raise _fail(path, "looks like JSON, not CSV")
    lines = _complete_lines(text, whole)
    if not lines:
        raise _fail(path, "has no lines of text", "export the data again: a header and rows")
    if whole and len(lines) == 1:
        raise _fail(path, "has a header line but no data rows", "export the rows as well")
    delimiter, header = _guess_delimiter(lines)
    return FileFormat(path=path, format="csv", compression=compression, encoding=encoding,
                      delimiter=delimiter, header=header)


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of the file's bytes (the identity of an ingest in ``ingest_log``)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()
