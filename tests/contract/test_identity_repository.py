"""The IdentityRepository port, run against the fake and against Firestore."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest

from application.accounts.accounts import UserRepository
from application.accounts.ways_in import IdentityRepository
from application.signin.factors.passkeys import PasskeyRepository
from domain.accounts.credentials import Email, Username
from domain.accounts.guest.part import Guest
from domain.accounts.identities import (
    IdentityLink,
    PendingLink,
    linked_to,
    passkey_removal,
    unlinking,
)
from domain.accounts.profile import PersonName
from domain.accounts.signups import ALLOWED
from domain.accounts.users import User
from domain.errors import Conflict, NotFound
from domain.ids import new_id
from domain.signin.passkeys import Passkey
from infrastructure.firestore.events.security_events import write_staged
from tests.fakes.accounts import FakeUserRepository
from tests.fakes.federation import FakeIdentityRepository
from tests.fakes.kernel import InMemoryStore
from tests.fakes.signin import FakePasskeyRepository

pytestmark = pytest.mark.contract
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)
UID = "fb-uid-1"


@dataclass
class Repos:
    users: UserRepository
    identities: IdentityRepository
    passkeys: PasskeyRepository  # the other way in a removal of one is guarded with


@pytest.fixture(params=["fake", "firestore"])
def repos(request: pytest.FixtureRequest) -> Repos:
    if request.param == "fake":
        store = InMemoryStore()
        return Repos(
            FakeUserRepository(store), FakeIdentityRepository(store), FakePasskeyRepository(store)
        )
    from infrastructure.firestore.accounts.identities import FirestoreIdentityRepository
    from infrastructure.firestore.accounts.users import FirestoreUserRepository
    from infrastructure.firestore.signin.passkeys import FirestorePasskeyRepository

    client = request.getfixturevalue("firestore")
    return Repos(
        FirestoreUserRepository(client, write_staged=write_staged),
        FirestoreIdentityRepository(client),
        FirestorePasskeyRepository(client),
    )


def make_user(username: str = "alice", email: str | None = None) -> User:
    return User.register(
        admitted=ALLOWED,
        id=new_id(),
        username=Username(username),
        email=Email(email or f"{username}@example.com"),
        password_hash=None,
        now=NOW,
        name="Alice Liddell",
    )


def test_unknown_identity_is_none(repos: Repos) -> None:
    assert repos.identities.find_by_identity("firebase", UID) is None


def test_add_links_a_passwordless_user_with_its_claims(repos: Repos) -> None:
    user = make_user("Alice")
    assert repos.identities.add_with_identity(user, "firebase", UID) == user
    assert repos.identities.find_by_identity("firebase", UID) == user
    assert repos.users.get(user.id) == user
    assert repos.users.find_by_login("alice") == user
    assert repos.users.find_by_login("alice@example.com") == user
    assert repos.identities.find_by_identity("firebase", "other-uid") is None
    assert repos.identities.find_by_identity("other-provider", UID) is None


def test_a_uid_never_matches_a_username(repos: Repos) -> None:
    repos.users.add(make_user("alice"))
    assert repos.identities.find_by_identity("firebase", "alice") is None


def test_second_add_of_one_identity_returns_the_first_user(repos: Repos) -> None:
    first = make_user("alice")
    repos.identities.add_with_identity(first, "firebase", UID)
    second = make_user("alice2", "other@example.com")
    assert repos.identities.add_with_identity(second, "firebase", UID) == first
    assert repos.users.get(second.id) is None
    assert repos.users.find_by_login("alice2") is None
    assert repos.users.find_by_login("other@example.com") is None


def test_same_person_racing_with_the_same_names_gets_the_first_user(repos: Repos) -> None:
    # A parallel first sign-in derives the same username and e-mail: not a conflict.
    first = make_user("alice")
    repos.identities.add_with_identity(first, "firebase", UID)
    assert repos.identities.add_with_identity(make_user("alice"), "firebase", UID) == first


@pytest.mark.parametrize(
    ("username", "email", "code"),
    [
        ("ALICE", "new@example.com", "username_taken"),
        ("newname", "Alice@Example.COM", "email_taken"),
    ],
)
def test_taken_claims_conflict_and_leave_nothing_behind(
    repos: Repos, username: str, email: str, code: str
) -> None:
    holder = make_user("alice")
    repos.users.add(holder)
    loser = make_user(username, email)
    with pytest.raises(Conflict) as info:
        repos.identities.add_with_identity(loser, "firebase", UID)
    assert info.value.code == code
    assert repos.identities.find_by_identity("firebase", UID) is None
    assert repos.users.get(loser.id) is None
    assert repos.users.find_by_login("alice") == holder
    assert repos.users.find_by_login("alice@example.com") == holder
    if code == "email_taken":
        assert repos.users.find_by_login("newname") is None
    else:
        assert repos.users.find_by_login("new@example.com") is None
    repos.identities.add_with_identity(make_user("bob"), "firebase", UID)  # link still free


def test_deleted_account_frees_its_identity(repos: Repos) -> None:
    old = make_user("alice")
    repos.identities.add_with_identity(old, "firebase", UID)
    repos.users.mark_deleted(old.id, NOW)
    assert repos.identities.find_by_identity("firebase", UID) is None
    # Before the purge the stale link still exists: it is replaced, not followed.
    new = make_user("alice")
    assert repos.identities.add_with_identity(new, "firebase", UID) == new
    assert repos.identities.find_by_identity("firebase", UID) == new
    repos.users.purge(old.id, batch_size=10)
    assert repos.identities.find_by_identity("firebase", UID) == new


def test_purge_removes_the_link(repos: Repos) -> None:
    user = make_user("alice")
    repos.identities.add_with_identity(user, "firebase", UID)
    repos.users.mark_deleted(user.id, NOW)
    repos.users.purge(user.id, batch_size=10)
    assert repos.users.get(user.id) is None
    assert repos.identities.find_by_identity("firebase", UID) is None
    again = make_user("alice")
    assert repos.identities.add_with_identity(again, "firebase", UID) == again


@pytest.mark.parametrize("subject", ["a/b", "__x__", "%2F", "ü" * 128, "."])
def test_awkward_subjects(repos: Repos, subject: str) -> None:
    user = make_user("alice")
    assert repos.identities.add_with_identity(user, "firebase", subject) == user
    assert repos.identities.find_by_identity("firebase", subject) == user
    assert repos.identities.find_by_identity("firebase", subject + "x") is None


@pytest.mark.timeout(120)
def test_parallel_first_links_make_one_account(repos: Repos) -> None:
    candidates = [make_user("alice") for _ in range(8)]
    with ThreadPoolExecutor(len(candidates)) as pool:
        linked = list(
            pool.map(lambda u: repos.identities.add_with_identity(u, "firebase", UID), candidates)
        )
    winner = linked[0]
    assert all(user == winner for user in linked)
    assert winner in candidates
    assert [c.id for c in candidates if repos.users.get(c.id) is not None] == [winner.id]
    assert repos.identities.find_by_identity("firebase", UID) == winner


def claim(user: User) -> User | None:
    """The takeover's change: only while the address is unproven."""
    return None if user.email_verified else user.claimed(NOW)


