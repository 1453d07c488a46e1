"""Table definitions of issue 13 (scale), used by the migrations in ``store/schema.py``.

Like ``schema.py`` this module imports nothing: the area modules that read and write these
tables (``store/fold_errors.py``, ``runtime/embeddings.py``, ``store/overview.py``,
``store/versions.py``, ``store/shift_windows.py``) import ``invdash.store`` freely.
"""

from __future__ import annotations

__all__ = ["SCALE_REORDER_DDL", "PAGE_SUMMARY_DDL", "DATA_VERSIONS_DDL", "RUN_COUNTRY_DDL",
           "PO_ROLLUP_DDL", "RUN_ALERTS_DDL"]

# Branch h-reorder (issue 13): the backtest's daily forecasts per SKU and fold, so the reorder
# calibration reads them instead of re-running forecasts; title embeddings computed once.
SCALE_REORDER_DDL = (
    """CREATE TABLE IF NOT EXISTS backtest_fold_errors (
        run_id VARCHAR NOT NULL,
        sku VARCHAR NOT NULL,
        fold INTEGER NOT NULL,
        origin DATE NOT NULL,
        mean FLOAT[] NOT NULL,
        variance FLOAT[] NOT NULL,
        actual FLOAT[] NOT NULL,
        PRIMARY KEY (run_id, sku, fold)
    )""",
    """CREATE TABLE IF NOT EXISTS text_embeddings (
        text_hash VARCHAR NOT NULL,
        model VARCHAR NOT NULL,
        vector FLOAT[] NOT NULL,
        PRIMARY KEY (text_hash, model)
    )""",
)

# Branch h-pages (issue 13): the Overview's aggregates stored per data state, so a page open at
# 100,000 SKUs reads one row instead of scanning every sales and stock row.
PAGE_SUMMARY_DDL = (
    """CREATE TABLE IF NOT EXISTS page_summaries (
        name VARCHAR NOT NULL,
        version VARCHAR NOT NULL,
        value VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL,
        PRIMARY KEY (name, version)
    )""",
)

DATA_VERSIONS_DDL = (  # store/versions.py: each part starts dirty, so this commit computes it
    "CREATE TABLE IF NOT EXISTS data_versions (part VARCHAR PRIMARY KEY, value VARCHAR, "
    "dirty BOOLEAN NOT NULL)",
    "INSERT OR REPLACE INTO data_versions SELECT unnest(['sales', 'stockouts', 'products', "
    "'ingest', 'order_lines', 'sales_rows', 'stock_rows', 'product_rows', 'stock']), NULL, true",
    "CREATE TABLE IF NOT EXISTS shift_window_runs (run_id VARCHAR NOT NULL, days INTEGER NOT "
    "NULL, created_at TIMESTAMP NOT NULL, PRIMARY KEY (run_id, days))",
    "CREATE TABLE IF NOT EXISTS shift_windows (run_id VARCHAR, days INTEGER, sku VARCHAR, "
    "expected DOUBLE NOT NULL, spread DOUBLE NOT NULL, PRIMARY KEY (run_id, days, sku))",
)

# Issue 11: the country whose public holidays a stored forecast run learned (NULL: none), so its
# explanations refit with the run's own calendar even after the shop's setting changed.
RUN_COUNTRY_DDL = ("ALTER TABLE forecast_runs ADD COLUMN IF NOT EXISTS country VARCHAR",)

# Branch h-pages2 (issue 13): one row per PO for the PO list's counts and
# order (store/po_rollup.py); the part starts dirty, so the migration's commit fills the table.
PO_ROLLUP_DDL = (
    "CREATE TABLE IF NOT EXISTS po_rollup (po_id VARCHAR NOT NULL, status VARCHAR NOT NULL, "
    "_created TIMESTAMP, _eta DATE)",
    "INSERT OR REPLACE INTO data_versions VALUES ('po_rollup', NULL, true)",
)

# Branch h-alerts3 (issue 13): the alerts of a policy run, computed when it is stored, and the
# inputs fingerprint they were computed under (store/run_alerts.py); no keys, so a run's rows
# are replaced by a delete and an insert in one transaction.
RUN_ALERTS_DDL = (
    "CREATE TABLE IF NOT EXISTS run_alert_sets (run_id VARCHAR NOT NULL, inputs VARCHAR NOT "
    "NULL, created_at TIMESTAMP NOT NULL)",
    "CREATE TABLE IF NOT EXISTS run_alerts (run_id VARCHAR NOT NULL, alert_key VARCHAR NOT "
    "NULL, type VARCHAR NOT NULL, sku VARCHAR NOT NULL, money_at_risk DOUBLE, reason VARCHAR "
    "NOT NULL)",
)
