"""Fixtures for the review workflow: the demo shop with one stored forecast and policy run.

``planned_db`` is built once per module (a moving-average forecast, no backtest folds, so it
takes seconds); ``cycle_db`` is a writable copy for one test, with ``run_id`` of the stored run.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from review_cycle import MANAGER_NAME, CycleDb, plan, reforecast  # noqa: F401

from invdash import store
from invdash.policy import PolicyParams


@pytest.fixture(scope="module")
def planned_db(demo_db: Path, tmp_path_factory) -> CycleDb:
    path = tmp_path_factory.mktemp("planned") / "planned.duckdb"
    shutil.copy(demo_db, path)
    conn = store.connect(path)
    try:
        forecast_run_id = reforecast(conn)
        policy_run = plan(conn, PolicyParams())
    finally:
        conn.close()
    return CycleDb(path=path, run_id=policy_run.run_id, forecast_run_id=forecast_run_id)


@pytest.fixture
def cycle_db(planned_db: CycleDb, tmp_path: Path) -> CycleDb:
    target = tmp_path / "cycle.duckdb"
    shutil.copy(planned_db.path, target)
    return CycleDb(
        path=target, run_id=planned_db.run_id, forecast_run_id=planned_db.forecast_run_id
    )
