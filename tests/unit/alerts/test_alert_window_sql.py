"""The Alerts page's reads in DuckDB select, sort and page the same alerts as the pandas
functions (``filter_alerts`` over ``current_alerts``, ranked by ``rank_alerts``), from the
alerts stored with the run and from alerts computed live alike.

On a copy of the demo shop (60 SKUs, about 40 alerts) with a stored moving-average forecast
run and policy run, its alerts stored, and three stored statuses (an acknowledgement, a snooze
past the as-of day, a snooze that ended before it).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from alert_runs import store_ma_runs

from invdash import alerts, store
from invdash.schema import InvalidDataError
from invdash.store import app_settings

ROWS = 7  # rows per page: several pages on the demo shop


@pytest.fixture(scope="module", params=["stored", "live"])
def shop(request, demo_db: Path, tmp_path_factory: pytest.TempPathFactory):
    """``(connection, run id, every alert as pandas computes it)``; ``live``: the stored alerts
    are removed, so every read computes them."""
    path = tmp_path_factory.mktemp(f"alerts-{request.param}") / "shop.duckdb"
    shutil.copy(demo_db, path)
    conn = store.connect(path)
    run_id = store_ma_runs(conn).policy.run_id
    alerts.ensure_run_alerts(conn, run_id)
    keys, today = alerts.current_alerts(conn, run_id)["alert_key"], app_settings.as_of(conn)
    alerts.set_alert_status(conn, [keys[0], keys[4]], status="acknowledged", user="ann")
    alerts.set_alert_status(
        conn, [keys[1]], status="snoozed", user="bo", snooze_until=today + pd.Timedelta(days=3)
    )
    alerts.set_alert_status(
        conn, [keys[2]], status="snoozed", user="bo", snooze_until=today - pd.Timedelta(days=1)
    )
    if request.param == "live":
        with store.transaction(conn):
            conn.execute("DELETE FROM run_alert_sets")
    assert alerts.has_current_alerts(conn, run_id) == (request.param == "stored")
    yield conn, run_id, alerts.current_alerts(conn, run_id)
    conn.close()


def _queries(table: pd.DataFrame) -> list[alerts.AlertQuery]:
    categories = sorted(c for c in table["category"].unique() if c)
    sku = table.loc[table["type"] == "overstock", "sku"].iloc[0]
    return [
        alerts.AlertQuery(),
        alerts.AlertQuery(status="open"),
        alerts.AlertQuery(status="acknowledged"),
        alerts.AlertQuery(status="snoozed"),
        alerts.AlertQuery(types=("overstock",)),
        alerts.AlertQuery(types=("stockout_risk", "demand_shift"), status="open"),
        alerts.AlertQuery(categories=tuple(categories[:2])),
        alerts.AlertQuery(categories=(categories[0],), types=("stockout_risk",)),
        alerts.AlertQuery(sku=f" {sku} "),
        alerts.AlertQuery(types=("stale_data",)),  # none on the demo shop: an empty selection
    ]


def _pandas(table: pd.DataFrame, query: alerts.AlertQuery) -> pd.DataFrame:
    return alerts.filter_alerts(
        table, types=query.types, categories=query.categories, status=query.status,
        sku=query.sku,
    )  # fmt: skip


def _same(read: pd.DataFrame, expected: pd.DataFrame) -> None:
    # a missing user is None from DuckDB and NaN from a pandas merge: both mean "nobody"
    def tidy(frame: pd.DataFrame) -> pd.DataFrame:
        tidy = frame.reset_index(drop=True).astype({"user": object})
        return tidy.where(tidy.notna(), None)

    pd.testing.assert_frame_equal(tidy(read), tidy(expected), check_dtype=False)


def test_every_page_of_every_query_is_the_pandas_selection_in_rank_order(shop):
    conn, run_id, table = shop
    assert len(table) > 3 * ROWS
    for query in _queries(table):
        expected = _pandas(table, query)
        pages = max(1, -(-len(expected) // ROWS))
        for page in range(1, pages + 1):
            window = alerts.alert_window(conn, run_id, query, page=page, rows=ROWS)
            assert (window.total, window.offset) == (len(expected), (page - 1) * ROWS), query
            assert window.money_at_risk == pytest.approx(expected["money_at_risk"].sum())
            _same(window.alerts, expected.iloc[(page - 1) * ROWS : page * ROWS])


def test_the_statuses_read_are_the_stored_ones_and_an_ended_snooze_is_open(shop):
    conn, run_id, table = shop
    window = alerts.alert_window(conn, run_id, alerts.AlertQuery(), page=1, rows=len(table))
    counts = window.alerts["status"].value_counts().to_dict()
    assert counts == {"open": len(table) - 3, "acknowledged": 2, "snoozed": 1}


def test_a_page_past_the_last_is_the_first_as_the_page_controls_reset_it(shop):
    conn, run_id, table = shop
    query = alerts.AlertQuery(types=("overstock",))
    first = alerts.alert_window(conn, run_id, query, page=1, rows=ROWS)
    past = alerts.alert_window(conn, run_id, query, page=999, rows=ROWS)
    assert past.offset == 0
    _same(past.alerts, first.alerts)


def test_the_filter_options_are_the_types_categories_and_matching_skus_of_the_alerts(shop):
    conn, run_id, table = shop
    options = alerts.alert_options(conn, run_id, search="", limit=5)
    assert options.types == tuple(sorted(table["type"].unique()))
    assert options.categories == tuple(sorted(c for c in table["category"].unique() if c))
    # the SKUs by their first (largest) alert, as the old pandas picker listed them
    assert options.skus == tuple(table["sku"].drop_duplicates().head(5))
    part = table["sku"].iloc[3][-3:].lower()  # lower case finds an upper-case code
    matching = table["sku"][table["sku"].str.contains(part, case=False, regex=False)]
    found = alerts.alert_options(conn, run_id, search=f" {part} ", limit=20)
    assert found.skus == tuple(matching.drop_duplicates().head(20)) and found.skus
    assert alerts.alert_options(conn, run_id, search="no-such-sku%").skus == ()


def test_a_status_outside_the_list_is_refused_with_the_choices():
    with pytest.raises(InvalidDataError, match="status must be one of open, acknowledged"):
        alerts.AlertQuery(status="closed")
