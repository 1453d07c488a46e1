"""Login limits and idle expiry in the dashboard (AppTest, a users file, a hand-moved clock).

- Five wrong passwords: the form says "too many attempts, try again in 30 s" and refuses even the
  right password until the wait is over; then the right password signs in.
- A signed-in session idle for ``INVDASH_SESSION_IDLE_MINUTES`` is asked to sign in again.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from invdash import auth
from invdash.ui import auth_views

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PASSWORD = "manager password"


class FakeClock:
    def __init__(self) -> None:
        self.now_s = 5000.0

    def __call__(self) -> float:
        return self.now_s


@pytest.fixture
def clock(db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeClock:  # noqa: ARG001
    """A users file with manager ann, a fresh limiter and the session clock on one fake clock."""
    users_file = tmp_path / "users.toml"
    auth.add_user(users_file, "ann", "manager", PASSWORD)
    monkeypatch.setenv("INVDASH_USERS_FILE", str(users_file))
    monkeypatch.setenv("INVDASH_SESSION_IDLE_MINUTES", "10")
    fake = FakeClock()
    monkeypatch.setattr(auth_views, "LIMITER", auth.LoginLimiter(clock=fake))
    monkeypatch.setattr(auth_views, "clock", fake)
    return fake


def sign_in(at: AppTest, name: str, password: str) -> AppTest:
    at.text_input(key="login_name").input(name)
    at.text_input(key="login_password").input(password)
    at.button(key="login_submit").click().run()
    assert not at.exception
    return at


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def test_five_failures_pause_sign_in_and_the_form_says_for_how_long(clock):
    at = AppTest.from_file(APP, default_timeout=60).run()
    for _ in range(4):
        sign_in(at, "ann", "wrong password")
        assert errors(at) == ["Unknown user or wrong password."]
    sign_in(at, "ann", "wrong password")
    assert errors(at) == [
        "Unknown user or wrong password. Sign-in paused: too many attempts, try again in 30 s."
    ]
    clock.now_s += 12
    sign_in(at, "ann", PASSWORD)
    assert errors(at) == ["Sign-in paused: too many attempts, try again in 18 s."]
    assert [t.value for t in at.title] == ["Sign in to invdash"]

    other_session = AppTest.from_file(APP, default_timeout=60).run()
    sign_in(other_session, "ann", PASSWORD)
    assert errors(other_session) == ["Sign-in paused: too many attempts, try again in 18 s."]

    clock.now_s += 18
    sign_in(at, "ann", PASSWORD)
    assert not errors(at)
    assert "Overview" in [t.value for t in at.title]


def test_an_idle_session_must_sign_in_again(clock):
    at = AppTest.from_file(APP, default_timeout=60).run()
    sign_in(at, "ann", PASSWORD)
    assert "Overview" in [t.value for t in at.title]
    clock.now_s += 9 * 60
    at.run()
    assert "Overview" in [t.value for t in at.title], "9 minutes idle is still signed in"
    clock.now_s += 9 * 60
    at.run()
    assert "Overview" in [t.value for t in at.title], "activity 9 minutes ago renewed it"
    clock.now_s += 10 * 60
    at.run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Sign in to invdash"]
    assert any("expired after 10 minutes without activity" in i.value for i in at.info)
    assert at.session_state[auth_views.SESSION_USER] is None
    sign_in(at, "ann", PASSWORD)
    assert "Overview" in [t.value for t in at.title]
    assert not any("expired" in i.value for i in at.info)
