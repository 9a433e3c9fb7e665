"""Account use cases on in-memory fakes, asserting on the resulting state."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import timedelta
from functools import partial

import pytest

from application.accounts import accounts
from application.accounts.accounts import UpdateProfile
from application.signin import login as login_cases
from application.signin.authentication import Actor
from application.signin.login import ChangePassword
from application.signin.tokens import TokenPolicy
from domain.accounts.credentials import Username
from domain.accounts.signups import ALLOWED
from domain.accounts.users import Role, User
from domain.errors import Conflict, InvalidInput, PermissionDenied, RateLimited, Unauthenticated
from tests.fakes.claims import CLAIMS
from tests.support.api import PASSWORD
from tests.support.use_cases import IP, World

pytestmark = pytest.mark.unit


@pytest.fixture
def world() -> World:
    return World()


def test_register_stores_user_with_hash_and_default_role(world: World) -> None:
    view = world.register("Alice")
    stored = world.store.users[view.id]
    assert stored.role is Role.USER
    assert stored.password_hash == world.hasher.hash(PASSWORD)
    assert view.shown_name == "Alice" and view.id != "Alice"
    assert world.store.usernames == {"alice": view.id}


@pytest.mark.parametrize(
    ("username", "email", "code"),
    [
        ("ALICE", "other@example.com", "username_taken"),
        ("Ａｌｉｃｅ", "other@example.com", "username_taken"),
        ("bob", "ALICE@example.com", "email_taken"),
    ],
)
def test_register_duplicates_conflict(world: World, username: str, email: str, code: str) -> None:
    world.register("alice")
    with pytest.raises(Conflict) as info:
        world.register(username, email)
    assert info.value.code == code
    assert len(world.store.users) == 1


def test_login_by_username_or_email_any_case(world: World) -> None:
    world.register("alice")
    for login in ("alice", "ALICE", "Alice@Example.com"):
        pair = world.login(login)
        assert world.authenticate(pair.access_token).username == "alice"
    assert len(world.store.sessions) == 3


def test_unknown_user_and_wrong_password_are_indistinguishable(world: World) -> None:
    world.register("alice")
    with pytest.raises(Unauthenticated) as wrong:
        world.login("alice", "wrong password!")
    with pytest.raises(Unauthenticated) as unknown:
        world.login("nobody", "wrong password!")
    assert (wrong.value.code, wrong.value.detail) == (unknown.value.code, unknown.value.detail)
    assert world.hasher.dummy_verifications == 1  # the unknown user still cost one verify


def test_login_rehashes_old_parameter_hash(world: World) -> None:
    view = world.register("alice")
    world.hasher.version = 2
    world.login("alice")
    assert world.store.users[view.id].password_hash == "fake$2$" + PASSWORD


def test_disabled_user_cannot_log_in_or_use_tokens(world: World) -> None:
    view = world.register("alice")
    token = world.login().access_token
    world.users.update(view.id, lambda u: u.with_disabled(True, world.clock.now()))
    with pytest.raises(PermissionDenied):
        world.login()
    with pytest.raises(Unauthenticated):  # disabling ended the session
        world.authenticate(token)
    world.users.update(view.id, lambda u: u.with_disabled(False, world.clock.now()))
    with pytest.raises(Unauthenticated):  # and enabling again does not bring it back
        world.authenticate(token)
    assert world.authenticate(world.login().access_token).user_id == view.id


def test_authenticate_uses_stored_role_not_the_claim(world: World) -> None:
    view = world.register("alice")
    token = world.login().access_token
    world.users.update(view.id, lambda u: u.with_role(Role.ADMIN, world.clock.now()))
    assert world.authenticate(token).role == "admin"


def test_revoked_or_expired_session_rejects_token(world: World) -> None:
    world.register("alice")
    pair = world.login()
    actor = world.authenticate(pair.access_token)
    world.sessions.revoke(actor.session_id, world.clock.now())
    with pytest.raises(Unauthenticated):
        world.authenticate(pair.access_token)


def test_update_profile_moves_claims(world: World) -> None:
    view = world.register("alice")
    world.register("bob")
    updated = world.account_cases().update_profile(
        UpdateProfile(user_id=view.id, changes=(("username", "alicia"), ("name", "Alice")))
    )
    assert updated.shown_name == "alicia" and updated.name == "Alice"
    assert "alice" not in world.store.usernames and world.store.usernames["alicia"] == view.id
    with pytest.raises(Conflict) as info:
        world.account_cases().update_profile(
            UpdateProfile(user_id=view.id, changes=(("email", "BOB@example.com"),))
        )
    assert info.value.code == "email_taken"


def test_change_password_ends_other_sessions_only(world: World) -> None:
    view = world.register("alice")
    mine, other = world.login(), world.login()
    actor = world.authenticate(mine.access_token)
    world.change_password(
        ChangePassword(
            user_id=view.id,
            session_id=actor.session_id,
            current_password=PASSWORD,
            new_password="a brand new passphrase",
        )
    )
    assert world.authenticate(mine.access_token).user_id == view.id
    with pytest.raises(Unauthenticated):
        world.authenticate(other.access_token)
    with pytest.raises(Unauthenticated):
        world.login("alice", PASSWORD)
    assert world.login("alice", "a brand new passphrase").access_token


def test_change_password_requires_current_and_policy(world: World) -> None:
    view = world.register("alice")
    sid = world.authenticate(world.login().access_token).session_id
    with pytest.raises(PermissionDenied):
        world.change_password(
            ChangePassword(view.id, sid, "wrong password", "a brand new passphrase")
        )
    with pytest.raises(InvalidInput):
        world.change_password(ChangePassword(view.id, sid, PASSWORD, "password"))


def test_wrong_current_passwords_are_throttled_like_failed_logins(world: World) -> None:
    view = world.register("alice")
    sid = world.authenticate(world.login(ip=IP).access_token).session_id
    limit = world.throttle_policy.per_account_ip.max_failures
    for _ in range(limit):
        with pytest.raises(PermissionDenied):
            world.change_password(ChangePassword(view.id, sid, "a wrong guess", "x" * 12, IP))
    spent = world.hasher.verifications
    # Blocked now: even the right password is refused, before any hash is spent, and the
    # same block holds for logins of the account from that address.
    with pytest.raises(RateLimited) as info:
        world.change_password(ChangePassword(view.id, sid, PASSWORD, "a brand new passphrase", IP))
    assert info.value.code == "too_many_login_failures" and info.value.retry_after >= 1
    assert world.hasher.verifications == spent
    with pytest.raises(RateLimited):
        world.login("alice", PASSWORD, ip=IP)
    world.clock.advance(seconds=info.value.retry_after + 1)
    world.change_password(ChangePassword(view.id, sid, PASSWORD, "a brand new passphrase", IP))
    assert world.login("alice", "a brand new passphrase").access_token


def lock_account_wide(world: World, login: str = "alice") -> None:
    """An attacker spreads wrong guesses over enough addresses to trip the account-wide
    block without tripping any per-(account, address) one."""
    policy = world.throttle_policy
    per_address = policy.per_account_ip.max_failures - 1
    for n in range(policy.per_account.max_failures):
        with pytest.raises((Unauthenticated, RateLimited)):
            world.login(login, "a wrong guess", ip=f"198.51.{n // per_address}.{n % 250}")
    with pytest.raises(RateLimited):
        world.login(login, PASSWORD, ip="203.0.113.99")  # the owner, on a new device


def test_a_device_that_signed_in_before_is_not_stopped_by_the_account_wide_block(
    world: World,
) -> None:
    world.register("alice")
    device = world.login(ip=IP).device_token
    assert device
    lock_account_wide(world)
    pair = world.login("alice", PASSWORD, ip="203.0.113.99", device=device)
    assert world.authenticate(pair.access_token).user_id
    # The same device again, under its new token; and by e-mail, the same account.
    assert pair.device_token and world.login("alice", PASSWORD, device=pair.device_token)
    assert world.login("alice@example.com", PASSWORD, device=pair.device_token)


def test_a_device_token_keeps_the_device_id_and_refreshes_its_lifetime(world: World) -> None:
    world.register("alice")
    first = world.login().device_token
    assert first
    world.clock.advance(days=100)
    second = world.login(device=first).device_token
    assert second and second != first
    found = [world.devices.verify(token, world.clock.now()) for token in (first, second)]
    assert found[0] is not None and found[1] is not None and found[0].id == found[1].id
    world.clock.advance(days=100)  # 200 days after the first, 100 after the second
    assert world.devices.verify(first, world.clock.now()) is None
    assert world.devices.verify(second, world.clock.now()) == found[1]


def test_a_device_has_a_small_budget_of_its_own(world: World) -> None:
    world.register("alice")
    device = world.login(ip=IP).device_token
    assert device
    lock_account_wide(world)
    budget = world.throttle_policy.per_device.max_failures
    for n in range(budget):  # a thief of the device token, from many addresses
        with pytest.raises(Unauthenticated):
            world.login("alice", "a wrong guess", ip=f"192.0.2.{n}", device=device)
    with pytest.raises(RateLimited):
        world.login("alice", PASSWORD, ip="192.0.2.200", device=device)


def test_no_exemption_for_another_accounts_or_a_forged_device_token(world: World) -> None:
    world.register("alice")
    world.register("bob")
    bobs = world.login("bob").device_token
    assert bobs
    lock_account_wide(world)
    version, device_id, _, generation, expiry, mac = bobs.split(".")
    alices_id = world.store.users[next(iter(world.store.users))].id
    forged = ".".join((version, device_id, alices_id, generation, expiry, mac))
    for token in (bobs, forged, "d2.x.y.0.1.z", "d1.x.y.1.z", "garbage"):
        with pytest.raises(RateLimited):
            world.login("alice", PASSWORD, ip="203.0.113.99", device=token)


def test_a_device_token_of_the_first_format_is_of_the_first_generation(world: World) -> None:
    user = User.register(
        admitted=ALLOWED,
        id="u1",
        username=Username("alice"),
        email=None,
        password_hash="h",
        now=world.clock.now(),
    )
    token = world.devices.issue(user, world.clock.now())
    version, device_id, user_id, generation, expiry, _ = token.split(".")
    assert (version, user_id, generation) == ("d2", "u1", "0")
    body = f"d1.{device_id}.{user_id}.{expiry}"  # the format before generations
    digest = hmac.new(world.devices.key, body.encode(), hashlib.sha256).digest()
    first_format = f"{body}.{base64.urlsafe_b64encode(digest).rstrip(b'=').decode()}"
    device = world.devices.verify(first_format, world.clock.now())
    assert device is not None and device.of(user)
    assert not device.of(user.forgetting_devices(world.clock.now()))


def test_a_signed_in_session_changes_its_password_despite_the_account_wide_block(
    world: World,
) -> None:
    view = world.register("alice")
    sid = world.authenticate(world.login(ip=IP).access_token).session_id
    lock_account_wide(world)
    world.change_password(ChangePassword(view.id, sid, PASSWORD, "a brand new passphrase", IP))
    stored = world.store.users[view.id]
    assert stored.password_hash == world.hasher.hash("a brand new passphrase")
    assert world.store.sessions.keys() == {sid}, "the changing session stays, alone"


def test_delete_frees_names_and_kills_tokens(world: World) -> None:
    view = world.register("alice")
    token = world.login().access_token
    accounts.delete_account(view.id, users=world.users, clock=world.clock)
    assert view.id not in world.store.users and not world.store.sessions
    with pytest.raises(Unauthenticated):
        world.authenticate(token)
    again = world.register("alice")
    assert again.id != view.id
    with pytest.raises(Unauthenticated):
        world.authenticate(token)


def delete_with(world: World, actor: Actor, password: str | None) -> None:
    check_password = partial(
        login_cases.check_current_password,
        hasher=world.hasher,
        clock=world.clock,
        throttle=world.throttle,
        throttle_policy=world.throttle_policy,
        legacy=world.legacy,
    )
    world.account_cases(check_password=check_password).delete(
        accounts.DeleteUser(actor, password=password, client_ip=IP)
    )


def test_a_deletion_with_a_password_checks_it_like_a_login(world: World) -> None:
    view = world.register("alice")
    actor = world.authenticate(world.login().access_token)
    with pytest.raises(PermissionDenied) as info:
        delete_with(world, actor, "not the password")
    assert info.value.code == "invalid_current_password"
    assert view.id in world.store.users and world.store.users[view.id].deleted_at is None
    assert world.throttle.records, "the wrong password is counted like a failed login"
    delete_with(world, actor, PASSWORD)
    assert view.id not in world.store.users and not world.store.sessions


def test_a_deletion_without_a_password_asks_none(world: World) -> None:
    """DELETE /user: the bearer token is the proof."""
    view = world.register("alice")
    delete_with(world, world.authenticate(world.login().access_token), None)
    assert view.id not in world.store.users


def test_interrupted_deletion_cannot_log_in_and_is_resumed(world: World) -> None:
    view = world.register("alice")
    token = world.login().access_token
    world.users.mark_deleted(view.id, world.clock.now())  # the crash happens after this
    with pytest.raises(Unauthenticated):
        world.login()
    with pytest.raises(Unauthenticated):
        world.authenticate(token)
    world.register("alice")  # the name is free already
    assert world.account_cases().resume_deletions() == 1
    assert view.id not in world.store.users


def test_session_expires_after_absolute_lifetime(world: World) -> None:
    world.register("alice")
    world.policy = TokenPolicy(session_lifetime=timedelta(hours=1), claims=CLAIMS)
    pair = world.login()
    world.clock.advance(hours=2)
    with pytest.raises(Unauthenticated) as info:  # the JWT itself is still unexpired
        world.authenticate(pair.access_token)
    assert info.value.code == "invalid_token"


class RecordingOwnedData:
    """Stands for a resource module's data; remembers whose data it deleted."""

    def __init__(self) -> None:
        self.deleted_for: list[str] = []

    def delete_owned_by(self, user_id: str, batch_size: int) -> None:
        assert batch_size > 0
        self.deleted_for.append(user_id)


