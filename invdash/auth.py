"""Users, salted password hashes and role permissions for the dashboard (no Streamlit here).

- Users live in a TOML file (``Settings.users_file``, default ``.streamlit/users.toml``), one table
  per user: ``[users."ann"] role = "manager"`` and ``password = "scrypt$16384$8$1$<salt>$<hash>"``.
  Only the salted hash is stored: stdlib ``hashlib.scrypt`` with a random 16-byte salt per user,
  compared with ``hmac.compare_digest``. The file is rewritten atomically (temp file, then
  ``os.replace``) with mode 0600.
- Roles: ``planner`` explores, proposes, overrides forecasts and edits master data; ``manager``
  also approves, edits and rejects orders, sends and receives purchase orders and changes
  service-level targets. ``can(user, action)`` answers, ``require`` raises
  ``PermissionDeniedError``; the core decision path (``reorder.decide_as``) calls ``require``, so
  the rule holds outside the UI too.
- Login limits: ``LoginLimiter`` counts failed sign-ins per user name and per client address.
  Four failures cost nothing; the fifth (``free_attempts``) and each later one lock that key for
  ``base_backoff_s * 2**(failures - free_attempts)`` seconds (capped at ``max_backoff_s``), and
  a lock on either key refuses the attempt before any password is checked. A success clears the
  user's and the client's count; a key unused for ``forget_after_s`` starts afresh.
- Idle sessions: ``is_session_expired(last_seen_s, now_s, idle_s)`` says when a signed-in
  session has been idle too long (``Settings.session_idle_minutes``).
Both take times as numbers from an injectable clock (``time.monotonic`` by default), so tests
move time by hand.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import math
import os
import re
import secrets
import tempfile
import threading
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from invdash.schema import ConfigError, InvalidDataError, InvdashError

__all__ = [
    "ROLES",
    "PERMISSIONS",
    "User",
    "UserRecord",
    "PermissionDeniedError",
    "hash_password",
    "verify_password",
    "load_users",
    "add_user",
    "authenticate",
    "can",
    "require",
    "LoginLimits",
    "LoginLimiter",
    "LoginLockedError",
    "is_session_expired",
]

ROLES = ("planner", "manager")
_PLANNER = frozenset({"explore", "propose", "override_forecasts", "edit_master_data"})
PERMISSIONS: dict[str, frozenset[str]] = {
    "planner": _PLANNER,
    "manager": _PLANNER
    | {"approve_orders", "edit_orders", "reject_orders", "set_service_levels"}
    | {"send_orders", "receive_orders"},
}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
# scrypt cost: N=2**14, r=8, p=1 (16 MiB, ~50 ms): the interactive-login parameters of RFC 7914.
_N, _R, _P, _KEY_BYTES = 2**14, 8, 1, 32
_MIN_PASSWORD = 8


class PermissionDeniedError(InvdashError, PermissionError):
    """The signed-in user's role does not allow the action."""


@dataclass(frozen=True)
class User:
    """A signed-in user.

    Args:
        name: the user name recorded with decisions.
        role: ``planner`` or ``manager``.
    """

    name: str
    role: str


@dataclass(frozen=True)
class UserRecord:
    """One entry of the users file: name, role and the salted password hash (never the password)."""

    name: str
    role: str
    password_hash: str


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """``scrypt$N$r$p$<salt hex>$<hash hex>`` of ``password`` with a fresh random salt."""
    salt = secrets.token_bytes(16) if salt is None else salt
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=_KEY_BYTES, maxmem=64 * 2**20
    )
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, password_hash: str) -> bool:
    """Whether ``password`` matches ``password_hash`` (constant-time compare)."""
    try:
        scheme, n, r, p, salt_hex, digest_hex = password_hash.split("$")
        if scheme != "scrypt":
            return False
        digest = hashlib.scrypt(
            password.encode(), salt=bytes.fromhex(salt_hex), n=int(n), r=int(r), p=int(p),
            dklen=len(digest_hex) // 2, maxmem=64 * 2**20,
        )  # fmt: skip
    except ValueError:
        return False
    return hmac.compare_digest(digest.hex(), digest_hex)


