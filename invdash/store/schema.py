"""Table definitions and migrations.

Each migration is ``(version, statements)``; ``store.migrate`` applies those above the file's
``schema_version`` in one transaction, so a newer invdash opens a file written by an older one.
Never edit a released migration: append a new one.

Every table is defined here, core and derived alike (forecast runs, policy runs and decisions,
recommendation runs), so this module imports nothing and the area modules that read and write
those tables (``store/forecasts.py``, ``store/reorder.py`` ...) can use ``invdash.store`` freely
without an import cycle. The tables that serve scale (stored fold errors, embeddings, page
summaries, data fingerprints, shift windows) are defined in ``store/schema_scale.py``, which
imports nothing either, so this module stays readable.
"""

from __future__ import annotations

__all__ = ["MIGRATIONS", "CORE_TABLES", "SCHEMA_VERSION"]

from invdash.store.schema_scale import (
    DATA_VERSIONS_DDL,
    PAGE_SUMMARY_DDL,
    PO_ROLLUP_DDL,
    RUN_ALERTS_DDL,
    RUN_COUNTRY_DDL,
    SCALE_REORDER_DDL,
)

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

_PURCHASE_ORDERS_DDL = next(s for s in CORE_DDL if "EXISTS purchase_orders (" in s)

CORE_TABLES = ("products", "sales", "inventory", "purchase_orders", "order_lines", "ingest_log")

_QUANTILE_DDL = ", ".join(
    f"{c} DOUBLE" for c in ("p05", "p10", "p25", "p50", "p75", "p90", "p95", "p99")
)

FORECAST_DDL: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS forecast_runs (
        run_id VARCHAR PRIMARY KEY,
        created_at TIMESTAMP NOT NULL,
        data_version VARCHAR,
        horizon INTEGER NOT NULL,
        model_param VARCHAR NOT NULL,
        device VARCHAR,
        duration_s DOUBLE,
        n_skus INTEGER,
        status VARCHAR NOT NULL
    )""",
    f"""CREATE TABLE IF NOT EXISTS forecasts (
        run_id VARCHAR NOT NULL,
        sku VARCHAR NOT NULL,
        date DATE NOT NULL,
        model VARCHAR,
        mean DOUBLE,
        {_QUANTILE_DDL},
        PRIMARY KEY (run_id, sku, date)
    )""",
    """CREATE TABLE IF NOT EXISTS forecast_choices (
        run_id VARCHAR NOT NULL,
        sku VARCHAR NOT NULL,
        model VARCHAR,
        demand_class VARCHAR,
        reason VARCHAR,
        score DOUBLE,
        PRIMARY KEY (run_id, sku)
    )""",
    """CREATE TABLE IF NOT EXISTS backtest_metrics (
        run_id VARCHAR NOT NULL,
        model VARCHAR NOT NULL,
        demand_class VARCHAR NOT NULL,
        n_skus INTEGER,
        mase DOUBLE,
        rmsse DOUBLE,
        wape DOUBLE,
        bias DOUBLE,
        spl DOUBLE,
        coverage80 DOUBLE,
        PRIMARY KEY (run_id, model, demand_class)
    )""",
)

REORDER_DDL: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS policy_runs (
        run_id VARCHAR PRIMARY KEY,
        created_at TIMESTAMP DEFAULT current_timestamp,
        data_version VARCHAR,
        forecast_run_id VARCHAR,
        as_of DATE,
        params VARCHAR
    )""",
    """CREATE TABLE IF NOT EXISTS suggestions (
        run_id VARCHAR NOT NULL,
        sku VARCHAR NOT NULL,
        service_level DOUBLE, abc VARCHAR, xyz VARCHAR, lead_time_days DOUBLE,
        demand_daily_mean DOUBLE, demand_lt_mean DOUBLE, demand_lt_sd DOUBLE,
        safety_stock DOUBLE, lead_time_point DOUBLE, reorder_point DOUBLE, order_up_to DOUBLE,
        on_hand DOUBLE, on_order DOUBLE, inventory_position DOUBLE, raw_qty DOUBLE, moq DOUBLE,
        pack_size DOUBLE, suggested_qty DOUBLE, order_by_date DATE, stockout_date DATE,
        stockout_probability DOUBLE, expected_short_units DOUBLE, days_of_cover DOUBLE,
        excess_units DOUBLE, excess_value DOUBLE, unit_cost DOUBLE, reason VARCHAR,
        PRIMARY KEY (run_id, sku)
    )""",
    """CREATE TABLE IF NOT EXISTS decisions (
        decision_id VARCHAR PRIMARY KEY,
        run_id VARCHAR NOT NULL,
        sku VARCHAR NOT NULL,
        action VARCHAR NOT NULL CHECK (action IN ('approve', 'edit', 'reject')),
        qty DOUBLE,
        reason VARCHAR,
        "user" VARCHAR,
        decided_at TIMESTAMP NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS alert_state (
        alert_key VARCHAR PRIMARY KEY,
        status VARCHAR NOT NULL CHECK (status IN ('open', 'acknowledged', 'snoozed')),
        snooze_until DATE,
        "user" VARCHAR,
        updated_at TIMESTAMP NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS service_level_overrides (
        scope VARCHAR NOT NULL CHECK (scope IN ('abc', 'sku')),
        key VARCHAR NOT NULL,
        service_level DOUBLE NOT NULL CHECK (service_level > 0 AND service_level < 1),
        "user" VARCHAR,
        updated_at TIMESTAMP NOT NULL,
        PRIMARY KEY (scope, key)
    )""",
)

