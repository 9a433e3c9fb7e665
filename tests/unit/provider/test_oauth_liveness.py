"""What introspection, userinfo and the refresh grant read at each call: a client each
process keeps for a few seconds (docs/decisions/0200-oauth-client-cache.md), and a grant with
its account, read together when the token names both
(docs/decisions/0201-grant-and-account-read-together.md)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from application.clients.ports import ClientCache
from application.provider.grants import (
    CodesAndGrants,
    ExchangeCode,
    FindRefresh,
    GrantWithAccount,
    LiveGrant,
    LiveRefresh,
    PresentedCode,
    RotateRefresh,
    live_refresh,
)
from application.provider.ports import GrantRead, OAuthPolicy
from domain.accounts.credentials import Email, Username
from domain.accounts.signups import ALLOWED
from domain.accounts.users import User
from domain.clients.oauth import OAuthClient, digest
from domain.ids import new_id
from domain.provider.grants import AuthorizationCode, Grant, Rotation
from infrastructure.audit_log import LoggingAuditLog
from tests.fakes.accounts import FakeUserRepository
from tests.fakes.clients import FakeOAuthClients
from tests.fakes.kernel import FakeClock, InMemoryStore
from tests.fakes.provider import FakeGrantHolders, FakeOAuthGrants

pytestmark = pytest.mark.unit
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


# -- the client cache


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class CountingClients(FakeOAuthClients):
    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def get(self, client_id: str) -> OAuthClient | None:
        self.reads += 1
        return super().get(client_id)


def an_app(client_id: str = "c1") -> OAuthClient:
    return OAuthClient.new(
        client_id=client_id,
        name="Example",
        redirect_uris=("https://app.example.com/cb",),
        secret="s3cret",
        scopes=("openid",),
        now=NOW,
    )


def test_a_client_read_is_reused_for_the_ttl_then_read_again() -> None:
    inner, ticks = CountingClients(), Ticks()
    cache = ClientCache(inner, ttl=5.0, monotonic=ticks)
    inner.add(an_app())
    assert cache.get("c1") == an_app()
    ticks.now += 4.9
    assert cache.get("c1") == an_app()
    assert inner.reads == 1
    ticks.now += 0.2
    assert cache.get("c1") == an_app()
    assert inner.reads == 2


def test_a_client_deleted_through_the_cache_is_gone_at_once() -> None:
    inner, ticks = CountingClients(), Ticks()
    cache = ClientCache(inner, ttl=5.0, monotonic=ticks)
    cache.add(an_app())
    assert cache.get("c1") is not None
    assert cache.delete("c1") is True
    assert cache.get("c1") is None  # no time passed: the copy was dropped
    assert cache.delete("c1") is False


def test_a_client_deleted_by_another_process_is_seen_within_the_ttl() -> None:
    inner, ticks = CountingClients(), Ticks()
    cache = ClientCache(inner, ttl=5.0, monotonic=ticks)
    inner.add(an_app())
    assert cache.get("c1") is not None
    inner.delete("c1")  # another process: this one's copy lives on until the TTL
    ticks.now += 4.0
    assert cache.get("c1") is not None
    ticks.now += 1.0
    assert cache.get("c1") is None


def test_an_absent_client_is_never_kept() -> None:
    inner, ticks = CountingClients(), Ticks()
    cache = ClientCache(inner, ttl=5.0, monotonic=ticks)
    assert cache.get("c1") is None
    inner.add(an_app())  # made in another process (a dynamic registration, say)
    assert cache.get("c1") == an_app()


def test_a_read_under_way_while_the_client_is_deleted_keeps_nothing() -> None:
    ticks = Ticks()

    class DeletedMeanwhile(CountingClients):
        def get(self, client_id: str) -> OAuthClient | None:
            found = super().get(client_id)  # read before the deletion below commits
            if self.reads == 1:
                cache.delete(client_id)
            return found

    inner = DeletedMeanwhile()
    cache = ClientCache(inner, ttl=5.0, monotonic=ticks)
    inner.add(an_app())
    assert cache.get("c1") is not None  # the read that raced the deletion answers
    assert cache.get("c1") is None  # but left no copy behind


def test_no_ttl_reads_every_time_and_the_copies_are_bounded() -> None:
    inner, ticks = CountingClients(), Ticks()
    uncached = ClientCache(inner, ttl=0, monotonic=ticks)
    inner.add(an_app())
    uncached.get("c1")
    uncached.get("c1")
    assert inner.reads == 2
    cache = ClientCache(inner, ttl=5.0, monotonic=ticks)
    for n in range(ClientCache.MAX_KEPT + 10):
        inner.add(an_app(f"x{n}"))
        cache.get(f"x{n}")
    assert len(cache._kept) == ClientCache.MAX_KEPT
    reads = inner.reads
    cache.get("x0")  # the oldest went first
    assert inner.reads == reads + 1


# -- a grant and its account


class Ports:
    def __init__(self) -> None:
        self.store = InMemoryStore()
        self.users = FakeUserRepository(self.store)
        self.grants = CountingGrants()
        self.holders = CountingHolders(self.grants, self.store)
        self.clock = FakeClock(NOW)
        self.alice = User.register(
            admitted=ALLOWED,
            id=new_id(),
            username=Username("alice"),
            email=Email("alice@example.com"),
            password_hash="hash",
            now=NOW,
        )
        self.users.add(self.alice)
        self.codes = CodesAndGrants(
            grants=self.grants,
            users=self.users,
            holders=self.holders,
            clock=self.clock,
            audit=LoggingAuditLog(),
            policy=OAuthPolicy(),
        )

    def grant(self, refresh: str | None = None, **changes: Any) -> Grant:
        grant = replace(
            Grant(
                id=new_id(),
                user_id=self.alice.id,
                client_id="c1",
                scope="openid offline_access",
                created_at=NOW,
                token_version=0,
                issued=True,
            ),
            **changes,
        )
        if refresh is not None:
            grant = replace(grant, refresh_hash=digest(refresh.format(grant=grant.id)))
        self.grants.grants[grant.id] = grant
        return grant

    def live(self, token: str) -> Grant | None:
        return live_refresh(
            LiveRefresh(token),
            grants=self.grants,
            users=self.users,
            holders=self.holders,
            clock=self.clock,
        )

    def find_refresh(self, token: str) -> GrantWithAccount | None:
        """The refresh grant's read of its token, for the client c1."""
        return self.codes.find_refresh(FindRefresh(token, "c1"))

    def live_grant(self, grant_id: str, user_id: str | None) -> GrantWithAccount | None:
        return self.codes.live_grant(LiveGrant(grant_id, user_id))

    def change_alice(self, **changes: Any) -> None:
        self.store.users[self.alice.id] = replace(self.alice, **changes)


