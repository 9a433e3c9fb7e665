"""firegate as an OpenID Connect provider, on the fakes (docs/reference/oauth.md): the code
flow with PKCE, consent, refresh rotation, userinfo, revocation, introspection, and each
refusal of docs/security.md ("OpenID Connect provider") in its own test."""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import re
import secrets
import threading
import urllib.request
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.jwk import KeySet
from werkzeug.test import TestResponse

from application.clients.api_resources import CatalogueCache
from application.clients.clients import AdminCreateClient, ClientRegistry, CreateClient
from application.clients.services import ClientServices
from application.ports import Audit
from application.provider.grants import LiveGrant
from application.provider.services import ProviderServices
from application.signin.authentication import Actor
from domain.clients.oauth import SCOPES
from domain.errors import PermissionDenied
from tests.fakes.accounts import FakeUserRepository
from tests.fakes.clients import FakeApiResources, FakeOAuthClients
from tests.fakes.kernel import FakeClock
from tests.fakes.orgs import FakeOrgRepository
from tests.support.oauth import REDIRECT, OAuthWorld, claims, csrf_of, redirected
from tests.support.pages import PASSWORD, sign_up

API = "https://api.example.com/"  # a resource server's URL (RFC 8707 ``resource``)

pytestmark = pytest.mark.unit


@pytest.fixture
def world() -> OAuthWorld:
    return OAuthWorld()


@pytest.fixture
def app(world: OAuthWorld) -> dict[str, Any]:
    """A public app (a SPA or a native app): PKCE is its only proof."""
    return world.register()


def header(token: str) -> dict[str, Any]:
    segment = token.split(".", maxsplit=1)[0]
    found: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    )
    return found


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# -- the flow


def test_metadata_names_every_endpoint_with_public_url_as_issuer(world: OAuthWorld) -> None:
    for path in ("/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"):
        found = world.client.get(path).get_json()
        assert found["issuer"] == "http://127.0.0.1:8000"
        assert found["authorization_endpoint"] == "http://127.0.0.1:8000/oauth/authorize"
        assert found["code_challenge_methods_supported"] == ["S256"]
        assert found["authorization_response_iss_parameter_supported"] is True
        assert "registration_endpoint" not in found  # off by default


def test_a_signed_out_browser_is_sent_to_sign_in_and_back(
    world: OAuthWorld, app: dict[str, Any]
) -> None:
    world.client.post(
        "/sign-out",
        data={"csrf_token": csrf_of(world.client.get("/account").get_data(as_text=True))},
    )
    answer = world.authorize(
        app["client_id"], code_challenge="a" * 43, code_challenge_method="S256", login_hint="alice"
    )
    assert answer.status_code == 303
    location = answer.headers["Location"]
    assert location.startswith("/sign-in?next=%2Foauth%2Fauthorize%3F")
    assert "username=alice" in location
    page = world.client.get(location).get_data(as_text=True)
    assert 'value="alice"' in page  # the login_hint, typed in


def test_the_code_flow_gives_an_id_token_an_access_token_and_a_refresh_token(
    world: OAuthWorld, app: dict[str, Any]
) -> None:
    code, verifier = world.code(app["client_id"], nonce="n-0S6")
    answer = world.exchange(app, code, verifier)
    assert answer.status_code == 200, answer.get_json()
    tokens = answer.get_json()
    assert answer.headers["Cache-Control"] == "no-store"
    id_token = claims(world, tokens["id_token"])
    (user,) = world.store.users.values()
    assert id_token["iss"] == "http://127.0.0.1:8000"
    assert id_token["aud"] == app["client_id"]
    assert id_token["sub"] == user.id
    assert id_token["nonce"] == "n-0S6"
    assert id_token["email"] == "alice@example.com"
    assert "auth_time" in id_token and "at_hash" in id_token
    access = claims(world, tokens["access_token"])
    assert header(tokens["access_token"])["typ"] == "at+jwt"
    assert header(tokens["access_token"])["kid"]
    assert access["aud"] == app["client_id"] and access["client_id"] == app["client_id"]
    assert access["sub"] == user.id
    assert tokens["refresh_token"].count(".") == 1


def test_id_tokens_are_rs256_and_access_tokens_keep_the_faster_key(
    world: OAuthWorld, app: dict[str, Any]
) -> None:
    """OpenID Connect's mandatory RS256 for ID tokens (relying parties' default), with the
    RSA key the JWKS publishes beside the EC key of the access tokens
    (docs/decisions/0212-rs256-id-tokens.md)."""
    tokens = world.tokens(app)
    keys = {
        key["kid"]: key for key in world.client.get("/.well-known/jwks.json").get_json()["keys"]
    }
    found = world.client.get("/.well-known/openid-configuration").get_json()
    assert found["id_token_signing_alg_values_supported"] == ["RS256"]
    id_header, access_header = header(tokens["id_token"]), header(tokens["access_token"])
    assert id_header["alg"] == "RS256" and keys[id_header["kid"]]["kty"] == "RSA"
    assert access_header["alg"] == "ES256" and keys[access_header["kid"]]["kty"] == "EC"
    rsa_only = KeySet.import_key_set({"keys": [keys[id_header["kid"]]]})
    assert (
        jwt.decode(tokens["id_token"], rsa_only, algorithms=["RS256"]).claims["aud"]
        == (app["client_id"])
    )


def test_each_authorization_answer_carries_iss(world: OAuthWorld, app: dict[str, Any]) -> None:
    verifier = "v" * 50
    page = world.authorize(
        app["client_id"],
        code_challenge=create_s256_code_challenge(verifier),
        code_challenge_method="S256",
    )
    query = redirected(world.consent(page, "deny"))
    assert query["error"] == "access_denied" and query["state"] == "st4te"
    assert query["iss"] == "http://127.0.0.1:8000"
    assert world.store.users  # nothing else changed
    world.code(app["client_id"])  # consented: the next answer is a redirect
    page = world.authorize(
        app["client_id"],
        code_challenge=create_s256_code_challenge(verifier),
        code_challenge_method="S256",
    )
    assert redirected(page)["iss"] == "http://127.0.0.1:8000"


def test_consent_is_asked_once_per_client_and_scope_set(
    world: OAuthWorld, app: dict[str, Any]
) -> None:
    challenge = {
        "code_challenge": create_s256_code_challenge("w" * 50),
        "code_challenge_method": "S256",
    }
    first = world.authorize(app["client_id"], scope="openid", **challenge)
    assert first.status_code == 200 and 'name="decision" value="allow"' in first.get_data(
        as_text=True
    )
    assert "code" in redirected(world.consent(first))
    assert "code" in redirected(world.authorize(app["client_id"], scope="openid", **challenge))
    wider = world.authorize(app["client_id"], scope="openid email", **challenge)
    assert wider.status_code == 200  # a new scope: asked again
    again = world.authorize(app["client_id"], scope="openid", prompt="consent", **challenge)
    assert again.status_code == 200


def test_the_consent_pages_three_buttons_are_primary_secondary_and_plain(
    world: OAuthWorld, app: dict[str, Any]
) -> None:
    """Allow is the page's one primary button, Deny a secondary (outlined), "Sign in as
    someone else" reads as a link: three choices that do not look alike (docs/pages.md)."""
    challenge = {
        "code_challenge": create_s256_code_challenge("w" * 50),
        "code_challenge_method": "S256",
    }
    html = world.authorize(app["client_id"], scope="openid", **challenge).get_data(as_text=True)
    assert '<button type="submit" name="decision" value="allow">' in html
    assert 'value="deny" class="quiet"' in html
    assert '<button type="submit" class="plain">Sign in as someone else</button>' in html
    assert html.count("<button") == 3


def test_prompt_none_answers_without_a_page(world: OAuthWorld, app: dict[str, Any]) -> None:
    challenge = {
        "code_challenge": create_s256_code_challenge("w" * 50),
        "code_challenge_method": "S256",
    }
    query = redirected(world.authorize(app["client_id"], prompt="none", **challenge))
    assert query["error"] == "consent_required" and query["iss"] == "http://127.0.0.1:8000"
    world.client.post(
        "/sign-out",
        data={"csrf_token": csrf_of(world.client.get("/account").get_data(as_text=True))},
    )
    query = redirected(world.authorize(app["client_id"], prompt="none", **challenge))
    assert query["error"] == "login_required"


def test_prompt_login_and_an_old_sign_in_ask_to_sign_in_again(
    world: OAuthWorld, app: dict[str, Any]
) -> None:
    challenge = {
        "code_challenge": create_s256_code_challenge("w" * 50),
        "code_challenge_method": "S256",
    }
    answer = world.authorize(app["client_id"], prompt="login", **challenge)
    assert answer.status_code == 303 and answer.headers["Location"].startswith("/sign-in?next=")
    assert "prompt" not in answer.headers["Location"]
    assert world.client.get("/account").status_code == 200  # still signed in: nothing ended
    sign_in = world.client.get(answer.headers["Location"])
    assert sign_in.status_code == 200  # the form, though signed in
    form = {
        "username": "alice",
        "password": PASSWORD,
        "csrf_token": csrf_of(sign_in.get_data(as_text=True)),
    }
    assert world.client.post("/sign-in", data=form).status_code == 303
    world.clock.advance(seconds=120)
    answer = world.authorize(app["client_id"], max_age="60", **challenge)
    assert answer.status_code == 303 and answer.headers["Location"].startswith("/sign-in?next=")


