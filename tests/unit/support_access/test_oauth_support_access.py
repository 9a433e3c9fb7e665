"""Support access at firegate's OpenID provider, on the fakes (docs/support-access.md,
docs/decisions/0587-support-access-at-the-provider.md): a code from a browser session of
support access gives ID and access tokens naming the admin in ``act``, its grant keeps it
through refreshes and ends with the session; it consents to nothing new; the person's own
session gives no ``act``."""

from __future__ import annotations

import re

import pytest

from application.provider.authorization.consent import ConsentQuery
from application.provider.services import ProviderServices
from tests.support.oauth import REDIRECT, OAuthWorld, claims, redirected
from tests.support.support_sessions import support_session
from tests.support.token_claims import introspect

pytestmark = pytest.mark.unit
REASON = "Ticket 4711: the export page shows nothing"
API = "https://api.example.com/"  # a resource server, which may introspect its tokens


@pytest.fixture
def world() -> OAuthWorld:
    return OAuthWorld()


def alice_id(world: OAuthWorld) -> str:
    return next(u.id for u in world.store.users.values() if u.shown_name == "alice")


def act_as_alice(world: OAuthWorld, minutes: int = 10) -> str:
    """The browser becomes a session of support access of alice, by an admin; the admin's
    id."""
    return support_session(world, alice_id(world), reason=REASON, minutes=minutes)


def test_a_code_of_support_access_gives_tokens_with_act_and_its_refreshes_keep_it(
    world: OAuthWorld,
) -> None:
    app = world.register()
    world.tokens(app, resource=API)  # alice consents in her own session
    root_id = act_as_alice(world, minutes=10)
    tokens = world.tokens(app, resource=API)
    access, id_token = claims(world, tokens["access_token"]), claims(world, tokens["id_token"])
    assert access["sub"] == id_token["sub"] == alice_id(world)
    assert access["act"] == id_token["act"] == {"sub": root_id}
    assert access["amr"] == ["imp"]
    ends = world.clock.now().timestamp() + 10 * 60
    assert access["exp"] <= ends and id_token["exp"] <= ends
    found = introspect(world, tokens["access_token"])
    assert found["active"] is True and found["act"] == {"sub": root_id}, found

    refreshed = world.post_token(
        app, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )
    assert refreshed.status_code == 200, refreshed.get_json()
    again = refreshed.get_json()
    assert claims(world, again["access_token"])["act"] == {"sub": root_id}
    found = introspect(world, again["access_token"])
    assert found["active"] is True and found["act"] == {"sub": root_id}, found


def test_the_grant_ends_with_the_session_of_support_access(world: OAuthWorld) -> None:
    app = world.register()
    world.tokens(app, resource=API)
    act_as_alice(world, minutes=5)
    tokens = world.tokens(app, resource=API)
    world.clock.advance(minutes=4)
    last = world.post_token(app, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert last.status_code == 200, last.get_json()
    latest = last.get_json()
    # The access token minted a minute before the end lasts no longer than the session.
    assert claims(world, latest["access_token"])["exp"] <= world.clock.now().timestamp() + 60
    world.clock.advance(minutes=1, seconds=1)
    after = world.post_token(app, grant_type="refresh_token", refresh_token=latest["refresh_token"])
    assert after.status_code == 400 and after.get_json()["error"] == "invalid_grant"
    assert introspect(world, latest["access_token"]) == {"active": False}


def test_support_access_consents_to_nothing_new(world: OAuthWorld) -> None:
    app = world.register()
    act_as_alice(world)
    denied = redirected(
        world.authorize(app["client_id"], code_challenge="c" * 43, code_challenge_method="S256")
    )
    assert denied["error"] == "access_denied"
    # The consent form posted all the same: refused, and nothing is remembered.
    query = {
        "response_type": "code",
        "client_id": app["client_id"],
        "redirect_uri": REDIRECT,
        "scope": "openid",
        "state": "s",
        "code_challenge": "c" * 43,
        "code_challenge_method": "S256",
    }
    page = world.client.get("/account").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert token is not None
    posted = world.client.post(
        "/oauth/authorize/consent",
        query_string=query,
        data={"decision": "allow", "csrf_token": token[1]},
    )
    assert posted.status_code == 403, posted.get_data(as_text=True)
    asked = ConsentQuery(alice_id(world), app["client_id"], "openid")
    assert world.services.of(ProviderServices).consent.consent_needed(asked)


def test_the_persons_own_session_gives_no_act(world: OAuthWorld) -> None:
    app = world.register()
    tokens = world.tokens(app, resource=API)
    assert "act" not in claims(world, tokens["access_token"])
    assert "act" not in claims(world, tokens["id_token"])
    found = introspect(world, tokens["access_token"])
    assert found["active"] is True and "act" not in found


def test_a_code_of_support_access_is_not_exchanged_after_the_session(world: OAuthWorld) -> None:
    app = world.register()
    world.tokens(app)
    act_as_alice(world, minutes=1)
    code, verifier = world.code(app["client_id"])
    world.clock.advance(minutes=1)  # within the code's 5 minutes, past the session's end
    late = world.exchange(app, code, verifier)
    assert late.status_code == 400 and late.get_json()["error"] == "invalid_grant"
