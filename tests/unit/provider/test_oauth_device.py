"""The device authorization grant (RFC 8628) and the clients that opt in to it, through
Flask's test client on the fakes (docs/reference/oauth.md, "Device authorization")."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import pytest
from babel.support import Translations

from application.events.security_events import EVENT_TYPES, security_events_of
from application.ports import Audit, AuditEvent
from application.provider.authorization.device import PollDevice, StartDevice
from domain.clients.oauth import DEVICE_CODE, TOKEN_EXCHANGE
from domain.provider.device_flow import USER_CODE_ALPHABET, normalized_user_code, shown_user_code
from interfaces.web import TRANSLATIONS
from tests.fakes.kernel import FakeClock
from tests.fakes.provider import FakeDeviceAuthorizations, FakeOAuthGrants
from tests.support.oauth import (
    SCOPE,
    OAuthWorld,
    claims,
    csrf_of,
    device_client,
    device_flow,
    enter,
    poll,
    start,
)
from tests.support.pages import PASSWORD

pytestmark = pytest.mark.unit
NOW = datetime(2026, 5, 1, tzinfo=UTC)
TEMPLATES = Path(__file__).parents[3] / "src/interfaces/web/templates"


@pytest.fixture
def world() -> OAuthWorld:
    return OAuthWorld()


def test_clients_create_takes_grants_by_short_name_and_clients_list_shows_them(
    world: OAuthWorld,
) -> None:
    made = world.register("--confidential", "--grant", "device_code", "--grant", "token_exchange")
    assert made["grants"] == [DEVICE_CODE, TOKEN_EXCHANGE]
    listed = world.app.test_cli_runner().invoke(args=["clients", "list"])
    assert json.loads(listed.output)[-1]["grants"] == [DEVICE_CODE, TOKEN_EXCHANGE]
    assert world.register()["grants"] == []
    runner = world.app.test_cli_runner()
    public = ["clients", "create", "--name", "P", "--redirect-uri", "http://127.0.0.1/cb"]
    refused = runner.invoke(args=[*public, "--grant", "token_exchange"])
    assert refused.exit_code != 0 and "confidential" in refused.output
    unknown = runner.invoke(args=[*public, "--grant", "implicit"])
    assert unknown.exit_code != 0 and "implicit" in unknown.output


CLI = "http://127.0.0.1/cb"


def test_metadata_lists_the_device_endpoint_and_grant(world: OAuthWorld) -> None:
    found = world.client.get("/.well-known/openid-configuration").get_json()
    assert (
        found["device_authorization_endpoint"] == "http://127.0.0.1:8000/oauth/device_authorization"
    )
    assert DEVICE_CODE in found["grant_types_supported"]


def test_the_device_flow_gives_tokens_once_to_the_client_a_person_allowed(
    world: OAuthWorld,
) -> None:
    client = device_client(world)
    started = start(world, client)
    user_code = started["user_code"]
    assert re.fullmatch(r"[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}", user_code)
    assert started["verification_uri"] == "http://127.0.0.1:8000/device"
    assert (
        started["verification_uri_complete"]
        == f"{started['verification_uri']}?user_code={user_code}"
    )
    assert started["expires_in"] == 600 and started["interval"] == 5
    pending = poll(world, client, started["device_code"])
    assert pending.status_code == 400 and pending.get_json()["error"] == "authorization_pending"
    assert poll(world, client, started["device_code"]).get_json()["error"] == "slow_down"
    typed = user_code.lower().replace("-", "")  # case and dash do not matter
    shown = enter(world, typed)
    html = shown.get_data(as_text=True)
    assert shown.status_code == 200 and "TV App" in html and user_code in html
    assert "See your e-mail address" in html
    waiting = poll(world, client, started["device_code"]).get_json()["error"]
    assert waiting == "slow_down"  # not answered yet, and polled too soon again
    done = enter(world, user_code, decision="allow")
    assert done.status_code == 200 and "TV App" in done.get_data(as_text=True)
    tokens = poll(world, client, started["device_code"])
    assert tokens.status_code == 200, tokens.get_json()
    body = tokens.get_json()
    assert body["token_type"] == "Bearer" and body["scope"] == SCOPE
    access = claims(world, body["access_token"])
    assert access["aud"] == client["client_id"] and access["sub"] == access_sub(world)
    id_token = claims(world, body["id_token"])
    assert id_token["sub"] == access["sub"] and id_token["email"] == "alice@example.com"
    assert "auth_time" in id_token
    again = poll(world, client, started["device_code"])
    assert again.status_code == 400 and again.get_json()["error"] == "invalid_grant"
    refreshed = world.post_token(
        client, grant_type="refresh_token", refresh_token=body["refresh_token"]
    )
    assert refreshed.status_code == 200 and refreshed.get_json()["refresh_token"]
    info = world.client.get(
        "/oauth/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert info.status_code == 200 and info.get_json()["sub"] == access["sub"]
    kinds = [e.event for e in world.audit.events]
    assert Audit.OAUTH_DEVICE_APPROVED in kinds and Audit.OAUTH_GRANTED in kinds
    approved = next(e for e in world.audit.events if e.event is Audit.OAUTH_DEVICE_APPROVED)
    assert approved.reason == client["client_id"]
    assert enter(world, user_code).status_code == 404  # answered: no longer a request


def access_sub(world: OAuthWorld) -> str:
    (user,) = world.store.users.values()
    return user.id


def test_a_denied_request_is_access_denied_and_an_expired_one_expired_token(
    world: OAuthWorld,
) -> None:
    client = device_client(world)
    denied = start(world, client, "openid")
    assert enter(world, denied["user_code"], decision="deny").status_code == 200
    refused = poll(world, client, denied["device_code"])
    assert refused.status_code == 400 and refused.get_json()["error"] == "access_denied"
    assert Audit.OAUTH_DEVICE_DENIED in [e.event for e in world.audit.events]
    late = start(world, client, "openid")
    world.clock.advance(minutes=11)
    expired = poll(world, client, late["device_code"])
    assert expired.status_code == 400 and expired.get_json()["error"] == "expired_token"
    assert enter(world, late["user_code"]).status_code == 404


def test_only_clients_that_opted_in_use_the_device_flow(world: OAuthWorld) -> None:
    plain = world.register(name="Web App")
    refused = world.client.post(
        "/oauth/device_authorization", data={"client_id": plain["client_id"]}
    )
    assert refused.status_code == 400 and refused.get_json()["error"] == "unauthorized_client"
    polled = poll(world, plain, "x" * 64 + ".y")
    assert polled.status_code == 400 and polled.get_json()["error"] == "unauthorized_client"
    client = device_client(world)
    started = start(world, client, "openid")
    other = device_client(world)
    stolen = poll(world, other, started["device_code"])
    assert stolen.status_code == 400 and stolen.get_json()["error"] == "invalid_grant"
    for bad in ("", "nodot", "é" * 70, "a" * 64 + "." + "b" * 43):
        answer = poll(world, client, bad)
        assert answer.status_code == 400, bad
    unknown = world.client.post("/oauth/device_authorization", data={"client_id": "nobody"})
    assert unknown.status_code in (400, 401) and unknown.get_json()["error"] == "invalid_client"


def test_the_device_page_signs_in_first_and_counts_wrong_codes_as_password_guesses(
    world: OAuthWorld,
) -> None:
    world.client.post(
        "/sign-out",
        data={"csrf_token": csrf_of(world.client.get("/account").get_data(as_text=True))},
    )
    away = world.client.get("/device?user_code=BCDF-GHJK")
    assert away.status_code == 303
    assert away.headers["Location"] == "/sign-in?" + urlencode(
        {"next": "/device?user_code=BCDF-GHJK"}
    )
    world.client.post(
        "/sign-in",
        data={
            "username": "alice",
            "password": PASSWORD,
            "csrf_token": csrf_of(world.client.get("/sign-in").get_data(as_text=True)),
        },
    )
    page = world.client.get("/device?user_code=BCDF-GHJK").get_data(as_text=True)
    assert 'value="BCDF-GHJK"' in page
    client = device_client(world)
    started = start(world, client, "openid")
    forged = world.client.post(
        "/device", data={"user_code": started["user_code"], "decision": "allow"}
    )
    assert forged.status_code == 403
    wrong = enter(world, "BCDF-GHJK")
    assert wrong.status_code == 404 and "No request has this code" in wrong.get_data(as_text=True)
    statuses = [enter(world, "BCDF-GHJK").status_code for _ in range(12)]
    assert statuses[-1] == 429 and set(statuses) <= {404, 429}
    blocked = enter(world, started["user_code"], decision="allow")
    assert blocked.status_code == 429  # the budget is spent: even the right code waits
    assert poll(world, client, started["device_code"]).get_json()["error"] in (
        "authorization_pending",
        "slow_down",
    )


def test_the_device_page_speaks_spanish(world: OAuthWorld) -> None:
    page = world.client.get("/device", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Conectar un dispositivo" in page


def test_a_user_code_is_eight_unambiguous_letters_compared_without_case_or_dashes() -> None:
    assert normalized_user_code("bcdf-ghjk") == "BCDFGHJK"
    assert normalized_user_code(" BCDF GHJK ") == "BCDFGHJK"
    for wrong in ("BCDF-GHJ", "BCDF-GHJKL", "ABCD-EFGH", "BCDF-GHJ1", "BCDF-GHJ\u212a", ""):
        assert normalized_user_code(wrong) is None, wrong  # vowels, digits, look-alikes
    assert shown_user_code("BCDFGHJK") == "BCDF-GHJK"
    assert len(USER_CODE_ALPHABET) == 20 and not set("AEIOUY01") & set(USER_CODE_ALPHABET)


def test_the_device_page_keeps_the_pages_csp_and_a_resource_is_refused(world: OAuthWorld) -> None:
    page = world.client.get("/device")
    account = world.client.get("/account")
    assert page.headers["Content-Security-Policy"] == account.headers["Content-Security-Policy"]
    client = device_client(world)
    asked = world.client.post(
        "/oauth/device_authorization",
        data={"client_id": client["client_id"], "resource": "https://api.example.com/"},
    )
    assert asked.status_code == 400 and asked.get_json()["error"] == "invalid_target"


def test_a_client_polling_too_fast_widens_the_interval_up_to_a_minute() -> None:
    grants = FakeOAuthGrants()
    devices, clock = FakeDeviceAuthorizations(grants), FakeClock()
    flow = device_flow(devices, clock)
    started = flow.start_device(StartDevice("c1", "openid"))

    def polled() -> str:
        return flow.poll_device(PollDevice(started.device_code, "c1")).outcome

    answers = [polled() for _ in range(15)]
    assert answers[0] == "pending" and set(answers[1:]) == {"slow_down"}
    (request,) = devices.requests.values()
    assert request.interval == 60  # five seconds a slow_down, up to a minute
    assert polled() == "slow_down" and devices.requests[request.key].interval == 60


@pytest.mark.parametrize(
    ("event", "kind", "spanish"),
    [
        (Audit.OAUTH_DEVICE_APPROVED, "oauth.device_approved", "Se permitió iniciar sesión"),
        (Audit.OAUTH_DEVICE_DENIED, "oauth.device_denied", "Se denegó la solicitud"),
    ],
)
def test_a_device_answer_is_a_security_event_named_on_the_activity_page(
    event: Audit, kind: str, spanish: str
) -> None:
    (stored,) = security_events_of(AuditEvent(event, user_id="u1", reason="c1"), at=NOW)
    assert stored.type == kind and kind in EVENT_TYPES  # so webhooks may subscribe to it
    template = (TEMPLATES / "accounts/_event_names.html").read_text()
    assert f'"{kind}": N_(' in template
    catalogue = Translations.load(str(TRANSLATIONS), ["es"])
    name = template.split(f'"{kind}": N_("')[1].split('")')[0]
    assert catalogue.gettext(name).startswith(spanish)