def test_link_existing_changes_the_user_and_links_it_in_one(repos: Repos) -> None:
    user = replace(make_user("alice"), password_hash="hash")
    repos.users.add(user)
    linked = repos.identities.link_existing(user.id, "firebase", UID, claim)
    assert linked is not None and linked == repos.users.get(user.id)
    assert linked.password_hash is None and linked.email_verified
    assert linked.token_version == user.token_version + 1
    assert linked.device_generation == user.device_generation + 1
    assert repos.identities.find_by_identity("firebase", UID) == linked
    # Once linked, the identity's account is the answer, and nothing changes again.
    assert repos.identities.link_existing(user.id, "firebase", UID, claim) == linked
    assert repos.users.get(user.id) == linked


def test_link_existing_refused_by_its_change_writes_nothing(repos: Repos) -> None:
    user = make_user("alice").with_email_verified(NOW)
    repos.users.add(user)
    assert repos.identities.link_existing(user.id, "firebase", UID, claim) is None
    assert repos.identities.find_by_identity("firebase", UID) is None
    assert repos.users.get(user.id) == user


def test_link_existing_of_a_missing_or_deleted_user_is_none(repos: Repos) -> None:
    assert repos.identities.link_existing("missing", "firebase", UID, claim) is None
    user = make_user("alice")
    repos.users.add(user)
    repos.users.mark_deleted(user.id, NOW)
    assert repos.identities.link_existing(user.id, "firebase", UID, claim) is None
    assert repos.identities.find_by_identity("firebase", UID) is None


def test_link_existing_of_an_identity_linked_elsewhere_returns_that_account(repos: Repos) -> None:
    first = make_user("alice")
    repos.identities.add_with_identity(first, "firebase", UID)
    other = make_user("bob")
    repos.users.add(other)
    assert repos.identities.link_existing(other.id, "firebase", UID, claim) == first
    assert repos.users.get(other.id) == other


