"""A shared server under load: 8 concurrent browser sessions run the review cycle against one
real ``streamlit run`` server, with no error on any page and no traceback in the server log.

Each session opens the app, opens Reorder Suggestions, filters the lines, picks its own line,
approves or edits it, opens Purchase Orders and the SKU Explorer (``load_cycle.py``). The shop
is a 30-SKU demo with a stored forecast and policy run, so the test measures the server serving
8 planners at once, not a first forecast. The p95 step time is printed (``-s`` shows it); the
benchmark variant with more rounds is ``benchmarks/bench_sessions.py --browser``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from load_cycle import build_review_shop, line_skus, run_sessions

SESSIONS = 8


@pytest.fixture
def review_shop(tmp_path: Path) -> Path:
    """A 30-SKU demo shop with a stored moving-average forecast and its stored policy run."""
    return build_review_shop(tmp_path / "load.duckdb")


def _decisions(db: Path) -> int:
    from invdash import store

    conn = store.connect_read_only(db)
    try:
        return conn.execute("SELECT count(DISTINCT sku) FROM decisions").fetchone()[0]
    finally:
        conn.close()


@pytest.mark.e2e
def test_eight_concurrent_review_sessions_on_one_server_see_no_error(review_shop, serve_app):
    skus = line_skus(review_shop)
    server = serve_app(review_shop)
    result = run_sessions(server.url, skus, sessions=SESSIONS, rounds=1)
    server.stop()
    log = server.log_text()

    print(
        f"\n{SESSIONS} sessions, {len(result.all_times())} steps: p50 "
        f"{result.percentile(50):.2f} s, p95 {result.percentile(95):.2f} s; p95 per step: "
        + ", ".join(f"{s} {result.percentile(95, s):.2f}" for s in result.times)
    )
    assert result.errors == [], "\n".join(result.errors)
    assert not re.search(r"Traceback|Exception|Error", log), log[-3000:]
    assert len(result.all_times()) == SESSIONS * 7  # every step of every session finished
    assert _decisions(review_shop) == SESSIONS  # each session decided on its own line