class CountingGrants(FakeOAuthGrants):
    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def get(self, grant_id: str) -> Grant | None:
        self.reads += 1
        return super().get(grant_id)

    def rotate(self, *args: Any, **kwargs: Any) -> Rotation | None:
        self.rotated_from = kwargs.get("read")  # the read a rotation was built from
        return super().rotate(*args, **kwargs)


class CountingHolders(FakeGrantHolders):
    reads = 0

    def load(self, grant_id: str, user_id: str) -> tuple[Grant | None, User | None]:
        self.reads += 1
        return super().load(grant_id, user_id)


@pytest.fixture
def ports() -> Ports:
    return Ports()


def test_a_refresh_token_names_its_grant_and_account_read_in_one_round_trip(
    ports: Ports,
) -> None:
    code = AuthorizationCode(
        hash=digest("a-code"),
        client_id="c1",
        user_id=ports.alice.id,
        grant_id=new_id(),
        redirect_uri="https://app.example.com/cb",
        scope="openid offline_access",
        code_challenge="c" * 43,
        code_challenge_method="S256",
        created_at=NOW,
        auth_time=NOW,
    )
    ports.grants.add_code(code)
    exchanged = ports.codes.exchange_code(
        ExchangeCode(PresentedCode(code, "c1", ports.alice), with_refresh=True)
    )
    assert exchanged is not None and exchanged.refresh_token is not None
    token = exchanged.refresh_token
    assert token.startswith(f"{code.grant_id}~{ports.alice.id}.")
    grants_read = ports.grants.reads
    found = ports.live(token)
    assert found is not None and found.id == code.grant_id
    assert ports.holders.reads == 1 and ports.grants.reads == grants_read  # one batch read
    refreshed = ports.find_refresh(token)
    assert refreshed is not None and refreshed.grant.id == code.grant_id
    assert refreshed.account == ports.alice  # read with the grant: the refresh's user