def test_delete_owned_by_removes_every_link_of_the_user_only(repos: Repos) -> None:
    user, other = make_user("alice"), make_user("bob")
    repos.identities.add_with_identity(user, "firebase", UID)
    repos.identities.add_with_identity(other, "firebase", "other-uid")
    repos.users.update(user.id, lambda u: u.edited({"email": "new@example.com"}, NOW))
    assert repos.identities.link_existing(user.id, "google", UID, claim) is not None
    repos.identities.delete_owned_by(user.id, batch_size=1)
    assert repos.identities.find_by_identity("firebase", UID) is None
    assert repos.identities.find_by_identity("google", UID) is None
    assert repos.identities.find_by_identity("firebase", "other-uid") == other
    repos.identities.delete_owned_by(user.id, batch_size=1)  # idempotent


@pytest.mark.timeout(120)
def test_parallel_takeovers_of_one_account_link_one_identity(repos: Repos) -> None:
    user = make_user("alice")
    repos.users.add(user)
    subjects = [f"uid-{n}" for n in range(8)]
    with ThreadPoolExecutor(len(subjects)) as pool:
        linked = list(
            pool.map(
                lambda s: repos.identities.link_existing(user.id, "firebase", s, claim), subjects
            )
        )
    winners = [s for s, u in zip(subjects, linked, strict=True) if u is not None]
    assert len(winners) == 1
    assert [s for s in subjects if repos.identities.find_by_identity("firebase", s)] == winners
    stored = repos.users.get(user.id)
    assert stored is not None and stored.token_version == user.token_version + 1


# -- a guest upgraded in place (docs/guests.md, "Upgrading in place") ---------------------


def make_guest() -> User:
    return User.new_guest(id=new_id(), now=NOW, admitted=ALLOWED)


def signing_up(username: str, email: str) -> Callable[[User], User | None]:
    def change(current: User) -> User | None:
        if not current.part(Guest).is_guest:
            return None
        return current.signed_up_with_identity(
            username=Username(username),
            email=Email(email),
            email_verified=True,
            names=PersonName.of("Alice", "Liddell"),
            now=LATER,
            admitted=ALLOWED,
        )

    return change


def test_an_upgrade_gives_the_guest_its_names_and_links_it_in_one(repos: Repos) -> None:
    guest = make_guest()
    repos.users.add(guest)
    upgraded = repos.identities.upgrade_with_identity(
        guest.id, "firebase", UID, signing_up("alice", "alice@example.com"), "alice@example.com"
    )
    assert upgraded is not None and upgraded == repos.users.get(guest.id)
    assert upgraded.id == guest.id and not upgraded.part(Guest).is_guest
    assert upgraded.token_version == guest.token_version  # its sessions go on
    assert repos.users.find_by_login("alice") == upgraded
    assert repos.users.find_by_login("alice@example.com") == upgraded
    assert repos.identities.find_by_identity("firebase", UID) == upgraded
    # Once upgraded, the identity's account is the answer, and nothing changes again.
    again = signing_up("other", "other@example.com")
    assert repos.identities.upgrade_with_identity(guest.id, "firebase", UID, again) == upgraded
    assert repos.identities.upgrade_with_identity(guest.id, "firebase", "uid-2", again) is None
    assert repos.users.find_by_login("other") is None


@pytest.mark.parametrize(
    ("username", "email", "code"),
    [
        ("ALICE", "new@example.com", "username_taken"),
        ("newname", "Alice@Example.COM", "email_taken"),
    ],
)
def test_an_upgrade_to_a_taken_name_conflicts_and_leaves_the_guest(
    repos: Repos, username: str, email: str, code: str
) -> None:
    repos.users.add(make_user("alice"))
    guest = make_guest()
    repos.users.add(guest)
    with pytest.raises(Conflict) as info:
        repos.identities.upgrade_with_identity(
            guest.id, "firebase", UID, signing_up(username, email)
        )
    assert info.value.code == code
    assert repos.identities.find_by_identity("firebase", UID) is None
    assert repos.users.get(guest.id) == guest
    assert repos.users.find_by_login("newname") is None
    assert repos.users.find_by_login("new@example.com") is None


def test_an_upgrade_of_an_identity_linked_elsewhere_returns_that_account(repos: Repos) -> None:
    first = make_user("alice")
    repos.identities.add_with_identity(first, "firebase", UID)
    guest = make_guest()
    repos.users.add(guest)
    change = signing_up("bob", "bob@example.com")
    assert repos.identities.upgrade_with_identity(guest.id, "firebase", UID, change) == first
    assert repos.users.get(guest.id) == guest
    assert repos.identities.upgrade_with_identity("missing", "firebase", "x", change) is None


