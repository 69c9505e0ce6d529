"""Login under attack (issue 13, finding 2): rate limits per client and per account, and no Argon2 work while
the store's write lock is held. The clock is the application's (FakeClock): tests move time, never sleep."""

from __future__ import annotations

import sqlite3

import pytest
from api_support import PASSWORD, Platform

from policecloud.platform.access import auth
from policecloud.platform.api.login_limits import WindowLimiter


def _bad_login(platform: Platform, username: str = "nobody"):
    return platform.client.post("/api/auth/login", json={"username": username, "password": "wrong password 1"})


def test_window_limiter_counts_per_key_and_window():
    limiter = WindowLimiter(limit=3, window_seconds=60)
    assert [limiter.hit("a", 1000.0).allowed for _ in range(3)] == [True, True, True]
    refused = limiter.hit("a", 1010.0)
    assert not refused.allowed and refused.first_refusal
    assert refused.retry_after == 1020 - 1010  # the window [960, 1020) ends in 10 s
    assert not limiter.hit("a", 1011.0).first_refusal  # audited once per window, not per refusal
    assert limiter.hit("b", 1011.0).allowed  # another key has its own budget
    assert limiter.hit("a", 1020.0).allowed  # a new window
    limiter.give_back("a", 1020.0)
    assert [limiter.hit("a", 1021.0).allowed for _ in range(3)] == [True, True, True]


def test_window_limiter_memory_is_bounded():
    limiter = WindowLimiter(limit=1, window_seconds=60, max_keys=100)
    for i in range(1000):
        limiter.hit(f"user-{i}", 5.0)
    assert len(limiter) == 100


def test_a_client_past_its_limit_gets_429_with_retry_after_and_one_audit_entry(store_engine, clock):
    platform = Platform(
        store_engine, clock, login_limit_per_client=3, login_limit_per_account=100, login_refusal_delay_seconds=0
    )
    statuses = [_bad_login(platform, f"nobody{i}").status_code for i in range(6)]
    assert statuses == [401, 401, 401, 429, 429, 429]
    refused = _bad_login(platform, "nobody9")
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    body = refused.json()
    assert body["error"] == "too_many_logins" and "登录" in body["message_zh"]
    limited = [e for e in platform.events("auth.login_failed") if e["reason"].startswith("rate_limited")]
    assert len(limited) == 1 and limited[0]["reason"] == "rate_limited_client"
    clock.advance(seconds=61)
    assert _bad_login(platform).status_code == 401  # the next window


def test_an_account_past_its_limit_gets_429_while_others_may_log_in(store_engine, clock):
    platform = Platform(
        store_engine, clock, login_limit_per_client=100, login_limit_per_account=2, login_refusal_delay_seconds=0
    )
    platform.user("zhang", ["investigator"])
    assert [_bad_login(platform, "zhang").status_code for _ in range(3)] == [401, 401, 429]
    platform.user("lina", ["investigator"])
    platform.login("lina")
    assert _bad_login(platform, "ZHANG").status_code == 429  # names are compared case-insensitively
    reasons = [e["reason"] for e in platform.events("auth.login_failed")]
    assert reasons.count("rate_limited_account") == 1


def test_successful_logins_do_not_use_up_the_budget(store_engine, clock):
    platform = Platform(store_engine, clock, login_limit_per_client=2, login_limit_window_seconds=3600)
    platform.user("zhang", ["investigator"])
    for _ in range(5):  # all in one window (09:00–10:00 on the fake clock)
        platform.login("zhang")
        clock.advance(seconds=30)  # the next TOTP step: a code is good once
    assert _bad_login(platform).status_code == 401


def _write_from_another_connection(store_engine) -> str:
    """Try a write on the store from a second connection without waiting for its lock: 'ok' or the error."""
    connection = sqlite3.connect(store_engine.url.database, timeout=0)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("UPDATE users SET failed_logins = failed_logins")
        connection.commit()
        return "ok"
    except sqlite3.OperationalError as exc:
        return str(exc)
    finally:
        connection.close()


@pytest.mark.parametrize("store_kind", ["sqlite"])
@pytest.mark.parametrize("username", ["zhang", "nobody"])
def test_login_holds_no_write_lock_while_argon2_runs(store_engine, clock, monkeypatch, username):
    """While the password is being checked (or the time of a check spent), another writer gets the store at once."""
    platform = Platform(store_engine, clock)
    platform.user("zhang", ["investigator"])
    during: list[str] = []
    verify, burn = auth.verify_password, auth.burn_verification

    def verify_watched(*args):
        during.append(_write_from_another_connection(store_engine))
        return verify(*args)

    def burn_watched(*args):
        during.append(_write_from_another_connection(store_engine))
        return burn(*args)

    monkeypatch.setattr(auth, "verify_password", verify_watched)
    monkeypatch.setattr(auth, "burn_verification", burn_watched)
    response = platform.client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code in (200, 401)
    assert during == ["ok"]


def test_concurrent_failures_are_all_counted(store_engine, clock):
    """The outcome is decided on the account row as it is when written: no lost failure counts."""
    from concurrent.futures import ThreadPoolExecutor

    from policecloud.platform.store.models import User

    platform = Platform(store_engine, clock, lockout_failures=100)
    platform.user("zhang", ["investigator"])
    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(lambda _: _bad_login(platform, "zhang").status_code, range(8)))
    assert statuses == [401] * 8
    with platform.session() as session:
        user = session.query(User).filter_by(username="zhang").one()
        assert user.failed_logins == 8
