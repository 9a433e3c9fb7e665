"""One suite for the repository ports, run against the fakes and against Firestore."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pytest

from application.accounts.accounts import UserRepository
from application.signin.authentication import Principals
from application.signin.mfa import MfaRepository
from application.signin.sessions import SessionRepository
from domain.accounts.credentials import Email, Username
from domain.accounts.guest.part import Guest
from domain.accounts.identities import PhoneNumber
from domain.accounts.merges import merging
from domain.accounts.profile import PROFILE_TEXTS
from domain.accounts.signups import ALLOWED
from domain.accounts.users import Role, User
from domain.errors import Conflict, NotFound
from domain.ids import new_id
from domain.migration.legacy import Legacy, claimed, migrated
from domain.signin.mfa import TotpFactor
from domain.signin.sessions import Session
from infrastructure.firestore.events.security_events import write_staged
from tests.fakes.accounts import FakeUserRepository
from tests.fakes.kernel import InMemoryStore
from tests.fakes.signin import FakeMfaRepository, FakePrincipals, FakeSessionRepository

pytestmark = pytest.mark.contract
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=1)


@dataclass
class Repos:
    users: UserRepository
    sessions: SessionRepository
    principals: Principals
    factors: MfaRepository


@pytest.fixture(params=["fake", "firestore"])
def repos(request: pytest.FixtureRequest) -> Repos:
    if request.param == "fake":
        store = InMemoryStore()
        return Repos(
            FakeUserRepository(store),
            FakeSessionRepository(store),
            FakePrincipals(store),
            FakeMfaRepository(store),
        )
    from infrastructure.firestore.accounts.users import FirestoreUserRepository
    from infrastructure.firestore.orgs.membership_reads import OrgMembershipPart
    from infrastructure.firestore.signin.mfa import FirestoreMfaRepository
    from infrastructure.firestore.signin.principals import FirestorePrincipals
    from infrastructure.firestore.signin.sessions import FirestoreSessionRepository

    client: Any = request.getfixturevalue("firestore")
    return Repos(
        FirestoreUserRepository(client, write_staged=write_staged),
        FirestoreSessionRepository(client, write_staged=write_staged),
        FirestorePrincipals(client, orgs=OrgMembershipPart()),
        FirestoreMfaRepository(client),
    )


def make_user(username: str = "alice", email: str | None = None) -> User:
    return User.register(
        admitted=ALLOWED,
        id=new_id(),
        username=Username(username),
        email=Email(email or f"{username}@example.com"),
        password_hash="hash",
        now=NOW,
        name="Alice",
    )


def make_session(user: User, **changes: Any) -> Session:
    session = Session.start(
        id=new_id(),
        user_id=user.id,
        token_version=user.token_version,
        refresh_hash="h",
        now=NOW,
        lifetime=timedelta(days=30),
        user_agent="ua",
        amr=("pwd", "otp"),
    )
    return session if not changes else Session(**{**session.__dict__, **changes})


def test_get_many_finds_those_that_exist(repos: Repos) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    repos.users.add(alice)
    repos.users.add(bob)
    repos.users.mark_deleted(bob.id, NOW)
    found = repos.users.get_many([alice.id, "nobody", bob.id, alice.id])
    assert set(found) == {alice.id, bob.id}
    assert found[alice.id].shown_name == "alice" and found[alice.id].name == "Alice"
    assert found[bob.id].deleted_at is not None  # marked for deletion, as get finds it
    assert repos.users.get_many([]) == {}


def test_add_get_round_trip(repos: Repos) -> None:
    user = make_user("Alice")
    repos.users.add(user)
    assert repos.users.get(user.id) == user
    assert repos.users.get("missing") is None


def make_guest() -> User:
    return User.new_guest(id=new_id(), now=NOW, admitted=ALLOWED)


def test_a_guest_is_stored_as_one_and_claims_no_name(repos: Repos) -> None:
    first, second = make_guest(), make_guest()
    repos.users.add(first)
    repos.users.add(second)  # two guests: neither holds a username for the other to meet
    stored = repos.users.get(first.id)
    assert stored == first
    assert stored is not None and stored.part(Guest).is_guest and stored.username is None
    assert stored.email is None and stored.password_hash is None
    assert repos.users.get_many([second.id])[second.id].part(Guest).is_guest
    assert repos.users.find_by_login("guest") is None


def test_a_guest_takes_a_name_on_update_and_keeps_its_id(repos: Repos) -> None:
    guest = make_guest()
    repos.users.add(guest)
    repos.users.update(
        guest.id,
        lambda u: replace(u, username=Username("carol"), updated_at=NOW).with_part(Guest()),
    )
    found = repos.users.find_by_login("carol")
    assert found is not None and found.id == guest.id and not found.part(Guest).is_guest


def test_expired_guests_are_found_by_their_expiry_oldest_first(repos: Repos) -> None:
    day = timedelta(days=1)
    late, due, early, later = (
        User.new_guest(id=new_id(), now=NOW + shift, admitted=ALLOWED, ttl=day)
        for shift in (-day, -2 * day, day, -day / 2)
    )
    for guest in (late, due, early, later):
        repos.users.add(guest)
    repos.users.add(make_user("erin"))
    assert repos.users.get(due.id) == due  # its expiry survives storage
    assert repos.users.expired_guests(NOW, 10) == [due.id, late.id]
    assert repos.users.expired_guests(NOW, 1) == [due.id]
    repos.users.update(
        late.id, lambda u: replace(u, username=Username("late"), updated_at=NOW).with_part(Guest())
    )
    assert repos.users.expired_guests(NOW, 10) == [due.id]  # an upgraded one is no guest


def test_a_person_is_never_a_guest_when_stored(repos: Repos) -> None:
    user = make_user("dave")
    repos.users.add(user)
    stored = repos.users.get(user.id)
    assert stored is not None and stored.part(Guest).is_guest is False


def test_find_by_login_by_username_or_email(repos: Repos) -> None:
    user = make_user("Alice", "Alice@Example.com")
    repos.users.add(user)
    assert repos.users.find_by_login("alice") == user
    assert repos.users.find_by_login("alice@example.com") == user
    assert repos.users.find_by_login("nobody") is None
    assert repos.users.find_by_login("nobody@example.com") is None


@pytest.mark.parametrize(
    ("username", "email", "code"),
    [
        ("ALICE", "x@example.com", "username_taken"),
        ("bob", "ALICE@EXAMPLE.COM", "email_taken"),
    ],
)
def test_add_conflicts_leave_nothing_behind(
    repos: Repos, username: str, email: str, code: str
) -> None:
    repos.users.add(make_user("alice"))
    loser = make_user(username, email)
    with pytest.raises(Conflict) as info:
        repos.users.add(loser)
    assert info.value.code == code
    assert repos.users.get(loser.id) is None
    found = repos.users.find_by_login(Username(username).normalized)
    assert found is None or code == "username_taken"


def test_update_renames_and_moves_claims(repos: Repos) -> None:
    user = make_user("alice")
    repos.users.add(user)
    later = NOW + timedelta(hours=1)
    renamed = repos.users.update(
        user.id,
        lambda u: u.edited(
            {"username": Username("alicia"), "email": Email("new@example.com")}, later
        ),
    )
    assert renamed.shown_name == "alicia" and renamed.updated_at == later
    assert repos.users.get(user.id) == renamed
    assert repos.users.find_by_login("alice") is None
    assert repos.users.find_by_login("alicia") == renamed
    assert repos.users.find_by_login("new@example.com") == renamed
    repos.users.add(make_user("alice"))  # the old name is free again


def test_update_to_taken_name_conflicts_without_change(repos: Repos) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    repos.users.add(alice)
    repos.users.add(bob)
    with pytest.raises(Conflict) as info:
        repos.users.update(alice.id, lambda u: u.edited({"username": Username("BOB")}, NOW))
    assert info.value.code == "username_taken"
    assert repos.users.get(alice.id) == alice
    assert repos.users.find_by_login("bob") == bob


def test_update_same_name_other_case_keeps_claim(repos: Repos) -> None:
    user = make_user("alice")
    repos.users.add(user)
    updated = repos.users.update(user.id, lambda u: u.edited({"username": Username("Alice")}, NOW))
    assert updated.shown_name == "Alice"
    assert repos.users.find_by_login("alice") == updated


def test_update_missing_user_is_not_found(repos: Repos) -> None:
    with pytest.raises(NotFound):
        repos.users.update("missing", lambda u: u)


def test_version_bump_keeps_only_the_named_session(repos: Repos) -> None:
    user = make_user()
    repos.users.add(user)
    keep, other = make_session(user), make_session(user)
    repos.sessions.add(keep)
    repos.sessions.add(other)
    bumped = repos.users.update(user.id, lambda u: u.ending_all_sessions(NOW), keep_session=keep.id)
    kept = repos.sessions.get(keep.id)
    ended = repos.sessions.get(other.id)
    assert kept is not None and ended is not None
    assert kept.valid_for(user.id, bumped.token_version, NOW)
    assert not ended.valid_for(user.id, bumped.token_version, NOW)


def test_version_bump_applies_when_the_session_to_keep_has_ended(repos: Repos) -> None:
    # A password change racing a logout of its own session: the change still counts.
    user = make_user()
    repos.users.add(user)
    ended = make_session(user)
    repos.sessions.add(ended)
    repos.sessions.delete(ended.id)
    bumped = repos.users.update(
        user.id, lambda u: u.ending_all_sessions(NOW), keep_session=ended.id
    )
    stored = repos.users.get(user.id)
    assert stored is not None and stored.token_version == bumped.token_version
    assert bumped.token_version > user.token_version
    assert repos.sessions.get(ended.id) is None


def test_mark_deleted_frees_claims_and_purge_removes_everything(repos: Repos) -> None:
    user = make_user()
    repos.users.add(user)
    sessions = [make_session(user) for _ in range(5)]
    for session in sessions:
        repos.sessions.add(session)
    marked = repos.users.mark_deleted(user.id, NOW)
    assert marked is not None
    stored = repos.users.get(user.id)
    assert stored is not None and stored.deleted_at == NOW and not stored.active
    assert repos.users.find_by_login("alice") is None
    assert repos.users.pending_deletions(10) == [user.id]
    repos.users.add(make_user("alice"))  # name and email are free at once
    repos.users.purge(user.id, batch_size=2)
    assert repos.users.get(user.id) is None
    assert all(repos.sessions.get(s.id) is None for s in sessions)
    assert repos.users.pending_deletions(10) == []


def test_mark_deleted_missing_user(repos: Repos) -> None:
    assert repos.users.mark_deleted("missing", NOW) is None


def test_session_round_trip_and_revoke(repos: Repos) -> None:
    user = make_user()
    session = make_session(user)
    repos.sessions.add(session)
    assert repos.sessions.get(session.id) == session
    repos.sessions.revoke(session.id, NOW)
    revoked = repos.sessions.get(session.id)
    assert revoked is not None and revoked.revoked_at == NOW
    repos.sessions.revoke("missing", NOW)  # no error
    assert repos.sessions.get("missing") is None


def test_principals_load_user_and_session(repos: Repos) -> None:
    user = make_user()
    repos.users.add(user)
    session = make_session(user)
    repos.sessions.add(session)
    assert repos.principals.load(user.id, session.id) == (user, session)
    assert session.amr == ("pwd", "otp")  # kept by storage: the equality above covers it
    assert repos.principals.load(user.id, "missing") == (user, None)
    assert repos.principals.load("missing", session.id) == (None, session)


def test_a_session_of_support_access_keeps_who_acts_and_its_org(repos: Repos) -> None:
    """The admin, their username for the banner, and the org that granted it come back as
    stored, through a request's one read too (docs/support-access.md)."""
    user = make_user()
    repos.users.add(user)
    acting = Session.start(
        id=new_id(),
        user_id=user.id,
        token_version=user.token_version,
        refresh_hash="h",
        now=NOW,
        lifetime=timedelta(minutes=15),
        amr=("imp",),
        acting_admin_id="adminId0000000000000a",
        acting_admin_name="adam",
        acting_org_id="orgId000000000000000a",
    )
    repos.sessions.add(acting)
    assert repos.sessions.get(acting.id) == acting
    assert repos.principals.load(user.id, acting.id) == (user, acting)
    found = repos.sessions.get(acting.id)
    assert found is not None
    assert (found.acting_admin_name, found.acting_org_id) == ("adam", "orgId000000000000000a")
    own = make_session(user)  # the person's own: none of them
    repos.sessions.add(own)
    mine = repos.sessions.get(own.id)
    assert mine is not None
    assert (mine.acting_admin_id, mine.acting_admin_name, mine.acting_org_id) == (None, "", None)


