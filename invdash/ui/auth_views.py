"""Sign-in gate for every page: local single-user mode, refusal on an open address, or a login.

``gate()`` is the first call of every page file, not of ``app.py``: with a ``pages/`` folder next
to ``app.py``, Streamlit runs a page file on its own (without ``app.py``) on the first run of a
fresh server process when the URL names a page, and AppTest does so after ``switch_page``. A gate
in ``app.py`` alone would be skipped there; ``tests/app/test_access.py`` checks every page calls it.

- No users file and the server bound to localhost: local single-user mode; the OS user (or
  ``INVDASH_USER``) acts as manager, and the sidebar says so.
- No users file and a non-local address (``0.0.0.0``, a LAN address, or unset, which Streamlit
  binds to all interfaces): every page shows how to create users and stops; stderr says it once.
- A users file: a login form until the session holds a user; a sign-out button in the sidebar.
  The role is re-read from the file on each run, so a changed role applies at once.
- Failed sign-ins are limited per user name and per client address by one ``auth.LoginLimiter``
  shared by all sessions of the server process (``LIMITER``): from the fifth failure the form
  says "too many attempts, try again in N s" and checks no password until then. The client is
  ``st.context.ip_address``; behind a reverse proxy that is the proxy, so the per-user limit is
  the one that still holds per person.
- A signed-in session idle for ``Settings.session_idle_minutes`` (``INVDASH_SESSION_IDLE_MINUTES``)
  is signed out on its next run and asked to sign in again.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import streamlit as st
from streamlit import config as st_config
from streamlit.runtime import Runtime

from invdash import auth
from invdash.schema import InvdashError
from invdash.ui.cache import settings

__all__ = [
    "SESSION_USER",
    "LOCAL_ADDRESSES",
    "server_address",
    "is_local_server",
    "gate",
    "current_user",
    "refusal_message",
    "LIMITER",
    "SESSION_LAST_SEEN",
    "client_address",
]

SESSION_USER = "auth_user"
SESSION_LAST_SEEN = "auth_last_seen_s"
_SESSION_EXPIRED = "auth_session_expired"
UNKNOWN_CLIENT = "unknown client"
# One limiter per server process: the counts must be shared by every session (each a thread).
LIMITER = auth.LoginLimiter()
# The clock of idle expiry (tests replace it, like LIMITER's clock).
clock: Callable[[], float] = time.monotonic
LOCAL_ADDRESSES = frozenset({"localhost", "127.0.0.1", "::1"})
_warned: set[str] = set()


def server_address() -> str | None:
    """Streamlit's ``server.address`` option (None when unset)."""
    return st_config.get_option("server.address")


def _serves_http() -> bool:
    # AppTest installs a mock Runtime and binds no socket; only a real Runtime listens.
    return Runtime.exists() and type(Runtime.instance()) is Runtime


def is_local_server(address: str | None) -> bool:
    """Whether the app is reachable from this machine only.

    An unset address binds a real server to all interfaces (not local); with no server at all
    (AppTest, a bare script) nothing listens, which is local.
    """
    if address:
        return address.strip("[]") in LOCAL_ADDRESSES
    return not _serves_http()


def refusal_message(address: str | None) -> str:
    """What to do when the server is open to the network without a users file."""
    users_file = settings().users_file
    return (
        f"invdash refuses to serve on address {address or '0.0.0.0 (all interfaces)'} without "
        f"logins: there is no users file at {users_file}. Create users with "
        "`invdash user add NAME --role manager` (and `--role planner`), or set INVDASH_USERS_FILE, "
        "then restart. For a single user on this machine, run `make run` (binds to localhost)."
    )


def current_user() -> auth.User | None:
    """The signed-in (or local-mode) user of this session, or None before the gate ran."""
    return st.session_state.get(SESSION_USER)


def _escape(text: str) -> str:
    return "".join(f"\\{c}" if c in "\\`*_{}[]<>()#+-.!|~$" else c for c in text)


def _local_mode() -> auth.User:
    user = auth.User(name=settings().user, role="manager")
    st.session_state[SESSION_USER] = user
    with st.sidebar:
        # markdown, not st.info: pages' own info boxes stay the first ones AppTest finds.
        st.markdown(f"Local single-user mode: you act as manager {_escape(user.name)}.")
    return user


def _refuse(address: str | None) -> None:
    message = refusal_message(address)
    if message not in _warned:
        _warned.add(message)
        print(message, file=sys.stderr)
    st.error(message)
    st.stop()


def client_address() -> str:
    """The browser's address as Streamlit sees it (``unknown client`` when it is not known)."""
    try:
        address = st.context.ip_address
    except AttributeError:  # Streamlit before 1.45 has no ip_address
        address = None
    return address or UNKNOWN_CLIENT


def _try_sign_in(users: dict[str, auth.UserRecord], name: str, password: str) -> None:
    client = client_address()
    try:
        user = LIMITER.attempt(users, name, password, client=client)
    except auth.LoginLockedError as err:
        st.error(f"Sign-in paused: {err}")
        return
    if user is None:
        locked = auth.LoginLockedError(LIMITER.wait_s(name, client))
        later = f" Sign-in paused: {locked}" if locked.wait_s > 0 else ""
        st.error(f"Unknown user or wrong password.{later}")
        return
    st.session_state[SESSION_USER] = user
    st.session_state[SESSION_LAST_SEEN] = clock()
    st.rerun()


def _login_form(users: dict[str, auth.UserRecord]) -> None:
    st.title("Sign in to invdash")
    if st.session_state.get(_SESSION_EXPIRED):
        minutes = settings().session_idle_minutes
        st.info(f"Your session expired after {minutes:g} minutes without activity; sign in again.")
    with st.form("login", clear_on_submit=True):
        name = st.text_input("User name", key="login_name")
        password = st.text_input("Password", type="password", key="login_password")
        submitted = st.form_submit_button("Sign in", key="login_submit")
    if submitted:
        st.session_state[_SESSION_EXPIRED] = False
        _try_sign_in(users, name.strip(), password)
    st.stop()


def _expire_if_idle() -> None:
    now_s = clock()
    idle_s = settings().session_idle_minutes * 60.0
    if current_user() is not None and auth.is_session_expired(
        st.session_state.get(SESSION_LAST_SEEN), now_s, idle_s
    ):
        st.session_state[SESSION_USER] = None
        st.session_state[_SESSION_EXPIRED] = True
    st.session_state[SESSION_LAST_SEEN] = now_s


def _signed_in(users: dict[str, auth.UserRecord]) -> auth.User | None:
    user = current_user()
    record = users.get(user.name) if user is not None else None
    if record is None:
        st.session_state[SESSION_USER] = None
        return None
    user = auth.User(name=record.name, role=record.role)
    st.session_state[SESSION_USER] = user
    return user


def gate() -> auth.User:
    """The session's user; shows the login form (or the refusal) and stops the page otherwise."""
    users_file = settings().users_file
    if not users_file.exists():
        address = server_address()
        if is_local_server(address):
            return _local_mode()
        _refuse(address)
    try:
        users = auth.load_users(users_file)
    except InvdashError as err:
        st.error(str(err))
        st.stop()
    _expire_if_idle()
    user = _signed_in(users)
    if user is None:
        _login_form(users)
    with st.sidebar:
        st.caption(f"Signed in as {user.name} ({user.role})")
        if st.button("Sign out", key="logout"):
            st.session_state[SESSION_USER] = None
            st.rerun()
    return user
