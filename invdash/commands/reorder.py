"""`invdash reorder`: not built yet (see the open issue that specifies it)."""

from __future__ import annotations

import argparse

from invdash.schema import InvdashError

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:  # noqa: ARG001
    """No arguments yet."""


def run(args: argparse.Namespace) -> int:  # noqa: ARG001
    """Refuse clearly until the command exists."""
    raise InvdashError("'invdash reorder' is not available in this version yet.")