def test_a_session_is_read_with_the_account_a_refresh_token_names(repos: Repos) -> None:
    user = make_user()
    repos.users.add(user)
    session = make_session(user)
    repos.sessions.add(session)
    read, account = repos.sessions.read_with_account(session.id, user.id)
    assert read is not None and read.session == session and account == user
    # its version is the one ``read`` gives: an update from it is written at once
    assert read.version == getattr(repos.sessions.read(session.id), "version", None)
    after = repos.sessions.update(session.id, lambda s: s.touched(LATER), read=read)
    assert after is not None and after.last_used_at == LATER
    assert repos.sessions.read_with_account(session.id, "missing") == (
        repos.sessions.read(session.id),
        None,
    )
    assert repos.sessions.read_with_account("missing", user.id) == (None, user)


def test_principals_load_the_authenticator_in_the_same_read(repos: Repos) -> None:
    user = make_user()
    repos.users.add(user)
    session = make_session(user)
    repos.sessions.add(session)
    assert repos.principals.load_with_factor(user.id, session.id) == (user, session, None)
    factor = TotpFactor.pending(user_id=user.id, sealed_secret="sealed", now=NOW)
    assert repos.factors.begin(factor)
    assert repos.principals.load_with_factor(user.id, session.id) == (user, session, factor)
    assert repos.principals.load_with_factor(user.id, "missing") == (user, None, factor)
    assert repos.principals.load_with_factor("missing", "missing") == (None, None, None)