@pytest.mark.timeout(120)
def test_parallel_upgrades_of_one_guest_have_one_winner(repos: Repos) -> None:
    guest = make_guest()
    repos.users.add(guest)
    subjects = [f"uid-{n}" for n in range(8)]

    def upgrade(subject: str) -> User | None:
        change = signing_up(f"name{subject[-1]}", f"{subject}@example.com")
        return repos.identities.upgrade_with_identity(guest.id, "firebase", subject, change)

    with ThreadPoolExecutor(len(subjects)) as pool:
        upgraded = list(pool.map(upgrade, subjects))
    winners = [s for s, u in zip(subjects, upgraded, strict=True) if u is not None]
    assert len(winners) == 1
    assert [s for s in subjects if repos.identities.find_by_identity("firebase", s)] == winners
    stored = repos.users.get(guest.id)
    assert stored is not None and stored.email == Email(f"{winners[0]}@example.com")
    assert [s for s in subjects if repos.users.find_by_login(f"{s}@example.com")] == winners


# -- connected accounts: the list, unlinking, pending links -------------------------------


def touch(user: User) -> User:
    """A connection's change: the user as it was, at a later time."""
    return linked_to(user, LATER)


def test_list_for_names_each_identity_with_its_address_and_time(repos: Repos) -> None:
    user, other = make_user("alice"), make_user("bob")
    repos.identities.add_with_identity(user, "firebase", UID, "alice@example.com")
    repos.identities.add_with_identity(other, "firebase", "other-uid")
    repos.identities.link_existing(user.id, "github", "gh-7", touch, "a@example.org")
    assert repos.identities.list_for(user.id) == [
        # It made the account with its address unproven (rule 5); a later link never did.
        IdentityLink("firebase", UID, user.id, "alice@example.com", NOW, made_unproven=True),
        IdentityLink("github", "gh-7", user.id, "a@example.org", LATER),
    ]
    assert [link.email for link in repos.identities.list_for(other.id)] == [None]
    assert repos.identities.list_for("nobody") == []


def every(provider: str) -> Callable[[User, list[IdentityLink]], list[IdentityLink]]:
    return lambda user, links: [link for link in links if link.provider == provider]


def test_unlink_removes_what_decide_picks_and_moves_the_user(repos: Repos) -> None:
    user = make_user("alice")
    repos.identities.add_with_identity(user, "firebase", UID)
    repos.identities.link_existing(user.id, "github", "gh-7", touch)
    seen: list[list[str]] = []

    def decide(current: User, links: list[IdentityLink]) -> list[IdentityLink]:
        seen.append([link.provider for link in links])
        return every("github")(current, links)

    gone = repos.identities.unlink(user.id, decide, LATER + timedelta(1))
    assert [(link.provider, link.subject) for link in gone] == [("github", "gh-7")]
    assert seen == [["firebase", "github"]]
    assert [link.provider for link in repos.identities.list_for(user.id)] == ["firebase"]
    assert repos.identities.find_by_identity("github", "gh-7") is None
    stored = repos.users.get(user.id)
    assert stored is not None and stored.updated_at == LATER + timedelta(1)


def test_unlink_refused_by_decide_writes_nothing(repos: Repos) -> None:
    user = make_user("alice")
    repos.identities.add_with_identity(user, "firebase", UID)

    def refuse(current: User, links: list[IdentityLink]) -> list[IdentityLink]:
        raise Conflict("no", code="last_sign_in_method")

    with pytest.raises(Conflict):
        repos.identities.unlink(user.id, refuse, LATER)
    assert repos.identities.find_by_identity("firebase", UID) == user
    assert repos.users.get(user.id) == user
    with pytest.raises(NotFound):
        repos.identities.unlink("missing", refuse, LATER)


