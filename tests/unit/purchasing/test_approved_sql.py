"""``approved_lines`` reads only the decided lines from DuckDB (``worklist.line_page``): the
same lines, in the same order, as filtering every reviewed line of the run in pandas; and the
Purchase Orders page's reads import no scipy or policy maths (seconds on a first view)."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd

from invdash import auth, store
from invdash.reorder import purchasing as po
from invdash.reorder.review import reviewed_run
from invdash.store import purchase_orders as po_store
from invdash.store import reorder as reorder_store

PLANNER = auth.User(name="pat", role="planner")


def _from_every_line(conn, run_id: str) -> pd.DataFrame:
    reviewed = reviewed_run(conn, run_id)
    chosen = reviewed[reviewed["status"].isin(["approved", "edited"]) & (reviewed["final_qty"] > 0)]
    chosen = chosen[~chosen["sku"].isin(po_store.drafted_skus(conn, run_id))]
    return chosen.assign(qty=chosen["final_qty"], run_id=run_id)[
        ["sku", "name", "supplier", "qty", "run_id"]
    ].reset_index(drop=True)


def test_approved_lines_equal_the_filter_of_every_reviewed_line(cycle):
    conn = store.connect(cycle.path)
    try:
        run_id = str(reorder_store.latest_policy_run(conn)["run_id"].iloc[0])
        found = po.approved_lines(conn)
        expected = _from_every_line(conn, run_id)
    finally:
        conn.close()
    assert sorted(found["sku"]) == sorted([*cycle.approved, cycle.edited])
    pd.testing.assert_frame_equal(found, expected)


def test_the_purchase_orders_reads_import_no_policy_maths(cycle):
    probe = (
        "import json, sys\n"
        "import invdash.ui.purchasing_views\n"
        "from invdash import store\n"
        "from invdash.reorder import purchasing as po\n"
        "from invdash.store import purchase_orders as po_store\n"
        f"conn = store.connect_read_only({str(cycle.path)!r})\n"
        "assert len(po.approved_lines(conn)) == 5\n"
        "po_store.po_status_counts(conn), po.store_as_of(conn)\n"
        "print(json.dumps(sorted(m for m in ('scipy', 'invdash.policy.demand', "
        "'invdash.forecast.engine') if m in sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_a_page_of_the_po_list_is_that_slice_of_the_whole_list(cycle):
    conn = store.connect(cycle.path)
    try:
        po.draft_purchase_orders(conn, PLANNER, currency="EUR")
        statuses = [None, *po_store.po_status_counts(conn)]
        checked = 0
        for status in statuses:
            whole = po_store.po_summary(conn, currency="EUR", status=status)
            for limit, offset in ((2, 0), (3, 1), (500, 0)):
                page = po_store.po_summary(conn, currency="EUR", status=status,
                                           page=(limit, offset))
                expected = whole.iloc[offset:offset + limit].reset_index(drop=True)
                pd.testing.assert_frame_equal(page, expected)
                checked += len(page)
    finally:
        conn.close()
    assert len(statuses) >= 3 and checked > 10  # drafts and ingested POs of several statuses