RECS_DDL: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS rec_runs (
        run_id VARCHAR PRIMARY KEY,
        created_at TIMESTAMP NOT NULL,
        data_version VARCHAR,
        source VARCHAR NOT NULL CHECK (source IN ('default', 'stored', 'validation')),
        weights VARCHAR NOT NULL,
        validation VARCHAR,
        n_customers BIGINT,
        n_items BIGINT,
        duration_s DOUBLE,
        device VARCHAR
    )""",
)


RECS_RUN_DDL: tuple[str, ...] = (
    "ALTER TABLE rec_runs ADD COLUMN IF NOT EXISTS plan VARCHAR",
    """CREATE TABLE IF NOT EXISTS rec_lists (
        run_id VARCHAR NOT NULL,
        list VARCHAR NOT NULL,
        query VARCHAR NOT NULL,
        rank INTEGER NOT NULL,
        sku VARCHAR NOT NULL,
        name VARCHAR,
        status VARCHAR,
        score DOUBLE,
        reason VARCHAR,
        PRIMARY KEY (run_id, list, query, rank)
    )""",
    """CREATE TABLE IF NOT EXISTS rec_customers (
        run_id VARCHAR NOT NULL,
        customer_id VARCHAR NOT NULL,
        orders BIGINT NOT NULL,
        segment VARCHAR NOT NULL,
        PRIMARY KEY (run_id, customer_id)
    )""",
)

#: Names that say what they hold: demand over the protection period (lead time + review period),
#: not over the lead time alone as ``lt`` suggested.
RENAME_PROTECTION_DEMAND: tuple[str, ...] = (
    "ALTER TABLE suggestions RENAME COLUMN demand_lt_mean TO protection_demand_mean",
    "ALTER TABLE suggestions RENAME COLUMN demand_lt_sd TO protection_demand_sd",
)

#: Purchase orders from draft to receipt (``store/purchase_orders.py``). The lines stay in the
#: core ``purchase_orders`` table (CSV ingest writes its first five columns); the CREATE comes
#: first so even a file made without that table migrates. Line status: ``draft`` (not on order),
#: ``open`` (sent: on order), ``received``; headers and an event log per PO.
PURCHASING_DDL: tuple[str, ...] = (
    _PURCHASE_ORDERS_DDL,
    "ALTER TABLE purchase_orders ADD COLUMN IF NOT EXISTS unit_cost DOUBLE",
    "ALTER TABLE purchase_orders ADD COLUMN IF NOT EXISTS received_qty DOUBLE DEFAULT 0",
    "ALTER TABLE purchase_orders ADD COLUMN IF NOT EXISTS line_no INTEGER",
    "ALTER TABLE purchase_orders ADD COLUMN IF NOT EXISTS source_run_id VARCHAR",
    """CREATE TABLE IF NOT EXISTS po_headers (
        po_id VARCHAR PRIMARY KEY,
        supplier VARCHAR NOT NULL,
        currency VARCHAR NOT NULL,
        order_date DATE NOT NULL,
        expected_date DATE,
        created_by VARCHAR,
        created_at TIMESTAMP NOT NULL,
        sent_by VARCHAR,
        sent_at TIMESTAMP,
        closed_at TIMESTAMP
    )""",
    """CREATE TABLE IF NOT EXISTS po_events (
        event_id VARCHAR PRIMARY KEY,
        po_id VARCHAR NOT NULL,
        event VARCHAR NOT NULL CHECK (event IN ('draft', 'send', 'receive')),
        sku VARCHAR,
        qty DOUBLE,
        "user" VARCHAR,
        event_at TIMESTAMP NOT NULL
    )""",
)

#: Master-data audit and forecast overrides (``store/master_data.py``), both append-only.
PLANNING_EDITS_DDL: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS master_data_audit (
        audit_id VARCHAR PRIMARY KEY,
        sku VARCHAR NOT NULL,
        field VARCHAR NOT NULL,
        old_value VARCHAR,
        new_value VARCHAR,
        "user" VARCHAR,
        changed_at TIMESTAMP NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS forecast_overrides (
        override_id VARCHAR PRIMARY KEY,
        scope VARCHAR NOT NULL CHECK (scope IN ('sku', 'category')),
        key VARCHAR NOT NULL,
        start_date DATE NOT NULL,
        end_date DATE NOT NULL,
        kind VARCHAR NOT NULL CHECK (kind IN ('factor', 'units', 'set')),
        value DOUBLE NOT NULL,
        reason VARCHAR NOT NULL,
        "user" VARCHAR,
        created_at TIMESTAMP NOT NULL,
        forecast_run_id VARCHAR,
        ended_by VARCHAR,
        ended_at TIMESTAMP
    )""",
)

