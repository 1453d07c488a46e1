"""SQL for the recs area: recommendation runs and the blend choice they used.

Design: a recommendation run records which blend weights were used, where they came from
(``default`` or ``validation``, i.e. chosen by ``recommend.blend.choose_blend``), the validation
metrics of the candidates when there was a choice, and the size and duration of the fit. The
newest run with ``source = 'validation'`` gives the weights later runs reuse. Registered as
migration 4 in ``store/schema.py``.

Stored runs (migration 6 in ``store/schema.py``): a run also keeps its lists, so the
Recommendations page reads them instead of fitting: ``rec_lists`` (one row per list, query and
rank: ``buy_again`` and ``discover`` per customer, ``bought_together`` and ``substitutes`` per SKU,
``at_risk`` substitutes), ``rec_customers`` (each customer's orders and segment) and, in
``rec_runs.plan``, the blend plan (repeat settings and per-segment weights). A run is keyed by
``rec_data_version``: the order lines' fingerprint plus ``store.data_version`` (stock changes
change the lists too), so a page finds the run built on the current data or builds one.
"""

from __future__ import annotations

import json
import uuid

import duckdb
import pandas as pd

from invdash import store
from invdash.schema import InvalidDataError
from invdash.store import versions

__all__ = [
    "stored_list_skus",
    "LISTS",
    "has_rec_runs",
    "has_stored_lists",
    "save_rec_run",
    "latest_chosen_weights",
    "list_rec_runs",
    "rec_data_version",
    "save_run_lists",
    "fresh_run",
    "load_list",
    "load_customers",
    "list_queries",
    "latest_plan",
    "customer_purchases",
    "top_customers",
    "load_customer",
    "list_page",
    "count_queries",
    "load_lists",
    "customer_lists",
    "run_start",
]

#: Lists a stored run holds.
LISTS = ("buy_again", "discover", "bought_together", "substitutes", "at_risk")

#: CREATE TABLE IF NOT EXISTS statements for this area's tables.

#: Stored recommendation lists (migration 5).


def has_rec_runs(conn: duckdb.DuckDBPyConnection) -> bool:
    """Whether the file has the ``rec_runs`` table (a file migrated before it existed has not)."""
    row = conn.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'rec_runs'"
    ).fetchone()
    return bool(row[0])


def save_rec_run(  # noqa: PLR0913 - one row's fields
    conn: duckdb.DuckDBPyConnection,
    *,
    weights: dict[str, float],
    source: str,
    validation: pd.DataFrame | None = None,
    data_version: str | None = None,
    n_customers: int = 0,
    n_items: int = 0,
    duration_s: float = 0.0,
    device: str = "cpu",
    plan: str | None = None,
) -> str:
    """Record a recommendation run (inside ``transaction``); returns its run id.

    Args:
        conn: read-write connection.
        weights: blend weights used.
        source: ``default``, ``stored`` (reused from an earlier validation) or ``validation``.
        validation: candidate weights with their validation metrics (``choose_blend``).
        data_version: ``store.data_version`` at fit time.
        n_customers: customers in the model.
        n_items: items in the model.
        duration_s: fit time, in seconds.
        device: torch device the sequential model ran on.
        plan: the blend plan as JSON (``segments.BlendPlan.to_json``), when the run used one.
    """
    run_id = uuid.uuid4().hex
    conn.execute(
        "INSERT INTO rec_runs (run_id, created_at, data_version, source, weights, validation, "
        "n_customers, n_items, duration_s, device, plan) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            run_id,
            pd.Timestamp.now(tz="UTC").tz_localize(None),
            data_version,
            source,
            json.dumps(weights, sort_keys=True),
            None if validation is None else validation.to_json(orient="records"),
            int(n_customers),
            int(n_items),
            float(duration_s),
            device,
            plan,
        ],
    )
    return run_id


def latest_chosen_weights(conn: duckdb.DuckDBPyConnection) -> dict[str, float] | None:
    """Weights of the newest run whose blend was chosen by validation, or None."""
    if not has_rec_runs(conn):
        return None
    row = conn.execute(
        "SELECT weights FROM rec_runs WHERE source = 'validation' "
        "ORDER BY created_at DESC, run_id LIMIT 1"
    ).fetchone()
    return None if row is None else {k: float(v) for k, v in json.loads(row[0]).items()}


