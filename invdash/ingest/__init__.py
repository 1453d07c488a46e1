"""Ingestion: CSV (plain or gzip) and Parquet files -> checked, typed rows in the DuckDB store.

Design (one module per step):
- ``detect``: what the file is (format, compression, encoding, delimiter, header), from its
  first 64 KiB; wrong files (images, JSON, binaries, truncated gzip, empty) stop here.
- ``columns``: the five kinds (sales, order_lines, products, inventory, purchase_orders), their
  header aliases and the auto-detection of the kind.
- ``checks``: DuckDB reads the whole file as text; typed casting with ``TRY_CAST`` and one-scan
  checks name the column, the first offending lines (header = line 1) and the fix.
- ``pipeline``: ``ingest_file`` ties it together, logged by the file's SHA-256, so a re-ingest
  changes nothing.
- ``write``: the store phase, all or nothing: one transaction for a small file; for a large one
  committed staging copies of the keyed tables, swapped in by one short transaction, so memory
  stays bounded (``IngestLimits``: DuckDB's memory limit, block sizes).
- ``report``: ``IngestReport``, the named result with a short human summary.

All SQL lives in ``invdash.store.ingest``; the heavy work (parsing, casting, checks, the daily
aggregation of order lines) runs inside DuckDB, never row by row in Python.

Order-line exports: every product line is stored in ``order_lines`` with its sign (cancellations
and returns keep their negative qty, so the record is complete; consumers that want purchases
filter ``qty > 0``). Non-product codes (postage, fees, manual adjustments, gift vouchers) are not
stored. Daily ``sales`` = sum of qty over lines with qty > 0 and price > 0 outside cancellation
invoices; price = qty-weighted mean unit price. Products get the most frequent description as
name, never overwriting a name that is already set.
"""

from invdash.ingest.columns import KIND_NAMES, MAX_ABS_QTY
from invdash.ingest.pipeline import (
    KIND_CHOICES,
    NON_PRODUCT_CODES,
    FilePreview,
    IngestLimits,
    ingest_file,
    inspect_file,
)
from invdash.ingest.report import IngestReport

__all__ = [
    "ingest_file", "inspect_file", "IngestReport", "FilePreview", "KIND_NAMES", "KIND_CHOICES",
    "NON_PRODUCT_CODES", "MAX_ABS_QTY", "IngestLimits",
]
