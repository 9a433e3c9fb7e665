"""The OpenID provider's scope ``organization`` on the fakes: the consent page's choice of
one of the person's orgs, or ``organization=`` naming it, and the org's claims in the ID
token, the access token and userinfo, read again at each (docs/reference/oauth.md)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from domain.signin.active_org import ActiveOrg
from domain.signin.mfa import TotpFactor
from tests.support.api import bearer
from tests.support.oauth import OAuthWorld, claims, csrf_of, redirected

pytestmark = pytest.mark.unit

SCOPE = "openid profile organization offline_access"
ACME = ActiveOrg(
    id="org1Xq_AcmeId00",
    slug="acme",
    roles=("admin",),
    version=2,
    name="Acme Corp",
    permissions=("invoices:read",),
)
GLOBEX = ActiveOrg(
    id="org2Xq_GlobexId", slug="globex", roles=("member",), version=1, name="Globex Inc."
)


@pytest.fixture
def world() -> OAuthWorld:
    w = OAuthWorld()
    alice = next(u for u in w.store.users.values() if u.shown_name == "alice")
    for org in (ACME, GLOBEX):
        w.store.active_orgs[(org.id, alice.id)] = org
    return w


@pytest.fixture
def app(world: OAuthWorld) -> dict[str, Any]:
    return world.register()


def org_claims(found: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in found.items() if k.startswith("org_")}


def picked(world: OAuthWorld, app: dict[str, Any], org: str | None, **params: str) -> Any:
    """Through the consent page, picking ``org`` (None: no choice sent)."""
    verifier = "v" * 50
    page = world.authorize(
        app["client_id"],
        scope=SCOPE,
        code_challenge=create_s256_code_challenge(verifier),
        code_challenge_method="S256",
        **params,
    )
    assert page.status_code == 200, page.get_data(as_text=True)
    html = page.get_data(as_text=True)
    action = re.search(r'<form method="post" action="([^"]+)"', html)
    assert action is not None
    form = {"decision": "allow", "csrf_token": csrf_of(html)}
    if org is not None:
        form["organization"] = org
    answer = world.client.post(action.group(1).replace("&amp;", "&"), data=form)
    return answer, verifier, html


def test_the_consent_page_offers_the_persons_orgs_and_the_tokens_carry_the_pick(
    world: OAuthWorld, app: dict[str, Any]
) -> None:
    answer, verifier, html = picked(world, app, GLOBEX.id)
    assert 'value="org1Xq_AcmeId00"' in html and 'value="org2Xq_GlobexId"' in html
    code = redirected(answer)["code"]
    tokens = world.exchange(app, code, verifier).get_json()
    expected = {
        "org_id": GLOBEX.id,
        "org_slug": "globex",
        "org_roles": ["member"],
        "org_permissions": [],
    }
    assert org_claims(claims(world, tokens["id_token"])) == expected
    assert org_claims(claims(world, tokens["access_token"])) == expected
    info = world.client.get("/oauth/userinfo", headers=bearer(tokens["access_token"]))
    assert org_claims(info.get_json()) == expected


def test_the_request_names_the_org_and_its_claims_follow_the_membership(
    world: OAuthWorld, app: dict[str, Any]
) -> None:
    tokens = world.tokens(app, scope=SCOPE, organization="acme")
    expected = {
        "org_id": ACME.id,
        "org_slug": "acme",
        "org_roles": ["admin"],
        "org_permissions": ["invoices:read"],
    }
    assert org_claims(claims(world, tokens["id_token"])) == expected
    alice = next(u for u in world.store.users.values() if u.shown_name == "alice")
    moved = replace(ACME, roles=("owner",), version=3, permissions=("a:b", "invoices:read"))
    world.store.active_orgs[(ACME.id, alice.id)] = moved
    info = world.client.get("/oauth/userinfo", headers=bearer(tokens["access_token"]))
    assert info.get_json()["org_roles"] == ["owner"]  # read again, not the token's
    assert info.get_json()["org_permissions"] == ["a:b", "invoices:read"]
    refreshed = world.post_token(
        app, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    ).get_json()
    assert claims(world, refreshed["access_token"])["org_roles"] == ["owner"]
    del world.store.active_orgs[(ACME.id, alice.id)]
    info = world.client.get("/oauth/userinfo", headers=bearer(tokens["access_token"]))
    assert org_claims(info.get_json()) == {}  # removed: no org claims any more
    again = world.post_token(
        app, grant_type="refresh_token", refresh_token=refreshed["refresh_token"]
    ).get_json()
    assert org_claims(claims(world, again["access_token"])) == {}


def test_the_choice_names_the_orgs_and_preselects_none(
    world: OAuthWorld, app: dict[str, Any]
) -> None:
    """Each org by its name, its slug beside it; no radio checked: the person chooses."""
    _, _, html = picked(world, app, GLOBEX.id)
    assert "Acme Corp" in html and "Globex Inc." in html
    assert '<span class="hint">acme</span>' in html
    radios = re.findall(r'<input type="radio"[^>]*>', html)
    assert len(radios) == 2 and not any("checked" in radio for radio in radios)
    assert all(" required" in radio for radio in radios)
    labels = re.findall(r'<label for="(organization-\d)">', html)
    ids = re.findall(r'<input type="radio" id="(organization-\d)"', html)
    assert labels == ids == ["organization-1", "organization-2"]


def test_allowing_without_a_choice_answers_the_page_again_asking_for_one(
    world: OAuthWorld, app: dict[str, Any]
) -> None:
    answer, _, _ = picked(world, app, None)
    assert answer.status_code == 400 and answer.mimetype == "text/html"
    again = answer.get_data(as_text=True)
    assert 'role="alert">Choose one of your organizations.</p>' in again
    assert again.count("Choose one of your organizations.") == 1  # beside the choice only
    assert 'aria-describedby="organization-error"' in again
    assert 'value="org1Xq_AcmeId00"' in again and 'value="org2Xq_GlobexId"' in again
    form = {"decision": "allow", "csrf_token": csrf_of(again), "organization": ACME.id}
    action = re.search(r'<form method="post" action="([^"]+)"', again)
    assert action is not None
    code = world.client.post(action.group(1).replace("&amp;", "&"), data=form)
    assert "code" in redirected(code)  # chosen on the page again: on to the app


def test_a_non_member_named_goes_back_with_access_denied(
    world: OAuthWorld, app: dict[str, Any]
) -> None:
    for org in ("initech", "org3NotMineXyz0"):
        answer = world.authorize(
            app["client_id"],
            scope=SCOPE,
            organization=org,
            code_challenge="c" * 43,
            code_challenge_method="S256",
        )
        query = redirected(answer)
        assert query["error"] == "access_denied" and query["state"] == "st4te"
        assert "iss" in query


def test_a_forged_pick_is_refused_as_well(world: OAuthWorld, app: dict[str, Any]) -> None:
    answer, _, _ = picked(world, app, "org3NotMineXyz0")
    assert redirected(answer)["error"] == "access_denied"


def test_the_pick_is_asked_each_time_even_after_consent(
    world: OAuthWorld, app: dict[str, Any]
) -> None:
    picked(world, app, ACME.id)
    again = world.authorize(
        app["client_id"], scope=SCOPE, code_challenge="c" * 43, code_challenge_method="S256"
    )
    assert again.status_code == 200 and "organization" in again.get_data(as_text=True)
    silent = world.authorize(
        app["client_id"],
        scope=SCOPE,
        prompt="none",
        code_challenge="c" * 43,
        code_challenge_method="S256",
    )
    assert redirected(silent)["error"] == "consent_required"


def test_without_the_scope_nothing_changes(world: OAuthWorld, app: dict[str, Any]) -> None:
    tokens = world.tokens(app, organization="acme")  # the scope not asked: ignored
    assert org_claims(claims(world, tokens["id_token"])) == {}
    assert org_claims(claims(world, tokens["access_token"])) == {}


def test_discovery_lists_the_scope(world: OAuthWorld) -> None:
    found = world.client.get("/.well-known/openid-configuration").get_json()
    assert "organization" in found["scopes_supported"]


def test_an_org_requiring_a_second_factor_is_picked_only_with_one(
    world: OAuthWorld, app: dict[str, Any]
) -> None:
    """Named or picked, the org becomes active for the app as for a session: without the
    second factor it requires, the request goes back with access_denied (docs/decisions/
    0382-an-org-becomes-active-under-its-rules-everywhere.md)."""
    alice = next(u for u in world.store.users.values() if u.shown_name == "alice")
    world.store.active_orgs[(ACME.id, alice.id)] = replace(ACME, require_mfa=True)
    challenge = {"code_challenge": "c" * 43, "code_challenge_method": "S256"}
    query = redirected(
        world.authorize(app["client_id"], scope=SCOPE, organization="acme", **challenge)
    )
    assert query["error"] == "access_denied" and query["state"] == "st4te"
    assert "second factor" in query["error_description"]
    answer, _, _ = picked(world, app, ACME.id)
    assert redirected(answer)["error"] == "access_denied"
    # Another org of hers, without the rule, is picked as ever.
    answer, _, _ = picked(world, app, GLOBEX.id)
    assert "code" in redirected(answer)
    now = datetime.now(UTC)
    world.store.factors[alice.id] = TotpFactor(alice.id, "s", True, now, now)
    tokens = world.tokens(app, scope=SCOPE, organization="acme")
    assert claims(world, tokens["id_token"])["org_id"] == ACME.id


def test_discovery_lists_every_claim_the_provider_issues(world: OAuthWorld) -> None:
    """``claims_supported`` (OpenID Connect Discovery §3): each claim of an ID token and of
    userinfo with every scope, the org's among them."""
    app = world.register()
    alice = next(u for u in world.store.users.values() if u.shown_name == "alice")
    world.store.users[alice.id] = replace(alice, last_name="Liddell", locale="en")
    scope = "openid profile email roles organization offline_access"
    tokens = world.tokens(app, scope=scope, organization="acme", nonce="n0nce")
    issued = set(claims(world, tokens["id_token"]))
    info = world.client.get("/oauth/userinfo", headers=bearer(tokens["access_token"]))
    issued |= set(info.get_json())
    assert {"org_id", "org_slug", "org_roles", "org_permissions", "email", "roles"} <= issued
    found = world.client.get("/.well-known/openid-configuration").get_json()
    assert issued - set(found["claims_supported"]) == set()
