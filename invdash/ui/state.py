"""Session-state keys shared between pages, set up in ``app.py`` with ``setdefault``."""

from __future__ import annotations

from typing import Any

__all__ = ["SELECTED_SKU", "USER", "DEFAULTS"]

SELECTED_SKU = "selected_sku"
USER = "user"

DEFAULTS: dict[str, Any] = {SELECTED_SKU: None, USER: None}