def test_the_refresh_token_rotates_and_a_reused_one_revokes_the_grant(
    world: OAuthWorld, app: dict[str, Any]
) -> None:
    tokens = world.tokens(app)
    first = world.post_token(app, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert first.status_code == 200, first.get_json()
    rotated = first.get_json()
    assert rotated["refresh_token"] != tokens["refresh_token"]
    assert (
        world.client.get("/oauth/userinfo", headers=bearer(rotated["access_token"])).status_code
        == 200
    )
    reused = world.post_token(
        app, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )
    assert reused.status_code == 400 and reused.get_json()["error"] == "invalid_grant"
    # the whole grant is gone: its newest refresh token and its access tokens
    newest = world.post_token(
        app, grant_type="refresh_token", refresh_token=rotated["refresh_token"]
    )
    assert newest.get_json()["error"] == "invalid_grant"
    assert (
        world.client.get("/oauth/userinfo", headers=bearer(rotated["access_token"])).status_code
        == 401
    )
    assert any(
        e.event is Audit.OAUTH_REVOKED and e.reason == "reused_refresh_token"
        for e in world.audit.events
    )


def test_no_refresh_token_without_offline_access(world: OAuthWorld, app: dict[str, Any]) -> None:
    tokens = world.tokens(app, scope="openid profile")
    assert "refresh_token" not in tokens


def test_userinfo_gives_what_the_scopes_allow(world: OAuthWorld, app: dict[str, Any]) -> None:
    tokens = world.tokens(app, scope="openid profile")
    found = world.client.get("/oauth/userinfo", headers=bearer(tokens["access_token"])).get_json()
    (user,) = world.store.users.values()
    assert found["sub"] == user.id and found["preferred_username"] == "alice"
    assert "email" not in found and "roles" not in found
    tokens = world.tokens(app, scope="openid email roles")
    found = world.client.get("/oauth/userinfo", headers=bearer(tokens["access_token"])).get_json()
    assert found["email"] == "alice@example.com" and found["roles"] == ["user"]


def test_plain_http_is_refused_off_loopback(world: OAuthWorld, app: dict[str, Any]) -> None:
    # Authlib refuses an OAuth request over plain http unless the host is a loopback one (the
    # URI it checks is built from the request's scheme and host): a 400 in RFC 6749's shape,
    # never a 500. A host the service answers: its own, here a PUBLIC_URL over plain http
    # off loopback (a request to any other host is refused before, 421 misdirected_request).
    plain_world = OAuthWorld(public_url="http://idp.example.com")
    tokens = world.tokens(app)
    body = {
        "client_id": app["client_id"],
        "grant_type": "refresh_token",
        "refresh_token": tokens["refresh_token"],
    }
    plain = plain_world.client.post("/oauth/token", data=body)
    assert plain.status_code == 400 and plain.get_json()["error"] == "insecure_transport"
    assert plain.headers["Cache-Control"] == "no-store"
    for path in ("/oauth/introspect", "/oauth/revoke", "/oauth/userinfo"):
        refused = plain_world.client.post(path, data={"token": tokens["access_token"]})
        assert refused.status_code == 400, (path, refused.get_json())
        assert refused.get_json()["error"] == "insecure_transport"
    query = {"response_type": "code", "client_id": app["client_id"], "redirect_uri": REDIRECT}
    page = plain_world.client.get("/oauth/authorize?" + urlencode(query))
    assert page.status_code == 400 and "Location" not in page.headers
    loopback = world.client.post("/oauth/token", data=body, base_url="http://127.0.0.1:8000")
    assert loopback.status_code == 200, loopback.get_json()


def test_client_credentials_that_are_not_utf8_are_an_invalid_client(
    world: OAuthWorld, app: dict[str, Any]
) -> None:
    # Basic credentials are base64 of "id:secret"; bytes that are not UTF-8 are a refused
    # client (401), not a decoding error (500).
    basic = "Basic " + base64.b64encode(b"\xff\xfe:secret").decode()
    for path, body in (
        ("/oauth/token", {"grant_type": "client_credentials"}),
        ("/oauth/introspect", {"token": "x"}),
        ("/oauth/revoke", {"token": "x"}),
    ):
        refused = world.client.post(path, data=body, headers={"Authorization": basic})
        assert refused.status_code == 401, (path, refused.get_json())
        assert refused.get_json()["error"] == "invalid_client"


def test_userinfo_reads_the_account_once(
    world: OAuthWorld, app: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The liveness check reads the grant and its account together; the claims come from that
    # account, not from a second read of it.
    tokens = world.tokens(app, scope="openid email")
    reads: list[str] = []
    real_get = FakeUserRepository.get

    def counting_get(self: FakeUserRepository, user_id: str) -> Any:
        reads.append(user_id)
        return real_get(self, user_id)

    monkeypatch.setattr(FakeUserRepository, "get", counting_get)
    found = world.client.get("/oauth/userinfo", headers=bearer(tokens["access_token"]))
    assert found.status_code == 200 and found.get_json()["email"] == "alice@example.com"
    assert reads == []


def test_revocation_ends_the_grant(world: OAuthWorld, app: dict[str, Any]) -> None:
    tokens = world.tokens(app)
    answer = world.client.post(
        "/oauth/revoke", data={"token": tokens["refresh_token"], "client_id": app["client_id"]}
    )
    assert answer.status_code == 200
    assert (
        world.client.get("/oauth/userinfo", headers=bearer(tokens["access_token"])).status_code
        == 401
    )
    refresh = world.post_token(
        app, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )
    assert refresh.get_json()["error"] == "invalid_grant"


def test_introspection_is_for_confidential_clients(world: OAuthWorld, app: dict[str, Any]) -> None:
    tokens = world.tokens(app, resource=API)
    server = world.register("--confidential", name="Resource server")
    auth = (server["client_id"], server["client_secret"])
    basic = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    found = world.client.post(
        "/oauth/introspect",
        data={"token": tokens["access_token"]},
        headers={"Authorization": basic},
    ).get_json()
    assert found["active"] is True and found["client_id"] == app["client_id"]
    public = world.client.post(
        "/oauth/introspect", data={"token": tokens["access_token"], "client_id": app["client_id"]}
    )
    assert public.status_code == 401 and public.get_json()["error"] == "invalid_client"
    world.client.post(
        "/oauth/revoke", data={"token": tokens["access_token"], "client_id": app["client_id"]}
    )
    found = world.client.post(
        "/oauth/introspect",
        data={"token": tokens["access_token"]},
        headers={"Authorization": basic},
    ).get_json()
    assert found == {"active": False}


def test_userinfo_refuses_an_apps_own_token(world: OAuthWorld) -> None:
    # client_credentials: a token about no person never has openid (decision 0225), so
    # userinfo answers insufficient_scope, not a 500.
    service = world.register("--confidential", name="A service")
    answer = world.post_token(service, grant_type="client_credentials")
    assert answer.status_code == 200, answer.get_json()
    token = answer.get_json()["access_token"]
    info = world.client.get("/oauth/userinfo", headers={"Authorization": f"Bearer {token}"})
    assert info.status_code == 403, info.get_data(as_text=True)
    assert info.get_json()["error"] == "insufficient_scope"


def test_client_credentials_for_confidential_clients_only(
    world: OAuthWorld, app: dict[str, Any]
) -> None:
    service = world.register("--confidential", "--scope", "roles", name="A service")
    answer = world.post_token(service, grant_type="client_credentials", scope="roles")
    assert answer.status_code == 200, answer.get_json()
    access = claims(world, answer.get_json()["access_token"])
    assert access["sub"] == service["client_id"] and access["aud"] == service["client_id"]
    public = world.post_token(app, grant_type="client_credentials")
    assert public.status_code in (400, 401)
    assert public.get_json()["error"] in ("unauthorized_client", "invalid_client")


def test_the_resource_names_the_audience(world: OAuthWorld, app: dict[str, Any]) -> None:
    mcp = "https://mcp.example.com/mcp"
    code, verifier = world.code(app["client_id"], resource=mcp)
    answer = world.exchange(app, code, verifier, resource=mcp)
    assert answer.status_code == 200, answer.get_json()
    assert claims(world, answer.get_json()["access_token"])["aud"] == mcp


def test_the_apps_with_access_are_listed_and_revoked_on_the_account_page(
    world: OAuthWorld, app: dict[str, Any]
) -> None:
    tokens = world.tokens(app)
    page = world.client.get("/account/apps").get_data(as_text=True)
    assert "Example App" in page
    answer = world.client.post(
        "/account/apps/revoke", data={"client_id": app["client_id"], "csrf_token": csrf_of(page)}
    )
    assert answer.status_code == 303
    assert "Example App" not in world.client.get("/account/apps").get_data(as_text=True)
    assert (
        world.client.get("/oauth/userinfo", headers=bearer(tokens["access_token"])).status_code
        == 401
    )
    # the consent is forgotten too: asked again
    challenge = {
        "code_challenge": create_s256_code_challenge("w" * 50),
        "code_challenge_method": "S256",
    }
    assert world.authorize(app["client_id"], **challenge).status_code == 200


def test_logout_everywhere_ends_the_grants(world: OAuthWorld, app: dict[str, Any]) -> None:
    tokens = world.tokens(app)
    login = world.client.post("/login", json={"username": "alice", "password": PASSWORD}).get_json()
    ended = world.client.post("/auth/logout?all=true", headers=bearer(login["access_token"]))
    assert ended.status_code == 204
    assert (
        world.client.get("/oauth/userinfo", headers=bearer(tokens["access_token"])).status_code
        == 401
    )
    refresh = world.post_token(
        app, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )
    assert refresh.get_json()["error"] == "invalid_grant"


def test_deleting_the_account_ends_and_removes_the_grants(
    world: OAuthWorld, app: dict[str, Any]
) -> None:
    tokens = world.tokens(app)
    grant_id = claims(world, tokens["access_token"])["grant_id"]
    login = world.client.post("/login", json={"username": "alice", "password": PASSWORD})
    answer = world.client.delete("/user", headers=bearer(login.get_json()["access_token"]))
    assert answer.status_code == 204
    userinfo = world.client.get("/oauth/userinfo", headers=bearer(tokens["access_token"]))
    assert userinfo.status_code == 401
    assert world.services.of(ProviderServices).grants.live_grant(LiveGrant(grant_id)) is None


def test_the_granted_and_revoked_events_are_stored(world: OAuthWorld, app: dict[str, Any]) -> None:
    tokens = world.tokens(app)
    form = {"token": tokens["refresh_token"], "client_id": app["client_id"]}
    world.client.post("/oauth/revoke", data=form)
    kinds = [e.event for e in world.audit.events]
    assert Audit.OAUTH_GRANTED in kinds and Audit.OAUTH_REVOKED in kinds
    html = world.client.get("/account/activity").get_data(as_text=True)  # the recent activity
    assert "An app was given access" in html and "access ended" in html


# -- refusals (docs/security.md, "OpenID Connect provider"), each its own test


def test_a_reused_code_is_refused_and_revokes_the_tokens_it_gave(
    world: OAuthWorld, app: dict[str, Any]
) -> None:
    code, verifier = world.code(app["client_id"])
    first = world.exchange(app, code, verifier)
    assert first.status_code == 200
    again = world.exchange(app, code, verifier)
    assert again.status_code == 400 and again.get_json()["error"] == "invalid_grant"
    access = first.get_json()["access_token"]
    assert world.client.get("/oauth/userinfo", headers=bearer(access)).status_code == 401
    refresh = world.post_token(
        app, grant_type="refresh_token", refresh_token=first.get_json()["refresh_token"]
    )
    assert refresh.get_json()["error"] == "invalid_grant"


def test_a_code_for_another_client_is_refused(world: OAuthWorld, app: dict[str, Any]) -> None:
    other = world.register(name="Other App")
    code, verifier = world.code(app["client_id"])
    answer = world.exchange(other, code, verifier)
    assert answer.status_code == 400 and answer.get_json()["error"] == "invalid_grant"
    assert world.exchange(app, code, verifier).status_code == 200  # still the rightful client's


def test_a_code_for_another_redirect_uri_is_refused(world: OAuthWorld, app: dict[str, Any]) -> None:
    code, verifier = world.code(app["client_id"])
    answer = world.exchange(app, code, verifier, redirect_uri="https://app.example.com/other")
    assert answer.status_code == 400 and answer.get_json()["error"] == "invalid_grant"


def test_a_missing_code_verifier_is_refused(world: OAuthWorld, app: dict[str, Any]) -> None:
    code, _ = world.code(app["client_id"])
    answer = world.post_token(
        app, grant_type="authorization_code", code=code, redirect_uri=REDIRECT
    )
    assert answer.status_code == 400 and answer.get_json()["error"] == "invalid_request"


def test_a_missing_code_verifier_is_refused_for_a_confidential_client_too(
    world: OAuthWorld,
) -> None:
    server_app = world.register("--confidential")
    code, _ = world.code(server_app["client_id"])
    answer = world.post_token(
        server_app, grant_type="authorization_code", code=code, redirect_uri=REDIRECT
    )
    assert answer.status_code == 400 and answer.get_json()["error"] == "invalid_request"


def test_a_wrong_code_verifier_is_refused(world: OAuthWorld, app: dict[str, Any]) -> None:
    code, verifier = world.code(app["client_id"])
    answer = world.exchange(app, code, verifier[::-1])
    assert answer.status_code == 400 and answer.get_json()["error"] == "invalid_grant"


def test_a_plain_code_challenge_is_refused(world: OAuthWorld, app: dict[str, Any]) -> None:
    answer = world.authorize(
        app["client_id"], code_challenge="p" * 50, code_challenge_method="plain"
    )
    query = redirected(answer)
    assert query["error"] == "invalid_request" and query["iss"] == "http://127.0.0.1:8000"


def test_an_authorization_without_pkce_is_refused(world: OAuthWorld, app: dict[str, Any]) -> None:
    query = redirected(world.authorize(app["client_id"]))
    assert query["error"] == "invalid_request" and query["state"] == "st4te"


def test_an_unregistered_redirect_uri_gets_an_error_page_never_a_redirect(
    world: OAuthWorld, app: dict[str, Any]
) -> None:
    answer = world.authorize(
        app["client_id"],
        redirect_uri="https://attacker.example.net/callback",
        code_challenge="a" * 43,
        code_challenge_method="S256",
    )
    assert answer.status_code == 400
    assert "Location" not in answer.headers
    assert "text/html" in answer.headers["Content-Type"]
    assert "attacker" not in answer.headers.get("Location", "")
    # URIs Authlib cannot quote in its error, or cannot parse at all: the same page.
    for uri in ('https://x/"', "https://x/\u00e9", "https://[::1", "http://[bad"):
        odd = world.authorize(
            app["client_id"],
            redirect_uri=uri,
            code_challenge="a" * 43,
            code_challenge_method="S256",
        )
        assert odd.status_code == 400, (uri, odd.get_data(as_text=True)[:200])
        assert "Location" not in odd.headers and "text/html" in odd.headers["Content-Type"]


def test_an_unknown_client_gets_an_error_page(world: OAuthWorld) -> None:
    answer = world.authorize(
        "no-such-client", code_challenge="a" * 43, code_challenge_method="S256"
    )
    assert answer.status_code == 400 and "Location" not in answer.headers


def test_any_port_of_a_loopback_redirect_uri_is_accepted(world: OAuthWorld) -> None:
    runner = world.app.test_cli_runner()
    out = runner.invoke(
        args=["clients", "create", "--name", "CLI", "--redirect-uri", "http://127.0.0.1/callback"]
    )
    client_id = json.loads(out.output)["client_id"]
    verifier = "x" * 50
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": "http://127.0.0.1:53123/callback",
        "scope": "openid",
        "code_challenge": create_s256_code_challenge(verifier),
        "code_challenge_method": "S256",
    }
    answer = world.client.get("/oauth/authorize?" + urlencode(params))
    assert answer.status_code == 200  # the consent page, not an error
    params["redirect_uri"] = "http://127.0.0.1:53123/elsewhere"
    assert world.client.get("/oauth/authorize?" + urlencode(params)).status_code == 400


def test_a_token_for_one_audience_is_refused_by_firegates_own_api(
    world: OAuthWorld, app: dict[str, Any]
) -> None:
    tokens = world.tokens(app)
    for token in (tokens["access_token"], tokens["id_token"]):
        answer = world.client.get("/user", headers=bearer(token))
        assert answer.status_code == 401


def test_a_token_of_one_client_is_not_revoked_by_another(
    world: OAuthWorld, app: dict[str, Any]
) -> None:
    tokens = world.tokens(app)
    other = world.register(name="Other App")
    answer = world.client.post(
        "/oauth/revoke", data={"token": tokens["refresh_token"], "client_id": other["client_id"]}
    )
    assert answer.status_code == 400 and answer.get_json()["error"] == "invalid_grant"
    assert (
        world.client.get("/oauth/userinfo", headers=bearer(tokens["access_token"])).status_code
        == 200
    )


def test_a_resource_of_firegates_own_api_is_refused(world: OAuthWorld, app: dict[str, Any]) -> None:
    code, verifier = world.code(app["client_id"])
    answer = world.exchange(app, code, verifier, resource="firegate-api")
    assert answer.status_code == 400 and answer.get_json()["error"] == "invalid_target"


def test_consent_forged_without_the_csrf_token_is_403_and_gives_nothing(
    world: OAuthWorld, app: dict[str, Any]
) -> None:
    page = world.authorize(app["client_id"], code_challenge="a" * 43, code_challenge_method="S256")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    action = html.split('<form method="post" action="')[1].split('"')[0].replace("&amp;", "&")
    answer = world.client.post(action, data={"decision": "allow"})
    assert answer.status_code == 403
    assert "Location" not in answer.headers
    consents = world.services.of(ProviderServices).consent
    (user,) = world.store.users.values()
    from application.provider.authorization.consent import ConsentQuery

    assert consents.consent_needed(ConsentQuery(user.id, app["client_id"], "openid"))


def test_token_endpoint_errors_are_json_never_500(world: OAuthWorld, app: dict[str, Any]) -> None:
    cases = [
        (
            {"grant_type": "password", "username": "alice", "password": PASSWORD},
            "unsupported_grant_type",
        ),
        (
            {
                "grant_type": "authorization_code",
                "code": "nope",
                "redirect_uri": REDIRECT,
                "code_verifier": "v" * 50,
            },
            "invalid_grant",
        ),
        ({"grant_type": "refresh_token", "refresh_token": "x.y"}, "invalid_grant"),
        ({"grant_type": "refresh_token"}, "invalid_request"),
    ]
    for form, error in cases:
        answer = world.post_token(app, **form)
        assert answer.status_code == 400, (form, answer.get_data(as_text=True))
        assert answer.headers["Content-Type"].startswith("application/json")
        assert answer.get_json()["error"] == error
    form = {"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x"}
    wrong = world.client.post("/oauth/token", data=form)
    assert wrong.status_code == 400 and wrong.get_json()["error"] == "invalid_client"
    basic = {"Authorization": "Basic " + base64.b64encode(b"nobody:x").decode()}
    form = {"grant_type": "client_credentials"}
    wrong = world.client.post("/oauth/token", data=form, headers=basic)
    assert wrong.status_code == 401 and wrong.get_json()["error"] == "invalid_client"
    assert "WWW-Authenticate" in wrong.headers


def test_dynamic_registration_is_off_unless_switched_on() -> None:
    off = OAuthWorld()
    answer = off.client.post("/oauth/register", json={"redirect_uris": [REDIRECT]})
    assert answer.status_code == 404
    on = OAuthWorld(oauth_dynamic_registration=True)
    answer = on.client.post(
        "/oauth/register",
        json={
            "redirect_uris": [REDIRECT],
            "client_name": "MCP client",
            "token_endpoint_auth_method": "none",
        },
    )
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["client_id"] and "client_secret" not in body
    # the client_id answered is the one registered: an authorization with it is asked consent
    challenge = create_s256_code_challenge("w" * 50)
    page = on.authorize(body["client_id"], code_challenge=challenge, code_challenge_method="S256")
    assert page.status_code == 200 and "MCP client" in page.get_data(as_text=True)
    confidential = on.client.post(
        "/oauth/register",
        json={"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "client_secret_basic"},
    )
    assert (
        confidential.status_code == 400
        and confidential.get_json()["error"] == "invalid_client_metadata"
    )
    assert on.client.get("/.well-known/openid-configuration").get_json()["registration_endpoint"]


@pytest.mark.parametrize(
    "body",
    [
        ["x"],
        "x",
        42,
        {"redirect_uris": [42], "token_endpoint_auth_method": "none"},
        {"redirect_uris": REDIRECT, "token_endpoint_auth_method": "none"},
        {"redirect_uris": [REDIRECT], "client_name": ["x"], "token_endpoint_auth_method": "none"},
        # a jwks that is no JWK Set (was a 500: Authlib read its "keys")
        {"redirect_uris": [REDIRECT], "jwks": {}},
        {"redirect_uris": [REDIRECT], "jwks": None},
        {"redirect_uris": [REDIRECT], "jwks": "{}"},
        {"redirect_uris": [REDIRECT], "jwks": {"keys": "x"}},
        # a member of the wrong type (was a 500: Authlib parsed a number as a URI)
        {"redirect_uris": [REDIRECT], "jwks_uri": 1.5},
        {"redirect_uris": [REDIRECT], "logo_uri": True},
        {"redirect_uris": [REDIRECT], "client_name": 7},
        {"redirect_uris": [REDIRECT], "backchannel_logout_session_required": "yes"},
        {"redirect_uris": [REDIRECT], "default_max_age": "soon"},
        {"redirect_uris": [REDIRECT], "default_acr_values": "x"},
    ],
)
def test_registration_metadata_of_the_wrong_shape_is_invalid(body: object) -> None:
    on = OAuthWorld(oauth_dynamic_registration=True)
    answer = on.client.post("/oauth/register", json=body)
    assert answer.status_code == 400, answer.get_data(as_text=True)[:300]
    assert answer.get_json()["error"] == "invalid_client_metadata"


def test_rp_initiated_logout_with_an_id_token_hint_signs_out_and_goes_back(
    world: OAuthWorld,
) -> None:
    client = world.register("--post-logout-redirect-uri", "https://app.example.com/bye")
    tokens = world.tokens(client)
    from urllib.parse import urlencode

    query = {
        "id_token_hint": tokens["id_token"],
        "post_logout_redirect_uri": "https://app.example.com/bye",
        "state": "s",
    }
    answer = world.client.get("/oauth/logout?" + urlencode(query))
    assert (
        answer.status_code == 302
        and answer.headers["Location"] == "https://app.example.com/bye?state=s"
    )
    assert world.client.get("/account").status_code == 303  # signed out
    query["post_logout_redirect_uri"] = "https://attacker.example.net/"
    answer = world.client.get("/oauth/logout?" + urlencode(query))
    assert answer.status_code != 302 or "attacker" not in answer.headers.get("Location", "")


def test_the_consent_pages_csp_lets_its_form_go_to_the_apps_redirect_uri(
    world: OAuthWorld, app: dict[str, Any]
) -> None:
    page = world.authorize(app["client_id"], code_challenge="a" * 43, code_challenge_method="S256")
    csp = page.headers["Content-Security-Policy"]
    assert "form-action 'self' https://app.example.com;" in csp
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp


def test_disabling_the_account_ends_the_grants(world: OAuthWorld, app: dict[str, Any]) -> None:
    tokens = world.tokens(app)
    result = world.app.test_cli_runner().invoke(args=["users", "disable", "alice"])
    assert result.exit_code == 0, result.output
    userinfo = world.client.get("/oauth/userinfo", headers=bearer(tokens["access_token"]))
    assert userinfo.status_code == 401
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    assert world.post_token(app, **form).get_json()["error"] == "invalid_grant"
    # enabling again brings none back, as with sessions
    world.app.test_cli_runner().invoke(args=["users", "disable", "alice", "--enable"])
    assert world.post_token(app, **form).get_json()["error"] == "invalid_grant"


def test_a_password_reset_of_an_unverified_address_ends_the_grants(
    world: OAuthWorld, app: dict[str, Any]
) -> None:
    tokens = world.tokens(app)
    (user,) = world.store.users.values()
    assert not user.email_verified
    asked = world.client.post("/auth/password/forgot", json={"email": "alice@example.com"})
    assert asked.status_code == 202
    world.deliver()
    assert world.reset(world.token("alice@example.com", "/reset-password")) == 204
    userinfo = world.client.get("/oauth/userinfo", headers=bearer(tokens["access_token"]))
    assert userinfo.status_code == 401
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    assert world.post_token(app, **form).get_json()["error"] == "invalid_grant"


def test_clients_are_listed_without_secrets_and_deleting_one_ends_its_tokens(
    world: OAuthWorld, app: dict[str, Any]
) -> None:
    confidential = world.register("--confidential", name="Server App")
    tokens = world.tokens(app)
    runner = world.app.test_cli_runner()
    listed = json.loads(runner.invoke(args=["clients", "list"]).output)
    assert {c["client_id"] for c in listed} == {app["client_id"], confidential["client_id"]}
    assert all("client_secret" not in c and "secret_hash" not in c for c in listed)
    deleted = runner.invoke(args=["clients", "delete", app["client_id"]])
    assert deleted.exit_code == 0, deleted.output
    userinfo = world.client.get("/oauth/userinfo", headers=bearer(tokens["access_token"]))
    assert userinfo.status_code == 401
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    assert world.post_token(app, **form).get_json()["error"] == "invalid_client"
    again = runner.invoke(args=["clients", "delete", app["client_id"]])
    assert again.exit_code != 0 and "No such client" in again.output


def introspector(world: OAuthWorld, server: dict[str, Any] | None = None) -> Any:
    """A confidential client's introspection: a resource server's of its own, by default."""
    server = server or world.register("--confidential", name="Resource server")
    pair = f"{server['client_id']}:{server['client_secret']}"
    basic = "Basic " + base64.b64encode(pair.encode()).decode()

    def introspect(token: str) -> Any:
        return world.client.post(
            "/oauth/introspect", data={"token": token}, headers={"Authorization": basic}
        ).get_json()

    return introspect


def test_a_deleted_clients_tokens_are_inactive_at_once(
    world: OAuthWorld, app: dict[str, Any]
) -> None:
    introspect = introspector(world)
    tokens = world.tokens(app, resource=API)
    assert introspect(tokens["access_token"])["active"] is True  # the client is now kept
    deleted = world.app.test_cli_runner().invoke(args=["clients", "delete", app["client_id"]])
    assert deleted.exit_code == 0, deleted.output
    assert introspect(tokens["access_token"]) == {"active": False}


@pytest.fixture
def service(world: OAuthWorld) -> dict[str, Any]:
    """A confidential app (a web app's server): it may introspect its own tokens."""
    return world.register("--confidential", name="Web app")


def test_introspection_follows_the_account_at_once(
    world: OAuthWorld, service: dict[str, Any]
) -> None:
    """Each answer reads the grant and the account: nothing about them is kept."""
    introspect = introspector(world, service)
    tokens = world.tokens(service)
    for token in (tokens["access_token"], tokens["refresh_token"]):
        assert introspect(token)["active"] is True  # verified, and its client kept
    result = world.app.test_cli_runner().invoke(args=["users", "disable", "alice"])
    assert result.exit_code == 0, result.output
    for token in (tokens["access_token"], tokens["refresh_token"]):
        assert introspect(token) == {"active": False}


def test_introspection_ends_with_logout_everywhere_and_a_revoked_grant(
    world: OAuthWorld, service: dict[str, Any]
) -> None:
    introspect = introspector(world, service)
    first, second = world.tokens(service), world.tokens(service)
    for token in (first["access_token"], first["refresh_token"], second["access_token"]):
        assert introspect(token)["active"] is True
    credentials = {"client_secret": service["client_secret"], **client_of(service)}
    world.client.post("/oauth/revoke", data={"token": first["refresh_token"], **credentials})
    assert introspect(first["access_token"]) == {"active": False}
    assert introspect(first["refresh_token"]) == {"active": False}
    assert introspect(second["access_token"])["active"] is True
    login = world.client.post("/login", json={"username": "alice", "password": PASSWORD})
    everywhere = world.client.post(
        "/auth/logout?all=true", headers=bearer(login.get_json()["access_token"])
    )
    assert everywhere.status_code == 204
    assert introspect(second["access_token"]) == {"active": False}
    assert introspect(second["refresh_token"]) == {"active": False}


def test_an_access_token_verified_before_is_inactive_past_its_expiry(
    world: OAuthWorld, app: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import interfaces.provider.server.models.models as provider

    introspect = introspector(world)
    tokens = world.tokens(app, resource=API)
    assert introspect(tokens["access_token"])["active"] is True  # its signature now kept
    expiry = claims(world, tokens["access_token"])["exp"]

    class Later:
        @staticmethod
        def time() -> float:
            return float(expiry)

    monkeypatch.setattr(provider, "time", Later)
    assert introspect(tokens["access_token"]) == {"active": False}
    assert introspect(tokens["access_token"] + "x") == {"active": False}


def client_of(app: dict[str, Any]) -> dict[str, str]:
    return {"client_id": app["client_id"]}


def test_an_admin_sees_and_removes_the_apps_on_the_admin_page(
    world: OAuthWorld, app: dict[str, Any]
) -> None:
    assert world.client.get("/admin").status_code == 403  # alice is no admin
    world.app.test_cli_runner().invoke(args=["users", "set-role", "alice", "admin"])
    html = world.client.get("/admin").get_data(as_text=True)
    assert "Example App" in html and app["client_id"] in html
    forged = world.client.post(f"/admin/clients/{app['client_id']}/delete")
    assert forged.status_code == 403  # no CSRF token
    answer = world.client.post(
        f"/admin/clients/{app['client_id']}/delete", data={"csrf_token": csrf_of(html)}
    )
    assert answer.status_code == 303
    assert app["client_id"] not in world.client.get("/admin").get_data(as_text=True)
    gone = world.client.post("/admin/clients/nope/delete", data={"csrf_token": csrf_of(html)})
    assert gone.status_code == 404


def test_a_forged_refresh_token_is_neither_active_nor_revocable(
    world: OAuthWorld, service: dict[str, Any]
) -> None:
    """Only the grant's current refresh token names it: its id (which every access token of
    the grant carries) with any other secret is no token at all."""
    tokens = world.tokens(service)
    forged = tokens["refresh_token"].partition(".")[0] + ".not-the-secret"
    introspect = introspector(world, service)
    assert introspect(forged) == {"active": False}
    assert introspect(tokens["refresh_token"])["active"] is True
    credentials = {"client_id": service["client_id"], "client_secret": service["client_secret"]}
    revoked = world.client.post("/oauth/revoke", data={"token": forged, **credentials})
    assert revoked.status_code == 200  # RFC 7009: an unknown token is no error
    assert introspect(tokens["refresh_token"])["active"] is True
    refreshed = world.post_token(
        service, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )
    assert refreshed.status_code == 200, refreshed.get_json()


# -- registering an app on /admin


def admin_form(world: OAuthWorld) -> str:
    world.app.test_cli_runner().invoke(args=["users", "set-role", "alice", "admin"])
    return csrf_of(world.client.get("/admin").get_data(as_text=True))


def test_an_admin_registers_a_confidential_app_and_sees_its_secret_once(
    world: OAuthWorld,
) -> None:
    token = admin_form(world)
    answer = world.client.post(
        "/admin/clients",
        data={
            "csrf_token": token,
            "name": "Server App",
            "redirect_uris": f"{REDIRECT}\r\n\r\n  http://127.0.0.1/cb  \r\n",
            "confidential": "true",
            "scope": ["openid", "email"],
        },
    )
    assert answer.status_code == 201
    assert answer.headers["Cache-Control"] == "no-store"
    html = answer.get_data(as_text=True)
    (client,) = world.services.of(ClientServices).clients.list_clients()
    assert client.name == "Server App" and client.confidential and not client.dynamic
    assert client.redirect_uris == (REDIRECT, "http://127.0.0.1/cb")
    assert client.scopes == ("openid", "email")
    secret = re.search(r'id="client_secret" type="text" readonly value="([^"]+)"', html)
    assert secret is not None and client.client_id in html
    assert client.secret_matches(secret.group(1))  # the one secret, which only this page shows
    listing = world.client.get("/admin").get_data(as_text=True)
    assert client.client_id in listing and secret.group(1) not in listing
    # the secret works at the token endpoint
    made = {"client_id": client.client_id, "client_secret": secret.group(1)}
    assert world.post_token(made, grant_type="client_credentials").status_code == 200


def test_a_public_app_registered_on_admin_gets_no_secret(world: OAuthWorld) -> None:
    answer = world.client.post(
        "/admin/clients",
        data={"csrf_token": admin_form(world), "name": "SPA", "redirect_uris": REDIRECT},
    )
    assert answer.status_code == 201
    (client,) = world.services.of(ClientServices).clients.list_clients()
    assert not client.confidential and client.secret_hash is None
    assert client.scopes == SCOPES  # none chosen: all of them
    assert 'id="client_secret"' not in answer.get_data(as_text=True)


@pytest.mark.parametrize(
    ("form", "field", "says"),
    [
        ({"redirect_uris": "http://app.example.com/cb"}, "redirect_uris", "loopback"),
        ({"redirect_uris": f"{REDIRECT}\nnot a uri"}, "redirect_uris", "loopback"),
        ({"redirect_uris": "https://app.example.com/cb#x"}, "redirect_uris", "fragment"),
        ({"redirect_uris": " \n "}, "redirect_uris", "Required."),
        ({"name": ""}, "name", "Required."),
        ({"scope": ["openid", "everything"]}, "scope", "Choose scopes from the list."),
    ],
)
def test_a_refused_app_is_shown_beside_its_field_with_the_form_refilled(
    world: OAuthWorld, form: dict[str, Any], field: str, says: str
) -> None:
    data = {
        "csrf_token": admin_form(world),
        "name": "My App",
        "redirect_uris": REDIRECT,
        "confidential": "true",
        "scope": ["email"],
        **form,
    }
    answer = world.client.post("/admin/clients", data=data)
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    error = re.search(rf'id="client-{field}-error" role="alert">([^<]+)<', html)
    assert error is not None, html
    assert says in error.group(1)
    assert not world.services.of(ClientServices).clients.list_clients()
    if data["name"]:
        assert 'id="client-name" name="name" type="text" autocomplete="off" required' in html
        assert f'value="{data["name"]}"' in html
    if field != "redirect_uris":
        assert f">{REDIRECT}</textarea>" in html
    assert 'id="client-confidential" name="confidential" value="true" checked' in html
    for scope in data["scope"]:
        if scope in SCOPES:
            assert f'id="client-scope-{scope}" name="scope" value="{scope}" checked' in html
    assert 'value="profile" checked' not in html


def test_registering_an_app_on_admin_is_for_admins_with_the_forms_token(
    world: OAuthWorld,
) -> None:
    html = world.client.get("/account").get_data(as_text=True)
    data = {"name": "Sneaky", "redirect_uris": REDIRECT}
    refused = world.client.post("/admin/clients", data={**data, "csrf_token": csrf_of(html)})
    assert refused.status_code == 403  # alice is no admin
    assert "client_secret" not in refused.get_data(as_text=True)
    forged = world.client.post("/admin/clients", data=data)  # an admin's, without the token
    admin_form(world)
    assert world.client.post("/admin/clients", data=data).status_code == 403
    assert forged.status_code == 403
    assert not world.services.of(ClientServices).clients.list_clients()


# -- CORS: what an app in a browser calls from its own origin


SPA_ORIGIN = "https://spa.example.net"


def preflight(world: OAuthWorld, path: str, method: str, headers: str) -> TestResponse:
    return world.client.options(
        path,
        headers={
            "Origin": SPA_ORIGIN,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": headers,
        },
    )


@pytest.mark.parametrize(
    ("path", "method", "asked"),
    [
        ("/oauth/token", "POST", "content-type"),
        ("/oauth/revoke", "POST", "content-type"),
        ("/oauth/par", "POST", "content-type"),  # a public client pushes its request too
        ("/oauth/userinfo", "GET", "authorization"),
        ("/oauth/userinfo", "POST", "authorization, content-type"),
        ("/.well-known/openid-configuration", "GET", ""),
        ("/.well-known/oauth-authorization-server", "GET", ""),
        ("/.well-known/jwks.json", "GET", ""),
    ],
)
def test_a_browser_app_on_any_origin_passes_the_preflight_without_credentials(
    world: OAuthWorld, path: str, method: str, asked: str
) -> None:
    answer = preflight(world, path, method, asked)
    assert answer.status_code == 200
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert method in answer.headers["Access-Control-Allow-Methods"]
    for name in filter(None, asked.split(", ")):
        assert name in answer.headers["Access-Control-Allow-Headers"].lower()
    assert "Access-Control-Allow-Credentials" not in answer.headers


def test_the_token_endpoints_answers_are_readable_from_any_origin(
    world: OAuthWorld, app: dict[str, Any]
) -> None:
    refused = world.client.post(
        "/oauth/token", data={"grant_type": "nope"}, headers={"Origin": SPA_ORIGIN}
    )
    assert refused.status_code == 400 and refused.get_json()["error"] == "unsupported_grant_type"
    assert refused.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in refused.headers
    exposed = refused.headers["Access-Control-Expose-Headers"]
    assert "Retry-After" in exposed and "WWW-Authenticate" in exposed
    discovery = world.client.get(
        "/.well-known/openid-configuration", headers={"Origin": SPA_ORIGIN}
    )
    assert discovery.headers["Access-Control-Allow-Origin"] == "*"
    assert "Origin" not in discovery.headers.get("Vary", "")  # one answer for every origin


def test_the_authorization_endpoint_consent_and_logout_get_no_cors(
    world: OAuthWorld, app: dict[str, Any]
) -> None:
    challenge = create_s256_code_challenge("w" * 50)
    page = world.authorize(app["client_id"], code_challenge=challenge, code_challenge_method="S256")
    assert page.status_code == 200  # the consent page
    paths = ("/oauth/authorize", "/oauth/authorize/consent", "/oauth/logout", "/oauth/introspect")
    for path in (*paths, "/account"):
        asked = preflight(world, path, "POST", "content-type")
        assert "Access-Control-Allow-Origin" not in asked.headers, path
    seen = world.client.get(
        "/oauth/authorize?" + urlencode({"client_id": app["client_id"]}),
        headers={"Origin": SPA_ORIGIN},
    )
    assert "Access-Control-Allow-Origin" not in seen.headers
    consent = world.client.post(
        "/oauth/authorize/consent", data={"decision": "allow"}, headers={"Origin": SPA_ORIGIN}
    )
    assert "Access-Control-Allow-Origin" not in consent.headers


def test_the_apis_allow_list_stays_the_apis_beside_the_providers_cors() -> None:
    world = OAuthWorld(cors_origins=["https://app.example.com"])
    elsewhere = {"Origin": SPA_ORIGIN}
    login = world.client.post("/login", json={}, headers=elsewhere)
    assert "Access-Control-Allow-Origin" not in login.headers
    token = world.client.post("/oauth/token", data={"grant_type": "x"}, headers=elsewhere)
    assert token.headers["Access-Control-Allow-Origin"] == "*"
    listed = {"Origin": "https://app.example.com"}
    login = world.client.post("/login", json={}, headers=listed)
    assert login.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    token = world.client.post("/oauth/token", data={"grant_type": "x"}, headers=listed)
    assert token.headers["Access-Control-Allow-Origin"] == "*"  # the provider's, not the list's
    authorize = world.client.get("/oauth/authorize?client_id=x", headers=listed)
    assert "Access-Control-Allow-Origin" not in authorize.headers  # listed or not: no CORS


# -- per-address limits


@pytest.mark.parametrize(
    ("path", "setting"),
    [
        ("/oauth/token", "rate_limit_oauth_token"),
        ("/oauth/introspect", "rate_limit_oauth_introspect"),
        ("/oauth/register", "rate_limit_oauth_register"),
    ],
)
def test_the_token_introspection_and_registration_endpoints_are_limited_per_address(
    path: str, setting: str
) -> None:
    world = OAuthWorld(**{setting: "2/minute"}, oauth_dynamic_registration=True)
    here = {"REMOTE_ADDR": "198.51.100.7"}
    for _ in range(3):  # a browser's preflights count for nothing
        asked = world.client.options(path, environ_base=here)
        assert asked.status_code == 200 and "RateLimit" not in asked.headers
    for _ in range(2):
        answered = world.client.post(path, data={"grant_type": "x"}, environ_base=here)
        assert answered.status_code != 429
        assert answered.headers["RateLimit-Policy"] == '"2/60s";q=2;w=60'
    refused = world.client.post(
        path, data={"grant_type": "x"}, environ_base=here, headers={"Origin": SPA_ORIGIN}
    )
    assert refused.status_code == 429
    assert refused.get_json() == {
        "error": "temporarily_unavailable",
        "error_description": "Too many requests from this client; try again later.",
    }
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.headers["Cache-Control"] == "no-store"
    assert "RateLimit" in refused.headers
    if path == "/oauth/token":  # a browser app calls it: it can read the refusal
        assert refused.headers["Access-Control-Allow-Origin"] == "*"
    elsewhere = world.client.post(
        path, data={"grant_type": "x"}, environ_base={"REMOTE_ADDR": "203.0.113.9"}
    )
    assert elsewhere.status_code != 429  # another address has its own budget
    others = [p for p in ("/oauth/token", "/oauth/introspect", "/oauth/register") if p != path]
    for other in others:  # and each route its own
        assert world.client.post(other, data={}, environ_base=here).status_code != 429


# -- the recipes of docs/sign-in-with-firegate.md, step by step

ISSUER = "http://127.0.0.1:8000"  # the worlds' PUBLIC_URL


def path_of(url: str) -> str:
    """A URL of the service, as Flask's test client asks for it."""
    assert url.startswith(ISSUER), url
    return url.removeprefix(ISSUER)


SPA_SCOPES = ("--scope", "openid", "--scope", "profile", "--scope", "offline_access")


def authorization_url(
    meta: dict[str, Any],
    client_id: str,
    *,
    redirect_uri: str,
    scope: str,
    state: str,
    challenge: str,
) -> str:
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return f"{meta['authorization_endpoint']}?{urlencode(query)}"


def exchange_code(
    world: OAuthWorld,
    meta: dict[str, Any],
    client_id: str,
    *,
    code: str,
    redirect_uri: str,
    verifier: str,
    headers: dict[str, str] | None = None,
) -> TestResponse:
    """The code for tokens, as a public client: a form body with its ``client_id``."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": client_id,
        "code_verifier": verifier,
    }
    return world.client.post(path_of(meta["token_endpoint"]), data=form, headers=headers or {})


def test_recipe_single_page_app(world: OAuthWorld) -> None:
    """ "A single-page app": code + PKCE from the browser, every call a cross-origin one."""
    spa = f"{SPA_ORIGIN}/callback"
    made = world.app.test_cli_runner().invoke(
        args=["clients", "create", "--name", "My SPA", "--redirect-uri", spa, *SPA_SCOPES]
    )
    client_id = json.loads(made.output)["client_id"]
    cors = {"Origin": SPA_ORIGIN}
    found = world.client.get("/.well-known/openid-configuration", headers=cors)
    assert found.headers["Access-Control-Allow-Origin"] == "*"
    meta = found.get_json()
    # 1. PKCE and state (the page keeps them in sessionStorage), then to firegate
    verifier = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    state = secrets.token_urlsafe(16)
    challenge = create_s256_code_challenge(verifier)
    url = authorization_url(
        meta,
        client_id,
        redirect_uri=spa,
        scope="openid profile offline_access",
        state=state,
        challenge=challenge,
    )
    back = world.consent(world.client.get(path_of(url)))  # the person allows it
    assert back.status_code == 302 and back.headers["Location"].startswith(spa + "?")
    # 2. at the redirect URI: check state and iss, exchange the code (a form body: no preflight)
    answer = dict(parse_qsl(urlsplit(back.headers["Location"]).query))
    assert answer["state"] == state and answer["iss"] == ISSUER
    exchanged = exchange_code(
        world,
        meta,
        client_id,
        code=answer["code"],
        redirect_uri=spa,
        verifier=verifier,
        headers=cors,
    )
    assert exchanged.status_code == 200, exchanged.get_json()
    assert exchanged.headers["Access-Control-Allow-Origin"] == "*"
    token = exchanged.get_json()
    # 3. userinfo with the bearer token: the browser asks first (Authorization is not simple)
    asked = preflight(world, path_of(meta["userinfo_endpoint"]), "GET", "authorization")
    assert "authorization" in asked.headers["Access-Control-Allow-Headers"].lower()
    info = world.client.get(
        path_of(meta["userinfo_endpoint"]),
        headers={**cors, "Authorization": f"Bearer {token['access_token']}"},
    )
    assert info.headers["Access-Control-Allow-Origin"] == "*"
    assert info.get_json()["preferred_username"] == "alice"
    # 4. a new access token with the refresh token, then signing out of the app for good
    refreshed = world.client.post(
        path_of(meta["token_endpoint"]),
        data={
            "grant_type": "refresh_token",
            "refresh_token": token["refresh_token"],
            "client_id": client_id,
        },
        headers=cors,
    )
    assert refreshed.status_code == 200 and refreshed.headers["Access-Control-Allow-Origin"] == "*"
    token = refreshed.get_json()
    revoked = world.client.post(
        path_of(meta["revocation_endpoint"]),
        data={"token": token["refresh_token"], "client_id": client_id},
        headers=cors,
    )
    assert revoked.status_code == 200 and revoked.headers["Access-Control-Allow-Origin"] == "*"
    ended = world.client.get(
        path_of(meta["userinfo_endpoint"]),
        headers={**cors, "Authorization": f"Bearer {token['access_token']}"},
    )
    assert ended.status_code == 401


def test_recipe_command_line_tool(world: OAuthWorld) -> None:
    """ "A command-line tool": a loopback redirect URI on a free port (RFC 8252)."""
    made = world.app.test_cli_runner().invoke(
        args=["clients", "create", "--name", "My CLI", "--redirect-uri", LOOPBACK]
    )
    client_id = json.loads(made.output)["client_id"]
    meta = world.client.get("/.well-known/openid-configuration").get_json()
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    state = secrets.token_urlsafe(16)
    # 1. listen on a free port of the loopback address; that port is in the redirect URI
    server = http.server.HTTPServer(("127.0.0.1", 0), Callback)
    redirect_uri = f"http://127.0.0.1:{server.server_port}/callback"
    url = authorization_url(
        meta,
        client_id,
        redirect_uri=redirect_uri,
        scope="openid offline_access",
        state=state,
        challenge=challenge,
    )
    # 2. the browser (webbrowser.open(url)): the person allows it, firegate sends it back to
    # the port, where the tool answers the one request it waits for
    listening = threading.Thread(target=server.handle_request)
    listening.start()
    back = world.consent(world.client.get(path_of(url)))
    assert back.status_code == 302 and back.headers["Location"].startswith(redirect_uri + "?")
    browser = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # straight there
    with browser.open(back.headers["Location"], timeout=10) as seen:
        assert seen.status == 200
    listening.join(timeout=10)
    server.server_close()
    query = server.query  # type: ignore[attr-defined]
    assert query["state"] == state and query["iss"] == ISSUER
    # 3. the code for tokens, with the same redirect URI (its port included)
    exchanged = exchange_code(
        world, meta, client_id, code=query["code"], redirect_uri=redirect_uri, verifier=verifier
    )
    assert exchanged.status_code == 200, exchanged.get_json()
    token = exchanged.get_json()
    assert token["id_token"] and token["refresh_token"] and token["token_type"] == "Bearer"
    assert claims(world, token["access_token"])["client_id"] == client_id


LOOPBACK = "http://127.0.0.1/callback"


class Callback(http.server.BaseHTTPRequestHandler):
    """The command-line tool's one page: it keeps the query firegate sent back."""

    def do_GET(self) -> None:
        self.server.query = dict(parse_qsl(urlsplit(self.path).query))  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.end_headers()
        self.wfile.write(b"Signed in: you may close this tab.")

    def log_message(self, format: str, *args: Any) -> None:
        pass  # no output in the tests


def test_an_admins_app_is_never_a_dynamic_one_nor_of_an_id_the_caller_chose() -> None:
    clients, clock = FakeOAuthClients(), FakeClock()
    catalogue = CatalogueCache(FakeApiResources(), 5.0)
    registry = ClientRegistry(
        clients=clients, orgs=FakeOrgRepository(), catalogue=catalogue, clock=clock
    )
    asked = CreateClient("App", (REDIRECT,), True, (), dynamic=True, client_id="chosen")
    admin = Actor("a1", "root", "admin", "s1", datetime(2100, 1, 1, tzinfo=UTC))
    made = registry.admin_create_client(AdminCreateClient(admin, asked))
    assert made.client.client_id != "chosen" and not made.client.dynamic
    assert made.client_secret is not None and made.client.secret_matches(made.client_secret)
    user = replace(admin, role="user")
    with pytest.raises(PermissionDenied):
        registry.admin_create_client(AdminCreateClient(user, asked))
    assert clients.list(10) == [made.client]


def test_introspection_answers_only_whom_the_token_is_for(
    world: OAuthWorld, app: dict[str, Any], service: dict[str, Any]
) -> None:
    """A token issued to an app is active to that app alone (refresh tokens included); an
    access token for a resource, to any confidential client, as resource servers are."""
    stranger = introspector(world)  # a confidential client of its own
    own = introspector(world, service)
    of_app, of_service = world.tokens(app), world.tokens(service)
    for token in (of_app["access_token"], of_app["refresh_token"]):
        assert stranger(token) == {"active": False}
        assert own(token) == {"active": False}
    for token in (of_service["access_token"], of_service["refresh_token"]):
        assert stranger(token) == {"active": False}
        assert own(token)["active"] is True
    for_api = world.tokens(app, resource=API)
    found = stranger(for_api["access_token"])
    assert found["active"] is True and found["aud"] == API
    assert stranger(for_api["refresh_token"]) == {"active": False}


@pytest.mark.parametrize("hint", ["jwt", "id_token", "refresh_token"])
def test_a_token_type_hint_of_any_value_is_ignored(
    world: OAuthWorld, service: dict[str, Any], hint: str
) -> None:
    tokens = world.tokens(service)
    credentials = {"client_id": service["client_id"], "client_secret": service["client_secret"]}
    form = {"token": tokens["access_token"], "token_type_hint": hint, **credentials}
    found = world.client.post("/oauth/introspect", data=form)
    assert found.status_code == 200 and found.get_json()["active"] is True
    revoked = world.client.post("/oauth/revoke", data=form)
    assert revoked.status_code == 200, revoked.get_json()
    assert introspector(world, service)(tokens["access_token"]) == {"active": False}


def test_introspection_and_revocation_without_a_token_say_what_is_missing(
    world: OAuthWorld, service: dict[str, Any]
) -> None:
    credentials = {"client_id": service["client_id"], "client_secret": service["client_secret"]}
    for path in ("/oauth/introspect", "/oauth/revoke"):
        answer = world.client.post(path, data=credentials)
        assert answer.status_code == 400
        assert answer.get_json()["error"] == "invalid_request"
        assert "token" in answer.get_json()["error_description"]


def logout_query(world: OAuthWorld) -> dict[str, str]:
    """Alice's ID token as an app sends it to sign her out, and where to go back."""
    client = world.register("--post-logout-redirect-uri", "https://app.example.com/bye")
    return {
        "id_token_hint": world.tokens(client)["id_token"],
        "post_logout_redirect_uri": "https://app.example.com/bye",
        "state": "s",
    }


def test_rp_initiated_logout_with_another_accounts_hint_asks_first(world: OAuthWorld) -> None:
    """Anyone may hold alice's ID token (apps log them): it must not sign bob out unasked."""
    query = logout_query(world)
    world.client = world.app.test_client()
    sign_up(world, "bob")
    answer = world.client.get("/oauth/logout?" + urlencode(query))
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert "other than the one signed in here" in html and 'action="/sign-out"' in html
    assert world.client.get("/account").status_code == 200  # bob is still signed in


def test_rp_initiated_logout_may_be_posted(world: OAuthWorld) -> None:
    """A posted logout is the same request as a GET (which carries the SameSite=Lax cookie,
    a cross-site POST does not); the POST alone changes nothing and needs no CSRF token."""
    query = logout_query(world)
    state = {"state": query.pop("state")}  # some apps post with part of it in the query
    posted = world.client.post(
        "/oauth/logout?" + urlencode(state), data={**query, "other": "dropped"}
    )
    query |= state
    assert posted.status_code == 303
    assert world.client.get("/account").status_code == 200  # nothing happened yet
    location = posted.headers["Location"]
    assert location.startswith("/oauth/logout?")
    assert dict(parse_qsl(urlsplit(location).query)) == query
    answer = world.client.get(location)
    assert answer.status_code == 302
    assert answer.headers["Location"] == "https://app.example.com/bye?state=s"
    assert world.client.get("/account").status_code == 303  # signed out


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"request": "eyJhbGciOiJub25lIn0.eyJub25jZSI6Im4ifQ."}, "request_not_supported"),
        ({"request_uri": "https://app.example.com/request.jwt"}, "request_uri_not_supported"),
        ({"resource": "relative/path"}, "invalid_target"),
        ({"resource": "firegate-api"}, "invalid_target"),
        ({"resource": "https://api.example.com/#fragment"}, "invalid_target"),
    ],
)
def test_the_authorization_endpoint_refuses_what_no_token_could_honour(
    world: OAuthWorld, app: dict[str, Any], params: dict[str, str], error: str
) -> None:
    """Refused before anyone is asked to consent, back to the app with ``state`` and ``iss``:
    a request object (not supported, never silently ignored) or a resource no token can be
    issued for (else the consent is given and the code wasted at the token endpoint)."""
    challenge = {
        "code_challenge": create_s256_code_challenge("w" * 50),
        "code_challenge_method": "S256",
    }
    query = redirected(world.authorize(app["client_id"], **challenge, **params))
    assert query["error"] == error and query["error_description"]
    assert query["state"] == "st4te" and query["iss"] == ISSUER
    assert "code" not in query


