"""Settings from ``INVDASH_*`` environment variables; the only module that reads ``os.environ``.

- ``INVDASH_DB`` (alias ``INVDASH_DB_PATH``): DuckDB file, default ``data/invdash.duckdb``.
- ``INVDASH_USER``: user name recorded with decisions when no login is active (default: the
  OS user).
- ``INVDASH_SEED``: default seed for models (default 0).
- ``INVDASH_USERS_FILE``: the dashboard's users and roles (TOML, salted hashes only), default
  ``.streamlit/users.toml``; see ``invdash.auth``.
- ``INVDASH_SESSION_IDLE_MINUTES``: a signed-in dashboard session that is idle this long must
  sign in again (default 30; 0 turns expiry off).
- ``INVDASH_COUNTRY``: ISO country code of the shop's public holidays (default ``GB``: the demo
  shop and the Online Retail sample are UK shops); see ``invdash.forecast.calendar``.
- ``INVDASH_CURRENCY``: ISO 4217 code printed on purchase orders (default ``USD``).
- ``INVDASH_AS_OF``: the day treated as today everywhere (``2025-10-31`` or ``today``); unset,
  the stored ``as_of`` setting or else the data's last date (``invdash.store.app_settings.as_of``).
- ``INVDASH_INGEST_MEMORY``: DuckDB's memory limit while a file is ingested (default ``4GB``);
  larger sorts and joins spill to disk (``invdash.store.ingest_swap.bounded_memory``).
"""

from __future__ import annotations

import getpass
import os
import re
from dataclasses import dataclass
from pathlib import Path

from invdash.schema import ConfigError

__all__ = [
    "Settings", "load_settings", "use_offline_models", "DEFAULT_DB", "DEFAULT_USERS_FILE",
]

DEFAULT_DB = Path("data/invdash.duckdb")
DEFAULT_USERS_FILE = Path(".streamlit/users.toml")
DEFAULT_INGEST_MEMORY = "4GB"
_SIZE = re.compile(r"^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)$")


@dataclass(frozen=True)
class Settings:
    """Runtime settings.

    Args:
        db_path: the DuckDB file.
        user: the name recorded with decisions.
        seed: default random seed for models.
        users_file: the dashboard's users file (absent: local single-user mode on localhost).
        session_idle_minutes: idle time after which a signed-in session must sign in again, in
            minutes (0: never).
        country: ISO 3166 code whose public holidays the forecasts know (``holidays`` package).
        currency: ISO 4217 code of purchase-order values, e.g. ``EUR``.
        as_of: the pinned "as of" day as text (None: stored setting or the data's last date).
        ingest_memory_limit: DuckDB's memory limit during an ingest, a size such as ``2GB``.
    """

    db_path: Path = DEFAULT_DB
    user: str = "local"
    seed: int = 0
    users_file: Path = DEFAULT_USERS_FILE
    session_idle_minutes: float = 30.0
    country: str = "GB"
    currency: str = "USD"
    as_of: str | None = None
    ingest_memory_limit: str = DEFAULT_INGEST_MEMORY


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
    currency = (os.environ.get("INVDASH_CURRENCY") or "USD").strip().upper()
    if not (len(currency) == 3 and currency.isalpha()):
        raise ConfigError(f"INVDASH_CURRENCY must be a 3-letter code like EUR, got {currency!r}.")
    return Settings(
        db_path=db_path, user=user, seed=seed, users_file=users_file,
        session_idle_minutes=_idle_minutes(os.environ.get("INVDASH_SESSION_IDLE_MINUTES")),
        country=(os.environ.get("INVDASH_COUNTRY") or "GB").strip().upper(), currency=currency,
        as_of=os.environ.get("INVDASH_AS_OF") or None,
        ingest_memory_limit=_memory_size(os.environ.get("INVDASH_INGEST_MEMORY")),
    )  # fmt: skip


def _memory_size(text: str | None) -> str:
    if not text:
        return DEFAULT_INGEST_MEMORY
    if not _SIZE.match(text.strip().upper()):
        raise ConfigError(f"INVDASH_INGEST_MEMORY must be a size such as 2GB or 512MB, "
                          f"got {text!r}.")
    return text.strip()


def _idle_minutes(text: str | None) -> float:
    if not text:
        return 30.0
    try:
        minutes = float(text)
    except ValueError:
        minutes = -1.0
    if not minutes >= 0:
        raise ConfigError(
            f"INVDASH_SESSION_IDLE_MINUTES must be a number of minutes >= 0 (0: never expire), "
            f"got {text!r}."
        )
    return minutes


def use_offline_models() -> None:
    """Tell the Hugging Face libraries never to reach a model hub (``HF_HUB_OFFLINE``,
    ``TRANSFORMERS_OFFLINE``), unless the environment already says otherwise. Called before the
    installed MiniLM encoder loads, so nothing is fetched at run time."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
