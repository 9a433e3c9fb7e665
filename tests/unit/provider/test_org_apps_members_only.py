"""An org's app for its members only, on the fakes: the default for an org's app, set on
creation, by PATCH and on the command line; a person who is not a member is refused at the
authorization endpoint (a page of its own), on the device page, and gets no token from a code,
a refresh, a device poll or a token exchange; a pushed request goes the same way
(docs/reference/orgs.md, "Members only"; docs/decisions/0467-an-orgs-app-is-for-its-members.md)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from domain.clients.oauth import OAuthClient
from domain.provider.token_exchange import ACCESS_TOKEN
from domain.provider.token_exchange import GRANT_TYPE as TOKEN_EXCHANGE_GRANT
from domain.signin.active_org import ActiveOrg
from tests.support.api import bearer, login, register
from tests.support.oauth import (
    REDIRECT,
    OAuthWorld,
    browsing_member,
    device_client,
    enter,
    poll,
    redirected,
    start,
)

pytestmark = pytest.mark.unit
Auth = dict[str, str]
NOW = datetime(2026, 11, 1, tzinfo=UTC)
APP: dict[str, object] = {
    "name": "Acme billing",
    "redirect_uris": [REDIRECT],
    "confidential": True,
    "scopes": ["openid", "profile", "email", "offline_access"],
}
REFUSED = "Only members of Acme can sign in to Acme billing."


@pytest.fixture
def world() -> OAuthWorld:
    return OAuthWorld()


def owner_of_acme(world: OAuthWorld) -> tuple[Auth, str]:
    """olga, owner of a new org acme: her bearer header and the org's id."""
    register(world.client, "olga")
    auth = bearer(login(world.client, "olga"))
    made = world.client.post("/orgs", json={"slug": "acme", "name": "Acme"}, headers=auth)
    assert made.status_code == 201, made.get_json()
    org_id: str = made.get_json()["id"]
    return auth, org_id


def org_app(world: OAuthWorld, auth: Auth, **fields: object) -> dict[str, Any]:
    made = world.client.post("/orgs/acme/clients", json=APP | fields, headers=auth)
    assert made.status_code == 201, made.get_json()
    found: dict[str, Any] = made.get_json()
    return found


def leave(world: OAuthWorld, org_id: str) -> None:
    """alice's membership ends, as the per-request read sees it."""
    alice = next(u for u in world.store.users.values() if u.shown_name == "alice")
    del world.store.active_orgs[(org_id, alice.id)]


def refresh(world: OAuthWorld, app: dict[str, Any], token: str) -> Any:
    return world.post_token(app, grant_type="refresh_token", refresh_token=token)


def test_an_orgs_app_is_for_its_members_by_default_and_patched(world: OAuthWorld) -> None:
    auth, _ = owner_of_acme(world)
    app = org_app(world, auth)
    assert app["members_only"] is True
    assert org_app(world, auth, members_only=False)["members_only"] is False
    path = f"/orgs/acme/clients/{app['client_id']}"
    uris = ["https://billing.acme.example/cb", REDIRECT]
    body = {"members_only": False, "redirect_uris": uris, "name": "Billing"}
    patched = world.client.patch(path, json=body, headers=auth)
    assert patched.status_code == 200, patched.get_json()
    found = patched.get_json()
    assert (found["members_only"], found["redirect_uris"], found["name"]) == (
        False,
        uris,
        "Billing",
    )
    listed = world.client.get("/orgs/acme/clients", headers=auth).get_json()["items"]
    assert listed[0]["members_only"] is False and listed[0]["redirect_uris"] == uris
    kept = world.client.patch(path, json={"members_only": True}, headers=auth).get_json()
    assert (kept["members_only"], kept["redirect_uris"]) == (True, uris)  # the rest kept