def test_a_refresh_rotates_the_grant_as_it_read_it_with_its_account(ports: Ports) -> None:
    grant = ports.grant(refresh="{grant}~" + ports.alice.id + ".s1")
    token = f"{grant.id}~{ports.alice.id}.s1"

    def found() -> GrantRead:
        holding = ports.find_refresh(token)
        assert holding is not None and holding.read is not None
        return holding.read

    def rotated(read: GrantRead) -> str | None:
        return ports.codes.rotate_refresh(RotateRefresh(grant.id, ports.alice.id, token, read=read))

    read = found()
    assert read.grant == grant
    assert rotated(read) is not None
    # one read (the grant with its version, and the account), the rotation built from it
    assert (ports.holders.reads, ports.grants.reads) == (1, 0)
    assert ports.grants.rotated_from == read

    # A read the grant has changed since (another request rotated it in between): the
    # rotation is decided on the grant as it is now, where the token is spent: a reuse,
    # which revokes the grant
    ports.grants.grants[grant.id] = grant
    stale = found()
    assert rotated(found()) is not None
    assert rotated(stale) is None
    assert ports.grants.grants[grant.id].revoked


def test_a_refresh_token_made_before_it_named_the_account_still_holds(ports: Ports) -> None:
    grant = ports.grant(refresh="{grant}.an-older-secret")
    found = ports.live(f"{grant.id}.an-older-secret")
    assert found is not None and found.id == grant.id
    assert ports.holders.reads == 0  # the grant, then its account
    assert ports.live(f"{grant.id}.another-secret") is None


def test_a_token_naming_another_account_than_its_grants_is_none(ports: Ports) -> None:
    mallory = "m" * 22
    grant = ports.grant(refresh="{grant}~" + mallory + ".secret")
    ports.users.add(replace(ports.alice, id=mallory, username=Username("mallory"), email=None))
    assert ports.live(f"{grant.id}~{mallory}.secret") is None
    assert ports.live_grant(grant.id, mallory) is None
    found = ports.live_grant(grant.id, ports.alice.id)
    assert found is not None and found.grant == grant and found.account.id == ports.alice.id
    found = ports.live_grant(grant.id, None)  # the use the first noted, as it was read
    assert found is not None and replace(found.grant, last_used_at=None) == grant


@pytest.mark.parametrize(
    "change", [{"disabled": True}, {"token_version": 1}], ids=["disabled", "sessions ended"]
)
def test_a_grant_ends_at_once_with_its_accounts_sessions_on_either_read(
    ports: Ports, change: dict[str, Any]
) -> None:
    named = ports.grant(refresh="{grant}~" + ports.alice.id + ".s")
    older = ports.grant(refresh="{grant}.s")
    assert ports.live(f"{named.id}~{ports.alice.id}.s") is not None
    assert ports.live(f"{older.id}.s") is not None
    ports.change_alice(**change)
    assert ports.live(f"{named.id}~{ports.alice.id}.s") is None
    assert ports.live(f"{older.id}.s") is None
    assert ports.live_grant(named.id, ports.alice.id) is None


def test_a_revoked_grant_or_a_missing_account_is_none(ports: Ports) -> None:
    revoked = ports.grant(revoked=True)
    assert ports.live_grant(revoked.id, ports.alice.id) is None
    assert ports.live_grant("no-such-grant", ports.alice.id) is None
    ports.store.users.pop(ports.alice.id)
    kept = ports.grant()
    assert ports.live_grant(kept.id, ports.alice.id) is None
    assert ports.live_grant(kept.id, None) is None