def test_role_and_flags_survive_storage(repos: Repos) -> None:
    user = make_user()
    repos.users.add(user)
    repos.users.update(user.id, lambda u: u.with_role(Role.ADMIN, NOW).with_disabled(True, NOW))
    stored = repos.users.get(user.id)
    assert stored is not None and stored.role is Role.ADMIN and stored.disabled


def test_a_guest_being_merged_survives_storage(repos: Repos) -> None:
    user = make_user().with_part(Guest(is_guest=True))
    repos.users.add(user)
    assert (stored := repos.users.get(user.id)) is not None
    assert stored.part(Guest).is_guest and stored.part(Guest).merging_into is None
    repos.users.update(user.id, lambda u: merging(u, "owner-1", NOW))
    assert (stored := repos.users.get(user.id)) is not None
    assert (stored.part(Guest).is_guest, stored.part(Guest).merging_into) == (True, "owner-1")
    assert stored.token_version == user.token_version + 1


def test_a_legacy_account_and_its_claim_survive_storage(repos: Repos) -> None:
    """One claim wins of two read at once; the password stored clears legacy and the claim
    (docs/decisions/0575-legacy-passwords-checked-once.md)."""
    user = replace(make_user(), password_hash=None).with_part(Legacy(is_legacy=True))
    repos.users.add(user)
    lease = timedelta(seconds=10)
    first = repos.users.update(user.id, lambda u: claimed(u, "c1", NOW, lease))
    second = repos.users.update(user.id, lambda u: claimed(u, "c2", NOW, lease))
    assert (first.part(Legacy).claim, second.part(Legacy).claim) == ("c1", "c1")
    assert (stored := repos.users.get(user.id)) is not None
    assert (
        stored.part(Legacy).is_legacy,
        stored.part(Legacy).claim,
        stored.part(Legacy).claim_until,
    ) == (
        True,
        "c1",
        NOW + lease,
    )
    repos.users.update(user.id, lambda u: migrated(u, "h$1", NOW))
    assert (stored := repos.users.get(user.id)) is not None
    assert (stored.part(Legacy).is_legacy, stored.part(Legacy).claim, stored.password_hash) == (
        False,
        None,
        "h$1",
    )