def load_users(path: str | os.PathLike[str]) -> dict[str, UserRecord]:
    """The users in ``path`` by name; an absent file means no users (``{}``).

    Raises:
        ConfigError: the file is not valid TOML, or a user lacks a known role or a hash.
    """
    path = Path(path)
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"users file {path} is not valid TOML: {err}.") from err
    users = {}
    for name, entry in data.get("users", {}).items():
        role, password_hash = entry.get("role"), entry.get("password")
        if role not in ROLES or not isinstance(password_hash, str):
            raise ConfigError(
                f"users file {path}: user {name!r} needs role (planner or manager) and password "
                "(a hash); recreate it with `invdash user add NAME --role ROLE`."
            )
        users[name] = UserRecord(name=name, role=role, password_hash=password_hash)
    return users


def _render(users: dict[str, UserRecord]) -> str:
    lines = ["# invdash users: salted scrypt hashes only. Edit with `invdash user add`.", ""]
    for record in users.values():
        # json.dumps writes a valid TOML basic string for these ASCII names and hashes.
        lines += [f"[users.{json.dumps(record.name)}]", f"role = {json.dumps(record.role)}"]
        lines += [f"password = {json.dumps(record.password_hash)}", ""]
    return "\n".join(lines)


def add_user(path: str | os.PathLike[str], name: str, role: str, password: str) -> UserRecord:
    """Create or update ``name`` in the users file with a new salted hash (atomic rewrite).

    Raises:
        InvalidDataError: a bad name, an unknown role or a password under 8 characters.
    """
    if not _NAME.match(name):
        raise InvalidDataError(
            f"user name {name!r} must be 1-64 letters, digits, '.', '_', '@' or '-'."
        )
    if role not in ROLES:
        raise InvalidDataError(f"role must be one of {', '.join(ROLES)}, got {role!r}.")
    if len(password) < _MIN_PASSWORD:
        raise InvalidDataError(f"the password must have at least {_MIN_PASSWORD} characters.")
    path = Path(path)
    users = load_users(path)
    users[name] = UserRecord(name=name, role=role, password_hash=hash_password(password))
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(_render(users))
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, 0o600)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return users[name]


@functools.cache
def _dummy_hash() -> str:
    return hash_password("not a password", salt=b"\0" * 16)


def authenticate(users: dict[str, UserRecord], name: str, password: str) -> User | None:
    """The ``User`` when ``name`` exists and ``password`` matches, else None.

    An unknown name still costs one hash, so timing does not tell which names exist.
    """
    record = users.get(name)
    if record is None:
        verify_password(password, _dummy_hash())
        return None
    if not verify_password(password, record.password_hash):
        return None
    return User(name=record.name, role=record.role)


def can(user: User | None, action: str) -> bool:
    """Whether ``user``'s role allows ``action`` (``explore``, ``propose``, ``override_forecasts``,
    ``edit_master_data``, ``approve_orders``, ``edit_orders``, ``reject_orders``,
    ``send_orders``, ``receive_orders``, ``set_service_levels``)."""
    return user is not None and action in PERMISSIONS.get(user.role, frozenset())


def require(user: User | None, action: str) -> None:
    """Raise ``PermissionDeniedError`` unless ``user`` may do ``action``."""
    if not can(user, action):
        who = "nobody is signed in" if user is None else f"{user.name} is a {user.role}"
        raise PermissionDeniedError(
            f"{action.replace('_', ' ')} needs the manager role; {who}. Ask a manager."
        )


@dataclass(frozen=True)
class LoginLimits:
    """How failed sign-ins slow down further attempts.

    Args:
        free_attempts: the failure (per user, per client) that starts the waits (5).
        base_backoff_s: the wait after failure number ``free_attempts``, in seconds; it doubles
            with each further failure.
        max_backoff_s: the longest wait, in seconds.
        forget_after_s: a key with no failure for this long starts again from zero, in seconds.
    """

    free_attempts: int = 5
    base_backoff_s: float = 30.0
    max_backoff_s: float = 900.0
    forget_after_s: float = 3600.0

    def __post_init__(self) -> None:
        if self.free_attempts < 1:
            raise ConfigError(f"free_attempts must be >= 1, got {self.free_attempts}.")
        if not 0 < self.base_backoff_s <= self.max_backoff_s:
            raise ConfigError(
                "base_backoff_s must be > 0 and <= max_backoff_s, got "
                f"{self.base_backoff_s} and {self.max_backoff_s}."
            )

    def backoff_s(self, failures: int) -> float:
        """The lock after ``failures`` consecutive failures: 0 below ``free_attempts``, then
        ``base_backoff_s * 2**(failures - free_attempts)`` capped at ``max_backoff_s``.

        With the defaults: failures 1-4 wait 0 s, the 5th 30 s, the 6th 60 s, the 7th 120 s.
        """
        extra = failures - self.free_attempts
        if extra < 0:
            return 0.0
        return min(self.max_backoff_s, self.base_backoff_s * 2.0 ** min(extra, 40))