def test_a_patch_is_checked_and_only_the_orgs_admins_make_it(world: OAuthWorld) -> None:
    auth, _ = owner_of_acme(world)
    app = org_app(world, auth)
    path = f"/orgs/acme/clients/{app['client_id']}"
    bad_bodies: list[dict[str, object]] = [
        {"members_only": None},
        {"redirect_uris": []},
        {"members_only": "yes"},
    ]
    for bad in bad_bodies:
        answer = world.client.patch(path, json=bad, headers=auth)
        assert answer.status_code == 422, (bad, answer.get_json())
    wrong = world.client.patch(path, json={"redirect_uris": ["ftp://x.example"]}, headers=auth)
    assert wrong.status_code == 422 and wrong.get_json()["code"] == "invalid_redirect_uri"
    service = world.register(name="The service's")
    other = world.client.patch(
        f"/orgs/acme/clients/{service['client_id']}", json={"members_only": True}, headers=auth
    )
    assert other.status_code == 404 and other.get_json()["code"] == "client_not_found"
    register(world.client, "bob")
    stranger = bearer(login(world.client, "bob"))
    refused = world.client.patch(path, json={"members_only": False}, headers=stranger)
    assert refused.status_code == 404 and refused.get_json()["code"] == "org_not_found"


def test_a_person_in_no_org_is_refused_with_a_page_and_no_code(world: OAuthWorld) -> None:
    auth, _ = owner_of_acme(world)
    app = org_app(world, auth)
    challenge = {"code_challenge": "x" * 43, "code_challenge_method": "S256"}
    answer = world.authorize(app["client_id"], **challenge)
    assert answer.status_code == 403
    page = answer.get_data(as_text=True)
    assert REFUSED in page and "alice" in page and "Location" not in answer.headers
    spanish = world.client.get(
        "/oauth/authorize?"
        + urlencode(
            {
                "response_type": "code",
                "client_id": app["client_id"],
                "redirect_uri": REDIRECT,
                "scope": "openid",
                **challenge,
            }
        ),
        headers={"Accept-Language": "es"},
    )
    assert spanish.status_code == 403
    assert "Solo los miembros de Acme pueden iniciar sesión en Acme billing." in spanish.get_data(
        as_text=True
    )
    silent = world.authorize(app["client_id"], prompt="none", **challenge)
    assert redirected(silent)["error"] == "access_denied"  # no page may be shown


def test_an_app_open_to_all_and_the_services_own_let_anyone_in(world: OAuthWorld) -> None:
    auth, _ = owner_of_acme(world)
    assert "access_token" in world.tokens(org_app(world, auth, members_only=False))
    assert "access_token" in world.tokens(world.register("--confidential"))


def test_a_member_gets_tokens_and_refreshes_them_no_more_once_gone(world: OAuthWorld) -> None:
    auth, org_id = owner_of_acme(world)
    app = org_app(world, auth)
    browsing_member(world, org_id)
    tokens = world.tokens(app)
    again = refresh(world, app, tokens["refresh_token"])
    assert again.status_code == 200, again.get_json()
    kept = again.get_json()["refresh_token"]
    leave(world, org_id)
    refused = refresh(world, app, kept)
    assert refused.status_code == 400 and refused.get_json()["error"] == "invalid_grant"
    assert "members only" in refused.get_json()["error_description"]
    browsing_member(world, org_id)  # an earlier membership: joined before the grant
    alice = next(u for u in world.store.users.values() if u.shown_name == "alice")
    rejoined = world.store.active_orgs[(org_id, alice.id)]
    world.store.active_orgs[(org_id, alice.id)] = replace(
        rejoined, joined_at=datetime.now(UTC) + timedelta(days=1)
    )  # added again after the grant was made: a new membership
    later = refresh(world, app, kept)
    assert later.status_code == 400 and later.get_json()["error"] == "invalid_grant"


def test_a_code_or_a_consent_after_leaving_gives_nothing(world: OAuthWorld) -> None:
    auth, org_id = owner_of_acme(world)
    app = org_app(world, auth)
    browsing_member(world, org_id)
    code, verifier = world.code(app["client_id"])
    leave(world, org_id)
    answer = world.exchange(app, code, verifier)
    assert answer.status_code == 400 and answer.get_json()["error"] == "invalid_grant"
    browsing_member(world, org_id)
    challenge = create_s256_code_challenge("v" * 43)
    page = world.authorize(
        app["client_id"], code_challenge=challenge, code_challenge_method="S256", prompt="consent"
    )
    assert page.status_code == 200  # the consent page, to a member
    leave(world, org_id)
    allowed = world.consent(page)
    assert allowed.status_code == 403 and REFUSED in allowed.get_data(as_text=True)