def test_userinfo_refusals_carry_the_bearer_challenge(
    world: OAuthWorld, app: dict[str, Any]
) -> None:
    """RFC 6750 §3: no bearer token, no error code in the challenge; a token without
    ``openid``, ``insufficient_scope`` with the scope it lacks."""
    for headers in ({}, {"Authorization": "Basic YTpi"}):
        answer = world.client.get("/oauth/userinfo", headers=headers)
        assert answer.status_code == 401 and answer.headers["WWW-Authenticate"] == "Bearer"
        assert answer.get_json()["error_description"]
    tokens = world.tokens(app, scope="profile offline_access")
    answer = world.client.get("/oauth/userinfo", headers=bearer(tokens["access_token"]))
    assert answer.status_code == 403
    challenge = answer.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer error="insufficient_scope"')
    assert 'scope="openid"' in challenge


def test_every_token_endpoint_error_says_what_it_means(
    world: OAuthWorld, service: dict[str, Any]
) -> None:
    credentials = {"client_id": service["client_id"], "client_secret": service["client_secret"]}
    for form in (
        {"grant_type": "refresh_token", "refresh_token": "unknown.token"},
        {"grant_type": "refresh_token", "refresh_token": "no-dot"},
        {"grant_type": "password", "username": "alice", "password": PASSWORD},
        {"grant_type": "authorization_code", "code": "nope", "code_verifier": "v" * 50},
    ):
        answer = world.client.post("/oauth/token", data={**form, **credentials})
        assert answer.status_code == 400, form
        found = answer.get_json()
        assert found["error"] in ("invalid_grant", "unsupported_grant_type", "invalid_request")
        assert found["error_description"], found


