"""Access: local single-user mode, login with roles, refusal on an open address, and who decided.

- No users file, AppTest (nothing listens, so local): local mode, the user acts as manager.
- A users file: every page asks for a login; a wrong password is refused.
- A planner sees no approve / edit / reject / override controls, and the core refuses a planner's
  decision; a manager's approval is stored under the manager's name.
- No users file and ``server.address`` 0.0.0.0: every page refuses with how to create users.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from invdash import auth, reorder, store
from invdash.store import reorder as reorder_store
from invdash.ui import auth_views

APP = str(Path(__file__).resolve().parents[2] / "app.py")
REORDER = "pages/reorder.py"
PASSWORDS = {"ann": "manager password", "bob": "planner password"}


@pytest.fixture
def db(
    forecast_db_copy: Path, use_database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    monkeypatch.setenv("INVDASH_USERS_FILE", str(tmp_path / "absent" / "users.toml"))
    return use_database(forecast_db_copy, user="local-lee")


@pytest.fixture
def users_file(db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:  # noqa: ARG001
    path = tmp_path / "users.toml"
    auth.add_user(path, "ann", "manager", PASSWORDS["ann"])
    auth.add_user(path, "bob", "planner", PASSWORDS["bob"])
    monkeypatch.setenv("INVDASH_USERS_FILE", str(path))
    return path


def sign_in(at: AppTest, name: str, password: str) -> AppTest:
    at.text_input(key="login_name").input(name)
    at.text_input(key="login_password").input(password)
    at.button(key="login_submit").click().run()
    assert not at.exception
    return at


def stored_decisions(db: Path) -> dict[str, tuple[str, str]]:
    conn = store.connect_read_only(db)
    try:
        frame = reorder_store.load_decisions(conn)
    finally:
        conn.close()
    return {row.sku: (row.action, row.user) for row in frame.itertuples()}


def test_every_page_calls_the_gate_before_anything_else():
    pages = sorted((Path(APP).parent / "pages").glob("*.py"))
    assert len(pages) >= 9
    for page in pages:
        body = page.read_text()
        first_call = next(
            line for line in body.splitlines() if line.startswith(("st.", "auth_views.", "views."))
        )
        assert first_call.startswith("auth_views.gate()"), page.name


def test_no_users_file_on_localhost_is_the_labelled_local_mode(db):  # noqa: ARG001
    assert auth_views.is_local_server(None), "AppTest binds nothing, so it counts as local"
    assert auth_views.is_local_server("127.0.0.1") and not auth_views.is_local_server("0.0.0.0")
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert not at.exception
    assert any(
        "Local single-user mode: you act as manager local\\-lee" in md.value
        for md in at.sidebar.markdown
    )
    at.switch_page(REORDER).run()
    assert not at.exception
    assert at.button(key="reorder_save") is not None


def test_with_a_users_file_every_page_needs_a_login(users_file):  # noqa: ARG001
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Sign in to invdash"]
    at.switch_page(REORDER).run()
    assert [t.value for t in at.title] == ["Sign in to invdash"], "no page without a login"
    sign_in(at, "ann", "not the password")
    assert any("wrong password" in e.value for e in at.error)
    sign_in(at, "nobody", PASSWORDS["ann"])
    assert any("wrong password" in e.value for e in at.error)
    assert [t.value for t in at.title] == ["Sign in to invdash"]

    at = AppTest.from_file(APP, default_timeout=180).run()
    sign_in(at, "ann", PASSWORDS["ann"])
    assert "Overview" in [t.value for t in at.title]
    assert any("Signed in as ann (manager)" in c.value for c in at.sidebar.caption)
    at.button(key="logout").click().run()
    assert [t.value for t in at.title] == ["Sign in to invdash"]


def test_a_planner_cannot_decide_and_a_managers_approval_carries_the_name(db, users_file):  # noqa: ARG001
    at = AppTest.from_file(APP, default_timeout=180).run()
    sign_in(at, "bob", PASSWORDS["bob"])
    at.switch_page(REORDER).run()
    assert not at.exception
    keys = {"reorder_action", "reorder_save", "reorder_bulk_approve", "reorder_override_save"}
    widgets = [*at.button, *at.radio, *at.number_input, *at.text_input, *at.selectbox]
    assert {w.key for w in widgets} & keys == set()
    assert at.selectbox(key="reorder_sku").options, "the planner still explores the lines"
    assert any("planner bob" in info.value for info in at.info)
    sku = at.selectbox(key="reorder_sku").options[0].split(" \u2014 ")[0]
    planner = at.session_state[auth_views.SESSION_USER]
    assert planner == auth.User("bob", "planner")
    with pytest.raises(auth.PermissionDeniedError, match="manager role"):
        reorder.decide_as(planner, "run", [sku], action="approve", qty=[1.0])
    assert stored_decisions(db) == {}

    at = AppTest.from_file(APP, default_timeout=180).run()
    sign_in(at, "ann", PASSWORDS["ann"])
    at.switch_page(REORDER).run()
    at.selectbox(key="reorder_sku").select(at.selectbox(key="reorder_sku").options[0]).run()
    at.radio(key="reorder_action").set_value("approve").run()
    at.button(key="reorder_save").click().run()
    assert not at.exception and not at.error
    assert stored_decisions(db) == {sku: ("approve", "ann")}


def test_an_open_address_without_users_refuses_on_every_page(db, capsys):  # noqa: ARG001
    auth_views._warned.clear()
    st_config.set_option("server.address", "0.0.0.0")
    try:
        at = AppTest.from_file(APP, default_timeout=180).run()
        assert not at.exception
        at.switch_page(REORDER).run()
        assert not at.exception
    finally:
        st_config.set_option("server.address", None)
    messages = [e.value for e in at.error]
    assert len(messages) == 1 and "refuses to serve on address 0.0.0.0" in messages[0]
    assert "invdash user add NAME --role manager" in messages[0]
    assert not at.title, "no page content without logins"
    assert capsys.readouterr().err.count("refuses to serve") == 1, "stderr says it once"
