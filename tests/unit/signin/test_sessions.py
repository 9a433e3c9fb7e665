"""Refresh rotation, grace window, replay, renewal and logout on in-memory fakes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from application.ports import Audit
from application.signin.authentication import Actor
from application.signin.sessions import EndOtherSessions, EndSession, ListSessions, Logout, Renew
from application.signin.tokens import TokenPolicy
from domain.accounts.users import User
from domain.errors import NotFound, Unauthenticated
from domain.signin.sessions import Session
from tests.fakes.claims import CLAIMS
from tests.support.api import bearer, login, register
from tests.support.use_cases import SessionWorld

pytestmark = pytest.mark.unit


@pytest.fixture
def world() -> SessionWorld:
    w = SessionWorld()
    w.register("alice")
    return w


def test_refresh_rotates_and_spends_the_old_token(world: SessionWorld) -> None:
    first = world.login()
    second = world.refresh(first.refresh_token)
    assert second.refresh_token != first.refresh_token
    assert second.access_token != first.access_token
    assert (
        world.authenticate(second.access_token).session_id
        == world.authenticate(first.access_token).session_id
    )
    world.clock.advance(seconds=11)
    third = world.refresh(second.refresh_token)  # the new one works after the grace window
    assert third.refresh_token


def test_replay_after_grace_revokes_the_session(world: SessionWorld) -> None:
    first = world.login()
    second = world.refresh(first.refresh_token)
    world.clock.advance(seconds=11)
    with pytest.raises(Unauthenticated) as info:
        world.refresh(first.refresh_token)
    assert info.value.code == "refresh_token_reused"
    reuse = world.audit.events[-1]
    assert reuse.event.value == "refresh_token_reuse" and reuse.outcome == "failure"
    with pytest.raises(Unauthenticated):
        world.refresh(second.refresh_token)  # the newest refresh token is dead too
    with pytest.raises(Unauthenticated):
        world.authenticate(second.access_token)  # and so is the newest access token


def test_parallel_refreshes_inside_grace_get_one_successor(world: SessionWorld) -> None:
    first = world.login()
    pairs = [world.refresh(first.refresh_token) for _ in range(10)]
    assert len({pair.refresh_token for pair in pairs}) == 1  # one chain, not ten
    world.clock.advance(seconds=5)
    later = world.refresh(pairs[0].refresh_token)
    world.clock.advance(seconds=30)
    assert world.refresh(later.refresh_token).access_token


def test_a_replay_inside_the_window_gets_the_same_successor_not_a_fork(
    world: SessionWorld,
) -> None:
    first = world.login()
    owner = world.refresh(first.refresh_token)
    world.clock.advance(seconds=3)
    thief = world.refresh(first.refresh_token)
    assert thief.refresh_token == owner.refresh_token  # nothing new to keep rotating
    world.clock.advance(seconds=30)
    with pytest.raises(Unauthenticated) as info:  # and later it is a replay
        world.refresh(first.refresh_token)
    assert info.value.code == "refresh_token_reused"
    with pytest.raises(Unauthenticated):
        world.refresh(owner.refresh_token)


def test_a_token_whose_chain_moved_on_is_a_replay_even_inside_the_window(
    world: SessionWorld,
) -> None:
    first = world.login()
    second = world.refresh(first.refresh_token)
    third = world.refresh(second.refresh_token)
    with pytest.raises(Unauthenticated) as info:
        world.refresh(first.refresh_token)  # its successor is spent: no second chain
    assert info.value.code == "refresh_token_reused"
    with pytest.raises(Unauthenticated):
        world.refresh(third.refresh_token)


def test_a_token_spent_many_rotations_ago_is_a_replay(world: SessionWorld) -> None:
    """Any genuine ancestor of the chain ends the session, however old
    (docs/reference/sessions.md)."""
    first = world.login()
    tokens = [first.refresh_token]
    for _ in range(70):  # more rotations than the spent hashes the session keeps
        world.clock.advance(minutes=15)
        tokens.append(world.refresh(tokens[-1]).refresh_token)
    world.clock.advance(seconds=30)
    with pytest.raises(Unauthenticated) as info:
        world.refresh(tokens[0])
    assert info.value.code == "refresh_token_reused"
    with pytest.raises(Unauthenticated):
        world.refresh(tokens[-1])  # the live chain is ended with it


def test_a_forged_token_with_a_real_session_id_neither_works_nor_revokes(
    world: SessionWorld,
) -> None:
    pair = world.login()
    for _ in range(70):
        world.clock.advance(minutes=15)
        pair = world.refresh(pair.refresh_token)
    sid, secret, generation, tag, account = pair.refresh_token.split(".")
    other = world.register("mallory").id
    forgeries = [
        f"{sid}.{'A' * 43}",  # the old format, a random secret
        f"{sid}.{'A' * 43}.3.{tag}",  # a random secret with a copied tag
        f"{sid}.{secret}.3.{tag}",  # the live secret, an older generation claimed
        f"{sid}.{secret}.{generation}.{'A' * 22}",  # a made-up tag
        f"{sid}.{secret}.{generation}.{'A' * 22}.{account}",  # the same, naming its account
        f"{sid}.{secret}.3.{tag}.{account}",  # an older generation, naming its account
        f"{sid}.{secret}.{generation}.{tag}.{other}",  # the live token, naming another account
        f"{sid}.{secret}.{generation}.{tag}.missing",  # naming an account that is not there
    ]
    world.clock.advance(seconds=30)
    for forged in forgeries:
        with pytest.raises(Unauthenticated) as info:
            world.refresh(forged)
        assert info.value.code == "invalid_refresh_token", forged
    assert world.refresh(pair.refresh_token).access_token  # the session lives on


def test_a_token_of_the_untagged_format_works_until_it_rotates(world: SessionWorld) -> None:
    """Tokens issued as ``{sid}.{secret}`` (no generation, no tag) still refresh once."""
    pair = world.login()
    untagged = ".".join(pair.refresh_token.split(".")[:2])
    successor = world.refresh(untagged)
    assert successor.refresh_token.count(".") == 4
    world.clock.advance(seconds=30)
    with pytest.raises(Unauthenticated) as info:
        world.refresh(untagged)
    assert info.value.code == "refresh_token_reused"


def test_a_token_that_does_not_name_its_account_still_refreshes(world: SessionWorld) -> None:
    """Tokens issued as ``{sid}.{secret}.{generation}.{tag}`` (before they named the account)
    refresh as before, reading the account the session names; the successor names it."""
    pair = world.login()
    user_id = world.authenticate(pair.access_token).user_id
    four_parts = pair.refresh_token.rsplit(".", 1)[0]
    successor = world.refresh(four_parts)
    assert successor.refresh_token.rsplit(".", 1)[1] == user_id
    assert world.refresh(successor.refresh_token).access_token


def test_an_account_id_of_another_shape_is_left_out_of_the_token() -> None:
    """An imported account's id may hold what a token's part cannot: the token then names
    no account, and its refresh reads the account the session names."""
    policy = TokenPolicy(claims=CLAIMS)
    named = policy.refresh_token("s" * 22, 3, "x" * 43, "imported:uid/1")
    assert named.count(".") == 3
    assert policy.refresh_token("s" * 22, 3, "x" * 43, "abc_DEF-1").endswith(".abc_DEF-1")


def test_successors_are_keyed(world: SessionWorld) -> None:
    """Without the key nobody can compute a token's successor from a spent token."""
    other = replace(world.policy, successor_key=b"another key" * 3)
    assert world.policy.successor_secret("s") != other.successor_secret("s")
    assert world.policy.successor_secret("s") == world.policy.successor_secret("s")


