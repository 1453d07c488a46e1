"""House style that CI enforces: ruff's rule set (pyproject) passes on the whole project, and
pages stay thin (no data wrangling or maths in app.py and pages/)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_ruff_check_passes():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "invdash", "tests", "app.py", "pages",
         "benchmarks", "--output-format", "concise"],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_pages_hold_no_maths_or_data_wrangling():
    pattern = re.compile(r"groupby|merge|\.apply\(|np\.|scipy")
    offenders = [
        f"{path.name}:{number}"
        for path in [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if pattern.search(line)
    ]
    assert offenders == []


def test_pages_are_short():
    long_pages = [p.name for p in (ROOT / "pages").glob("*.py")
                  if len(p.read_text().splitlines()) > 150]
    assert long_pages == []


def test_no_core_module_passes_400_lines():
    long_modules = [
        str(p.relative_to(ROOT)) for p in (ROOT / "invdash").rglob("*.py")
        if len(p.read_text().splitlines()) > 400
    ]
    assert long_modules == []


def test_every_streamlit_cache_lives_in_ui_cache():
    offenders = [
        str(p.relative_to(ROOT))
        for p in [ROOT / "app.py", *ROOT.glob("pages/*.py"), *ROOT.glob("invdash/**/*.py")]
        if p.relative_to(ROOT).as_posix() != "invdash/ui/cache.py"
        and re.search(r"st\.cache_(data|resource)\s*[(.]|@st\.cache", p.read_text())
    ]
    assert offenders == []