@pytest.mark.parametrize(
    ("metadata", "registered"),
    [
        ({"grant_types": ["client_credentials"]}, False),
        ({"grant_types": ["authorization_code", "implicit"]}, False),
        ({"response_types": ["token"]}, False),
        ({"grant_types": ["authorization_code", "refresh_token"]}, True),
        ({"response_types": ["code"]}, True),
    ],
)
def test_registration_refuses_what_a_public_client_can_never_use(
    metadata: dict[str, list[str]], registered: bool
) -> None:
    on = OAuthWorld(oauth_dynamic_registration=True)
    body = {"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none", **metadata}
    answer = on.client.post("/oauth/register", json=body)
    if registered:
        assert answer.status_code == 201, answer.get_json()
    else:
        assert answer.status_code == 400, answer.get_json()
        assert answer.get_json()["error"] == "invalid_client_metadata"
        assert answer.get_json()["error_description"]


def test_a_client_id_never_starts_with_a_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    """``clients delete <id>`` on the command line reads a leading dash as an option (a
    deleted client's test failed once in about 64 runs on such an id)."""
    from application.clients import clients

    drawn = iter(["-starts-with-a-dash", "_fine", "never-reached"])
    monkeypatch.setattr(secrets, "token_urlsafe", lambda _: next(drawn))
    assert clients.new_client_id() == "_fine"