def test_garbage_and_unknown_refresh_tokens(world: SessionWorld) -> None:
    for token in ("", "nodot", "a.b", "x" * 10 + "." + "y" * 43, "../etc." + "y" * 43):
        with pytest.raises(Unauthenticated) as info:
            world.refresh(token)
        assert info.value.code == "invalid_refresh_token"


def test_idle_and_absolute_expiry(world: SessionWorld) -> None:
    pair = world.login()
    world.clock.advance(days=8)  # idle timeout 7 days
    with pytest.raises(Unauthenticated):
        world.refresh(pair.refresh_token)
    pair = world.login()
    for _ in range(5):  # keep it busy, but 30 days is the absolute limit
        world.clock.advance(days=5)
        pair = world.refresh(pair.refresh_token)
    assert pair.refresh_expires_in == 5 * 86400  # capped by the absolute expiry
    world.clock.advance(days=5, seconds=1)
    with pytest.raises(Unauthenticated):
        world.refresh(pair.refresh_token)


def test_refresh_stops_for_disabled_user_and_after_password_change(world: SessionWorld) -> None:
    pair = world.login()
    user_id = world.authenticate(pair.access_token).user_id
    world.users.update(user_id, lambda u: u.ending_all_sessions(world.clock.now()))
    with pytest.raises(Unauthenticated):
        world.refresh(pair.refresh_token)