def test_deletion_and_its_resumption_delete_owned_data(world: World) -> None:
    owned = RecordingOwnedData()
    alice, bob = world.register("alice"), world.register("bob")
    accounts.delete_account(alice.id, users=world.users, clock=world.clock, owned=[owned])
    assert owned.deleted_for == [alice.id]
    world.users.mark_deleted(bob.id, world.clock.now())  # crash before the purge
    assert world.account_cases(owned=[owned]).resume_deletions() == 1
    assert owned.deleted_for == [alice.id, bob.id]
    assert bob.id not in world.store.users


def test_identity_changes_are_capped_per_account_and_conflicts_count(world: World) -> None:
    """The 409 of a taken address is the oracle: it counts like a change that lands, and
    the 11th attempt in the hour is a 429 that names when to come back."""
    from domain.request_limits import Limit
    from infrastructure.request_counts import InMemoryRequestCounter

    view = world.register("alice")
    world.register("bob")
    counter = InMemoryRequestCounter()

    def change(*changes: tuple[str, str | None]) -> None:
        world.account_cases(counter=counter, identity_changes=Limit(10, 3600)).update_profile(
            UpdateProfile(user_id=view.id, changes=changes)
        )

    for i in range(10):
        change(("name", f"Alice {i}"))  # neither name nor address: not counted
    for i in range(5):
        change(("email", f"alice{i}@example.com"))
        with pytest.raises(Conflict):
            change(("email", "bob@example.com"))
    change(("email", "alice4@example.com"))  # the address it has: no change, not counted
    with pytest.raises(RateLimited) as info:
        change(("username", "alicia"))
    assert info.value.code == "too_many_identity_changes"
    assert 1 <= info.value.retry_after <= 2 * 3600  # a sliding window: at most two
    with pytest.raises(RateLimited):
        change(("email", "bob@example.com"))  # the oracle answers 429, not 409
    assert world.users.get(view.id).username.value == "alice"  # type: ignore[union-attr]
    world.clock.advance(hours=2)
    change(("username", "alicia"))
