"""The Reorder page's selections in DuckDB (``reorder.worklist``) equal the pandas ones
(``filter_lines`` + ``sort_lines`` + ``bulk_summary`` over ``reviewed_run``) on the demo shop,
with every status present: approved, edited, rejected (in force and ended), re-confirm (by
quantity and by order-by date), pending, a new SKU and a suggestion above the maximum order."""

from __future__ import annotations

import pandas as pd
import pytest
from review_cycle import MANAGER_NAME

from invdash import auth, reorder, store
from invdash.schema import InvalidDataError
from invdash.store import line_selection
from invdash.store import proposals as proposals_store

DECIDED_AT = pd.Timestamp("2025-01-01 09:00")
MANAGER = auth.User(MANAGER_NAME, "manager")


def _decision(run_id: str, line: pd.Series, action: str, **changes: object) -> dict:
    row = {
        "run_id": run_id, "sku": line["sku"], "action": action, "user": MANAGER_NAME,
        "qty": 0.0 if action == "reject" else float(line["suggested_qty"]),
        "reason": "test" if action == "reject" else None, "decided_at": DECIDED_AT,
        "suggested_qty": float(line["suggested_qty"]), "suggested_order_by": line["order_by_date"],
    }  # fmt: skip
    return {**row, **changes}


def _decide_every_way(conn, run_id: str, lines: pd.DataFrame, as_of: pd.Timestamp) -> None:
    """Decisions made "on an earlier run" (their own suggested quantity and order-by)."""
    at = lines.reset_index(drop=True)
    rows = [
        _decision(run_id, at.iloc[0], "approve"),
        _decision(run_id, at.iloc[1], "edit", qty=float(at.iloc[1]["suggested_qty"]) + 7),
        _decision(run_id, at.iloc[2], "reject"),
        _decision(run_id, at.iloc[3], "reject", valid_until=as_of - pd.Timedelta(days=2)),
        _decision(run_id, at.iloc[4], "reject", valid_until=as_of + pd.Timedelta(days=9)),
        _decision(run_id, at.iloc[5], "approve",
                  suggested_qty=float(at.iloc[5]["suggested_qty"]) * 2 + 5),
        _decision(run_id, at.iloc[6], "edit", qty=3.2,
                  suggested_order_by=at.iloc[6]["order_by_date"] - pd.Timedelta(days=5)),
        _decision(run_id, at.iloc[7], "approve",
                  suggested_order_by=at.iloc[7]["order_by_date"] + pd.Timedelta(days=2)),
    ]  # fmt: skip
    with store.transaction(conn):
        proposals_store.record_decisions(conn, pd.DataFrame(rows))
        conn.execute("DELETE FROM sales WHERE sku = ?", [at.iloc[9]["sku"]])
        conn.execute(
            "UPDATE products SET max_order_qty = 1 WHERE sku IN (?, ?)",
            [at.iloc[10]["sku"], at.iloc[2]["sku"]],
        )
        conn.execute(
            "UPDATE products SET name = 'Crème Brûlée' WHERE sku = ?", [at.iloc[11]["sku"]]
        )
        for column, line in (("unit_cost", at.iloc[12]), ("order_by_date", at.iloc[13])):
            conn.execute(  # a line without a cost and one without an order-by date sort last
                "UPDATE suggestions SET " + column + " = NULL WHERE run_id = ? AND sku = ?",
                [run_id, line["sku"]],
            )


@pytest.fixture
def shop(cycle_db):
    conn = store.connect(cycle_db.path)
    day = store.app_settings.as_of(conn)
    _decide_every_way(conn, cycle_db.run_id, reorder.reviewed_run(conn, cycle_db.run_id), day)
    yield conn, cycle_db.run_id, day
    conn.close()


