"""End to end in headless Chromium: a new account's first login on the home page — the user is shown the
offered second factor, enrols it with a code, and is asked for a new password before anything else
(issue 13, finding 6: enrolment by the user only, first-login password change)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from cdp import Browser
from sqlalchemy.orm import Session

from policecloud.apps.alerts.testing import ServerProcess
from policecloud.platform.access import accounts, audit
from policecloud.platform.access.credentials import totp_now

INITIAL = "initial password 1"
CHOSEN = "my own password 77"
PURPOSE = "case:A4201112026110001"


@pytest.fixture
def server(tmp_path):
    running = ServerProcess(tmp_path / "data")
    with Session(running.engine) as session:  # as the API creates accounts: nothing enrolled, password to change
        accounts.create_user(
            session, running.settings, audit.Actor("cli:test", "local"), username="liu.yang", password=INITIAL,
            jurisdiction="420100", roles=["investigator"],
        )  # fmt: skip
        session.commit()
    running.start()
    yield running
    running.close()


def _fill(browser: Browser, selector: str, value: str) -> None:
    browser.evaluate(f"document.querySelector({json.dumps(selector)}).value = {json.dumps(value)}")


def _submit(browser: Browser) -> None:
    browser.evaluate("document.querySelector('#login-form').requestSubmit()")


def test_a_new_user_enrols_and_chooses_a_password_in_the_browser(server, browser):
    browser.send("Page.enable")
    browser.send("Page.navigate", url=f"{server.url}/")
    browser.wait_for("document.querySelector('#login') && !document.querySelector('#login').hidden")
    _fill(browser, "#login-form [name=username]", "liu.yang")
    _fill(browser, "#login-form [name=password]", INITIAL)
    _fill(browser, "#login-form [name=purpose]", PURPOSE)
    _submit(browser)
    browser.wait_for("document.querySelector('#login-error').textContent.includes('otpauth://')")
    shown = browser.evaluate("document.querySelector('#login-error').textContent")
    secret = re.search(r"secret=([A-Z2-7]+)", shown).group(1)
    assert "身份验证器" in shown  # the Chinese instruction, with the secret, to the user who gave the password

    _fill(browser, "#login-form [name=totp]", totp_now(secret, datetime.now(UTC)))
    _submit(browser)
    browser.wait_for("document.querySelector('#login-form [name=new_password]') !== null")
    assert not browser.evaluate("document.querySelector('#login').hidden")  # nothing opens before the change

    _fill(browser, "#login-form [name=new_password]", CHOSEN)
    _submit(browser)
    browser.wait_for("document.querySelector('#login-form [name=new_password]') === null")
    assert "密码已修改" in browser.evaluate("document.querySelector('#login-error').textContent")
    with Session(server.engine) as session:
        user = accounts.get_user(session, "liu.yang")
        assert user.must_change_password is False and user.totp_secret == secret


def test_the_one_map_shows_the_enrolment_and_sends_a_new_user_to_the_home_page(server, browser):
    browser.send("Page.enable")
    browser.send("Page.navigate", url=f"{server.url}/map")
    browser.wait_for("document.querySelector('#login') && !document.querySelector('#login').hidden")
    _fill(browser, "#login-form [name=username]", "liu.yang")
    _fill(browser, "#login-form [name=password]", INITIAL)
    _submit(browser)
    browser.wait_for("document.querySelector('#login-error').textContent.includes('otpauth://')")
    secret = re.search(r"secret=([A-Z2-7]+)", browser.evaluate("document.querySelector('#login-error').textContent"))
    _fill(browser, "#login-form [name=totp]", totp_now(secret.group(1), datetime.now(UTC)))
    _submit(browser)
    browser.wait_for("document.querySelector('#login-error').textContent.includes('首页')")
    assert not browser.evaluate("document.querySelector('#login').hidden")