def test_a_pushed_request_of_a_non_member_is_refused_with_the_page(world: OAuthWorld) -> None:
    auth, _ = owner_of_acme(world)
    app = org_app(world, auth)
    pushed = world.client.post(
        "/oauth/par",
        data={
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "response_type": "code",
            "redirect_uri": REDIRECT,
            "scope": "openid",
            "code_challenge": create_s256_code_challenge("v" * 43),
            "code_challenge_method": "S256",
        },
    )
    assert pushed.status_code == 201, pushed.get_json()
    query = {"client_id": app["client_id"], "request_uri": pushed.get_json()["request_uri"]}
    arrival = world.client.get("/oauth/authorize?" + urlencode(query))
    assert arrival.status_code == 303
    answer = world.client.get(arrival.headers["Location"])
    assert answer.status_code == 403 and REFUSED in answer.get_data(as_text=True)


def test_the_device_page_refuses_a_non_member_and_a_poll_after_leaving(
    world: OAuthWorld,
) -> None:
    _, org_id = owner_of_acme(world)
    tv = device_client(world, "--org", "acme")
    assert tv["members_only"] is True
    started = start(world, tv)
    shown = enter(world, started["user_code"])
    assert shown.status_code == 403
    assert "Only the members of the organization that registered this app may use it." in (
        shown.get_data(as_text=True)
    )
    browsing_member(world, org_id)
    assert enter(world, started["user_code"], decision="allow").status_code == 200
    leave(world, org_id)
    polled = poll(world, tv, started["device_code"])
    assert polled.status_code == 400 and polled.get_json()["error"] == "access_denied"
    open_tv = device_client(world, "--org", "acme", "--open-to-all")
    assert open_tv["members_only"] is False
    anyone = start(world, open_tv)
    assert enter(world, anyone["user_code"], decision="allow").status_code == 200
    assert "access_token" in poll(world, open_tv, anyone["device_code"]).get_json()


def test_a_token_exchange_for_a_person_gone_from_the_org_is_refused(world: OAuthWorld) -> None:
    _, org_id = owner_of_acme(world)
    api = "https://api.acme.example"
    described = ("--scope", "api:read", "--description", "api:read", "Read")
    runner = world.app.test_cli_runner()
    for args in (["resources", "add", api, *described], ["resources", "allow", api, "acme"]):
        assert runner.invoke(args=args).exit_code == 0
    service = world.register(
        "--org", "acme", "--confidential", "--grant", "token_exchange", "--resource", api
    )
    browsing_member(world, org_id)
    person_token = world.tokens(service, resource=api)["access_token"]
    body = {
        "grant_type": TOKEN_EXCHANGE_GRANT,
        "subject_token": person_token,
        "subject_token_type": ACCESS_TOKEN,
        "resource": api,
    }
    assert world.post_token(service, **body).status_code == 200
    leave(world, org_id)
    refused = world.post_token(service, **body)
    assert refused.status_code == 400 and refused.get_json()["error"] == "invalid_grant"


def test_the_cli_shows_members_only_of_an_orgs_app(world: OAuthWorld) -> None:
    owner_of_acme(world)
    runner = world.app.test_cli_runner()
    base = ["clients", "create", "--name", "A", "--redirect-uri", REDIRECT, "--org", "acme"]
    assert json.loads(runner.invoke(args=base).output)["members_only"] is True
    opened = json.loads(runner.invoke(args=[*base, "--open-to-all"]).output)
    assert opened["members_only"] is False
    service = json.loads(runner.invoke(args=base[:-2]).output)
    assert "members_only" not in service and "org_id" not in service


def client(org_id: str | None, members_only: bool = True) -> OAuthClient:
    return OAuthClient.new(
        client_id="c1",
        name="App",
        redirect_uris=(REDIRECT,),
        secret=None,
        scopes=(),
        now=NOW,
        org_id=org_id,
        members_only=members_only,
    )


def test_admits_a_member_and_for_a_grant_the_membership_it_was_made_in() -> None:
    member = ActiveOrg("acme", "acme", ("member",), 1, joined_at=NOW)
    other = ActiveOrg("globex", "globex", ("member",), 1, joined_at=NOW)
    app = client("acme")
    assert app.members_only and app.admits(member) and app.admits(member, NOW)
    assert not app.admits(None) and not app.admits(other)
    assert not app.admits(member, NOW - timedelta(seconds=1))  # joined after the grant
    assert client(None).members_only is False and client(None).admits(None)  # the service's
    assert client("acme", members_only=False).admits(None)
    assert client(None).edited(members_only=True).members_only is False
    assert app.edited(members_only=False).admits(None)
