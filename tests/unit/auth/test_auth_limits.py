"""Login limits and idle expiry in the core (``invdash.auth``), on a hand-moved clock."""

from __future__ import annotations

import threading

import pytest

from invdash import auth
from invdash.config import load_settings
from invdash.schema import ConfigError

SECRET = "correct horse battery"


class FakeClock:
    """Seconds that move only when the test says so."""

    def __init__(self) -> None:
        self.now_s = 1000.0

    def __call__(self) -> float:
        return self.now_s

    def advance(self, seconds: float) -> None:
        self.now_s += seconds


@pytest.fixture
def users() -> dict[str, auth.UserRecord]:
    return {
        "ann": auth.UserRecord("ann", "manager", auth.hash_password(SECRET)),
        "bob": auth.UserRecord("bob", "planner", auth.hash_password(SECRET)),
    }


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_backoff_starts_at_the_fifth_failure_and_doubles_to_the_cap():
    limits = auth.LoginLimits(base_backoff_s=30, max_backoff_s=200)
    assert [limits.backoff_s(n) for n in range(1, 9)] == [0, 0, 0, 0, 30, 60, 120, 200]
    assert limits.backoff_s(10_000) == 200


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"free_attempts": 0}, "free_attempts must be >= 1"),
        ({"base_backoff_s": 0}, "base_backoff_s must be > 0"),
        ({"base_backoff_s": 60, "max_backoff_s": 10}, "<= max_backoff_s"),
    ],
)
def test_bad_limits_are_a_config_error(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        auth.LoginLimits(**kwargs)


def test_five_failures_lock_the_user_even_with_the_right_password(users, clock):
    limiter = auth.LoginLimiter(clock=clock)
    for _ in range(4):
        assert limiter.attempt(users, "ann", "wrong", client="10.0.0.1") is None
        assert limiter.wait_s("ann", "10.0.0.1") == 0
    assert limiter.attempt(users, "ann", "wrong", client="10.0.0.1") is None
    assert limiter.wait_s("ann", "10.0.0.1") == 30
    with pytest.raises(auth.LoginLockedError, match="too many attempts, try again in 30 s") as err:
        limiter.attempt(users, "ann", SECRET, client="10.0.0.2")  # another client: same user
    assert err.value.wait_s == 30
    clock.advance(29.5)
    with pytest.raises(auth.LoginLockedError, match="try again in 1 s"):
        limiter.attempt(users, "ann", SECRET, client="10.0.0.2")
    clock.advance(0.5)
    assert limiter.attempt(users, "ann", SECRET, client="10.0.0.2") == auth.User("ann", "manager")
    assert limiter.wait_s("ann", "10.0.0.1") == 0, "a success clears the user's count"


def test_a_locked_attempt_checks_no_password_nor_extends_the_lock(users, clock, monkeypatch):
    limiter = auth.LoginLimiter(clock=clock)
    for _ in range(5):
        limiter.attempt(users, "ann", "wrong", client="c")
    checked = []
    monkeypatch.setattr(auth, "verify_password", lambda *args: checked.append(args) or True)
    for _ in range(3):
        with pytest.raises(auth.LoginLockedError):
            limiter.attempt(users, "ann", SECRET, client="c")
    assert checked == []
    assert limiter.wait_s("ann", "c") == 30


def test_the_wait_doubles_with_each_failure_after_the_lock(users, clock):
    limiter = auth.LoginLimiter(clock=clock)
    waits = []
    for _ in range(7):
        limiter.attempt(users, "ann", "wrong", client="c")
        waits.append(limiter.wait_s("ann", "c"))
        clock.advance(waits[-1])
    assert waits == [0, 0, 0, 0, 30, 60, 120]


def test_one_client_guessing_many_names_is_locked_per_client(users, clock):
    limiter = auth.LoginLimiter(clock=clock)
    for name in ["ann", "bob", "cat", "dan", "eve"]:
        assert limiter.attempt(users, name, "wrong", client="10.9.9.9") is None
    with pytest.raises(auth.LoginLockedError, match="try again in 30 s"):
        limiter.attempt(users, "bob", SECRET, client="10.9.9.9")
    assert limiter.attempt(users, "bob", SECRET, client="10.0.0.7") == auth.User("bob", "planner")


def test_failures_are_forgotten_after_a_quiet_hour(users, clock):
    limiter = auth.LoginLimiter(auth.LoginLimits(forget_after_s=3600), clock=clock)
    for _ in range(4):
        limiter.attempt(users, "ann", "wrong", client="c")
    clock.advance(3600)
    limiter.attempt(users, "ann", "wrong", client="c")
    assert limiter.wait_s("ann", "c") == 0, "the count restarted, so this was failure 1"
    assert len(limiter._failures) == 2


def test_concurrent_failures_are_all_counted(clock):
    limiter = auth.LoginLimiter(auth.LoginLimits(free_attempts=40), clock=clock)
    threads = [
        threading.Thread(target=limiter.record_failure, args=("ann", f"c{i}")) for i in range(40)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert limiter._failures[("user", "ann")].count == 40
    assert limiter.wait_s("ann", "elsewhere") == 30


@pytest.mark.parametrize(
    ("last_seen_s", "now_s", "idle_s", "expired"),
    [
        (None, 5000.0, 60.0, False),
        (1000.0, 1059.9, 60.0, False),
        (1000.0, 1060.0, 60.0, True),
        (1000.0, 99999.0, 0.0, False),
    ],
)
def test_session_expiry(last_seen_s, now_s, idle_s, expired):
    assert auth.is_session_expired(last_seen_s, now_s, idle_s) is expired


def test_idle_minutes_come_from_the_environment(monkeypatch):
    monkeypatch.delenv("INVDASH_SESSION_IDLE_MINUTES", raising=False)
    assert load_settings().session_idle_minutes == 30
    monkeypatch.setenv("INVDASH_SESSION_IDLE_MINUTES", "2.5")
    assert load_settings().session_idle_minutes == 2.5
    monkeypatch.setenv("INVDASH_SESSION_IDLE_MINUTES", "soon")
    with pytest.raises(ConfigError, match="INVDASH_SESSION_IDLE_MINUTES must be a number"):
        load_settings()
