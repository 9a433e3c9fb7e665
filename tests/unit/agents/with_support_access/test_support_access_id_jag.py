"""Support access at the ID-JAG (docs/support-access.md, "What the tokens say"): the admin
named in ``act``, and no token outliving the session; the person's own sign-in names no admin
(tests/unit/agents/test_id_jag_sign_in.py)."""

from __future__ import annotations

import pytest

from tests.support.oauth import OAuthWorld, claims
from tests.support.support_sessions import support_session
from tests.support.token_claims import introspect
from tests.unit.agents.fakes import (
    agent,
    alice_id,
    id_jag_world,
    id_token,
    mint,
    minted,
    redeem,
    refused,
)

pytestmark = pytest.mark.unit


@pytest.fixture
def world() -> OAuthWorld:
    return id_jag_world()


def act_as_alice(world: OAuthWorld, minutes: int) -> str:
    """The browser becomes a session of support access of alice, by an admin; the admin's
    id."""
    reason = "Ticket 4711: the agent cannot read the wiki"
    return support_session(world, alice_id(world), reason=reason, minutes=minutes)


def test_a_support_sessions_id_jag_names_the_admin_and_ends_with_the_session(
    world: OAuthWorld,
) -> None:
    client = agent(world)
    id_token(world, client)  # alice allows the agent in her own session first
    root_id = act_as_alice(world, minutes=3)
    subject = id_token(world, client)
    session_ends = world.clock.now().timestamp() + 3 * 60
    jag = claims(world, minted(world, client, subject))
    assert jag["act"] == {"sub": root_id} and jag["exp"] <= session_ends
    answer = redeem(world, client, minted(world, client, subject))
    assert answer.status_code == 200, answer.get_json()
    issued = answer.get_json()
    token = claims(world, issued["access_token"])
    assert token["act"] == {"sub": root_id} and token["exp"] <= session_ends
    assert issued["expires_in"] <= 3 * 60
    assert introspect(world, issued["access_token"])["active"] is True
    late = minted(world, client, subject)
    world.clock.advance(minutes=3, seconds=1)
    assert introspect(world, issued["access_token"]) == {"active": False}
    assert "ended" in refused(mint(world, client, subject))
    assert refused(redeem(world, client, late))