#: Issue 12: decisions carried over on open proposals per SKU (``store/proposals.py``), shop
#: settings and the "as of" day, supplier minimum order values and ``products.max_order_qty``
#: (``store/app_settings.py``). Older files get their decisions back: each SKU's decisions join
#: one open ``legacy-<sku>`` proposal with the suggestion of the run they were made on.
CYCLE_DDL: tuple[str, ...] = (
    "ALTER TABLE IF EXISTS products ADD COLUMN IF NOT EXISTS max_order_qty DOUBLE",
    """CREATE TABLE IF NOT EXISTS suppliers (
        supplier VARCHAR PRIMARY KEY,
        min_order_value DOUBLE CHECK (min_order_value >= 0),
        "user" VARCHAR,
        updated_at TIMESTAMP
    )""",
    """CREATE TABLE IF NOT EXISTS app_settings (
        key VARCHAR PRIMARY KEY,
        value VARCHAR,
        "user" VARCHAR,
        updated_at TIMESTAMP NOT NULL
    )""",
    "ALTER TABLE decisions ADD COLUMN IF NOT EXISTS proposal_id VARCHAR",
    "ALTER TABLE decisions ADD COLUMN IF NOT EXISTS suggested_qty DOUBLE",
    "ALTER TABLE decisions ADD COLUMN IF NOT EXISTS suggested_order_by DATE",
    "ALTER TABLE decisions ADD COLUMN IF NOT EXISTS override_reason VARCHAR",
    "ALTER TABLE decisions ADD COLUMN IF NOT EXISTS rules_broken VARCHAR",
    "ALTER TABLE decisions ADD COLUMN IF NOT EXISTS valid_until DATE",
    """CREATE TABLE IF NOT EXISTS proposals (
        proposal_id VARCHAR PRIMARY KEY,
        sku VARCHAR NOT NULL,
        opened_at TIMESTAMP NOT NULL,
        closed_at TIMESTAMP,
        close_reason VARCHAR CHECK (close_reason IN ('ordered', 'reopened')),
        po_id VARCHAR,
        closed_by VARCHAR
    )""",
    "INSERT INTO proposals (proposal_id, sku, opened_at) SELECT 'legacy-' || sku, sku, "
    "min(decided_at) FROM decisions WHERE proposal_id IS NULL GROUP BY sku",
    "UPDATE decisions SET proposal_id = 'legacy-' || sku WHERE proposal_id IS NULL",
    "UPDATE decisions SET suggested_qty = s.suggested_qty, suggested_order_by = s.order_by_date "
    "FROM suggestions s WHERE s.run_id = decisions.run_id AND s.sku = decisions.sku "
    "AND decisions.suggested_qty IS NULL",
)