def test_a_revoked_client_credentials_token_is_inactive_at_once(world: OAuthWorld) -> None:
    """A client's own token has no user's grant: revoking it ends that token, at once
    (docs/reference/oauth.md, "POST /oauth/revoke")."""
    service = world.register("--confidential", "--scope", "roles", name="A service")
    other = world.register("--confidential", name="Another service")
    introspect = introspector(world, service)
    first = world.post_token(service, grant_type="client_credentials").get_json()["access_token"]
    second = world.post_token(service, grant_type="client_credentials").get_json()["access_token"]
    assert introspect(first)["active"] is True
    credentials = {"client_secret": other["client_secret"], **client_of(other)}
    refused = world.client.post("/oauth/revoke", data={"token": first, **credentials})
    assert refused.status_code == 400 and refused.get_json()["error"] == "invalid_grant"
    assert introspect(first)["active"] is True
    credentials = {"client_secret": service["client_secret"], **client_of(service)}
    answer = world.client.post("/oauth/revoke", data={"token": first, **credentials})
    assert answer.status_code == 200
    assert introspect(first) == {"active": False}
    assert introspect(second)["active"] is True  # another request's token: another grant
    again = world.client.post("/oauth/revoke", data={"token": first, **credentials})
    assert again.status_code == 200


def test_a_clients_own_token_is_granted_no_scope_about_a_person(world: OAuthWorld) -> None:
    """``client_credentials`` without ``scope``: the client's scopes but ``openid`` and
    ``offline_access``; asking for either is ``invalid_scope``
    (docs/decisions/0225-a-clients-own-tokens.md)."""
    service = world.register("--confidential", name="A service")  # every scope, by default
    answer = world.post_token(service, grant_type="client_credentials")
    assert answer.status_code == 200, answer.get_json()
    granted = answer.get_json()["scope"].split()
    assert sorted(granted) == ["email", "phone", "profile", "roles"]
    assert claims(world, answer.get_json()["access_token"])["scope"].split() == granted
    for scope in ("openid", "offline_access", "roles openid"):
        asked = world.post_token(service, grant_type="client_credentials", scope=scope)
        assert asked.status_code == 400 and asked.get_json()["error"] == "invalid_scope", scope
    person = world.register("--confidential", "--scope", "openid", name="Person only")
    none = world.post_token(person, grant_type="client_credentials")
    assert none.status_code == 400 and none.get_json()["error"] == "invalid_scope"


