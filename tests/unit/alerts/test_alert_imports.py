"""The Alerts page's path on a stored policy run imports no scipy, policy maths or forecast
engine (seconds on a server's first view): the demand-shift window is read from the store
(``policy.window``). The probe runs in a fresh interpreter, as a server's first view does."""

from __future__ import annotations

from alert_runs import store_ma_runs

from invdash import alerts, store

HEAVY = ("scipy", "invdash.forecast.engine", "invdash.policy.demand", "invdash.reorder.runs")


def _alerts_code(path: str, run_id: str) -> str:
    return (
        "import invdash.ui.alert_views\n"
        "from invdash import alerts, store\n"
        f"conn = store.connect_read_only({path!r})\n"
        f"found = alerts.current_alerts(conn, {run_id!r})\n"
        "assert (found['type'] == 'demand_shift').any()\n"
    )


def test_alerts_on_a_stored_run_import_nothing_heavy_and_a_missing_window_does(
    demo_db_copy, loaded_after
):
    conn = store.connect(demo_db_copy)
    try:
        policy = store_ma_runs(conn).policy
    finally:
        conn.close()
    code = _alerts_code(str(demo_db_copy), policy.run_id)
    assert loaded_after(code, HEAVY) == []
    conn = store.connect(demo_db_copy)
    try:
        with store.transaction(conn):
            conn.execute("DELETE FROM shift_window_runs")
    finally:
        conn.close()
    # the probe sees the fit when the window must be computed
    assert "invdash.policy.demand" in loaded_after(code, HEAVY)


def test_the_pages_reads_of_stored_alerts_import_nothing_heavy(demo_db_copy, loaded_after):
    conn = store.connect(demo_db_copy)
    try:
        policy = store_ma_runs(conn).policy
        alerts.ensure_run_alerts(conn, policy.run_id)
    finally:
        conn.close()
    code = (
        "import invdash.ui.alert_views\n"
        "from invdash import alerts, reorder, store\n"
        "from invdash.policy.params import PolicyParams\n"
        f"conn = store.connect_read_only({str(demo_db_copy)!r})\n"
        "run = reorder.run_for_targets(conn, PolicyParams())\n"
        "assert alerts.has_current_alerts(conn, run.run_id)\n"
        "alerts.alert_options(conn, run.run_id, search='')\n"
        "window = alerts.alert_window(conn, run.run_id, alerts.AlertQuery(), page=1, rows=50)\n"
        "assert window.total > 0\n"
    )
    assert loaded_after(code, HEAVY) == []