FILTERS = [
    reorder.LineFilter(),
    reorder.LineFilter(suppliers=("Loom & Wick Ltd", "Stoke Pottery Co"), abc=("A", "B")),
    reorder.LineFilter(statuses=("approved", "edited", "reconfirm")),
    reorder.LineFilter(statuses=("pending",), min_stockout_probability=0.3),
    reorder.LineFilter(max_days_to_order_by=0, categories=("Kitchen", "Bath", "Toys")),
    reorder.LineFilter(min_stockout_probability=0.0, text="  hom-0 "),
    reorder.LineFilter(text="BRÛ"),
    reorder.LineFilter(abc=("C",), statuses=("rejected", "pending")),
]


def _pandas(reviewed: pd.DataFrame, query: reorder.LineQuery, day) -> pd.DataFrame:
    picked = reorder.filter_lines(reviewed, query.line_filter, as_of=day)
    return reorder.sort_lines(picked, query.sort)


def test_every_status_is_present_so_the_comparison_means_something(shop):
    conn, run_id, _ = shop
    statuses = reorder.line_overview(conn, run_id).statuses
    assert set(statuses) == set(reorder.STATUSES), statuses
    reviewed = reorder.reviewed_run(conn, run_id)
    assert reviewed["is_new"].sum() == 1 and (reviewed["name"] == "Crème Brûlée").sum() == 1
    assert reviewed["unit_cost"].isna().sum() == 1 and reviewed["order_by_date"].isna().sum() == 1
    sizes = [reorder.count_lines(conn, run_id, reorder.LineQuery(f)) for f in FILTERS]
    assert all(0 < size for size in sizes) and sizes[0] == len(reviewed), sizes


@pytest.mark.parametrize("sort", list(reorder.SORT_KEYS))
def test_every_sort_of_every_filter_equals_the_pandas_selection(shop, sort):
    conn, run_id, day = shop
    reviewed = reorder.reviewed_run(conn, run_id)
    for line_filter in FILTERS:
        query = reorder.LineQuery(line_filter, sort=sort)
        expected = _pandas(reviewed, query, day)
        got = reorder.line_page(conn, run_id, query)
        pd.testing.assert_frame_equal(got, expected, check_dtype=False)
        assert reorder.count_lines(conn, run_id, query) == len(expected)


def test_a_page_is_the_slice_of_the_sorted_selection(shop):
    conn, run_id, day = shop
    query = reorder.LineQuery(reorder.LineFilter(abc=("A", "B", "C")), sort="value")
    expected = _pandas(reorder.reviewed_run(conn, run_id), query, day)
    for offset, limit in ((0, 5), (5, 5), (len(expected) - 3, 5), (len(expected) + 10, 5)):
        page = reorder.line_page(conn, run_id, query, limit=limit, offset=offset)
        wanted = expected.iloc[offset : offset + limit].reset_index(drop=True)
        pd.testing.assert_frame_equal(page, wanted, check_dtype=False)


def test_the_overview_counts_every_status_and_lists_the_filter_options(shop):
    conn, run_id, _ = shop
    reviewed = reorder.reviewed_run(conn, run_id)
    overview = reorder.line_overview(conn, run_id)
    assert overview.lines == len(reviewed)
    assert dict(overview.statuses) == reviewed["status"].value_counts().to_dict()
    assert list(overview.suppliers) == sorted(reviewed["supplier"].unique())
    assert list(overview.categories) == sorted(c for c in reviewed["category"].unique() if c)


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_the_sql_bulk_summary_equals_the_pandas_one(shop, action):
    conn, run_id, day = shop
    reviewed = reorder.reviewed_run(conn, run_id)
    committed = reviewed.loc[reviewed["status"].isin(["approved", "edited"]), "final_value"]
    budget = reorder.Budget(total=float(committed.sum()) + 50.0,
                            per_supplier={"Loom & Wick Ltd": 10.0, "Nobody": 1.0})  # fmt: skip
    for line_filter in FILTERS:
        query = reorder.LineQuery(line_filter, sort="value")
        selection = _pandas(reviewed, query, day)
        expected = reorder.bulk_summary(
            reviewed, selection, run_id=run_id, action=action, budget=budget
        )
        got = reorder.selection_summary(conn, run_id, query, action=action, budget=budget)
        assert (got.lines, got.units, got.value) == (expected.lines, expected.units, expected.value)
        assert got.warnings == expected.warnings
        assert got.taken["sku"].tolist() == expected.taken["sku"].tolist()
        pd.testing.assert_frame_equal(got.excluded, expected.excluded, check_dtype=False)
        assert got.describe() == expected.describe()
    reasons = reorder.selection_summary(conn, run_id, reorder.LineQuery()).excluded
    assert set(reasons["excluded_because"]) == set(reorder.EXCLUDED_BECAUSE.values()) - {
        "nothing suggested"
    }


