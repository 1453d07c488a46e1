"""The named result of an ingest and its short human summary."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

__all__ = ["IngestReport"]


@dataclass(frozen=True)
class IngestReport:
    """What an ingest read, stored, excluded and noticed.

    Args:
        file: the file name.
        kind: ``sales``, ``order_lines``, ``products``, ``inventory`` or ``purchase_orders``.
        sha256: hex SHA-256 of the file bytes (its identity in ``ingest_log``).
        rows_read: data rows in the file.
        rows_stored: rows written per table (``{}`` when the file was already ingested).
        column_mapping: canonical column -> header name as written.
        ignored_columns: header names that map to nothing.
        cancellations: order lines on cancellation invoices (order id ``C`` + digits); stored
            in ``order_lines`` with their negative qty, never counted as demand.
        cancelled_orders: distinct cancellation invoices.
        returns: order lines with qty < 0 outside cancellations (returns, write-offs); stored,
            never counted as demand.
        nonpositive_price_lines: product lines with price <= 0 (not counted as demand).
        excluded_codes: non-product code -> lines (postage, fees, manual adjustments); not stored.
        warnings: things worth a look that did not stop the ingest.
        already_ingested: this exact file was ingested before as this kind; nothing changed.
        seconds: wall time of the ingest.
    """

    file: str
    kind: str
    sha256: str
    rows_read: int
    rows_stored: dict[str, int] = field(default_factory=dict)
    column_mapping: dict[str, str] = field(default_factory=dict)
    ignored_columns: tuple[str, ...] = ()
    cancellations: int = 0
    cancelled_orders: int = 0
    returns: int = 0
    nonpositive_price_lines: int = 0
    excluded_codes: dict[str, int] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    already_ingested: bool = False
    seconds: float = 0.0

    def to_json(self) -> str:
        """The report as JSON (stored in ``ingest_log.report``)."""
        return json.dumps(asdict(self), sort_keys=True)

    def summary(self) -> str:
        """A few lines for a person: what was stored, what was left out and why."""
        if self.already_ingested:
            return (f"{self.file}: already ingested as {self.kind} (same content, sha256 "
                    f"{self.sha256[:12]}); nothing changed.")
        stored = ", ".join(f"{n:,} {table}" for table, n in self.rows_stored.items())
        lines = [f"{self.file}: {self.kind}, {self.rows_read:,} rows read; stored {stored} "
                 f"in {self.seconds:.1f} s."]
        if self.kind == "order_lines":
            lines.append(
                f"  not counted as demand: {self.cancellations:,} cancelled lines "
                f"({self.cancelled_orders:,} orders), {self.returns:,} return lines (qty < 0), "
                f"{self.nonpositive_price_lines:,} lines priced <= 0"
            )
            if self.excluded_codes:
                codes = ", ".join(f"{k} ({v:,})" for k, v in list(self.excluded_codes.items())[:8])
                more = len(self.excluded_codes) - 8
                tail = f" and {more} more" if more > 0 else ""
                lines.append(f"  non-product codes left out: {codes}{tail}")
        if self.ignored_columns:
            lines.append(f"  ignored columns: {', '.join(self.ignored_columns)}")
        lines.extend(f"  warning: {w}" for w in self.warnings)
        return "\n".join(lines)