def test_a_token_request_may_not_widen_the_resource(world: OAuthWorld, app: dict[str, Any]) -> None:
    """RFC 8707, RFC 9700 §2.3: a code for one resource gives no token for another, nor does
    its grant's refresh; a code for none gives none for a resource
    (docs/decisions/0226-a-token-is-for-the-resource-authorized.md)."""
    other = "https://payments.internal.example"
    code, verifier = world.code(app["client_id"], resource=API)
    widened = world.exchange(app, code, verifier, resource=other)
    assert widened.status_code == 400 and widened.get_json()["error"] == "invalid_target"
    code, verifier = world.code(app["client_id"], resource=API)
    answer = world.exchange(app, code, verifier)
    tokens = answer.get_json()
    assert claims(world, tokens["access_token"])["aud"] == API
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    widened = world.post_token(app, **refresh, resource=other)
    assert widened.status_code == 400 and widened.get_json()["error"] == "invalid_target"
    again = world.post_token(app, **refresh, resource=API)  # the same, named again: fine
    assert again.status_code == 200, again.get_json()
    assert claims(world, again.get_json()["access_token"])["aud"] == API
    refresh["refresh_token"] = again.get_json()["refresh_token"]
    kept = world.post_token(app, **refresh).get_json()
    assert claims(world, kept["access_token"])["aud"] == API  # the grant's, unasked
    code, verifier = world.code(app["client_id"])  # no resource authorized
    widened = world.exchange(app, code, verifier, resource=other)
    assert widened.status_code == 400 and widened.get_json()["error"] == "invalid_target"
    code, verifier = world.code(app["client_id"], resource=API)
    body = {"grant_type": "authorization_code", "code": code, "code_verifier": verifier}
    twice = world.client.post(
        "/oauth/token?resource=" + API,
        data={**body, "redirect_uri": REDIRECT, "client_id": app["client_id"], "resource": API},
    )
    assert twice.status_code == 400 and twice.get_json()["error"] == "invalid_target"


