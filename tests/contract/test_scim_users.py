"""The ScimUsers port against the fake and Firestore (the emulator): the userName claimed
whatever its case under 30 claims at once, replaced at a version (moving its claim), removed,
paged, counted and looked up by its keys; a provisioning's record, account and membership
stored in one commit or not at all (docs/reference/scim.md, "Users")."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from threading import Barrier
from typing import Any

import pytest

from application.accounts.accounts import UserRepository
from application.orgs.ports import OrgRepository
from application.scim.ports import ScimUsers
from domain.accounts.credentials import Email, Username
from domain.accounts.signups import ALLOWED
from domain.accounts.users import User
from domain.errors import Conflict
from domain.ids import new_id
from domain.orgs.orgs import Membership, Org, Slug
from domain.orgs.roles import Granter
from domain.scim.users import (
    ACTIVE,
    EMAILS,
    EXTERNAL_ID,
    USER_NAME,
    ScimEmail,
    ScimUser,
    equal_key,
    gram_keys,
    present_key,
)
from infrastructure.firestore.events.security_events import write_staged
from tests.fakes.scim import FakeScimUsers

pytestmark = pytest.mark.contract
NOW = datetime(2026, 11, 26, 3, 0, 0, 123000, tzinfo=UTC)
PARALLEL = 30


@pytest.fixture(params=["fake", "firestore"])
def records(request: pytest.FixtureRequest) -> ScimUsers:
    if request.param == "fake":
        return FakeScimUsers()
    from infrastructure.firestore.scim.users import FirestoreScimUsers

    client: Any = request.getfixturevalue("firestore")
    return FirestoreScimUsers(client)


def record(user_name: str, org_id: str = "org1", **fields: Any) -> ScimUser:
    return ScimUser(
        org_id=org_id,
        user_id=new_id(),
        user_name=user_name,
        active=True,
        managed=True,
        created_at=NOW,
        updated_at=NOW,
        version=1,
        **fields,
    )


def test_a_record_round_trips(records: ScimUsers) -> None:
    made = record(
        "Bjensen@example.com",
        emails=(ScimEmail("bjensen@example.com", "work", True), ScimEmail("b@home.example")),
        external_id="00u1",
        display_name="Babs",
        document='{"title":"Tour Guide"}',
    )
    records.claim(made)
    assert records.get("org1", made.user_id) == made
    assert records.get("org2", made.user_id) is None
    with pytest.raises(Conflict) as again:
        records.claim(replace(made, user_name="other"))
    assert again.value.code == "already_provisioned"


def test_of_thirty_claims_of_one_name_in_any_case_one_wins(records: ScimUsers) -> None:
    barrier = Barrier(PARALLEL)

    def claim(n: int) -> str:
        barrier.wait()
        try:
            records.claim(record("kim" if n % 2 else "KIM"))
        except Conflict as exc:
            return exc.code
        return "claimed"

    with ThreadPoolExecutor(PARALLEL) as pool:
        results = list(pool.map(claim, range(PARALLEL)))
    assert results.count("claimed") == 1
    assert set(results) == {"claimed", "user_name_taken"}
    assert records.count("org1") == 1
    records.claim(record("kim", org_id="org2"))  # another org's directory may use it


def test_a_replacement_is_at_a_version_and_moves_the_claim(records: ScimUsers) -> None:
    made = record("lee")
    records.claim(made)
    records.claim(record("kai"))
    renamed = replace(made, user_name="Lee2", version=2)
    assert records.replace(renamed, 1) == renamed
    with pytest.raises(Conflict) as stale:
        records.replace(replace(renamed, version=3), 1)
    assert stale.value.code == "version_mismatch"
    with pytest.raises(Conflict) as taken:
        records.replace(replace(renamed, user_name="KAI", version=3), 2)
    assert taken.value.code == "user_name_taken"
    records.claim(record("lee"))  # the old name was released
    with pytest.raises(Conflict):
        records.claim(record("lee2"))


def test_removal_releases_the_name_at_a_version(records: ScimUsers) -> None:
    made = record("dee")
    records.claim(made)
    with pytest.raises(Conflict):
        records.remove("org1", made.user_id, 2)
    assert records.remove("org1", made.user_id, 1)
    assert not records.remove("org1", made.user_id)
    assert records.get("org1", made.user_id) is None
    records.claim(record("DEE"))


def test_pages_counts_and_keys(records: ScimUsers) -> None:
    made = [
        record(f"user{n}", emails=(ScimEmail(f"u{n}@example.org"),) if n % 2 else ())
        for n in range(5)
    ]
    for r in (*made, record("elsewhere", org_id="org2")):
        records.claim(r)
    in_order = sorted(made, key=lambda r: r.user_id)
    assert records.count("org1") == 5
    assert records.page("org1", 0, 10) == in_order
    assert records.page("org1", 3, 10) == in_order[3:]
    assert records.page("org1", 1, 2) == in_order[1:3]
    assert records.page("org1", 0, 0) == []
    by_key = records.matching(
        "org1", [equal_key(USER_NAME, "USER3"), equal_key(EMAILS, "U1@example.org")], 10
    )
    assert by_key == sorted([made[1], made[3]], key=lambda r: r.user_id)
    everyone = [equal_key(USER_NAME, f"user{n}") for n in range(5)]
    assert records.matching("org1", everyone, 2) == in_order[:2]


def test_a_record_stored_with_substring_keys_is_found_by_eq_and_shrinks_on_its_next_write(
    firestore: Any,
) -> None:
    """A record written with decision 0403's keys (substrings, presence, ``active``) holds
    the equality keys of today's too: ``eq`` finds it with no migration, and its next write
    stores only today's keys (docs/decisions/0472-scim-filters-within-twenty-index-entries.md)."""
    from infrastructure.firestore.scim.users import SCIM_USERS, FirestoreScimUsers, user_to_doc

    records = FirestoreScimUsers(firestore)
    stored = record("Old@Example.org", emails=(ScimEmail("old@example.org"),), external_id="x9")
    records.claim(stored)
    ref = firestore.collection(SCIM_USERS).document(f"org1:{stored.user_id}")
    old_keys = {f"{ACTIVE}=true", present_key(EMAILS), present_key(EXTERNAL_ID)}
    for attribute, value in (
        (USER_NAME, stored.user_name),
        (EMAILS, "old@example.org"),
        (EXTERNAL_ID, "x9"),
    ):
        old_keys |= {equal_key(attribute, value)} | gram_keys(attribute, value)
    ref.update({"keys": sorted(old_keys)})
    for key in (
        equal_key(USER_NAME, "old@example.ORG"),
        equal_key(EMAILS, "OLD@example.org"),
        equal_key(EXTERNAL_ID, "x9"),
    ):
        assert records.matching("org1", [key], 10) == [stored], key
    changed = replace(stored, display_name="Old", version=2)
    records.replace(changed, 1)
    assert ref.get().to_dict()["keys"] == user_to_doc(changed)["keys"] == changed.keys()
    assert len(changed.keys()) == 3


