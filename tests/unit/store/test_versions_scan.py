"""Every function in invdash/ whose SQL writes a fingerprinted table calls ``versions.touch``.

The stored data fingerprint (``invdash/store/versions.py``) is only as fresh as its writers: a
write that does not mark its parts dirty leaves pages on stale runs. This scan reads the SQL
text of every function (string literals and f-string parts) and fails on a write to ``sales``,
``inventory``, ``products``, ``ingest_log`` or ``order_lines`` (or to a table named by a
formatted placeholder, which could be one of them) in a function that does not call ``touch``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from invdash.store.versions import TRACKED

ROOT = Path(__file__).resolve().parents[3] / "invdash"

_TARGET = r"((?:\{[^}]*\})|[A-Za-z_][A-Za-z0-9_.]*)"
WRITES = re.compile(
    r"\b(?:INSERT\s+(?:OR\s+(?:REPLACE|IGNORE)\s+)?INTO|DELETE\s+FROM|UPDATE|COPY|"
    r"TRUNCATE(?:\s+TABLE)?|DROP\s+TABLE(?:\s+IF\s+EXISTS)?|"
    r"CREATE\s+OR\s+REPLACE\s+TABLE|ALTER\s+TABLE(?:\s+IF\s+EXISTS)?\s+\S+\s+RENAME\s+TO)\s+"
    + _TARGET,
    re.IGNORECASE,
)

#: Functions whose formatted write target is never a tracked table, with the reason.
NOT_TRACKED: dict[tuple[str, str], str] = {
    ("invdash/store/demo.py", "_create"): "its callers touch: rebuild_table (core) or stage only",
    ("invdash/store/demo.py", "drop_staged"): "drops staging tables only",
    ("invdash/store/ingest.py", "drop_staging"): "drops staging tables only",
    ("invdash/store/ingest_orders.py", "insert_lines_sql"): "returns SQL; its runners touch",
    ("invdash/store/ingest_orders.py", "stage_order_tables"): "staging copies; swap_staged touches",
    ("invdash/store/ingest_swap.py", "create_staged"): "staging copies only",
    ("invdash/store/ingest_swap.py", "copy_kept"): "fills staging copies only",
    ("invdash/store/ingest_swap.py", "drop_staged"): "drops staging copies only",
}


def _sql_text(node: ast.AST) -> str:
    parts: list[str] = []
    for child in ast.walk(node):
        if isinstance(child, ast.Constant) and isinstance(child.value, str):
            parts.append(child.value)
        elif isinstance(child, ast.JoinedStr):
            parts.append("".join(
                v.value if isinstance(v, ast.Constant) else "{x}" for v in child.values
            ))
    return " ".join(parts)


def _calls_touch(node: ast.AST) -> bool:
    for child in ast.walk(node):
        if isinstance(child, ast.Call):
            func = child.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name == "touch":
                return True
    return False


def _writes(text: str) -> set[str]:
    found = set()
    for match in WRITES.finditer(text):
        target = match.group(1).split(".")[-1].lower()
        if target in TRACKED or target.startswith("{"):
            found.add(target)
    return found


def _violations() -> list[str]:
    bad = []
    for path in sorted(ROOT.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module = str(path.relative_to(ROOT.parent))
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            targets = _writes(_sql_text(node))
            if not targets or _calls_touch(node) or (module, node.name) in NOT_TRACKED:
                continue
            bad.append(f"{module}:{node.lineno} {node.name} writes {sorted(targets)}")
    return bad


def test_every_writer_of_a_tracked_table_touches_its_fingerprint() -> None:
    bad = _violations()
    assert not bad, (
        "these functions write fingerprinted tables without versions.touch(conn, table) "
        "(add it next to the write, or list a formatted target that is never tracked in "
        "NOT_TRACKED with the reason):\n" + "\n".join(bad)
    )


def test_the_scan_sees_writes() -> None:
    # The scan itself must see the writes it guards, or it passes for nothing.
    assert _writes("INSERT OR REPLACE INTO inventory (sku) VALUES (?)") == {"inventory"}
    assert _writes("ALTER TABLE sales__new RENAME TO sales") == {"sales"}
    assert _writes("UPDATE products SET moq = ?") == {"products"}
    assert _writes("DELETE FROM {x} WHERE 1") == {"{x}"}
    assert _writes("COPY order_lines FROM 'f.csv'") == {"order_lines"}
    assert _writes("INSERT INTO forecasts SELECT 1") == set()
    assert _writes("SELECT count(*) FROM sales") == set()
