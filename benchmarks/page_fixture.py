"""A large shop with stored runs, built in minutes: the fixture of ``bench_pages.py``.

Forecasting and the policy on 100,000 SKUs take many minutes (``bench_scale.py`` measures them);
page timing needs only what the pages read: products, sales, stock, orders and *stored* forecast,
policy and recommendation runs. So a real demo shop of ``base`` SKUs is built, forecast (a fast
moving average with one backtest fold), given its real policy table and its real recommendation
run, each stored by the function the CLI uses. That base is then tiled ``copies`` times: copy
``k`` of SKU ``S`` is ``S-k`` (``k`` zero-padded), its name gets `` #k``, order, PO and customer
ids the same suffix.

Speed (the old fixture inserted one copy at a time into the primary-keyed tables and did not
finish in 34 minutes): every table is written by a few bulk ``INSERT INTO t SELECT ... FROM
base.t, range(copies)`` statements, one per block of base SKUs, each committed and
checkpointed. The big tables that only an ingest or a run writes (``_NO_KEY``: sales, inventory,
order lines, recommendation lists) are created without their primary key: inserting into the
keyed table took 42 s per 6.8 M sales rows under load (DuckDB's ART index), unkeyed 4 s. No page
reads through those keys (DuckDB scans ``WHERE sku = ?`` on a two-column key sequentially;
``EXPLAIN`` shows a ``Seq Scan``) and no page writes those tables, so page times are the same;
every other table keeps the store's own layout, keys included. A block of the per-SKU
tables holds ``block_skus`` base SKUs times every copy, and a copy's SKU name starts with its
base SKU's, so each row group spans a narrow SKU range (a block, 10,000 SKUs at 100,000) and a
page's ``WHERE sku = ?`` can skip the others. Within a block rows are not sorted (an
``ORDER BY`` tripled the time).

The stored runs are the base's *real* rows replicated: the forecast run's forecasts, choices and
backtest fold errors, the policy run's suggestions, the recommendation run's lists and customers
(a run on the 100,000-SKU shop would hold one row per SKU or customer the same way; its numbers
are the base SKUs' numbers repeated). The run rows (``forecast_runs``, ``policy_runs``,
``rec_runs``) get the large file's own data versions, so the dashboard finds them current and
computes nothing. Not tiled: ``text_embeddings`` (no page reads them; the titles changed). Last,
the Overview's summary is stored (``overview.store_overview``), as the dashboard's first open
after the data change stores it.

    build_large_shop(path, skus=100_000)      # 200 real SKUs x 500 copies, 730 days
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from invdash import alerts, store
from invdash.demo import build_demo
from invdash.forecast.engine import run_forecast
from invdash.forecast.options import ForecastOptions
from invdash.forecast.stored import save_run
from invdash.overview import store_overview
from invdash.policy import PolicyParams
from invdash.policy import window as demand_window
from invdash.recommend.runs import build_rec_run
from invdash.reorder import runs as reorder_runs
from invdash.store import forecasts as forecast_store
from invdash.store import recs as recs_store
from invdash.store import versions

__all__ = ["build_large_shop", "base_path"]

#: Tables tiled per SKU: ``{table: suffixed id columns}``.
_PER_SKU = {
    "products": ("sku",), "sales": ("sku",), "inventory": ("sku",),
    "purchase_orders": ("sku", "po_id"), "forecasts": ("sku",), "forecast_choices": ("sku",),
    "backtest_fold_errors": ("sku",), "suggestions": ("sku",),
}  # fmt: skip
#: Tables tiled per copy (no SKU order): ``{table: suffixed id columns}``.
_PER_COPY = {
    "order_lines": ("order_id", "customer_id", "sku"),
    "rec_lists": ("query", "sku"),
    "rec_customers": ("customer_id",),
}  # fmt: skip
#: Tables created without their primary key (see the module docstring).
_NO_KEY = ("sales", "inventory", "order_lines", "rec_lists")
#: One row per run, copied as they are.
_RUN_TABLES = ("forecast_runs", "backtest_metrics", "policy_runs", "rec_runs")
#: The Overview's KPI window (``ui.overview_views.WINDOW_DAYS``).
OVERVIEW_WINDOW_DAYS = 28
#: DuckDB's buffer pool while the large file is written (spills to its temp directory above).
_MEMORY_LIMIT = "2GB"


def _suffix(column: str) -> str:
    return f"{column} || '-' || lpad(CAST(k.range AS VARCHAR), 3, '0')"


def _replaced(table: str, columns: tuple[str, ...]) -> str:
    replaced = ", ".join(f"{_suffix('t.' + c)} AS {c}" for c in columns)
    if table == "products":
        replaced += ", t.name || ' #' || CAST(k.range AS VARCHAR) AS name"
    return replaced


def _drop_primary_key(conn, table: str) -> None:
    """Recreate the empty ``table`` from its own DDL without its ``PRIMARY KEY`` clause."""
    ddl = conn.execute(
        "SELECT sql FROM duckdb_tables() WHERE database_name = current_database() "
        "AND table_name = ?", [table]
    ).fetchone()[0]
    conn.execute(f"DROP TABLE {table}")
    conn.execute(re.sub(r", PRIMARY KEY\([^)]*\)", "", ddl))


def _checkpointed(conn, statement: str, params: list) -> None:
    conn.execute(statement, params)  # autocommit: one committed block
    conn.execute("CHECKPOINT")


def _tile_per_sku(conn, copies: int, block_skus: int) -> None:
    """Each per-SKU table in blocks of ``block_skus`` base SKUs (times ``copies``)."""
    rows = conn.execute("SELECT sku FROM base.products ORDER BY sku").fetchall()
    base_skus = [sku for (sku,) in rows]
    bounds = [base_skus[i] for i in range(0, len(base_skus), block_skus)] + [None]
    for table, columns in _PER_SKU.items():
        for low, high in zip(bounds[:-1], bounds[1:], strict=True):
            upper = "" if high is None else "AND t.sku < ?"
            _checkpointed(
                conn,
                f"INSERT INTO {table} SELECT t.* REPLACE ({_replaced(table, columns)}) "
                f"FROM base.{table} t, range(?) k WHERE t.sku >= ? {upper}",
                [copies, low] + ([] if high is None else [high]),
            )


def _tile_per_copy(conn, copies: int, block_copies: int) -> None:
    for table, columns in _PER_COPY.items():
        for first in range(0, copies, block_copies):
            _checkpointed(
                conn,
                f"INSERT INTO {table} SELECT t.* REPLACE ({_replaced(table, columns)}) "
                f"FROM base.{table} t, range(?, ?) k",
                [first, min(first + block_copies, copies)],
            )


def _store_base_runs(base: Path) -> None:
    """A real forecast (moving average, one backtest fold), policy run and recommendation run
    on the base shop, each stored by the function the CLI uses."""
    conn = store.connect(base)
    try:
        sales, products = store.load_sales(conn), store.load_products(conn)
        run = run_forecast(sales, ForecastOptions(model="ma", folds=1), products=products)
        run_id = save_run(conn, run, data_version=store.data_version(conn))
        reorder_runs.ensure_policy_run(
            conn, run.forecasts, forecast_run_id=run_id, params=PolicyParams()
        )
        build_rec_run(conn)
    finally:
        conn.close()


def _has_base_runs(base: Path) -> bool:
    if not base.exists():
        return False
    conn = store.connect(base)
    try:
        counts = store.table_counts(conn)
        runs = conn.execute(
            "SELECT (SELECT count(*) FROM rec_customers) * (SELECT count(*) FROM suggestions)"
        ).fetchone()[0]
        return bool(counts.get("sales")) and bool(runs)
    finally:
        conn.close()


def _copy_runs(conn, copies: int) -> None:
    """The base's run rows, with the large file's SKU counts and data versions."""
    for table in _RUN_TABLES:
        conn.execute(f"INSERT INTO {table} SELECT * FROM base.{table}")
    conn.execute("UPDATE forecast_runs SET n_skus = n_skus * ?", [copies])
    conn.execute("UPDATE backtest_metrics SET n_skus = n_skus * ?", [copies])
    conn.execute("UPDATE rec_runs SET n_customers = n_customers * ?, n_items = n_items * ?",
                 [copies, copies])
    conn.execute("UPDATE forecast_runs SET data_version = ?", [store.data_version(conn)])
    conn.execute("UPDATE policy_runs SET data_version = ?", [reorder_runs.inputs_version(conn)])
    conn.execute("UPDATE rec_runs SET data_version = ?", [recs_store.rec_data_version(conn)])


def base_path(path: Path, *, base_skus: int = 200, days: int = 730) -> Path:
    """Where the base shop of the large shop at ``path`` is kept (and reused)."""
    return Path(path).with_name(f"page-base-{base_skus}x{days}.duckdb")


def _build_base(base: Path, base_skus: int, days: int) -> None:
    if _has_base_runs(base):
        return
    base.unlink(missing_ok=True)
    conn = store.connect(base)
    try:
        build_demo(conn, n_skus=base_skus, n_days=days, seed=7)
    finally:
        conn.close()
    _store_base_runs(base)


def build_large_shop(
    path: Path, *, skus: int = 100_000, days: int = 730, base_skus: int = 200,
    block_skus: int = 20,
) -> dict[str, float]:
    """Build the large shop at ``path`` (replaced); returns the seconds of each step.

    The base shop with its runs is kept beside ``path`` (``base_path``) and reused: its
    recommendation run alone takes most of a minute.

    Args:
        path: the database file to write.
        skus: SKUs in the large shop (a multiple of ``base_skus``).
        days: days of sales history.
        base_skus: SKUs of the real demo shop that is tiled.
        block_skus: base SKUs per committed block (times the copies: 10,000 SKUs at 100,000).
    """
    if skus % base_skus:
        raise ValueError(f"skus ({skus}) must be a multiple of base_skus ({base_skus}).")
    path, copies = Path(path), skus // base_skus
    base = base_path(path, base_skus=base_skus, days=days)
    times, started = {}, time.perf_counter()
    _build_base(base, base_skus, days)
    times["base_s"] = time.perf_counter() - started
    for old in (path, path.with_name(path.name + ".wal")):
        old.unlink(missing_ok=True)
    conn = store.connect(path)
    try:
        conn.execute("SET enable_progress_bar = false")
        conn.execute(f"SET memory_limit = '{_MEMORY_LIMIT}'")
        for table in _NO_KEY:
            _drop_primary_key(conn, table)
        conn.execute("ATTACH ? AS base (READ_ONLY)", [str(base)])
        _tile_per_sku(conn, copies, block_skus)
        times["per_sku_s"] = time.perf_counter() - started - times["base_s"]
        _tile_per_copy(conn, copies, max(1, copies // 5))
        with store.transaction(conn):  # the tiles were written in autocommit blocks
            versions.touch(conn, *versions.TRACKED)
        _copy_runs(conn, copies)
        with store.transaction(conn):  # what a policy run stores for the Alerts page
            demand_window.store_window(conn, forecast_store.latest_run_id(conn))
        for run_id in conn.execute("SELECT run_id FROM policy_runs").fetchall():
            alerts.ensure_run_alerts(conn, run_id[0])  # what `invdash reorder` stores for them
        conn.execute("DETACH base")
        started_summary = time.perf_counter()
        store_overview(conn, OVERVIEW_WINDOW_DAYS)  # what the Overview's first open stores
        times["overview_summary_s"] = time.perf_counter() - started_summary
        conn.execute("CHECKPOINT")
    finally:
        conn.close()
    times["total_s"] = time.perf_counter() - started
    times["copy_s"] = times["total_s"] - times["base_s"]
    return times
