"""The core stays pure: no Streamlit outside invdash/ui, no env reads outside config."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
CORE = [p for p in (ROOT / "invdash").rglob("*.py") if "ui" not in p.relative_to(ROOT).parts[1:2]]


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_core_modules_never_import_streamlit():
    offenders = [str(p.relative_to(ROOT)) for p in CORE if "streamlit" in _imports(p)]
    assert offenders == []


def test_only_config_reads_the_environment():
    offenders = [
        str(p.relative_to(ROOT))
        for p in CORE
        if "os.environ" in p.read_text() and p.relative_to(ROOT).as_posix() != "invdash/config.py"
    ]
    assert offenders == []


def test_sql_is_never_built_with_f_strings_from_user_values():
    for path in (ROOT / "invdash").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "execute":
                first = node.args[0] if node.args else None
                if isinstance(first, ast.JoinedStr):
                    names = {
                        n.id
                        for v in first.values
                        if isinstance(v, ast.FormattedValue)
                        for n in ast.walk(v.value)
                        if isinstance(n, ast.Name)
                    }
                    # Only table/column names from fixed sets may be interpolated.
                    assert names <= {
                        "table",
                        "cols",
                        "where",
                        "t",
                        "columns",
                        "view",
                        "_check_table",
                    }, (path, names)
