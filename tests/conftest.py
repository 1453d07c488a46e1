"""Shared fixtures.

- ``HF_HUB_OFFLINE=1``: nothing is ever fetched from a model hub.
- ``demo_db``: a small seeded demo shop (60 SKUs x 400 days) in a DuckDB file, built once per test
  session; tests that write copy it first with ``demo_db_copy``.
- ``tiny_sales``: hand-written 3 SKUs x 14 days (see its docstring).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

DATA_DIR = Path(__file__).parent / "data"


def pytest_collection_modifyitems(config, items):  # noqa: ARG001
    """GPU tests skip without CUDA (they are marked, never silently green)."""
    try:
        import torch

        has_cuda = torch.cuda.is_available()
    except ImportError:
        has_cuda = False
    if has_cuda:
        return
    skip = pytest.mark.skip(reason="needs CUDA")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    """Path of a small demo shop database (do not write to it; use ``demo_db_copy``)."""
    from invdash import store
    from invdash.demo import build_demo

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    conn = store.connect(path)
    try:
        build_demo(conn, n_skus=60, n_days=400, seed=7)
    finally:
        conn.close()
    return path


@pytest.fixture
def demo_db_copy(demo_db: Path, tmp_path: Path) -> Path:
    """A writable copy of the demo database."""
    target = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, target)
    return target


@pytest.fixture
def tiny_sales() -> pd.DataFrame:
    """3 SKUs x 14 days (2024-03-01..14), hand-written:

    - ``A-1``: steady 5 units/day, one missing day (2024-03-05 absent).
    - ``B-2``: all zeros (a SKU that never sold in the window).
    - ``C-3``: 2 units/day with a promo spike of 20 units on 2024-03-10 (promo = 1).
    """
    days = pd.date_range("2024-03-01", periods=14, freq="D")
    rows = []
    for day in days:
        if day != pd.Timestamp("2024-03-05"):
            rows.append(("A-1", day, 5.0, 10.0, 0.0))
        rows.append(("B-2", day, 0.0, 4.0, 0.0))
        spike = day == pd.Timestamp("2024-03-10")
        rows.append(("C-3", day, 20.0 if spike else 2.0, 6.0, 1.0 if spike else 0.0))
    return pd.DataFrame(rows, columns=["sku", "date", "qty", "price", "promo"])


def _loaded_in_fresh_interpreter(code: str, modules: Iterable[str]) -> list[str]:
    names = sorted(modules)
    report = f"print(json.dumps([m for m in {names!r} if m in sys.modules]))"
    probe = f"{code}\nimport json, sys\n{report}"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def loaded_after() -> Callable[[str, Iterable[str]], list[str]]:
    """``loaded_after(code, modules)``: which of ``modules`` a fresh interpreter has imported
    after running ``code``, sorted (what a dashboard server's first view of a page imports)."""
    return _loaded_in_fresh_interpreter
