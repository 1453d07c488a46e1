"""``invdash reorder --engine ray``: the policy's SKU chunks as Ray tasks on a real two-node
cluster (the ``ray_cluster`` fixture of ``test_distributed``: ``ray start --head`` and a second
``ray start --address`` on 127.0.0.1) give the local table in every column."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from test_distributed import ray_cluster  # noqa: F401 - the two-node cluster fixture

from invdash import reorder, store
from invdash.demo import build_demo
from invdash.distributed import make_runner
from invdash.forecast.stored import forecast_and_store
from invdash.policy import PolicyParams


@pytest.fixture(scope="module")
def stored_shop(tmp_path_factory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("ray_reorder") / "shop.duckdb"
    conn = store.connect(path)
    try:
        build_demo(conn, n_skus=30, n_days=200, seed=5)
        run_id = forecast_and_store(conn, model="ma").run_id
    finally:
        conn.close()
    return path, run_id


@pytest.mark.slow
def test_policy_chunks_on_two_ray_nodes_equal_the_local_table(ray_cluster, stored_shop):  # noqa: F811
    path, run_id = stored_shop
    executor = make_runner("ray", ray_address=ray_cluster).executor
    params = PolicyParams(level_uncertainty_cv=0.2)
    conn = store.connect_read_only(path)
    try:
        local = reorder.policy_in_chunks(conn, run_id, params=params, chunk_skus=4)
        on_ray = reorder.policy_in_chunks(
            conn, run_id, params=params, chunk_skus=4, executor=executor
        )
    finally:
        conn.close()
    assert len(executor.nodes_used) == 2, "both nodes planned chunks"
    pd.testing.assert_frame_equal(on_ray, local, check_exact=True)


@pytest.mark.slow
def test_the_reorder_cli_on_ray_writes_what_local_writes(
    ray_cluster, stored_shop, tmp_path  # noqa: F811
):
    from invdash.cli import main

    outputs = {}
    for engine in ("local", "ray"):
        shop = tmp_path / f"{engine}.duckdb"  # each engine computes its own policy run
        shutil.copy(stored_shop[0], shop)
        out = tmp_path / f"reorder_{engine}.csv"
        flags = ["--engine", engine] + (["--ray-address", ray_cluster] if engine == "ray" else [])
        assert main(["reorder", "--db", str(shop), "--out", str(out), "--quiet", *flags]) == 0
        outputs[engine] = pd.read_csv(out)
    pd.testing.assert_frame_equal(outputs["ray"], outputs["local"])