def test_locale_survives_storage(repos: Repos) -> None:
    user = make_user()
    repos.users.add(user)
    assert (stored := repos.users.get(user.id)) is not None and stored.locale is None
    repos.users.update(user.id, lambda u: u.edited({"locale": "es"}, NOW))
    assert (stored := repos.users.get(user.id)) is not None and stored.locale == "es"


@pytest.mark.parametrize("text", PROFILE_TEXTS)
def test_each_of_the_profiles_texts_survives_storage(repos: Repos, text: str) -> None:
    user = make_user()
    repos.users.add(user)
    for value in ("Written", None):
        repos.users.update(user.id, partial(User.edited, changes={text: value}, now=NOW))
        assert (stored := repos.users.get(user.id)) is not None
        assert stored.texts()[text] == value


def test_the_time_zone_survives_storage(repos: Repos) -> None:
    user = make_user()
    repos.users.add(user)
    assert (stored := repos.users.get(user.id)) is not None and stored.time_zone is None
    repos.users.update(user.id, lambda u: u.edited({"time_zone": "Europe/Madrid"}, NOW))
    assert (stored := repos.users.get(user.id)) is not None
    assert stored.time_zone == "Europe/Madrid"


def test_session_update_is_atomic_read_modify_write(repos: Repos) -> None:
    user = make_user()
    session = make_session(user)
    repos.sessions.add(session)
    later = NOW + timedelta(minutes=1)
    after = repos.sessions.update(
        session.id,
        lambda s: s.refreshed(
            presented="h",
            successor="h2",
            now=later,
            grace=timedelta(seconds=10),
            idle_timeout=timedelta(days=7),
        ),
    )
    assert after is not None and after.refresh_hashes == ("h2",)
    assert after.rotations == 1 and after.rotated_at == later and after.last_used_at == later
    assert repos.sessions.get(session.id) == after
    assert repos.sessions.update("missing", lambda s: s) is None


