"""A large shop with stored runs, built in about a minute: the fixture of ``bench_pages.py``.

Forecasting and the policy on 100,000 SKUs take many minutes (``bench_scale.py`` measures them);
page timing needs only what the pages read: products, sales, stock, orders and *stored* forecast,
policy and recommendation runs. So a real demo shop of ``base`` SKUs is built, forecast (a fast
moving average with one backtest fold), given its real policy table and its real recommendation
run, and then copied ``copies`` times in DuckDB SQL: copy ``k`` of SKU ``S`` is ``S-k`` (its name
gets `` #k``), order ids and customers get the same suffix. The stored runs are tiled the same way
and written with the store's own write functions (``forecast.stored.save_run``,
``store.reorder.save_policy_run``, ``store.recs.save_rec_run`` / ``save_run_lists``) under the big
file's own data versions, so the dashboard finds them current and computes nothing.

    build_large_shop(path, skus=100_000)      # 200 real SKUs x 500 copies, 730 days
"""

from __future__ import annotations

import time
from pathlib import Path

from invdash import store
from invdash.demo import build_demo
from invdash.forecast.engine import run_forecast
from invdash.forecast.options import ForecastOptions
from invdash.forecast.stored import save_run
from invdash.policy import PolicyParams
from invdash.recommend.runs import build_rec_run
from invdash.reorder import runs as reorder_runs
from invdash.store import recs as recs_store

__all__ = ["build_large_shop"]

#: Core tables copied with a SKU suffix; ``order_lines`` also suffixes order and customer ids.
_COPIED = ("products", "sales", "inventory", "purchase_orders")


def _suffix(column: str) -> str:
    return f"{column} || '-' || lpad(CAST(k AS VARCHAR), 3, '0')"


def _copy_core(conn, base: Path, copies: int) -> None:
    """Copy the attached base shop ``copies`` times, one copy after the other (so each SKU's
    rows stay together in the file, as an ingest writes them)."""
    conn.execute("ATTACH ? AS base (READ_ONLY)", [str(base)])
    conn.execute("CREATE TEMP TABLE copies AS SELECT range AS k FROM range(?)", [copies])
    statements = []
    for table in _COPIED:
        replaced = f"{_suffix('t.sku')} AS sku"
        if table == "products":
            replaced += ", t.name || ' #' || CAST(k AS VARCHAR) AS name"
        if table == "purchase_orders":
            replaced += f", {_suffix('t.po_id')} AS po_id"
        statements.append(f"INSERT INTO {table} SELECT t.* REPLACE ({replaced}) "
                          f"FROM base.{table} t, (SELECT ? AS k) ORDER BY t.sku")
    statements.append(
        "INSERT INTO order_lines SELECT t.* REPLACE ("
        f"{_suffix('t.order_id')} AS order_id, {_suffix('t.customer_id')} AS customer_id, "
        f"{_suffix('t.sku')} AS sku) FROM base.order_lines t, (SELECT ? AS k)"
    )
    for k in range(copies):
        for statement in statements:
            conn.execute(statement, [k])


#: Derived tables of the base runs and the id columns each copy suffixes.
_TILED = {
    "forecasts": ("sku",), "forecast_choices": ("sku",), "suggestions": ("sku",),
    "rec_lists": ("query", "sku"), "rec_customers": ("customer_id",),
}  # fmt: skip
_RUN_TABLES = ("forecast_runs", "backtest_metrics", "policy_runs", "rec_runs")


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
        return all(store.table_counts(conn).get(t, 1) for t in ("sales",)) and bool(
            conn.execute("SELECT count(*) FROM rec_customers").fetchone()[0]
        )
    finally:
        conn.close()


def _copy_runs(conn, copies: int) -> None:
    """Tile the attached base's stored runs over the copies; set the big file's data versions."""
    for table in _RUN_TABLES:
        conn.execute(f"INSERT INTO {table} SELECT * FROM base.{table}")
    for table, columns in _TILED.items():
        replaced = ", ".join(f"{_suffix('t.' + c)} AS {c}" for c in columns)
        conn.execute(
            f"INSERT INTO {table} SELECT t.* REPLACE ({replaced}) "
            f"FROM base.{table} t, copies"
        )
    conn.execute("UPDATE forecast_runs SET n_skus = n_skus * ?", [copies])
    conn.execute("UPDATE backtest_metrics SET n_skus = n_skus * ?", [copies])
    conn.execute("UPDATE forecast_runs SET data_version = ?", [store.data_version(conn)])
    conn.execute("UPDATE policy_runs SET data_version = ?", [reorder_runs.inputs_version(conn)])
    conn.execute("UPDATE rec_runs SET data_version = ?", [recs_store.rec_data_version(conn)])


def build_large_shop(
    path: Path, *, skus: int = 100_000, days: int = 730, base_skus: int = 200
) -> dict[str, float]:
    """Build the large shop at ``path`` (replaced); returns the seconds of each step.

    The base shop with its runs is kept beside ``path`` (``page-base-<skus>x<days>.duckdb``) and
    reused: its recommendation run alone takes minutes.

    Args:
        path: the database file to write.
        skus: SKUs in the large shop (a multiple of ``base_skus``).
        days: days of sales history.
        base_skus: SKUs of the real demo shop that is copied.
    """
    if skus % base_skus:
        raise ValueError(f"skus ({skus}) must be a multiple of base_skus ({base_skus}).")
    path = Path(path)
    base = path.with_name(f"page-base-{base_skus}x{days}.duckdb")
    times, started = {}, time.perf_counter()
    if not _has_base_runs(base):
        base.unlink(missing_ok=True)
        conn = store.connect(base)
        try:
            build_demo(conn, n_skus=base_skus, n_days=days, seed=7)
        finally:
            conn.close()
        _store_base_runs(base)
    times["base_s"] = time.perf_counter() - started
    for old in (path, path.with_name(path.name + ".wal")):
        old.unlink(missing_ok=True)
    conn = store.connect(path)
    try:
        _copy_core(conn, base, skus // base_skus)
        _copy_runs(conn, skus // base_skus)
        conn.execute("DETACH base")
        conn.execute("CHECKPOINT")
    finally:
        conn.close()
    times["total_s"] = time.perf_counter() - started
    times["copy_s"] = times["total_s"] - times["base_s"]
    return times
