"""Fixtures for the purchase-order, master-data and forecast-override tests (tests/unit/purchasing).

``cycle_db``: a copy of the small demo shop (conftest ``demo_db``) with a stored forecast run
from the fast moving-average model (``ma``, no backtest), its policy run, and decisions made on
it: the first four reorder lines approved, the fifth edited to 10.2 units, the sixth rejected.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from invdash import reorder, store
from invdash.forecast.engine import run_forecast
from invdash.forecast.options import ForecastOptions
from invdash.forecast.stored import load_run, save_run
from invdash.policy import PolicyParams
from invdash.store import reorder as reorder_store


@dataclass(frozen=True)
class Cycle:
    """The database and what was decided on it."""

    path: Path
    run_id: str
    forecast_run_id: str
    lines: pd.DataFrame
    approved: list[str]
    edited: str
    rejected: str


@pytest.fixture(scope="module")
def cycle_template(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Cycle:
    path = tmp_path_factory.mktemp("cycle") / "cycle.duckdb"
    shutil.copy(demo_db, path)
    conn = store.connect(path)
    try:
        sales, products = store.load_sales(conn), store.load_products(conn)
        run = run_forecast(sales, ForecastOptions(model="ma", folds=0), products=products)
        forecast = load_run(conn, save_run(conn, run, data_version=store.data_version(conn)))
        first = reorder.ensure_policy_run(
            conn, forecast.forecasts, forecast_run_id=forecast.run_id, params=PolicyParams()
        )
        lines = reorder.suggestion_lines(first.table, store.load_products(conn))
        skus = lines["sku"].tolist()
        rows = pd.concat(
            [
                reorder.make_decisions(first.run_id, skus[:4], action="approve", user="mia"),
                reorder.make_decisions(
                    first.run_id, [skus[4]], action="edit", user="mia", qty=[10.2]
                ),
                reorder.make_decisions(
                    first.run_id, [skus[5]], action="reject", user="mia", reason="discontinued"
                ),
            ]
        )
        with store.transaction(conn):
            reorder_store.record_decisions(conn, rows)
    finally:
        conn.close()
    return Cycle(path, first.run_id, forecast.run_id, lines, skus[:4], skus[4], skus[5])


@pytest.fixture
def cycle(cycle_template: Cycle, tmp_path: Path) -> Cycle:
    """A writable copy of the decided demo shop."""
    target = tmp_path / "cycle.duckdb"
    shutil.copy(cycle_template.path, target)
    return Cycle(
        target, cycle_template.run_id, cycle_template.forecast_run_id, cycle_template.lines,
        cycle_template.approved, cycle_template.edited, cycle_template.rejected,
    )  # fmt: skip
