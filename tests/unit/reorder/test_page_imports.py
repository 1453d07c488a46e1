"""The Reorder page's path imports no policy maths, forecast engine or scipy: on a server's first
view those imports cost seconds (``benchmarks/bench_review.py --page``). The ``reorder`` and
``policy`` packages import their names on first use, and every exported name still resolves."""

from __future__ import annotations

import pytest

from invdash import policy, reorder

HEAVY = ("scipy", "invdash.forecast.engine", "invdash.policy.demand", "invdash.reorder.runs")


def test_the_page_modules_and_the_stored_run_path_import_nothing_heavy(loaded_after):
    code = (
        "import invdash.ui.reorder_views, invdash.ui.review_views\n"
        "from invdash import reorder\n"
        "reorder.run_for_targets, reorder.line_page, reorder.line_overview, reorder.count_lines\n"
        "reorder.selection_summary, reorder.decide, reorder.purchase_order_files\n"
        "from invdash.policy.params import PolicyParams\n"
    )
    assert loaded_after(code, HEAVY) == []


def test_the_probe_sees_the_heavy_imports_of_computing_a_policy(loaded_after):
    loaded = loaded_after("from invdash import reorder\nreorder.calibrate_params", HEAVY)
    assert loaded == sorted(HEAVY)


@pytest.mark.parametrize("package", [reorder, policy], ids=["reorder", "policy"])
def test_every_exported_name_resolves(package):
    missing = [name for name in package.__all__ if getattr(package, name, None) is None]
    assert missing == []
    with pytest.raises(AttributeError, match="has no attribute 'nothing_here'"):
        package.nothing_here  # noqa: B018
