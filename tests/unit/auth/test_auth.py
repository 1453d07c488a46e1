"""Users, salted hashes and roles (``invdash.auth``), the ``invdash user`` command and the
permission check in the core decision path (``reorder.decide_as``)."""

from __future__ import annotations

import io
import os
import stat

import pytest

from invdash import auth, reorder
from invdash.cli import main
from invdash.schema import ConfigError, InvalidDataError, InvdashError

SECRET = "correct horse battery"


def test_the_hash_is_salted_and_never_the_password():
    first, second = auth.hash_password(SECRET), auth.hash_password(SECRET)
    assert SECRET not in first
    assert first != second  # a fresh salt each time
    assert first.startswith("scrypt$")
    assert auth.verify_password(SECRET, first)
    assert auth.verify_password(SECRET, second)


def test_a_wrong_or_malformed_password_is_refused():
    hashed = auth.hash_password(SECRET)
    assert not auth.verify_password("correct horse battery!", hashed)
    assert not auth.verify_password("", hashed)
    assert not auth.verify_password(SECRET, "plain-text")
    assert not auth.verify_password(SECRET, "md5$1$1$1$00$00")
    assert not auth.verify_password(SECRET, "scrypt$x$8$1$zz$00")


def test_users_file_round_trip_holds_only_hashes(tmp_path):
    path = tmp_path / "conf" / "users.toml"
    auth.add_user(path, "ann", "manager", SECRET)
    auth.add_user(path, "bob.p", "planner", "another secret")
    text = path.read_text()
    assert SECRET not in text and "another secret" not in text
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    users = auth.load_users(path)
    roles = {name: user.role for name, user in users.items()}
    assert roles == {"ann": "manager", "bob.p": "planner"}
    assert not list(path.parent.glob(".users.toml.*"))  # no temp file left behind


def test_authenticate():
    users = {"ann": auth.UserRecord("ann", "manager", auth.hash_password(SECRET))}
    assert auth.authenticate(users, "ann", SECRET) == auth.User("ann", "manager")
    assert auth.authenticate(users, "ann", "wrong password") is None
    assert auth.authenticate(users, "nobody", SECRET) is None


def test_updating_a_user_replaces_role_and_password(tmp_path):
    path = tmp_path / "users.toml"
    auth.add_user(path, "ann", "planner", SECRET)
    auth.add_user(path, "ann", "manager", "a new secret")
    users = auth.load_users(path)
    assert auth.authenticate(users, "ann", SECRET) is None
    assert auth.authenticate(users, "ann", "a new secret") == auth.User("ann", "manager")


@pytest.mark.parametrize(
    ("name", "role", "password", "match"),
    [
        ("ann", "admin", SECRET, "role must be one of planner, manager"),
        ('a"]\n[users.x', "manager", SECRET, "user name"),
        ("ann", "manager", "short", "at least 8 characters"),
    ],
)
def test_add_user_rejects_bad_input(tmp_path, name, role, password, match):
    with pytest.raises(InvalidDataError, match=match):
        auth.add_user(tmp_path / "users.toml", name, role, password)
    assert not (tmp_path / "users.toml").exists()


def test_a_broken_users_file_is_a_config_error(tmp_path):
    path = tmp_path / "users.toml"
    path.write_text('[users.ann]\nrole = "boss"\npassword = "x"\n')
    with pytest.raises(ConfigError, match="needs role"):
        auth.load_users(path)
    path.write_text("not toml [")
    with pytest.raises(ConfigError, match="not valid TOML"):
        auth.load_users(path)
    assert auth.load_users(tmp_path / "absent.toml") == {}


def test_role_permissions():
    planner, manager = auth.User("bob", "planner"), auth.User("ann", "manager")
    for action in ("explore", "propose"):
        assert auth.can(planner, action) and auth.can(manager, action)
    for action in ("approve_orders", "edit_orders", "reject_orders", "set_service_levels"):
        assert not auth.can(planner, action)
        assert auth.can(manager, action)
        assert not auth.can(None, action)
    with pytest.raises(auth.PermissionDeniedError, match="manager role; bob is a planner"):
        auth.require(planner, "approve_orders")
    assert issubclass(auth.PermissionDeniedError, InvdashError)


@pytest.mark.parametrize("action", ["approve", "edit", "reject"])
def test_the_core_refuses_a_planners_decision(action):
    with pytest.raises(auth.PermissionDeniedError, match="manager role"):
        reorder.decide_as(
            auth.User("bob", "planner"), "r1", ["A"], action=action, qty=[3.0], reason="no"
        )
    with pytest.raises(auth.PermissionDeniedError, match="nobody is signed in"):
        reorder.decide_as(None, "r1", ["A"], action=action, qty=[3.0], reason="no")


def test_a_managers_decision_carries_the_managers_name():
    rows = reorder.decide_as(auth.User("ann", "manager"), "r1", ["A"], action="edit", qty=[4.0])
    assert rows["user"].tolist() == ["ann"]
    with pytest.raises(InvalidDataError, match="action must be one of"):
        reorder.decide_as(auth.User("ann", "manager"), "r1", ["A"], action="delete")


def test_cli_user_add_reads_the_password_from_stdin(tmp_path, monkeypatch, capsys):
    path = tmp_path / "users.toml"
    monkeypatch.setattr("sys.stdin", io.StringIO(SECRET + "\n"))
    args = ["user", "add", "ann", "--role", "manager", "--password-stdin", "--file", str(path)]
    assert main(args) == 0
    assert SECRET not in path.read_text()
    assert auth.authenticate(auth.load_users(path), "ann", SECRET) == auth.User("ann", "manager")
    assert main(["user", "list", "--file", str(path)]) == 0
    out = capsys.readouterr().out
    assert out == "ann\tmanager\n"


def test_cli_user_add_prompts_twice_and_refuses_a_mismatch(tmp_path, monkeypatch, capsys):
    path = tmp_path / "users.toml"
    answers = iter([SECRET, "something else"])
    monkeypatch.setattr("getpass.getpass", lambda _prompt="": next(answers))
    monkeypatch.setenv("INVDASH_USERS_FILE", str(path))
    assert main(["user", "add", "ann", "--role", "planner"]) == 2
    assert "passwords differ" in capsys.readouterr().err
    assert not path.exists()
    answers = iter([SECRET, SECRET])
    assert main(["user", "add", "ann", "--role", "planner"]) == 0
    assert auth.load_users(path)["ann"].role == "planner"
