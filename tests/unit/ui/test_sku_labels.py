"""One SKU label everywhere: "SKU — product name" (ui.labels), the SKU alone without a name."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from invdash.ui import labels

ROOT = Path(__file__).resolve().parents[3]


def test_sku_label_and_formatter():
    assert labels.sku_label("A-1", "Blue mug") == "A-1 \u2014 Blue mug"
    assert labels.sku_label("A-1", None) == "A-1"
    assert labels.sku_label("A-1", float("nan")) == "A-1"
    assert labels.sku_label("A-1", "  ") == "A-1"
    names = pd.Series({"A-1": "Blue mug", "B-2": None})
    format_sku = labels.sku_formatter(names)
    assert [format_sku(s) for s in ("A-1", "B-2", "gone")] == ["A-1 \u2014 Blue mug", "B-2", "gone"]


def test_no_page_formats_a_sku_picker_by_hand():
    """Every SKU picker goes through labels.sku_formatter; a hand-written "f'{s} - {name}'"
    (the Reorder page's old label) would make two pages read differently."""
    by_hand = re.compile(r"format_func=lambda \w+: f\"\{\w+\} [-\u2014] ")
    sources = [*ROOT.joinpath("pages").glob("*.py"), *ROOT.joinpath("invdash/ui").glob("*.py")]
    offenders = [p.name for p in sources if by_hand.search(p.read_text(encoding="utf-8"))]
    assert offenders == []
