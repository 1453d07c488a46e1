"""SQL behind the dashboard's SKU pickers and paged tables: search, one product, one page.

Design: at 100,000 SKUs a selectbox of every SKU sends megabytes to the browser on every script
run and makes the page wait on it. The pickers instead send what the planner typed to DuckDB and
show the best few matches (``search_products``); a table shows one page of rows, sorted and
filtered in SQL (``page_of``), with its total (``count_of``). Every value is a parameter; table
and column names come from the fixed sets below, never from the caller's text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from invdash.schema import InvalidDataError

__all__ = [
    "PageRequest",
    "search_products",
    "product",
    "top_sellers",
    "has_product",
    "page_of",
    "count_of",
    "sku_on_hand",
]

#: The searchable / pageable relations and their columns (the only names SQL is built from).
_RELATIONS: dict[str, tuple[str, ...]] = {
    "products": (
        "sku", "name", "category", "unit_cost", "unit_price", "supplier", "lead_time_days",
        "lead_time_sd_days", "moq", "pack_size",
    ),
}  # fmt: skip


@dataclass(frozen=True)
class PageRequest:
    """One page of a table: ``limit`` rows from ``offset``, sorted by ``sort`` (a column name;
    ``descending`` flips it), filtered by ``equals`` (column -> value) and ``search`` (a text
    that the columns in ``search_columns`` must contain, case-insensitive)."""

    limit: int = 50
    offset: int = 0
    sort: str = "sku"
    descending: bool = False
    equals: tuple[tuple[str, str], ...] = ()
    search: str = ""
    search_columns: tuple[str, ...] = ("sku", "name")

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= 10_000:
            raise InvalidDataError(f"limit must be from 1 to 10,000 rows, got {self.limit}.")
        if self.offset < 0:
            raise InvalidDataError(f"offset must be >= 0, got {self.offset}.")


@dataclass(frozen=True)
class _Where:
    sql: str = "TRUE"
    params: list = field(default_factory=list)


def _columns(relation: str) -> tuple[str, ...]:
    if relation not in _RELATIONS:
        raise InvalidDataError(f"unknown table {relation!r}; known: {sorted(_RELATIONS)}.")
    return _RELATIONS[relation]


def _checked(relation: str, names: Sequence[str]) -> list[str]:
    known = _columns(relation)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise InvalidDataError(f"{relation} has no column(s) {unknown}; known: {list(known)}.")
    return list(names)


def _where(relation: str, request: PageRequest) -> _Where:
    parts, params = [], []
    for column, value in request.equals:
        parts.append(f'CAST("{_checked(relation, [column])[0]}" AS VARCHAR) = ?')
        params.append(str(value))
    text = request.search.strip()
    if text:
        columns = _checked(relation, request.search_columns)
        parts.append("(" + " OR ".join(f'"{c}" ILIKE ? ESCAPE \'\\\'' for c in columns) + ")")
        params.extend([f"%{_escape(text)}%"] * len(columns))
    return _Where(" AND ".join(parts) or "TRUE", params)


def _escape(text: str) -> str:
    # ILIKE's wildcards typed by a planner are searched for literally (ESCAPE '\').
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def page_of(conn: duckdb.DuckDBPyConnection, relation: str, request: PageRequest) -> pd.DataFrame:
    """One page of ``relation`` (``products``) as ``request`` asks, in SQL.

    Raises:
        InvalidDataError: an unknown table, sort or filter column.
    """
    columns = ", ".join(f'"{c}"' for c in _columns(relation))
    sort = _checked(relation, [request.sort])[0]
    where = _where(relation, request)
    order = "DESC" if request.descending else "ASC"
    sql = (
        f"SELECT {columns} FROM {relation} WHERE {where.sql} "
        f'ORDER BY "{sort}" {order} NULLS LAST, sku LIMIT ? OFFSET ?'
    )
    return conn.execute(sql, [*where.params, request.limit, request.offset]).df()


def count_of(conn: duckdb.DuckDBPyConnection, relation: str, request: PageRequest) -> int:
    """How many rows of ``relation`` pass ``request``'s filters (all pages together)."""
    _columns(relation)
    where = _where(relation, request)
    row = conn.execute(f"SELECT count(*) FROM {relation} WHERE {where.sql}", where.params)
    return int(row.fetchone()[0])


def search_products(
    conn: duckdb.DuckDBPyConnection, text: str, *, limit: int = 20
) -> pd.DataFrame:
    """Up to ``limit`` products whose SKU or name contains ``text`` (case-insensitive):
    ``sku, name, category``; an exact SKU first, then SKUs starting with ``text``, then by SKU.
    An empty ``text`` gives the first ``limit`` SKUs."""
    pattern = f"%{_escape(text.strip())}%"
    prefix = f"{_escape(text.strip())}%"
    return conn.execute(
        "SELECT sku, name, category FROM products "
        "WHERE sku ILIKE ? ESCAPE '\\' OR name ILIKE ? ESCAPE '\\' "
        "ORDER BY lower(sku) = lower(?) DESC, sku ILIKE ? ESCAPE '\\' DESC, sku LIMIT ?",
        [pattern, pattern, text.strip(), prefix, int(limit)],
    ).df()


def product(conn: duckdb.DuckDBPyConnection, sku: str) -> dict | None:
    """The ``products`` row of ``sku`` as a dict, or None when there is no such SKU."""
    frame = conn.execute(
        "SELECT " + ", ".join(_RELATIONS["products"]) + " FROM products WHERE sku = ?", [sku]
    ).df()
    return None if frame.empty else frame.iloc[0].to_dict()


def has_product(conn: duckdb.DuckDBPyConnection, sku: str) -> bool:
    """Whether ``sku`` is in ``products``."""
    return conn.execute("SELECT count(*) FROM products WHERE sku = ?", [sku]).fetchone()[0] > 0


def top_sellers(
    conn: duckdb.DuckDBPyConnection, *, days: int = 28, limit: int = 20
) -> pd.DataFrame:
    """The ``limit`` SKUs that sold most units in the last ``days`` days of sales: ``sku, name,
    qty``; the default choice of a picker before anything is typed."""
    return conn.execute(
        "WITH recent AS (SELECT sku, sum(qty) AS qty FROM sales "
        "WHERE date > (SELECT max(date) FROM sales) - CAST(? AS INTEGER) GROUP BY sku) "
        "SELECT r.sku, p.name, r.qty FROM recent r LEFT JOIN products p ON p.sku = r.sku "
        "ORDER BY r.qty DESC, r.sku LIMIT ?",
        [int(days), int(limit)],
    ).df()



def sku_on_hand(conn: duckdb.DuckDBPyConnection, sku: str) -> pd.DataFrame:
    """``store.latest_on_hand`` for one SKU (``sku, as_of, on_hand``; empty without stock data),
    without ranking every SKU's snapshots."""
    return conn.execute(
        "SELECT sku, as_of, on_hand FROM inventory WHERE sku = ? ORDER BY as_of DESC LIMIT 1",
        [sku],
    ).df()