def test_the_orgs_purge_removes_its_records_and_claims(records: ScimUsers) -> None:
    for n in range(3):
        records.claim(record(f"p{n}"))
    theirs = record("p0", org_id="org2")
    records.claim(theirs)
    records.delete_owned_by_org("org1", 2)
    records.delete_owned_by_org("org1", 2)
    assert records.count("org1") == 0
    assert records.page("org2", 0, 10) == [theirs]
    records.claim(record("P0"))


@dataclass(frozen=True)
class Provisioning:
    """The SCIM records with the accounts and the orgs they provision into."""

    records: ScimUsers
    users: UserRepository
    orgs: OrgRepository


@pytest.fixture(params=["fake", "firestore"])
def provisioning(request: pytest.FixtureRequest) -> Provisioning:
    if request.param == "fake":
        fake = FakeScimUsers()
        return Provisioning(fake, fake.accounts, fake.orgs)
    from infrastructure.firestore.accounts.users import FirestoreUserRepository
    from infrastructure.firestore.orgs.orgs import FirestoreOrgRepository
    from infrastructure.firestore.scim.users import FirestoreScimUsers

    client: Any = request.getfixturevalue("firestore")
    return Provisioning(
        FirestoreScimUsers(client),
        FirestoreUserRepository(client, write_staged=write_staged),
        FirestoreOrgRepository(client),
    )


def an_org(world: Provisioning) -> Org:
    org = Org.create(Slug("acme"), "Acme", NOW)
    world.orgs.add(org, Membership(org.id, "u-owner", ("owner",), 1, NOW, NOW))
    return org