def test_the_consent_page_names_the_resource_and_asks_again_for_another(
    world: OAuthWorld, app: dict[str, Any]
) -> None:
    challenge = {"code_challenge": "a" * 43, "code_challenge_method": "S256"}
    page = world.authorize(app["client_id"], resource=API, **challenge)
    assert page.status_code == 200 and API in page.get_data(as_text=True)
    world.consent(page)
    assert world.authorize(app["client_id"], resource=API, **challenge).status_code == 302
    assert world.authorize(app["client_id"], **challenge).status_code == 302
    other = world.authorize(app["client_id"], resource="https://other.example/", **challenge)
    assert other.status_code == 200 and "https://other.example/" in other.get_data(as_text=True)


def test_a_client_may_be_limited_to_a_list_of_resources(world: OAuthWorld) -> None:
    service = world.register("--confidential", "--resource", API, name="Limited")
    assert service["resources"] == [API]
    listed = world.app.test_cli_runner().invoke(args=["clients", "list"])
    assert json.loads(listed.output)[-1]["resources"] == [API]
    own = world.post_token(service, grant_type="client_credentials", resource=API)
    assert own.status_code == 200 and claims(world, own.get_json()["access_token"])["aud"] == API
    other = world.post_token(
        service, grant_type="client_credentials", resource="https://payments.internal.example"
    )
    assert other.status_code == 400 and other.get_json()["error"] == "invalid_target"
    challenge = {"code_challenge": "a" * 43, "code_challenge_method": "S256"}
    query = redirected(
        world.authorize(service["client_id"], resource="https://other.example/", **challenge)
    )
    assert query["error"] == "invalid_target"
    assert world.tokens(service, resource=API)["access_token"]
    bad = world.app.test_cli_runner().invoke(
        args=["clients", "create", "--name", "X", "--redirect-uri", REDIRECT, "--resource", "api"]
    )
    assert bad.exit_code != 0 and "absolute URI" in bad.output