@pytest.mark.timeout(120)
def test_parallel_unlinks_each_decide_on_what_the_last_one_left(repos: Repos) -> None:
    user = make_user("alice")
    repos.identities.add_with_identity(user, "firebase", UID)
    repos.identities.link_existing(user.id, "github", "gh-7", touch)

    def keep_one(provider: str) -> Callable[[User, list[IdentityLink]], list[IdentityLink]]:
        def decide(current: User, links: list[IdentityLink]) -> list[IdentityLink]:
            unlinking(current, links, provider, passkeys=0)  # raises for the last one
            return [link for link in links if link.provider == provider]

        return decide

    def attempt(n: int) -> str:
        try:
            repos.identities.unlink(user.id, keep_one(("firebase", "github")[n % 2]), LATER)
        except (Conflict, NotFound) as refused:
            return refused.code
        return "unlinked"

    with ThreadPoolExecutor(30) as pool:
        answers = list(pool.map(attempt, range(30)))
    assert answers.count("unlinked") == 1
    assert set(answers) <= {"unlinked", "last_sign_in_method", "identity_not_found"}
    assert len(repos.identities.list_for(user.id)) == 1


def pending(subject: str = "gh-7", expires_at: datetime = LATER) -> PendingLink:
    return PendingLink("github", subject, "a@example.org", True, "Ada", "GitHub", expires_at)


def test_a_pending_link_is_held_read_and_taken_once(repos: Repos) -> None:
    assert repos.identities.pending("k1") is None and repos.identities.take("k1") is None
    repos.identities.hold("k1", pending())
    repos.identities.hold("k2", pending("gh-8"))
    assert repos.identities.pending("k1") == pending()
    assert repos.identities.take("k1") == pending()
    assert repos.identities.take("k1") is None and repos.identities.pending("k1") is None
    assert repos.identities.pending("k2") == pending("gh-8")


@pytest.mark.timeout(120)
def test_parallel_takes_of_a_pending_link_have_one_winner(repos: Repos) -> None:
    repos.identities.hold("k1", pending())
    with ThreadPoolExecutor(30) as pool:
        taken = list(pool.map(lambda _: repos.identities.take("k1"), range(30)))
    assert [t for t in taken if t is not None] == [pending()]


# -- a passkey's deletion, guarded by the account as an unlink is


def passkey(user: User, credential: bytes) -> Passkey:
    return Passkey.create(
        user_id=user.id,
        credential_id=credential,
        public_key=b"cose",
        sign_count=0,
        name="k",
        now=NOW,
    )


def the_last_way_in(repos: Repos, key_id: str) -> Callable[[User], None]:
    """What a passkey deletion decides on an account with no password and no identity."""

    def decide(user: User) -> None:
        held = repos.passkeys.list_for_user(user.id, 20)
        if key_id not in {p.id for p in held}:
            raise NotFound("gone", code="passkey_not_found")
        passkey_removal(user, len(held), repos.identities.list_for(user.id))

    return decide


def test_a_guarded_passkey_deletion_decides_on_the_account_and_moves_it(repos: Repos) -> None:
    user = make_user()
    repos.users.add(user)
    first, second = passkey(user, b"cred-1"), passkey(user, b"cred-2")
    repos.passkeys.add(first)
    repos.passkeys.add(second)
    seen: list[str] = []
    repos.passkeys.delete_guarded(first.id, user.id, lambda u: seen.append(u.id), LATER)
    assert seen == [user.id] and repos.passkeys.get(first.id) is None
    moved = repos.users.get(user.id)
    assert moved is not None and moved.updated_at == LATER
    refuse = the_last_way_in(repos, second.id)
    with pytest.raises(Conflict):  # refused: nothing is deleted
        repos.passkeys.delete_guarded(second.id, user.id, refuse, LATER)
    assert repos.passkeys.get(second.id) == second
    with pytest.raises(NotFound):
        repos.passkeys.delete_guarded(second.id, "nobody", lambda u: seen.append(u.id), LATER)


def test_parallel_passkey_deletions_leave_the_last_passkey(repos: Repos) -> None:
    user = make_user()
    repos.users.add(user)
    keys = [passkey(user, b"cred-1"), passkey(user, b"cred-2")]
    for key in keys:
        repos.passkeys.add(key)

    def delete(n: int) -> str:
        key_id = keys[n % 2].id
        try:
            repos.passkeys.delete_guarded(key_id, user.id, the_last_way_in(repos, key_id), LATER)
        except (Conflict, NotFound) as refused:
            return refused.code
        return "deleted"

    with ThreadPoolExecutor(30) as pool:
        answers = list(pool.map(delete, range(30)))
    assert answers.count("deleted") == 1, answers
    assert len(repos.passkeys.list_for_user(user.id, 5)) == 1


def test_a_link_that_makes_a_proven_account_did_not_make_it_unproven(repos: Repos) -> None:
    user = make_user("alice").with_email_verified(NOW)
    repos.identities.add_with_identity(user, "github", "gh-1", "alice@example.com")
    (link,) = repos.identities.list_for(user.id)
    assert link.made_unproven is False