def test_renew_never_passes_session_expiry(world: SessionWorld) -> None:
    world.policy = type(world.policy)(session_lifetime=timedelta(minutes=5))
    pair = world.login()
    assert pair.expires_in == 300
    actor = world.authenticate(pair.access_token)
    renewed = world.session_cases().renew(Renew(actor))
    assert renewed.expires_in == 300


def test_logout_one_and_all(world: SessionWorld) -> None:
    a, b, c = world.login(), world.login(), world.login()
    actor = world.authenticate(a.access_token)
    world.session_cases().logout(Logout(actor, everywhere=False))
    with pytest.raises(Unauthenticated):
        world.authenticate(a.access_token)
    with pytest.raises(Unauthenticated):
        world.refresh(a.refresh_token)
    assert world.authenticate(b.access_token)
    world.session_cases().logout(Logout(world.authenticate(b.access_token), everywhere=True))
    assert [e.event.value for e in world.audit.events[-2:]] == ["logout", "logout"]
    for pair in (b, c):
        with pytest.raises(Unauthenticated):
            world.authenticate(pair.access_token)
        with pytest.raises(Unauthenticated):
            world.refresh(pair.refresh_token)
    assert world.login().access_token


def test_sessions_list_and_end_own_only(world: SessionWorld) -> None:
    mine, other = world.login(), world.login()
    actor = world.authenticate(mine.access_token)
    views = world.session_cases().list(ListSessions(actor))
    assert len(views) == 2
    assert [v.id == actor.session_id for v in views].count(True) == 1
    other_sid = world.authenticate(other.access_token).session_id
    world.register("mallory")
    mallory = world.authenticate(world.login("mallory").access_token)
    with pytest.raises(NotFound):
        world.session_cases().end(EndSession(mallory, other_sid))
    assert world.authenticate(other.access_token)
    world.session_cases().end(EndSession(actor, other_sid))
    with pytest.raises(Unauthenticated):
        world.authenticate(other.access_token)
    ended = world.audit.events[-1]  # that session's end, which back-channel logout tells
    assert (ended.event, ended.session_id, ended.reason) == (Audit.LOGOUT, other_sid, "one_session")
    with pytest.raises(NotFound):
        world.session_cases().end(EndSession(actor, "../../users/x"))


class CountedUsers:
    """The fake account store, counting reads by id."""

    def __init__(self, users: Any) -> None:
        self.users, self.reads = users, 0

    def get(self, user_id: str) -> User | None:
        self.reads += 1
        found: User | None = self.users.get(user_id)
        return found

    def __getattr__(self, name: str) -> Any:
        return getattr(self.users, name)


def listed(world: SessionWorld, actor: Actor, users: Any) -> list[str]:
    views = world.session_cases(users).list(ListSessions(actor))
    return [v.id for v in views]


