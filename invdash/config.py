"""Settings from ``INVDASH_*`` environment variables; the only module that reads ``os.environ``.

- ``INVDASH_DB`` (alias ``INVDASH_DB_PATH``): DuckDB file, default ``data/invdash.duckdb``.
- ``INVDASH_USER``: user name recorded with decisions when no login is active (default: the
  OS user).
- ``INVDASH_SEED``: default seed for models (default 0).
- ``INVDASH_USERS_FILE``: the dashboard's users and roles (TOML, salted hashes only), default
  ``.streamlit/users.toml``; see ``invdash.auth``.
- ``INVDASH_AS_OF``: the day treated as today everywhere (``2025-10-31`` or ``today``); unset,
  the stored ``as_of`` setting or else the data's last date (``invdash.store.app_settings.as_of``).
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "Settings", "load_settings", "use_offline_models", "DEFAULT_DB", "DEFAULT_USERS_FILE",
]

DEFAULT_DB = Path("data/invdash.duckdb")
DEFAULT_USERS_FILE = Path(".streamlit/users.toml")


@dataclass(frozen=True)
class Settings:
    """Runtime settings.

    Args:
        db_path: the DuckDB file.
        user: the name recorded with decisions.
        seed: default random seed for models.
        users_file: the dashboard's users file (absent: local single-user mode on localhost).
        as_of: the pinned "as of" day as text (None: stored setting or the data's last date).
    """

    db_path: Path = DEFAULT_DB
    user: str = "local"
    seed: int = 0
    users_file: Path = DEFAULT_USERS_FILE
    as_of: str | None = None


def _default_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "local"


def load_settings(db: str | os.PathLike[str] | None = None) -> Settings:
    """Build settings from the environment; an explicit ``db`` (the ``--db`` flag) wins."""
    env_db = os.environ.get("INVDASH_DB") or os.environ.get("INVDASH_DB_PATH")
    db_path = Path(db) if db else Path(env_db) if env_db else DEFAULT_DB
    user = os.environ.get("INVDASH_USER") or _default_user()
    seed = int(os.environ.get("INVDASH_SEED", "0"))
    users_file = Path(os.environ.get("INVDASH_USERS_FILE") or DEFAULT_USERS_FILE)
    as_of = os.environ.get("INVDASH_AS_OF") or None
    return Settings(db_path=db_path, user=user, seed=seed, users_file=users_file, as_of=as_of)


def use_offline_models() -> None:
    """Tell the Hugging Face libraries never to reach a model hub (``HF_HUB_OFFLINE``,
    ``TRANSFORMERS_OFFLINE``), unless the environment already says otherwise. Called before the
    installed MiniLM encoder loads, so nothing is fetched at run time."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
