"""Support access at firegate's OpenID provider, on the Firestore emulator
(docs/support-access.md, docs/decisions/0587-support-access-at-the-provider.md): the code of
a browser session of support access and its grant keep the admin and the session's end in
Firestore; the tokens name the admin in ``act``, a refresh keeps it, and once the session
has ended the refresh is ``invalid_grant``; the person's own session gives no ``act``."""

from __future__ import annotations

from typing import Any

import pytest

from bootstrap import build_adapters
from tests.fakes.kernel import FakeClock
from tests.support.api import bearer, login
from tests.support.app import app_on, swap
from tests.support.oauth import EmulatorWorld, claims
from tests.support.pages import PASSWORD
from tests.support.settings import make_settings
from tests.support.support_sessions import support_session
from tests.support.token_claims import introspect

pytestmark = pytest.mark.e2e
API = "https://api.example.com/"  # a resource server, which may introspect its tokens


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def world(firestore: Any, clock: FakeClock) -> EmulatorWorld:
    settings = make_settings()
    adapters = swap(build_adapters(settings, firestore=firestore), clock=clock)
    return EmulatorWorld(app_on(settings, adapters))


def act_as_alice(world: EmulatorWorld, minutes: int) -> tuple[str, str]:
    """The browser becomes a session of support access of alice: (the admin's id, alice's)."""
    api = world.app.test_client()
    alice: str = api.get("/user", headers=bearer(login(api, "alice", PASSWORD))).get_json()["id"]
    return support_session(world, alice, reason="Ticket 4711", minutes=minutes), alice


def test_support_access_at_the_provider_on_firestore(
    world: EmulatorWorld, firestore: Any, clock: FakeClock
) -> None:
    app = world.register()
    own = world.tokens(app, resource=API)  # alice's own session consents, and gets no act
    assert "act" not in claims(world, own["access_token"])
    assert "act" not in claims(world, own["id_token"])

    root_id, alice = act_as_alice(world, minutes=5)
    tokens = world.tokens(app, resource=API)
    access, id_token = claims(world, tokens["access_token"]), claims(world, tokens["id_token"])
    assert access["sub"] == id_token["sub"] == alice
    assert access["act"] == id_token["act"] == {"sub": root_id}
    found = introspect(world, tokens["access_token"])
    assert found["active"] is True and found["act"] == {"sub": root_id}, found

    # What Firestore keeps: the code and the grant name the admin and the session's end.
    (code,) = [
        d.to_dict()
        for d in firestore.collection("oauth_codes").stream()
        if d.to_dict().get("acting_admin_id")
    ]
    (grant,) = [
        d.to_dict()
        for d in firestore.collection("oauth_grants").stream()
        if d.to_dict().get("acting_admin_id")
    ]
    assert code["acting_admin_id"] == grant["acting_admin_id"] == root_id
    ends = grant["acting_until"].timestamp()
    assert code["acting_until"].timestamp() == ends
    assert ends == clock.now().timestamp() + 5 * 60
    assert grant["refresh_expires_at"].timestamp() <= ends

    clock.advance(minutes=4)
    refreshed = world.post_token(
        app, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )
    assert refreshed.status_code == 200, refreshed.get_json()
    latest = refreshed.get_json()
    again = claims(world, latest["access_token"])
    assert again["act"] == {"sub": root_id} and again["exp"] <= ends

    clock.advance(minutes=1, seconds=1)
    after = world.post_token(app, grant_type="refresh_token", refresh_token=latest["refresh_token"])
    assert after.status_code == 400 and after.get_json()["error"] == "invalid_grant"
    # The person's own grant holds on.
    mine = world.post_token(app, grant_type="refresh_token", refresh_token=own["refresh_token"])
    assert mine.status_code == 200, mine.get_json()
    assert "act" not in claims(world, mine.get_json()["access_token"])