def test_listing_sessions_uses_the_account_authentication_read(world: SessionWorld) -> None:
    mine, other = world.login(), world.login()
    actor = world.authenticate(mine.access_token)
    users = CountedUsers(world.users)
    ids = listed(world, actor, users)
    assert users.reads == 0, "the account as authenticate() read it, not a second read"
    assert sorted(ids) == sorted(
        [actor.session_id, world.authenticate(other.access_token).session_id]
    )
    assert len(listed(world, replace(actor, user=None), users)) == 2
    assert users.reads == 1, "an actor without the account reads it"


def test_sessions_listed_after_a_change_in_the_same_request_are_the_current_ones(
    world: SessionWorld,
) -> None:
    """Ending the others moves the caller's session to the new version: the account read
    at authentication is stale then, and the list must not show the ended sessions."""
    mine, _other = world.login(), world.login()
    actor = world.authenticate(mine.access_token)  # the account at the old version
    world.session_cases().end_others(EndOtherSessions(actor))
    users = CountedUsers(world.users)
    assert listed(world, actor, users) == [actor.session_id]
    assert users.reads == 1


def test_sessions_of_a_deleted_account_are_not_listed(world: SessionWorld) -> None:
    mine = world.login()
    actor = world.authenticate(mine.access_token)

    class Gone(CountedUsers):
        def get(self, user_id: str) -> User | None:
            self.reads += 1
            return None  # deleted since

    with pytest.raises(Unauthenticated):
        listed(world, replace(actor, user=None), Gone(world.users))


def test_ending_the_other_sessions_keeps_the_callers(world: SessionWorld) -> None:
    mine, other, third = world.login(), world.login(), world.login()
    actor = world.authenticate(mine.access_token)
    world.session_cases().end_others(EndOtherSessions(actor))
    for pair in (other, third):
        with pytest.raises(Unauthenticated):
            world.authenticate(pair.access_token)
        with pytest.raises(Unauthenticated):
            world.refresh(pair.refresh_token)
    assert world.authenticate(mine.access_token).session_id == actor.session_id
    assert world.refresh(mine.refresh_token).access_token  # the caller's goes on
    logout = world.audit.events[-1]
    assert logout.event.value == "logout" and logout.reason == "other_sessions"


def test_amr_of_a_password_login_survives_refresh_and_renewal(world: SessionWorld) -> None:
    first = world.login()
    assert world.authenticate(first.access_token).amr == ("pwd",)
    assert world.tokens.verify_access(first.access_token).amr == ("pwd",)
    second = world.refresh(first.refresh_token)
    assert world.tokens.verify_access(second.access_token).amr == ("pwd",)
    renewed = world.session_cases().renew(Renew(world.authenticate(second.access_token)))
    assert world.tokens.verify_access(renewed.access_token).amr == ("pwd",)


def test_whoami_shows_amr(client: FlaskClient) -> None:
    register(client)
    token = login(client)
    me = client.get("/auth/whoami", headers=bearer(token))
    assert me.status_code == 200 and me.get_json()["amr"] == ["pwd"]


def test_the_session_entity_revokes_an_earlier_generation_only() -> None:
    start = datetime(2030, 1, 1, tzinfo=UTC)
    week, grace = timedelta(days=7), timedelta(seconds=10)
    session = Session.start(
        id="s", user_id="u", token_version=0, refresh_hash="h0", now=start, lifetime=week * 4
    )
    for n in range(1, 100):
        at = start + timedelta(minutes=n)
        session = session.refreshed(
            presented=f"h{n - 1}", successor=f"h{n}", now=at, grace=grace, idle_timeout=week
        )
    assert session.rotations == 99 and session.refresh_hashes == ("h99",)
    later = start + timedelta(hours=3)

    def present(generation: int | None) -> Session:
        return session.refreshed(
            presented="?",
            successor="x",
            now=later,
            grace=grace,
            idle_timeout=week,
            generation=generation,
        )

    assert present(None) == session  # nothing proven, nothing happens
    for claimed in (99, 100, 10**6):  # the current generation or later: nothing happens
        assert present(claimed) == session
    assert present(0).revoked_at == later and present(98).revoked_at == later
