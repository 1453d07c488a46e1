"""The Recommendations page's views import no recommender (scipy, torch): a stored run is read
through ``store.recs`` only, and the recommenders load when a run must be built."""

from __future__ import annotations

HEAVY = ("scipy", "torch", "invdash.recommend.model", "invdash.recommend.runs")


def test_the_page_views_import_no_recommender(loaded_after):
    assert loaded_after("import invdash.ui.recs_views", HEAVY) == []


def test_the_probe_sees_the_recommenders_of_a_build(loaded_after):
    loaded = set(loaded_after("import invdash.recommend.runs", HEAVY))
    assert {"scipy", "invdash.recommend.model", "invdash.recommend.runs"} <= loaded