def person(org: Org, user_name: str, username: str) -> tuple[ScimUser, User, Membership]:
    """A record, its new account (the address its userName) and its membership."""
    made = record(user_name, org_id=org.id)
    account = User.register(
        admitted=ALLOWED,
        id=made.user_id,
        username=Username(username),
        email=Email(user_name),
        password_hash=None,
        now=NOW,
        email_verified=True,
    )
    return made, account, Membership(org.id, made.user_id, ("member",), 0, NOW, NOW, managed=True)


def test_a_provisioning_stores_record_account_and_membership_at_once(
    provisioning: Provisioning,
) -> None:
    org = an_org(provisioning)
    made, account, member = person(org, "ann@example.com", "ann")
    provisioning.records.claim(made, account, member=member)
    assert provisioning.records.get(org.id, made.user_id) == made
    assert provisioning.users.find_by_login("ann@example.com") == account
    assert provisioning.users.find_by_login("ann") == account
    joined = provisioning.orgs.membership(org.id, made.user_id)
    assert joined == replace(member, version=joined.version if joined else 0)
    assert provisioning.orgs.get(org.id) == org


@pytest.mark.parametrize("taken", ["username_taken", "email_taken", "already_member"])
def test_a_provisioning_that_finds_a_document_taken_writes_nothing(
    provisioning: Provisioning, taken: str
) -> None:
    org = an_org(provisioning)
    made, account, member = person(org, "bo@example.com", "bowie")
    if taken == "already_member":
        provisioning.orgs.add_member(
            org.id, made.user_id, ("member",), NOW, granter=Granter.operator()
        )
    else:
        other = "bowie" if taken == "username_taken" else "bobby"
        holder = User.register(
            admitted=ALLOWED,
            id=new_id(),
            username=Username(other),
            email=Email("bo@example.com" if taken == "email_taken" else "bob@example.org"),
            password_hash=None,
            now=NOW,
        )
        provisioning.users.add(holder)
    before = provisioning.orgs.get(org.id)
    with pytest.raises(Conflict) as refused:
        provisioning.records.claim(made, account, member=member)
    assert refused.value.code == taken
    assert provisioning.records.get(org.id, made.user_id) is None
    assert provisioning.users.get(account.id) is None
    assert provisioning.orgs.get(org.id) == before
    provisioning.records.claim(replace(made, user_id=new_id()))  # the userName is free


def test_of_thirty_provisionings_of_one_name_one_makes_its_account(
    provisioning: Provisioning,
) -> None:
    org = an_org(provisioning)
    barrier = Barrier(PARALLEL)

    def provision(n: int) -> str:
        made, account, member = person(org, "kim@example.com", f"kim{n}")
        barrier.wait()
        try:
            provisioning.records.claim(made, account, member=member)
        except Conflict as exc:
            return exc.code
        return account.shown_name

    with ThreadPoolExecutor(PARALLEL) as pool:
        results = list(pool.map(provision, range(PARALLEL)))
    winners = [r for r in results if r.startswith("kim")]
    assert len(winners) == 1
    assert results.count("user_name_taken") == PARALLEL - 1
    holder = provisioning.users.find_by_login("kim@example.com")
    assert holder is not None and holder.shown_name == winners[0]
    assert provisioning.records.count(org.id) == 1
    assert provisioning.orgs.get(org.id) == org


def test_a_provisioning_writes_no_org_document(firestore: Any) -> None:
    from infrastructure.firestore.accounts.users import FirestoreUserRepository
    from infrastructure.firestore.orgs.orgs import FirestoreOrgRepository
    from infrastructure.firestore.scim.users import FirestoreScimUsers

    world = Provisioning(
        FirestoreScimUsers(firestore),
        FirestoreUserRepository(firestore, write_staged=write_staged),
        FirestoreOrgRepository(firestore),
    )
    org = an_org(world)
    ref = firestore.collection("orgs").document(org.id)
    written = ref.get().update_time
    made, account, member = person(org, "ann@example.com", "ann")
    world.records.claim(made, account, member=member)
    joined = world.orgs.membership(org.id, made.user_id)
    assert joined is not None and joined.version != 0
    assert ref.get().update_time == written