def test_a_session_update_from_a_read_that_went_stale_reads_again(repos: Repos) -> None:
    """``update(read=...)`` writes without a second read only while the session is still
    as read; a change made since is kept, and the change is applied on top of it."""
    session = make_session(make_user())
    repos.sessions.add(session)
    read = repos.sessions.read(session.id)
    assert read is not None and read.session == session
    later = NOW + timedelta(minutes=1)
    repos.sessions.update(session.id, lambda s: s.touched(later))
    after = repos.sessions.update(
        session.id, lambda s: replace(s, rotations=s.rotations + 1), read=read
    )
    assert after is not None and after.last_used_at == later and after.rotations == 1
    assert repos.sessions.get(session.id) == after
    fresh = repos.sessions.read(session.id)
    assert fresh is not None and fresh.session == after
    hour = NOW + timedelta(hours=1)
    touched = repos.sessions.update(session.id, lambda s: s.touched(hour), read=fresh)
    assert touched is not None and touched.last_used_at == hour
    assert touched == repos.sessions.get(session.id)
    repos.sessions.delete(session.id)
    assert repos.sessions.update(session.id, lambda s: s.touched(NOW), read=fresh) is None
    assert repos.sessions.read(session.id) is None


def test_session_list_and_delete_for_user(repos: Repos) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    mine = [make_session(alice) for _ in range(3)]
    for session in [*mine, make_session(bob)]:
        repos.sessions.add(session)
    assert {s.id for s in repos.sessions.list_for_user(alice.id, 10)} == {s.id for s in mine}
    repos.sessions.delete(mine[0].id)
    repos.sessions.delete(mine[0].id)  # idempotent
    assert repos.sessions.get(mine[0].id) is None
    repos.sessions.delete_for_user(alice.id)
    assert repos.sessions.list_for_user(alice.id, 10) == []
    assert len(repos.sessions.list_for_user(bob.id, 10)) == 1