# h-explain: user events (``invdash ingest --kind events``), past and planned; a row names a SKU,
# a category or neither (the whole shop).
EVENTS_DDL = (
    """CREATE TABLE IF NOT EXISTS events (
        date DATE NOT NULL,
        event VARCHAR NOT NULL,
        sku VARCHAR,
        category VARCHAR,
        CHECK (sku IS NULL OR category IS NULL)
    )""",
)

# Branch h-pk (issue 13): order_lines rebuilt in place without its key (DuckDB cannot drop one),
# rows kept; ingest makes (order_id, line_no) unique (store.ingest_orders).
_KEYED_ORDER_LINES = next(s for s in CORE_DDL if "EXISTS order_lines (" in s)
UNKEY_ORDER_LINES = (
    _KEYED_ORDER_LINES,
    "ALTER TABLE order_lines RENAME TO order_lines__keyed",
    _KEYED_ORDER_LINES.replace(",\n        PRIMARY KEY (order_id, line_no)", ""),
    "INSERT INTO order_lines BY NAME SELECT * FROM order_lines__keyed",
    "DROP TABLE order_lines__keyed",
)

MIGRATIONS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (1, CORE_DDL),
    (2, FORECAST_DDL),
    (3, REORDER_DDL),
    (4, RECS_DDL),
    (5, RENAME_PROTECTION_DEMAND),
    (6, RECS_RUN_DDL),
    # 7: purchase orders draft to receipt, master-data audit, forecast overrides (issue 12).
    (7, PURCHASING_DDL + PLANNING_EDITS_DDL),
    # 8: decisions on open proposals carried across runs, order rules, as-of (issue 12).
    (8, CYCLE_DDL),
    # 9 (h-explain, renumber at merge): user events for the forecast (issue 11).
    (9, EVENTS_DDL),
    # 10 (branch h-reorder): stored backtest fold errors and text embeddings (issue 13).
    (10, SCALE_REORDER_DDL),
    # 11 (branch h-pages, renumber at merge): stored page summaries (issue 13).
    (11, PAGE_SUMMARY_DDL),
    (12, UNKEY_ORDER_LINES),  # branch h-pk, renumber at merge
    # 13 (branch h-fp): data fingerprints, shift windows (issue 13).
    (13, DATA_VERSIONS_DDL),
    # 14: the country of a stored forecast run's public holidays (issue 11).
    (14, RUN_COUNTRY_DDL),
    # 15 (branch h-pages2): the PO list's per-PO table (issue 13).
    (15, PO_ROLLUP_DDL),
    # 16 (branch h-alerts3, renumber at merge): the alerts stored with a policy run (issue 13).
    (16, RUN_ALERTS_DDL),
)

SCHEMA_VERSION = MIGRATIONS[-1][0]

