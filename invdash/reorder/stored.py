"""Stored policy runs found without the policy maths: what a page opening on a stored run needs.

``runs`` computes and stores policy runs; it imports the forecast engine, the calibration and
the policy maths (scipy), which cost seconds to import on a server's first page view. The
lookups here import only the store, so the Reorder page opens on a stored run without them:

- ``params_key``, ``inputs_version``: the key a run is stored under (parameters; data, open
  orders, overrides, master-data edits and the as-of day).
- ``latest_forecast_run_id``: the newest forecast run on the current data (its id only).
- ``run_for_targets``: the newest stored run for the current data and forecast whose
  parameters equal the targets but for the calibrated ``level_uncertainty_cv``, as a
  ``StoredRun`` (id and as-of day, no lines); ``stored_run_for_targets`` the same with the
  policy table (``PolicyRun``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import duckdb
import pandas as pd

from invdash import store
from invdash.policy.params import PolicyParams
from invdash.store import app_settings
from invdash.store import forecasts as forecast_store
from invdash.store import master_data as md_store
from invdash.store import reorder as reorder_store

__all__ = [
    "PolicyRun",
    "StoredRun",
    "load_policy_run",
    "params_key",
    "inputs_version",
    "latest_forecast_run_id",
    "run_for_targets",
    "stored_run_for_targets",
]


@dataclass(frozen=True)
class PolicyRun:
    """A stored policy run: ``run_id``, the decision day ``as_of`` and the policy ``table``."""

    run_id: str
    as_of: pd.Timestamp
    table: pd.DataFrame


@dataclass(frozen=True)
class StoredRun:
    """A stored policy run's ``run_id`` and decision day ``as_of``, without its lines."""

    run_id: str
    as_of: pd.Timestamp


def load_policy_run(conn: duckdb.DuckDBPyConnection, run_id: str) -> PolicyRun:
    """The stored run ``run_id`` with its policy table (every SKU)."""
    return PolicyRun(
        run_id=run_id,
        as_of=reorder_store.policy_run_as_of(conn, run_id),
        table=reorder_store.load_suggestions(conn, run_id),
    )


def params_key(params: PolicyParams, *, seed: int = 0) -> str:
    """A stable text key of the parameters (stored with the run)."""
    return json.dumps({**asdict(params), "seed": seed}, sort_keys=True)


def inputs_version(conn: duckdb.DuckDBPyConnection) -> str:
    """Data version plus the open purchase orders, service-level overrides, master-data edits,
    forecast overrides and the as-of day (they change the policy too)."""
    lines, units = reorder_store.open_order_totals(conn)  # not every open line into pandas
    overrides = reorder_store.load_service_level_overrides(conn)
    return (
        f"{store.data_version(conn)}|po:{lines}:{units:g}"
        f"|sl:{overrides[['scope', 'key', 'service_level']].to_json()}"
        f"|edits:{md_store.edits_version(conn)}|as_of:{app_settings.as_of(conn).date()}"
    )


def latest_forecast_run_id(conn: duckdb.DuckDBPyConnection) -> str | None:
    """Id of the newest forecast run made on the data now in the store (as ``latest_forecast``
    finds it), without loading its forecasts; None when there is none."""
    return forecast_store.latest_run_id(conn, data_version=store.data_version(conn))


def run_for_targets(
    conn: duckdb.DuckDBPyConnection, params: PolicyParams, *, seed: int = 0
) -> StoredRun | None:
    """The newest stored policy run for the current data and forecast whose parameters equal
    ``params`` in everything but the calibrated ``level_uncertainty_cv``, or None.

    A run stored by ``invdash reorder`` (or an earlier page view) was calibrated on the same data,
    so the Reorder page can open on it at once instead of re-running the calibration first.
    """
    # The newest forecast run's id only: loading its forecasts (every SKU x horizon) to read
    # the id made the Reorder page's first open cost a second at 5,000 SKUs.
    forecast_run_id = latest_forecast_run_id(conn)
    if forecast_run_id is None:
        return None
    runs = reorder_store.policy_runs_for(
        conn, data_version=inputs_version(conn), forecast_run_id=forecast_run_id
    )
    wanted = json.loads(params_key(params, seed=seed))
    wanted.pop("level_uncertainty_cv", None)
    for run_id, text in zip(runs["run_id"], runs["params"], strict=True):
        stored = json.loads(text)
        stored.pop("level_uncertainty_cv", None)
        if stored == wanted:
            return StoredRun(run_id=run_id, as_of=reorder_store.policy_run_as_of(conn, run_id))
    return None


def stored_run_for_targets(
    conn: duckdb.DuckDBPyConnection, params: PolicyParams, *, seed: int = 0
) -> PolicyRun | None:
    """``run_for_targets`` with the run's policy table (``PolicyRun``), or None."""
    found = run_for_targets(conn, params, seed=seed)
    return None if found is None else load_policy_run(conn, found.run_id)