def test_list_page_orders_by_id_and_skips_deleted(repos: Repos) -> None:
    users = [make_user(f"user{i}") for i in range(5)]
    for user in users:
        repos.users.add(user)
    repos.users.mark_deleted(users[2].id, NOW)
    ids = sorted(u.id for u in users if u.id != users[2].id)
    assert [u.id for u in repos.users.list_page(None, 10)] == ids
    assert [u.id for u in repos.users.list_page(ids[1], 2)] == ids[2:4]


def test_list_admins_finds_the_live_admins_by_id(repos: Repos) -> None:
    users = [make_user(f"boss{i}") for i in range(4)]
    for user in users:
        repos.users.add(user)
    for user in users[:3]:
        repos.users.update(user.id, lambda u: u.with_role(Role.ADMIN, NOW))
    repos.users.mark_deleted(users[0].id, NOW)
    expected = sorted(u.id for u in users[1:3])
    assert [u.id for u in repos.users.list_admins(10)] == expected
    assert [u.id for u in repos.users.list_admins(1)] == expected[:1]


def test_list_by_prefix_orders_by_the_key_and_skips_deleted(repos: Repos) -> None:
    # "\U00020000" (a Han ideograph) sorts after U+F8FF, where a fixed end would stop.
    made = {
        name: make_user(name, email)
        for name, email in (
            ("alice", "zed@example.com"),
            ("Alfred", "Alice.F@Example.org"),
            ("al\U00020000ice", "alice@example.com"),
            ("alina", "alina@example.com"),
            ("Bob", "bob@example.com"),
        )
    }
    for user in made.values():
        repos.users.add(user)
    repos.users.mark_deleted(made["alina"].id, NOW)

    def names(prefix: str, after: str | None = None, limit: int = 10) -> list[str]:
        return [u.shown_name for u in repos.users.list_by_prefix(prefix, after, limit)]

    assert names("al") == ["Alfred", "alice", "al\U00020000ice"]
    assert names("al", limit=1) == ["Alfred"]
    assert names("al", after="alfred") == ["alice", "al\U00020000ice"]
    assert names("al", after="alice", limit=1) == ["al\U00020000ice"]
    assert names("al\U00020000") == ["al\U00020000ice"]
    assert names("") == ["Alfred", "alice", "al\U00020000ice", "Bob"]
    assert names("x") == [] and names("alicex") == []
    # With an '@' the prefix is an address's: ordered by the normalized address.
    assert names("alice") == ["alice"]
    assert names("alice@") == ["al\U00020000ice"]
    assert names("alice.f@example.org") == ["Alfred"]
    assert names("z@") == [] and names("zed@example.com") == ["alice"]
    assert names("alice@", after="alice@example.com") == []


def test_forgotten_devices_round_trip(repos: Repos) -> None:
    user = make_user("alice")
    repos.users.add(user)
    changed = repos.users.update(user.id, lambda u: u.forgetting_devices(NOW))
    assert changed.device_generation == user.device_generation + 1
    assert repos.users.get(user.id) == changed


NUMBER = "+33612345678"


def test_a_proven_phone_number_is_stored_and_claimed(repos: Repos) -> None:
    user = make_user()
    repos.users.add(user)
    assert user.part(PhoneNumber).number is None and not user.part(PhoneNumber).verified
    proven = repos.users.update(user.id, lambda u: u.with_part(PhoneNumber.proven_as(NUMBER), NOW))
    assert (proven.part(PhoneNumber).number, proven.part(PhoneNumber).verified) == (NUMBER, True)
    assert repos.users.get(user.id) == proven
    assert repos.users.find_by_phone_number(NUMBER) == proven
    assert repos.users.find_by_phone_number("+33600000000") is None


