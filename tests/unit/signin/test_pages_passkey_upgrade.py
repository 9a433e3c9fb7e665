"""The automatic passkey upgrade on the pages, on fakes (docs/passkeys-upgraded.md): the page
a person lands on after a sign-in by password or code includes the upgrade's script while
the window is open and the account has no passkey; the script's endpoints take conditional
options and their answer without user presence."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.support.api import PASSWORD, register
from tests.support.app import World
from tests.support.email_codes import code_in
from tests.support.metrics import TOKEN, scrape
from tests.support.pages import csrf
from tests.support.passkey_authenticator import Passkey

pytestmark = pytest.mark.unit

SCRIPT = (
    '<script src="/static/pages/passkey-upgrade.js" data-origins="http://127.0.0.1:8000" defer>'
    "</script>"
)
STATIC = Path(__file__).resolve().parents[3] / "src" / "interfaces" / "web" / "static"
JSON = {"Accept": "application/json"}
CONDITIONAL = {"mediation": "conditional"}
# The test client's address (the test settings' PUBLIC_URL), made one where the pages offer
# passkeys (a browser would refuse an IP address; the service does not mind)
ORIGIN = "http://127.0.0.1:8000"


def passkeys_world(**settings: object) -> World:
    return World(webauthn_origins=[ORIGIN], webauthn_rp_id="127.0.0.1", **settings)


@pytest.fixture
def world() -> World:
    return passkeys_world()


def sign_in(client: FlaskClient, name: str = "alice") -> None:
    form = {"username": name, "password": PASSWORD, "csrf_token": csrf(client, "/sign-in")}
    answer = client.post("/sign-in", data=form)
    assert answer.status_code == 303 and answer.headers["Location"] == "/account"


def offered(client: FlaskClient, path: str = "/account") -> bool:
    page = client.get(path)
    assert page.status_code == 200, page.get_data(as_text=True)
    html = page.get_data(as_text=True)
    return SCRIPT in html


def meta_token(client: FlaskClient) -> str:
    html = client.get("/account").get_data(as_text=True)
    found = re.search(r'<meta name="csrf-token" content="([^"]+)">', html)
    assert found is not None
    return found.group(1)


def script_post(client: FlaskClient, path: str, body: object) -> TestResponse:
    """A POST as passkey-upgrade.js sends it: JSON, the page's token in X-CSRF-Token."""
    headers = {**JSON, "X-CSRF-Token": meta_token(client)}
    return client.post(path, json=body, headers=headers)


def upgraded(client: FlaskClient, key: Passkey | None = None) -> TestResponse:
    """What the script does where the browser makes a passkey by itself."""
    options = script_post(client, "/account/passkeys/options", CONDITIONAL)
    assert options.status_code == 200, options.get_json()
    answer: dict[str, Any] = options.get_json()
    assert answer["mediation"] == "conditional"
    key = key or Passkey(present=False, verified=False)
    return script_post(client, "/account/passkeys", key.register(answer, ORIGIN))


# -- where the script is included


def test_the_page_after_a_password_sign_in_includes_the_script_for_the_window(
    world: World,
) -> None:
    register(world.client, "alice")
    assert not offered(world.client, "/sign-in")  # signed out: nothing to upgrade
    sign_in(world.client)
    assert offered(world.client)
    assert offered(world.client, "/account/security")  # any page of the layout
    world.clock.advance(seconds=301)
    assert not offered(world.client)


def test_the_script_is_one_static_file_the_pages_policy_allows(world: World) -> None:
    register(world.client, "alice")
    sign_in(world.client)
    page = world.client.get("/account")
    assert "script-src 'self';" in page.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in page.headers["Content-Security-Policy"]
    script = world.client.get("/static/pages/passkey-upgrade.js")
    assert script.status_code == 200 and script.mimetype == "text/javascript"
    assert script.get_data() == (STATIC / "passkey-upgrade.js").read_bytes()
    html = page.get_data(as_text=True)
    assert len(re.findall(r"<script\b", html)) == len(re.findall(r"<script src=", html))


def test_an_account_with_a_passkey_is_not_offered_one(world: World) -> None:
    register(world.client, "alice")
    sign_in(world.client)
    assert upgraded(world.client, Passkey()).status_code == 201
    assert not offered(world.client)


def test_a_passkey_sign_in_is_not_offered_one(world: World) -> None:
    register(world.client, "alice")
    sign_in(world.client)
    key = Passkey()
    options = script_post(world.client, "/account/passkeys/options", {})
    made = script_post(world.client, "/account/passkeys", key.register(options.get_json(), ORIGIN))
    assert made.status_code == 201
    other = world.app.test_client()
    token = csrf(other, "/sign-in")
    headers = {**JSON, "X-CSRF-Token": token}
    sign_in_options = other.post("/sign-in/passkey/options", json={}, headers=headers)
    signed = other.post(
        "/sign-in/passkey", json=key.sign_in(sign_in_options.get_json(), ORIGIN), headers=headers
    )
    assert signed.status_code == 200, signed.get_json()
    refused = script_post(other, "/account/passkeys/options", CONDITIONAL)
    assert refused.status_code == 409 and refused.get_json()["code"] == "upgrade_window_closed"


def test_the_page_after_a_code_sign_in_includes_the_script(world: World) -> None:
    client = world.client
    token = csrf(client, "/sign-in/email-code")
    asked = client.post(
        "/sign-in/email-code", data={"email": "lea@example.com", "csrf_token": token}
    )
    path = asked.headers["Location"]
    world.deliver()
    mail = [m for m in world.mailer.to("lea@example.com") if "/sign-in/email?" in m.text][-1]
    answer = client.post(path, data={"code": code_in(mail.text), "csrf_token": csrf(client, path)})
    assert answer.status_code == 303 and answer.headers["Location"] == "/account"
    assert offered(client)
    assert upgraded(client).status_code == 201
    assert not offered(client)


# -- the script's endpoints


def test_the_script_adds_a_passkey_without_user_presence_and_it_is_counted() -> None:
    world = passkeys_world(metrics_token=TOKEN)
    register(world.client, "alice")
    sign_in(world.client)
    made = upgraded(world.client)
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["name"] == "Passkey"
    assert scrape(world.client)["firegate_passkey_upgrades_total"] == 1


def test_the_button_still_needs_user_presence(world: World) -> None:
    register(world.client, "alice")
    sign_in(world.client)
    options = script_post(world.client, "/account/passkeys/options", {})
    assert "mediation" not in options.get_json()
    absent = Passkey(present=False).register(options.get_json(), ORIGIN)
    refused = script_post(world.client, "/account/passkeys", absent)
    assert refused.status_code == 422 and refused.get_json()["code"] == "user_presence_required"


@pytest.mark.parametrize("mediation", ["required", None, 1, "conditional "])
def test_another_mediation_is_a_field_error(world: World, mediation: object) -> None:
    register(world.client, "alice")
    sign_in(world.client)
    refused = script_post(world.client, "/account/passkeys/options", {"mediation": mediation})
    assert refused.status_code == 422
    assert set(refused.get_json()["errors"]) == {"mediation"}


def test_after_the_window_the_script_is_refused(world: World) -> None:
    register(world.client, "alice")
    sign_in(world.client)
    world.clock.advance(seconds=301)
    refused = script_post(world.client, "/account/passkeys/options", CONDITIONAL)
    assert refused.status_code == 409 and refused.get_json()["code"] == "upgrade_window_closed"
