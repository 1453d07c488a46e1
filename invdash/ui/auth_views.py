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
"""

from __future__ import annotations

import sys

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
]

SESSION_USER = "auth_user"
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


def _login_form(users: dict[str, auth.UserRecord]) -> None:
    st.title("Sign in to invdash")
    with st.form("login", clear_on_submit=True):
        name = st.text_input("User name", key="login_name")
        password = st.text_input("Password", type="password", key="login_password")
        submitted = st.form_submit_button("Sign in", key="login_submit")
    if submitted:
        user = auth.authenticate(users, name.strip(), password)
        if user is None:
            st.error("Unknown user or wrong password.")
        else:
            st.session_state[SESSION_USER] = user
            st.rerun()
    st.stop()


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
    user = _signed_in(users)
    if user is None:
        _login_form(users)
    with st.sidebar:
        st.caption(f"Signed in as {user.name} ({user.role})")
        if st.button("Sign out", key="logout"):
            st.session_state[SESSION_USER] = None
            st.rerun()
    return user