def test_a_number_another_account_holds_is_409_and_changes_nothing(repos: Repos) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    repos.users.add(alice)
    repos.users.add(bob)
    repos.users.update(alice.id, lambda u: u.with_part(PhoneNumber.proven_as(NUMBER), NOW))
    with pytest.raises(Conflict) as info:
        repos.users.update(bob.id, lambda u: u.with_part(PhoneNumber.proven_as(NUMBER), NOW))
    assert (info.value.code, info.value.field) == ("phone_number_taken", "phone_number")
    assert repos.users.get(bob.id) == bob
    found = repos.users.find_by_phone_number(NUMBER)
    assert found is not None and found.id == alice.id


def test_a_number_removed_or_changed_is_free_again(repos: Repos) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    repos.users.add(alice)
    repos.users.add(bob)
    repos.users.update(alice.id, lambda u: u.with_part(PhoneNumber.proven_as(NUMBER), NOW))
    repos.users.update(alice.id, lambda u: u.with_part(PhoneNumber.proven_as("+33611111111"), NOW))
    assert repos.users.find_by_phone_number(NUMBER) is None
    repos.users.update(bob.id, lambda u: u.with_part(PhoneNumber.proven_as(NUMBER), NOW))
    removed = repos.users.update(bob.id, lambda u: u.with_part(PhoneNumber(), NOW))
    assert (removed.part(PhoneNumber).number, removed.part(PhoneNumber).verified) == (None, False)
    assert repos.users.find_by_phone_number(NUMBER) is None
    repos.users.update(alice.id, lambda u: u.with_part(PhoneNumber.proven_as(NUMBER), NOW))


def test_an_account_deleted_frees_its_number(repos: Repos) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    repos.users.add(alice)
    repos.users.add(bob)
    repos.users.update(alice.id, lambda u: u.with_part(PhoneNumber.proven_as(NUMBER), NOW))
    repos.users.mark_deleted(alice.id, NOW)
    assert repos.users.find_by_phone_number(NUMBER) is None
    repos.users.update(bob.id, lambda u: u.with_part(PhoneNumber.proven_as(NUMBER), NOW))


def test_a_new_account_claims_its_proven_number_with_the_rest(repos: Repos) -> None:
    alice = make_user("alice").with_part(PhoneNumber.proven_as(NUMBER), NOW)
    repos.users.add(alice)
    assert repos.users.find_by_phone_number(NUMBER) == alice
    loser = make_user("bob").with_part(PhoneNumber.proven_as(NUMBER), NOW)
    with pytest.raises(Conflict) as info:
        repos.users.add(loser)
    assert info.value.code == "phone_number_taken"
    assert repos.users.get(loser.id) is None and repos.users.find_by_login("bob") is None


def test_an_unproven_number_claims_nothing(repos: Repos) -> None:
    alice = make_user("alice").with_part(PhoneNumber(NUMBER))
    bob = make_user("bob").with_part(PhoneNumber(NUMBER))
    repos.users.add(alice)
    repos.users.add(bob)  # no claim taken, none refused
    assert repos.users.get(bob.id) == bob
    assert repos.users.find_by_phone_number(NUMBER) is None
    proven = repos.users.update(bob.id, lambda u: u.with_part(PhoneNumber.proven_as(NUMBER), NOW))
    assert repos.users.find_by_phone_number(NUMBER) == proven


def test_an_account_without_an_address_claims_its_first_one(repos: Repos) -> None:
    alice = replace(make_user("alice"), email=None)
    repos.users.add(alice)
    given = repos.users.update(alice.id, lambda u: u.edited({"email": "a@example.com"}, NOW))
    assert repos.users.find_by_login("a@example.com") == given
    with pytest.raises(Conflict) as info:
        repos.users.add(make_user("bob", "A@example.com"))
    assert info.value.code == "email_taken"
