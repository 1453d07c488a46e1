"""SQL for the recs area: recommendation runs and the blend choice they used.

Design: a recommendation run records which blend weights were used, where they came from
(``default`` or ``validation``, i.e. chosen by ``recommend.blend.choose_blend``), the validation
metrics of the candidates when there was a choice, and the size and duration of the fit. The
newest run with ``source = 'validation'`` gives the weights later runs reuse. Registered as
migration 4 in ``store/schema.py``.
"""

from __future__ import annotations

import json
import uuid

import duckdb
import pandas as pd

__all__ = ["has_rec_runs", "save_rec_run", "latest_chosen_weights", "list_rec_runs"]

#: CREATE TABLE IF NOT EXISTS statements for this area's tables.


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
    """
    run_id = uuid.uuid4().hex
    conn.execute(
        "INSERT INTO rec_runs (run_id, created_at, data_version, source, weights, validation, "
        "n_customers, n_items, duration_s, device) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
