"""Package exports imported on first use (PEP 562), so importing a package stays cheap.

``policy`` and ``reorder`` list their public names with the module defining each; a page
that needs one name then imports only that module (the Reorder page never imports scipy or
the forecast engine, ``tests/unit/reorder/test_page_imports.py``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(package: str, exports: Mapping[str, str], namespace: dict[str, Any]
                 ) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package`` whose name ``n`` lives in the submodule
    ``exports[n]``; a value, once imported, is kept in the package's ``namespace``."""

    def __getattr__(name: str) -> object:  # noqa: N807 - the module hook's own name
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:  # noqa: N807 - the module hook's own name
        return sorted({*namespace, *exports})

    return __getattr__, __dir__