def test_an_admin_limits_an_app_to_resources(world: OAuthWorld) -> None:
    form = {
        "name": "Backend",
        "redirect_uris": REDIRECT,
        "confidential": "true",
        "resources": f"{API}\n\nhttps://mcp.example.com/mcp\n",
        "csrf_token": admin_form(world),
    }
    answer = world.client.post("/admin/clients", data=form)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    (made,) = [
        c for c in world.services.of(ClientServices).clients.list_clients() if c.name == "Backend"
    ]
    assert made.resources == (API, "https://mcp.example.com/mcp")
    refused = world.client.post(
        "/admin/clients", data={**form, "name": "Bad", "resources": "not a uri"}
    )
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'id="client-resources-error" role="alert">A resource is an absolute URI' in html
    assert ">not a uri</textarea>" in html  # refilled


def test_a_link_asking_to_sign_in_again_signs_nobody_out(
    world: OAuthWorld, app: dict[str, Any]
) -> None:
    """``prompt=login`` or ``max_age=0`` in a link of any site: the person is asked to sign in
    again, and stays signed in until they do; the new sign-in replaces the old session
    (docs/decisions/0227-sign-in-again-keeps-the-session.md)."""
    challenge = {"code_challenge": "a" * 43, "code_challenge_method": "S256"}
    (before,) = [s.id for s in world.store.sessions.values() if s.revoked_at is None]
    for asked in ({"prompt": "login"}, {"max_age": "0"}):
        world.clock.advance(seconds=1)
        answer = world.authorize(app["client_id"], **challenge, **asked)
        assert answer.status_code == 303
        location = answer.headers["Location"]
        assert "again=1" in location and "Set-Cookie" not in answer.headers
        assert world.client.get("/account").status_code == 200
        page = world.client.get(location)
        assert page.status_code == 200 and "Sign in again to continue." in page.get_data(
            as_text=True
        )
        assert world.client.get("/account").status_code == 200  # the page ended nothing
    wrong = {
        "username": "alice",
        "password": "wrong password",
        "csrf_token": csrf_of(page.get_data(as_text=True)),
    }
    assert world.client.post(location, data=wrong).status_code == 401
    assert world.client.get("/account").status_code == 200  # a failed one ended nothing
    right = {**wrong, "password": PASSWORD}
    again = world.client.post(location, data=right)
    assert again.status_code == 303
    back = world.client.get(again.headers["Location"])  # the authorization, answered
    assert back.status_code in (200, 302), back.get_data(as_text=True)
    assert world.client.get("/account").status_code == 200
    live = [s.id for s in world.store.sessions.values() if s.revoked_at is None]
    assert len(live) == 1 and live != [before]  # the old session was replaced, not kept


@pytest.mark.parametrize(
    "name", ["firegate \u202eetagerif Sign-in", "bell\x07", "esc\x1b[2J", "mark\u200f", "\u2066x"]
)
def test_a_client_name_with_control_or_direction_characters_is_refused(name: str) -> None:
    """A name that would hide or reorder what the consent page says, by registration or by
    an operator (docs/decisions/0228-the-consent-page-says-where-you-go-back.md)."""
    on = OAuthWorld(oauth_dynamic_registration=True)
    body = {"redirect_uris": [REDIRECT], "client_name": name, "token_endpoint_auth_method": "none"}
    answer = on.client.post("/oauth/register", json=body)
    assert answer.status_code == 400 and answer.get_json()["error"] == "invalid_client_metadata"
    uri = on.client.post(
        "/oauth/register", json={**body, "client_name": "ok", "redirect_uris": [REDIRECT + name]}
    )
    assert uri.status_code == 400 and uri.get_json()["error"] == "invalid_client_metadata"
    cli = on.app.test_cli_runner().invoke(
        args=["clients", "create", "--name", name, "--redirect-uri", REDIRECT]
    )
    assert cli.exit_code != 0
    assert on.services.of(ClientServices).clients.list_clients() == []


def test_the_consent_page_says_where_it_sends_back_and_that_the_app_registered_itself() -> None:
    on = OAuthWorld(oauth_dynamic_registration=True)
    body = {
        "redirect_uris": [REDIRECT],
        "client_name": "Sign-in",
        "token_endpoint_auth_method": "none",
    }
    registered = on.client.post("/oauth/register", json=body).get_json()
    challenge = {"code_challenge": "a" * 43, "code_challenge_method": "S256"}
    html = on.authorize(registered["client_id"], **challenge).get_data(as_text=True)
    assert "You will be sent back to app.example.com." in html
    assert "This app registered itself" in html
    own = on.register(name="Operator's App")
    html = on.authorize(own["client_id"], **challenge).get_data(as_text=True)
    assert "You will be sent back to app.example.com." in html
    assert "registered itself" not in html
    spanish = on.client.get(
        "/oauth/authorize?"
        + urlencode(
            {
                "response_type": "code",
                "client_id": registered["client_id"],
                "redirect_uri": REDIRECT,
                "scope": "openid",
                **challenge,
            }
        ),
        headers={"Accept-Language": "es"},
    ).get_data(as_text=True)
    assert "Volverás a app.example.com." in spanish and "se registró a sí misma" in spanish


def test_rp_initiated_logout_to_an_unregistered_uri_is_refused_and_ends_nothing(
    world: OAuthWorld,
) -> None:
    """docs/decisions/0417-an-unregistered-post-logout-uri-is-refused.md: another URI, or the
    registered one with a query added, is an error page; the session stays."""
    client = world.register("--post-logout-redirect-uri", "https://app.example.com/bye")
    tokens = world.tokens(client)
    from urllib.parse import urlencode

    for uri in ("https://app.example.com/other", "https://app.example.com/bye?foo=bar"):
        query = {"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": uri}
        answer = world.client.get("/oauth/logout?" + urlencode(query))
        assert answer.status_code == 400
        assert "not registered" in answer.get_data(as_text=True)
        assert world.client.get("/account").status_code == 200  # still signed in


def _forged(header: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part(header)}.{part({'sub': 'x'})}.c2ln"


@pytest.mark.parametrize(
    "header",
    [
        {"alg": "RS256", "crit": [{}]},  # joserfc raised TypeError (unhashable)
        {"alg": "\r\u00ab"},  # the refusal quoted it: Authlib raised ValueError
    ],
)
def test_a_forged_id_token_hint_is_refused_not_a_500(
    world: OAuthWorld, header: dict[str, Any]
) -> None:
    """At the logout endpoint and the authorization endpoint alike (found by
    tests/unit/provider/test_oauth_fuzz.py)."""
    client = world.register()
    hint = _forged(header)
    logout = world.client.get("/oauth/logout", query_string={"id_token_hint": hint})
    assert logout.status_code == 400, logout.get_data(as_text=True)[:200]
    asked = world.authorize(
        client["client_id"],
        id_token_hint=hint,
        code_challenge="c" * 43,
        code_challenge_method="S256",
    )
    assert asked.status_code < 500 and redirected(asked)["error"] == "invalid_request"
