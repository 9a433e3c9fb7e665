"""The account's pages on the app on the fakes: a signed-up person's forms."""

from __future__ import annotations

import re
from typing import Any

import pyotp
import pytest
from flask.testing import FlaskClient

from domain.accounts.users import User
from domain.signin.mfa import RECOVERY_CODES
from tests.support.app import World
from tests.support.pages import PASSWORD, csrf, sign_up


@pytest.fixture
def world() -> World:
    w = World()
    sign_up(w)
    return w


def alice(world: World) -> User:
    (user,) = world.store.users.values()
    return user


def send(world: World, path: str, form: dict[str, str], client: FlaskClient | None = None) -> Any:
    """POST ``form`` as the page's own form would, with the CSRF token of /account."""
    browser = client or world.client
    return browser.post(path, data={**form, "csrf_token": csrf(browser, "/account")})


def api_works(world: World, token: str) -> bool:
    answer = world.client.get("/user", headers={"Authorization": f"Bearer {token}"})
    return answer.status_code == 200


def html_of(answer: Any) -> str:
    text: str = answer.get_data(as_text=True)
    return text


def enrol(world: World) -> tuple[str, list[str]]:
    """TOTP turned on from the page: the secret as the page shows it, and the codes."""
    answer = send(world, "/account/totp", {"password": PASSWORD})
    html = html_of(answer)
    assert answer.status_code == 200 and "<svg" in html and "<title>" in html
    found = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', html)
    assert found is not None
    secret = found.group(1)
    answer = send(
        world, "/account/totp/confirm", {"code": pyotp.TOTP(secret).at(world.clock.current)}
    )
    html = html_of(answer)
    assert answer.status_code == 200 and 'role="status"' in html
    codes = re.findall(r"<li><code>([^<]+)</code></li>", html)
    assert len(codes) == RECOVERY_CODES
    return secret, codes