@dataclass
class _Failures:
    count: int = 0
    last_s: float = 0.0
    locked_until_s: float = 0.0


@dataclass
class LoginLimiter:
    """Failed sign-ins per user name and per client; shared by every session of one server.

    Thread-safe (each Streamlit session is a thread). Keys unused for ``forget_after_s`` are
    dropped, so a flood of made-up names does not grow memory without bound.

    Args:
        limits: the ``LoginLimits``.
        clock: seconds from any fixed origin (``time.monotonic``); tests pass their own.
    """

    limits: LoginLimits = field(default_factory=LoginLimits)
    clock: Callable[[], float] = time.monotonic
    _failures: dict[tuple[str, str], _Failures] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _keys(self, name: str, client: str) -> list[tuple[str, str]]:
        return [("user", name), ("client", client)]

    def _forget_old(self, now_s: float) -> None:
        stale = [
            key
            for key, entry in self._failures.items()
            if now_s - entry.last_s >= self.limits.forget_after_s and now_s >= entry.locked_until_s
        ]
        for key in stale:
            del self._failures[key]

    def wait_s(self, name: str, client: str) -> float:
        """Seconds until ``name`` may try again from ``client`` (0: try now)."""
        with self._lock:
            now_s = self.clock()
            self._forget_old(now_s)
            waits = [
                self._failures[key].locked_until_s - now_s
                for key in self._keys(name, client)
                if key in self._failures
            ]
        return max([0.0, *waits])

    def record_failure(self, name: str, client: str) -> float:
        """Count one failure for the user and the client; returns the new wait in seconds."""
        with self._lock:
            now_s = self.clock()
            waits = []
            for key in self._keys(name, client):
                entry = self._failures.setdefault(key, _Failures())
                entry.count += 1
                entry.last_s = now_s
                entry.locked_until_s = now_s + self.limits.backoff_s(entry.count)
                waits.append(entry.locked_until_s - now_s)
        return max(waits)

    def record_success(self, name: str, client: str) -> None:
        """Clear the counts of the user and the client after a good sign-in."""
        with self._lock:
            for key in self._keys(name, client):
                self._failures.pop(key, None)

    def attempt(
        self, users: dict[str, UserRecord], name: str, password: str, *, client: str
    ) -> User | None:
        """``authenticate`` behind the limits.

        Raises:
            LoginLockedError: the user or the client is locked; no password was checked.
        """
        wait = self.wait_s(name, client)
        if wait > 0:
            raise LoginLockedError(wait)
        user = authenticate(users, name, password)
        if user is None:
            self.record_failure(name, client)
        else:
            self.record_success(name, client)
        return user


class LoginLockedError(InvdashError):
    """Too many failed sign-ins for this user or client; ``wait_s`` says for how long."""

    def __init__(self, wait_s: float) -> None:
        self.wait_s = wait_s
        seconds = max(1, math.ceil(wait_s))
        super().__init__(f"too many attempts, try again in {seconds} s.")


def is_session_expired(last_seen_s: float | None, now_s: float, idle_s: float) -> bool:
    """Whether a session last active at ``last_seen_s`` has been idle for ``idle_s`` or longer.

    Args:
        last_seen_s: the clock at the session's last run (None: never seen, not expired).
        now_s: the clock now, on the same clock.
        idle_s: the allowed idle time in seconds; 0 or less disables expiry.
    """
    if last_seen_s is None or idle_s <= 0:
        return False
    return now_s - last_seen_s >= idle_s