def list_rec_runs(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every recommendation run, newest first (without the validation details)."""
    return conn.execute(
        "SELECT run_id, created_at, data_version, source, weights, n_customers, n_items, "
        "duration_s, device FROM rec_runs ORDER BY created_at DESC, run_id"
    ).df()


def has_stored_lists(conn: duckdb.DuckDBPyConnection) -> bool:
    """Whether the file has the stored-list tables (migration 5)."""
    row = conn.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'rec_lists'"
    ).fetchone()
    return bool(row[0])


def rec_data_version(conn: duckdb.DuckDBPyConnection) -> str:
    """Fingerprint of what a run's lists depend on: order lines, sales, stock and products."""

    # The stored order-lines part (``store/versions.py``), not a scan of every line.
    return versions.parts(conn, ("order_lines",))[0] + "#" + store.data_version(conn)


def save_run_lists(
    conn: duckdb.DuckDBPyConnection,
    run_id: str,
    *,
    lists: pd.DataFrame,
    customers: pd.DataFrame,
) -> None:
    """Store a run's lists and customers (inside ``transaction``).

    Args:
        conn: read-write connection.
        run_id: the run (``save_rec_run``).
        lists: ``list, query, rank, sku, name, status, score, reason``; ``list`` in ``LISTS``.
        customers: ``customer_id, orders, segment``.
    """
    unknown = sorted(set(lists["list"]) - set(LISTS))
    if unknown:
        raise InvalidDataError(f"unknown recommendation list(s) {unknown}; known: {list(LISTS)}.")
    columns = ["list", "query", "rank", "sku", "name", "status", "score", "reason"]
    rows = lists[columns].assign(run_id=run_id)
    conn.register("_rec_lists_in", rows)
    conn.execute(
        "INSERT INTO rec_lists SELECT run_id, list, query, rank, sku, name, status, score, "
        "reason FROM _rec_lists_in"
    )
    conn.unregister("_rec_lists_in")
    people = customers[["customer_id", "orders", "segment"]].assign(run_id=run_id)
    conn.register("_rec_customers_in", people)
    conn.execute(
        "INSERT INTO rec_customers SELECT run_id, customer_id, orders, segment "
        "FROM _rec_customers_in"
    )
    conn.unregister("_rec_customers_in")


def fresh_run(conn: duckdb.DuckDBPyConnection) -> dict | None:
    """The newest run with stored lists built on the current data, or None.

    Returns:
        ``run_id, created_at, source, plan`` (``plan`` the JSON text) of that run.
    """
    if not has_stored_lists(conn):
        return None
    row = conn.execute(
        "SELECT r.run_id, r.created_at, r.source, r.plan FROM rec_runs r "
        "WHERE r.data_version = ? AND r.plan IS NOT NULL "
        "AND EXISTS (SELECT 1 FROM rec_customers c WHERE c.run_id = r.run_id) "
        "ORDER BY r.created_at DESC, r.run_id LIMIT 1",
        [rec_data_version(conn)],
    ).fetchone()
    if row is None:
        return None
    return dict(zip(("run_id", "created_at", "source", "plan"), row, strict=True))


def load_list(
    conn: duckdb.DuckDBPyConnection, run_id: str, list_name: str, query: str | None, k: int
) -> pd.DataFrame:
    """One stored list: ``query, rank, sku, name, status, score, reason`` (rank <= k).

    ``query`` None returns the list for every query (e.g. every at-risk SKU).
    """
    return conn.execute(
        "SELECT query, rank, sku, name, status, score, reason FROM rec_lists "
        "WHERE run_id = ? AND list = ? AND (? IS NULL OR query = ?) AND rank <= ? "
        "ORDER BY query, rank",
        [run_id, list_name, query, query, int(k)],
    ).df()


def load_customers(conn: duckdb.DuckDBPyConnection, run_id: str) -> pd.DataFrame:
    """The run's customers, most orders first: ``customer_id, orders, segment``."""
    return conn.execute(
        "SELECT customer_id, orders, segment FROM rec_customers WHERE run_id = ? "
        "ORDER BY orders DESC, customer_id",
        [run_id],
    ).df()


def top_customers(conn: duckdb.DuckDBPyConnection, run_id: str, limit: int) -> pd.DataFrame:
    """The run's ``limit`` customers with most orders: ``customer_id, orders, segment``."""
    return conn.execute(
        "SELECT customer_id, orders, segment FROM rec_customers WHERE run_id = ? "
        "ORDER BY orders DESC, customer_id LIMIT ?",
        [run_id, int(limit)],
    ).df()


def load_customer(conn: duckdb.DuckDBPyConnection, run_id: str, customer_id: str) -> dict | None:
    """One customer of the run (``customer_id, orders, segment``), or None."""
    frame = conn.execute(
        "SELECT customer_id, orders, segment FROM rec_customers "
        "WHERE run_id = ? AND customer_id = ?",
        [run_id, customer_id],
    ).df()
    return None if frame.empty else frame.iloc[0].to_dict()


def list_page(  # noqa: PLR0913 - a page of one list has these parts
    conn: duckdb.DuckDBPyConnection, run_id: str, list_name: str, *, k: int, limit: int,
    offset: int,
) -> pd.DataFrame:
    """The lists of ``limit`` queries from ``offset`` (queries in order): the columns of
    ``load_list`` (rank <= k); one page of e.g. every at-risk SKU's substitutes."""
    return conn.execute(
        "WITH queries AS (SELECT DISTINCT query FROM rec_lists WHERE run_id = ? AND list = ? "
        "ORDER BY query LIMIT ? OFFSET ?) "
        "SELECT query, rank, sku, name, status, score, reason FROM rec_lists "
        "WHERE run_id = ? AND list = ? AND rank <= ? AND query IN (SELECT query FROM queries) "
        "ORDER BY query, rank",
        [run_id, list_name, int(limit), int(offset), run_id, list_name, int(k)],
    ).df()


def count_queries(conn: duckdb.DuckDBPyConnection, run_id: str, list_name: str) -> int:
    """How many queries (customers or SKUs) have a ``list_name`` list in the run."""
    return int(conn.execute(
        "SELECT count(DISTINCT query) FROM rec_lists WHERE run_id = ? AND list = ?",
        [run_id, list_name],
    ).fetchone()[0])  # fmt: skip


def customer_purchases(conn: duckdb.DuckDBPyConnection, customer_id: str) -> pd.DataFrame:
    """A customer's purchases per SKU: ``sku, orders, last_bought`` (newest first)."""
    return conn.execute(
        "SELECT sku, count(DISTINCT order_id) AS orders, max(ts) AS last_bought "
        "FROM order_lines WHERE customer_id = ? AND qty > 0 AND NOT upper(order_id) LIKE 'C%' "
        "GROUP BY sku ORDER BY last_bought DESC, sku",
        [customer_id],
    ).df()


def list_queries(conn: duckdb.DuckDBPyConnection, run_id: str, list_name: str) -> list[str]:
    """Every query (customer or SKU) that has a stored ``list_name`` list in the run, sorted."""
    rows = conn.execute(
        "SELECT DISTINCT query FROM rec_lists WHERE run_id = ? AND list = ? ORDER BY query",
        [run_id, list_name],
    ).fetchall()
    return [r[0] for r in rows]


def latest_plan(conn: duckdb.DuckDBPyConnection) -> str | None:
    """The blend plan (JSON) of the newest run that recorded one, or None."""
    if not has_stored_lists(conn):
        return None
    row = conn.execute(
        "SELECT plan FROM rec_runs WHERE plan IS NOT NULL ORDER BY created_at DESC, run_id LIMIT 1"
    ).fetchone()
    return None if row is None else row[0]


def stored_list_skus(conn: duckdb.DuckDBPyConnection, run_id: str) -> tuple[str, ...]:
    """Every SKU with a stored bought-together or substitutes list in the run, sorted."""
    found = list_queries(conn, run_id, "bought_together")
    found += list_queries(conn, run_id, "substitutes")
    return tuple(sorted(set(found)))


# The Recommendations page's sections, each one read: at 100,000 SKUs a page's read costs a
# connection to a 4 GB file first (0.1-0.3 s under load), several times a query of these lists.


def load_lists(
    conn: duckdb.DuckDBPyConnection, run_id: str, query: str, k: int, list_names: tuple[str, ...]
) -> dict[str, pd.DataFrame]:
    """``load_list`` of each of ``list_names`` for one ``query`` (a customer or a SKU)."""
    return {name: load_list(conn, run_id, name, query, k) for name in list_names}


def customer_lists(
    conn: duckdb.DuckDBPyConnection, run_id: str, customer_id: str, k: int
) -> dict[str, object]:
    """One customer's ``customer`` row (``load_customer``, None when unknown) and ``buy_again``
    and ``discover`` lists (``load_list``)."""
    lists = load_lists(conn, run_id, customer_id, k, ("buy_again", "discover"))
    return {"customer": load_customer(conn, run_id, customer_id), **lists}


def run_start(conn: duckdb.DuckDBPyConnection, run_id: str, n_customers: int) -> dict[str, object]:
    """What the page shows of a run before anything is chosen: ``customers`` (``top_customers``
    of ``n_customers``) and ``at_risk`` (``count_queries`` of the at-risk list)."""
    return {
        "customers": top_customers(conn, run_id, n_customers),
        "at_risk": count_queries(conn, run_id, "at_risk"),
    }
