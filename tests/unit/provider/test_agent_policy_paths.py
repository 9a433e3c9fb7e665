"""An org's agent policy on the fakes, at every grant that acts in the org: the authorization
request that names the org and the consent form that picks it (a page, or ``access_denied``
back to the app), the code's redemption, a refresh and a token exchange after the policy
changed (``invalid_grant``); the org's own apps whatever its mode; a grant in no org is not
the org's to refuse (docs/decisions/0548-an-orgs-agent-policy.md)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from domain.clients.oauth import DEVICE_CODE, OAuthClient
from domain.provider.token_exchange import ACCESS_TOKEN
from domain.provider.token_exchange import GRANT_TYPE as TOKEN_EXCHANGE_GRANT
from domain.signin.active_org import ActiveOrg, AgentMode, AgentPolicy
from interfaces.provider.server.assembly import token_grants
from tests.support.oauth import (
    REDIRECT,
    OAuthWorld,
    claims,
    csrf_of,
    device_client,
    enter,
    poll,
    redirected,
    start,
)

pytestmark = pytest.mark.unit

SCOPE = "openid profile organization offline_access"
APP_HOST = urlsplit(REDIRECT).hostname or ""
ACME = ActiveOrg(id="org1Xq_AcmeId00", slug="acme", roles=("member",), version=1, name="Acme")
NONE = AgentPolicy(AgentMode.NONE)
LISTED = AgentPolicy(AgentMode.ALLOW_LIST, (APP_HOST,))
OTHERS = AgentPolicy(AgentMode.ALLOW_LIST, ("other.example",))
NOT_ALLOWED = "Acme does not allow Example App to act for its members."


@pytest.fixture
def world() -> OAuthWorld:
    return OAuthWorld()


def set_policy(world: OAuthWorld, policy: AgentPolicy) -> None:
    """alice a member of acme, whose policy is ``policy``, as the per-request read sees it."""
    alice = next(u for u in world.store.users.values() if u.shown_name == "alice")
    world.store.active_orgs[(ACME.id, alice.id)] = replace(ACME, agents=policy)


def authorize(world: OAuthWorld, app: dict[str, Any], **params: str) -> Any:
    challenge = create_s256_code_challenge("v" * 50)
    return world.authorize(
        app["client_id"],
        scope=SCOPE,
        code_challenge=challenge,
        code_challenge_method="S256",
        **params,
    )


def denied(answer: Any) -> dict[str, str]:
    query = redirected(answer)
    assert query["error"] == "access_denied" and query["state"] == "st4te", query
    return query


def test_naming_an_org_that_does_not_allow_the_app_is_a_page_then_access_denied(
    world: OAuthWorld,
) -> None:
    app = world.register()
    set_policy(world, NONE)
    page = authorize(world, app, organization="acme")
    assert page.status_code == 403
    html = page.get_data(as_text=True)
    assert NOT_ALLOWED in html
    back = re.search(r'<a href="([^"]+)">Back to Example App</a>', html)
    assert back is not None
    location = back.group(1).replace("&amp;", "&")
    assert location.startswith(REDIRECT + "?")
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert query["error"] == "access_denied" and query["state"] == "st4te"
    silent = authorize(world, app, organization="acme", prompt="none")
    assert "does not allow" in denied(silent)["error_description"]


def test_picking_such_an_org_on_the_consent_page_is_refused(world: OAuthWorld) -> None:
    app = world.register()
    set_policy(world, OTHERS)
    page = authorize(world, app)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    action = re.search(r'<form method="post" action="([^"]+)"', html)
    assert action is not None
    form = {"decision": "allow", "csrf_token": csrf_of(html), "organization": ACME.id}
    answer = world.client.post(action.group(1).replace("&amp;", "&"), data=form)
    assert answer.status_code == 403 and NOT_ALLOWED in answer.get_data(as_text=True)


def test_an_allow_list_naming_the_apps_host_lets_it_in_until_it_no_longer_does(
    world: OAuthWorld,
) -> None:
    app = world.register()
    set_policy(world, LISTED)
    tokens = world.tokens(app, scope=SCOPE, organization="acme")
    refreshed = world.post_token(
        app, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )
    assert refreshed.status_code == 200, refreshed.get_json()
    set_policy(world, OTHERS)  # the owners changed it since
    again = world.post_token(
        app, grant_type="refresh_token", refresh_token=refreshed.get_json()["refresh_token"]
    )
    assert again.status_code == 400 and again.get_json()["error"] == "invalid_grant"
    assert "agent policy" in again.get_json()["error_description"]


def test_a_code_given_before_the_policy_changed_gives_no_tokens(world: OAuthWorld) -> None:
    app = world.register()
    set_policy(world, LISTED)
    code, verifier = world.code(app["client_id"], scope=SCOPE, organization="acme")
    set_policy(world, NONE)
    answer = world.exchange(app, code, verifier)
    assert answer.status_code == 400 and answer.get_json()["error"] == "invalid_grant"


def test_an_exchange_in_an_org_that_no_longer_allows_the_client_is_refused(
    world: OAuthWorld,
) -> None:
    api = "https://api.example.com/"
    service = world.register(
        "--confidential", "--grant", "token_exchange", "--resource", api, name="Orders"
    )
    set_policy(world, LISTED)
    person = world.tokens(service, scope=SCOPE, organization="acme", resource=api)
    body = {
        "grant_type": TOKEN_EXCHANGE_GRANT,
        "subject_token": person["access_token"],
        "subject_token_type": ACCESS_TOKEN,
        "resource": api,
    }
    assert world.post_token(service, **body).status_code == 200
    set_policy(world, OTHERS)
    refused = world.post_token(service, **body)
    assert refused.status_code == 400 and refused.get_json()["error"] == "invalid_grant"


def test_a_grant_in_no_org_is_not_the_orgs_to_refuse(world: OAuthWorld) -> None:
    app = world.register()
    set_policy(world, NONE)
    tokens = world.tokens(app)  # no scope organization: the person does not act in acme
    assert "access_token" in tokens


def test_the_org_whose_policy_lists_no_host_keeps_its_own_apps() -> None:
    own = OAuthClient.new(
        client_id="c1",
        name="Own",
        redirect_uris=("https://own.acme.example/cb",),
        secret=None,
        scopes=("openid",),
        now=datetime.now(UTC),
        org_id=ACME.id,
    )
    acme = replace(ACME, agents=NONE)
    assert own.acts_in(acme)
    assert not replace(own, org_id="another").acts_in(acme)
    assert replace(own, org_id=None).acts_in(replace(ACME, agents=AgentPolicy()))


def test_the_page_speaks_spanish(world: OAuthWorld) -> None:
    app = world.register()
    set_policy(world, NONE)
    world.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es"
    page = authorize(world, app, organization="acme")
    assert page.status_code == 403
    html = page.get_data(as_text=True)
    assert "Acme no permite que Example App actúe por sus miembros." in html
    assert ">Volver a Example App</a>" in html


def test_a_device_grant_carries_no_org_so_the_policy_has_nothing_to_refuse(
    world: OAuthWorld,
) -> None:
    tv = device_client(world)
    set_policy(world, NONE)
    started = start(world, tv, scope="openid organization")
    assert enter(world, started["user_code"], decision="allow").status_code == 200
    tokens = poll(world, tv, started["device_code"]).get_json()
    assert "org_id" not in claims(world, tokens["access_token"])


# Each grant of the token endpoint, and the walk above that shows the policy holds at it (or
# why none is needed): a grant added without one fails here.
WALKED = {
    "authorization_code": test_a_code_given_before_the_policy_changed_gives_no_tokens,
    "refresh_token": test_an_allow_list_naming_the_apps_host_lets_it_in_until_it_no_longer_does,
    TOKEN_EXCHANGE_GRANT: test_an_exchange_in_an_org_that_no_longer_allows_the_client_is_refused,
    DEVICE_CODE: test_a_device_grant_carries_no_org_so_the_policy_has_nothing_to_refuse,
    "client_credentials": None,  # a client's own token: no person acts, in no org of theirs
}
# The units' grants are walked with them: the agents' (tests/unit/agents/test_id_jag_minting.py)


def test_every_grant_of_the_token_endpoint_is_walked() -> None:
    registered = {str(grant.GRANT_TYPE) for grant, _ in token_grants()}  # the core's
    assert registered == set(WALKED)
