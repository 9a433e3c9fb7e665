"""An account keeps a way to sign in (domain.accounts.identities.keep_a_way_in): disconnecting an
identity and deleting a passkey follow one rule, whichever comes first; Firestore's side of the
race is tests/e2e/test_pre_hijack_emulator.py's."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from application.federation.connected import ConnectedAccounts, Disconnect
from application.signin.authentication import Actor
from application.signin.factors.passkeys import DeletePasskey
from domain.accounts.identities import IdentityLink, keep_a_way_in, passkey_removal, unlinking
from domain.accounts.users import User
from domain.errors import Conflict, NotFound
from domain.signin.passkeys import Passkey
from tests.fakes.signin import FakePasskeyRepository
from tests.support.linking import World, identity

pytestmark = pytest.mark.unit
AT = datetime(2026, 5, 1, tzinfo=UTC)


def link(provider: str = "github") -> IdentityLink:
    return IdentityLink(provider, "s1", "u1", None, AT)


@pytest.mark.parametrize(
    ("password", "passkeys", "identities", "kept"),
    [
        (False, 0, 0, False),
        (False, 1, 0, True),
        (False, 0, 1, True),
        (True, 0, 0, True),
    ],
)
def test_an_account_keeps_a_password_a_passkey_or_an_identity(
    world: World, password: bool, passkeys: int, identities: int, kept: bool
) -> None:
    user = world.account_of(world.arrive(identity()))
    if password:
        user = user.with_password_hash("hash", AT)
    if kept:
        keep_a_way_in(user, passkeys=passkeys, identities=identities)
    else:
        with pytest.raises(Conflict) as refused:
            keep_a_way_in(user, passkeys=passkeys, identities=identities)
        assert refused.value.code == "last_sign_in_method"


def test_both_removals_ask_the_same_rule(world: World) -> None:
    user: User = world.account_of(world.arrive(identity()))
    with pytest.raises(Conflict):
        passkey_removal(user, 1, [])  # the last passkey, no identity
    passkey_removal(user, 1, [link()])
    passkey_removal(user, 2, [])
    with pytest.raises(Conflict):
        unlinking(user, [link()], "github", 0)  # the last identity, no passkey
    assert unlinking(user, [link()], "github", 1) == [link()]


@pytest.fixture
def world() -> World:
    found = World()
    found.passkeys = FakePasskeyRepository(found.store)  # guarded by the account, as Firestore
    return found


def with_passkey(world: World) -> tuple[Actor, Passkey]:
    """A password-free account (one GitHub identity) with one passkey."""
    user = world.account_of(world.arrive(identity()))
    key = Passkey.create(
        user_id=user.id, credential_id=b"k1", public_key=b"cose", sign_count=0, name="k", now=AT
    )
    world.passkeys.add(key)
    return Actor(user.id, user.shown_name, "user", "sid", AT), key


def delete(world: World, actor: Actor, key: Passkey) -> None:
    world.passkey_cases(world.passkeys, world.identities).delete(DeletePasskey(actor, key.id))


def unlink(world: World, actor: Actor) -> None:
    connected = ConnectedAccounts(
        identities=world.identities, passkeys=world.passkeys, clock=world.clock, audit=world.audit
    )
    connected.disconnect(Disconnect(actor, "github"))


def test_the_passkey_goes_while_an_identity_stays_then_the_identity_may_not(
    world: World,
) -> None:
    actor, key = with_passkey(world)
    delete(world, actor, key)
    assert world.passkeys.list_for_user(actor.user_id, 5) == []
    with pytest.raises(Conflict) as refused:
        unlink(world, actor)
    assert refused.value.code == "last_sign_in_method"
    assert world.store.identities == {"github:gh-1": actor.user_id}


def test_the_identity_goes_while_a_passkey_stays_then_the_passkey_may_not(
    world: World,
) -> None:
    actor, key = with_passkey(world)
    unlink(world, actor)
    with pytest.raises(Conflict) as refused:
        delete(world, actor, key)
    assert refused.value.code == "last_sign_in_method"
    assert world.passkeys.list_for_user(actor.user_id, 5) == [key]
    with pytest.raises(NotFound):  # another's, or an unknown one, as before
        delete(world, Actor("someone", "x", "user", "sid", AT), key)


def test_with_a_password_the_last_passkey_goes(world: World) -> None:
    actor, key = with_passkey(world)
    unlink_first = world.users.update(actor.user_id, lambda u: u.with_password_hash("h", AT))
    assert unlink_first is not None
    unlink(world, actor)
    delete(world, actor, key)
    assert world.passkeys.list_for_user(actor.user_id, 5) == []
