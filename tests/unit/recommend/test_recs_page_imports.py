"""The Recommendations page's views import no recommender (scipy, torch): a stored run is read
through ``store.recs`` only, and the recommenders load when a run must be built."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("scipy", "torch", "invdash.recommend.model", "invdash.recommend.runs")


def _loaded_after(code: str) -> list[str]:
    probe = code + (
        "\nimport json, sys\n"
        f"print(json.dumps(sorted(m for m in {list(HEAVY)!r} if m in sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_page_views_import_no_recommender():
    assert _loaded_after("import invdash.ui.recs_views") == []


def test_the_probe_sees_the_recommenders_of_a_build():
    loaded = set(_loaded_after("import invdash.recommend.runs"))
    assert {"scipy", "invdash.recommend.model", "invdash.recommend.runs"} <= loaded
