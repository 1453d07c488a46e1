"""app.py registers every page, and every registered page exists: deleting or forgetting a page
fails here (app.py no longer skips missing files)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _registered() -> list[str]:
    tree = ast.parse((ROOT / "app.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "PAGES":
            return [path for path, _title, _default in ast.literal_eval(node.value)]
    raise AssertionError("app.py has no PAGES list")


def test_every_registered_page_exists():
    missing = [path for path in _registered() if not (ROOT / path).is_file()]
    assert missing == []


def test_every_page_file_is_registered():
    files = sorted(f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py"))
    assert sorted(_registered()) == files