def test_applying_the_sql_summary_stores_its_lines(shop):
    conn, run_id, _ = shop
    query = reorder.LineQuery(reorder.LineFilter(statuses=("pending",), abc=("A",)))
    summary = reorder.selection_summary(conn, run_id, query)
    assert summary.lines > 0
    reorder.apply_bulk(conn, MANAGER, summary)
    after = reorder.reviewed_run(conn, run_id).set_index("sku")
    assert (after.loc[summary.taken["sku"], "status"] == "approved").all()
    assert reorder.count_lines(conn, run_id, query) == summary.excluded.shape[0]


def test_only_known_criteria_and_sort_columns_reach_the_sql(shop):
    conn, run_id, _ = shop
    day = reorder.review_day(conn)
    bad_sort = line_selection.Selection(order=(("sku; DROP TABLE sales", True),))
    with pytest.raises(InvalidDataError, match="cannot sort lines by"):
        line_selection.page_rows(conn, run_id, bad_sort, day=day, limit=5)
    bad_filter = line_selection.Selection(criteria={"1=1 OR sku": "x"})
    with pytest.raises(InvalidDataError, match="unknown selection criteria"):
        line_selection.count_rows(conn, run_id, bad_filter, day=day)
    with pytest.raises(InvalidDataError, match="sort must be one of"):
        reorder.LineQuery(sort="colour")
    quoted = reorder.LineQuery(reorder.LineFilter(text="'; DROP TABLE sales; --"))
    assert reorder.count_lines(conn, run_id, quoted) == 0
    assert conn.execute("SELECT count(*) FROM sales").fetchone()[0] > 0


def test_a_line_window_is_a_page_and_the_size_of_its_selection(shop):
    conn, run_id, _ = shop
    query = reorder.LineQuery(reorder.LineFilter(statuses=("pending",)), sort="sku")
    total = reorder.count_lines(conn, run_id, query)
    second = reorder.line_window(conn, run_id, query, page=2, rows=5)
    assert (second.total, second.offset) == (total, 5)
    pd.testing.assert_frame_equal(
        second.lines, reorder.line_page(conn, run_id, query, limit=5, offset=5)
    )
    past_the_end = reorder.line_window(conn, run_id, query, page=total, rows=5)
    assert past_the_end.offset == 0 and past_the_end.lines["sku"].tolist() == (
        reorder.line_page(conn, run_id, query, limit=5)["sku"].tolist()
    )


def test_the_run_view_holds_the_run_its_counts_approved_lines_overrides_and_budget(cycle_db):
    from invdash.policy.params import PolicyParams

    conn = store.connect(cycle_db.path)
    try:
        lines = reorder.reviewed_run(conn, cycle_db.run_id)
        reorder.decide(conn, MANAGER, cycle_db.run_id, lines["sku"].iloc[:2].tolist(),
                       action="approve")  # fmt: skip
        reorder.save_budget(conn, MANAGER, supplier=None, limit=500.0)
        view = reorder.run_view(conn, PolicyParams())
        assert reorder.run_view(conn, PolicyParams(service_level=0.8)) is None
    finally:
        conn.close()
    assert view.run.run_id == cycle_db.run_id
    assert view.overview.lines == len(lines) and view.overview.count("approved") == 2
    assert sorted(view.decided["sku"]) == sorted(lines["sku"].iloc[:2])
    assert view.budget == reorder.Budget(total=500.0) and view.overrides.empty
