"""Connected accounts with the fakes: the list, disconnecting (never the last way in),
connecting while signed in, and a pending link spent once
(application/federation/connected.py)."""

from __future__ import annotations

import pytest

from application.federation.connected import (
    Connect,
    ConnectedAccounts,
    ConnectPending,
    Disconnect,
    HoldPending,
    ListIdentities,
)
from application.ports import Audit, ExternalIdentity
from application.signin.authentication import Actor
from domain.accounts.identities import PendingLink
from domain.accounts.users import User
from domain.errors import Conflict, NotFound
from domain.link_tokens import InvalidToken
from domain.signin.passkeys import Passkey
from tests.support.linking import ADDRESS, World, identity

pytestmark = pytest.mark.unit


class Connecting(World):
    """The linking world, with the connected accounts' use cases built on it."""

    @property
    def cases(self) -> ConnectedAccounts:
        return ConnectedAccounts(
            identities=self.identities, passkeys=self.passkeys, clock=self.clock, audit=self.audit
        )

    def connect(self, user: User, who: ExternalIdentity) -> User:
        return self.cases.connect(Connect(actor_of(user), who))

    def disconnect(self, user: User, provider: str) -> None:
        self.cases.disconnect(Disconnect(actor_of(user), provider))

    def hold(self, who: ExternalIdentity) -> str:
        return self.cases.hold_pending(HoldPending(who, "GitHub"))

    def pending(self, secret: str) -> PendingLink:
        return self.cases.pending(secret)

    def connect_pending(self, user: User, secret: str) -> PendingLink:
        return self.cases.connect_pending(ConnectPending(actor_of(user), secret))


@pytest.fixture
def world() -> Connecting:
    return Connecting()


def actor_of(user: User, *, recent: bool = True) -> Actor:
    """The account's signed-in session; ``recent``: signed in within REAUTH_MAX_AGE."""
    return Actor(user.id, user.shown_name, "user", "sid", user.created_at, recent_sign_in=recent)


def linked_user(world: Connecting) -> User:
    """An account made by a GitHub sign-in: no password, one identity."""
    return world.account_of(world.arrive(identity()))


def test_the_list_names_each_identity_with_its_address_and_time(world: Connecting) -> None:
    user = linked_user(world)
    (link,) = world.cases.list(ListIdentities(actor_of(user)))
    assert (link.provider, link.subject, link.email) == ("github", "gh-1", ADDRESS)
    assert link.linked_at == user.created_at


def test_connecting_while_signed_in_links_another_identity(world: Connecting) -> None:
    user = linked_user(world)
    gitlab = identity("gl-9", "ada@gitlab.example", provider="gitlab")
    world.connect(user, gitlab)
    world.connect(user, gitlab)  # again: no change
    assert world.store.identities == {"github:gh-1": user.id, "gitlab:gl-9": user.id}
    assert world.reasons(Audit.IDENTITY_LINKED) == [(user.id, "github"), (user.id, "gitlab")]
    # The identity signs in to that account from now on (rule 1).
    assert world.account_of(world.arrive(gitlab)).id == user.id
    world.disconnect(user, "github")  # another identity is a way left
    assert world.store.identities == {"gitlab:gl-9": user.id}


def test_an_identity_of_another_account_is_not_connected(world: Connecting) -> None:
    user = linked_user(world)
    other = world.account_of(world.arrive(identity("gh-2", "bob@example.com")))
    with pytest.raises(Conflict) as taken:
        world.connect(other, identity())
    assert taken.value.code == "identity_taken"
    assert world.store.identities["github:gh-1"] == user.id


def test_the_last_way_to_sign_in_is_never_disconnected(world: Connecting) -> None:
    user = linked_user(world)
    with pytest.raises(Conflict) as last:
        world.disconnect(user, "github")
    assert last.value.code == "last_sign_in_method"
    assert world.store.identities == {"github:gh-1": user.id}
    with pytest.raises(NotFound) as missing:
        world.disconnect(user, "gitlab")
    assert missing.value.code == "identity_not_found"


def test_a_passkey_is_a_way_left(world: Connecting) -> None:
    user = linked_user(world)
    world.passkeys.add(
        Passkey.create(
            user_id=user.id,
            credential_id=b"ada's key",
            public_key=b"cose",
            sign_count=0,
            name="ada",
            now=world.clock.now(),
        )
    )
    world.disconnect(user, "github")
    assert world.store.identities == {}
    assert world.reasons(Audit.IDENTITY_UNLINKED) == [(user.id, "github")]


def test_a_password_is_a_way_left(world: Connecting) -> None:
    with_password = world.squatter(proven=True)
    world.identities.link_existing(
        with_password.id, "gitlab", "gl-1", lambda u: u, "mallory@example.org"
    )
    world.disconnect(with_password, "gitlab")
    assert world.store.identities == {}


def test_a_pending_link_is_connected_once_by_whoever_signs_in(world: Connecting) -> None:
    held = world.squatter(proven=True)
    secret = world.hold(identity())
    found = world.pending(secret)
    assert (found.provider_name, found.email) == ("GitHub", ADDRESS)
    assert world.store.pending_links and secret not in world.store.pending_links  # hashed

    world.connect_pending(held, secret)
    assert world.store.identities == {"github:gh-1": held.id}
    with pytest.raises(InvalidToken):  # single use
        world.connect_pending(held, secret)
    with pytest.raises(InvalidToken):
        world.pending(secret)


def test_a_pending_link_expires(world: Connecting) -> None:
    held = world.squatter(proven=True)
    secret = world.hold(identity())
    world.clock.advance(minutes=10)
    with pytest.raises(InvalidToken):
        world.pending(secret)
    with pytest.raises(InvalidToken):
        world.connect_pending(held, secret)
    assert world.store.identities == {}
