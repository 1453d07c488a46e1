"""Table definitions and migrations.

Each migration is ``(version, statements)``; ``store.migrate`` applies those above the file's
``schema_version`` in one transaction, so a newer invdash opens a file written by an older one.
Never edit a released migration: append a new one.

Area modules own their derived tables (``store/forecasts.py`` ``DDL`` and so on) and are
registered here as their own migration.
"""

from __future__ import annotations

from invdash.store import forecasts as _forecasts
from invdash.store import policy as _policy
from invdash.store import recs as _recs

__all__ = ["MIGRATIONS", "CORE_TABLES", "SCHEMA_VERSION"]

CORE_DDL = (
    """CREATE TABLE IF NOT EXISTS products (
        sku VARCHAR PRIMARY KEY,
        name VARCHAR,
        category VARCHAR,
        unit_cost DOUBLE,
        unit_price DOUBLE,
        supplier VARCHAR,
        lead_time_days DOUBLE,
        lead_time_sd_days DOUBLE,
        moq DOUBLE,
        pack_size DOUBLE
    )""",
    """CREATE TABLE IF NOT EXISTS sales (
        sku VARCHAR NOT NULL,
        date DATE NOT NULL,
        qty DOUBLE NOT NULL CHECK (qty >= 0),
        price DOUBLE,
        promo DOUBLE DEFAULT 0,
        PRIMARY KEY (sku, date)
    )""",
    """CREATE TABLE IF NOT EXISTS inventory (
        sku VARCHAR NOT NULL,
        as_of DATE NOT NULL,
        on_hand DOUBLE NOT NULL,
        PRIMARY KEY (sku, as_of)
    )""",
    """CREATE TABLE IF NOT EXISTS purchase_orders (
        po_id VARCHAR NOT NULL,
        sku VARCHAR NOT NULL,
        qty DOUBLE NOT NULL CHECK (qty >= 0),
        eta DATE,
        status VARCHAR DEFAULT 'open',
        PRIMARY KEY (po_id, sku)
    )""",
    """CREATE TABLE IF NOT EXISTS order_lines (
        order_id VARCHAR NOT NULL,
        line_no INTEGER NOT NULL,
        customer_id VARCHAR,
        sku VARCHAR NOT NULL,
        ts TIMESTAMP NOT NULL,
        qty DOUBLE NOT NULL,
        price DOUBLE,
        PRIMARY KEY (order_id, line_no)
    )""",
    """CREATE TABLE IF NOT EXISTS ingest_log (
        file_sha256 VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        source VARCHAR,
        rows_read BIGINT,
        rows_stored BIGINT,
        report VARCHAR,
        ingested_at TIMESTAMP DEFAULT current_timestamp,
        PRIMARY KEY (file_sha256, kind)
    )""",
)

CORE_TABLES = ("products", "sales", "inventory", "purchase_orders", "order_lines", "ingest_log")

MIGRATIONS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (1, CORE_DDL),
    (2, _forecasts.DDL),
    (3, _policy.DDL),
    (4, _recs.DDL),
    (5, _recs.RUN_DDL),
)

SCHEMA_VERSION = MIGRATIONS[-1][0]
