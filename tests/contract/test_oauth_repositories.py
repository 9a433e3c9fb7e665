"""One suite for the OAuthClients and OAuthGrants ports, run against the fakes and against
Firestore (docs/reference/oauth.md)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from application.accounts.accounts import UserRepository
from application.clients.ports import OAuthClients
from application.provider.ports import GrantHolders, OAuthGrants
from domain.accounts.credentials import Email, Username
from domain.accounts.signups import ALLOWED
from domain.accounts.users import User
from domain.clients.app_ids import AndroidApp
from domain.clients.oauth import DEVICE_CODE, TOKEN_EXCHANGE, OAuthClient, digest
from domain.provider.dpop import InvalidProof, SpentProof
from domain.provider.grants import (
    CODE_TTL,
    AuthorizationCode,
    Consent,
    Grant,
    RotateOutcome,
    SpendOutcome,
)
from infrastructure.firestore.events.security_events import write_staged
from tests.fakes.accounts import FakeUserRepository
from tests.fakes.clients import FakeOAuthClients
from tests.fakes.kernel import InMemoryStore
from tests.fakes.provider import FakeGrantHolders, FakeOAuthGrants

pytestmark = pytest.mark.contract
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=30)


@pytest.fixture(params=["fake", "firestore"])
def clients(request: pytest.FixtureRequest) -> OAuthClients:
    if request.param == "fake":
        return FakeOAuthClients()
    from infrastructure.firestore.clients.oauth import FirestoreOAuthClients

    return FirestoreOAuthClients(request.getfixturevalue("firestore"))


@pytest.fixture(params=["fake", "firestore"])
def grants(request: pytest.FixtureRequest) -> OAuthGrants:
    if request.param == "fake":
        return FakeOAuthGrants()
    from infrastructure.firestore.provider.oauth import FirestoreOAuthGrants

    client: Any = request.getfixturevalue("firestore")
    return FirestoreOAuthGrants(client)


@pytest.fixture(params=["fake", "firestore"])
def holders(request: pytest.FixtureRequest) -> tuple[OAuthGrants, UserRepository, GrantHolders]:
    """The grants, the accounts, and the read of a grant with its account, on one store."""
    if request.param == "fake":
        store, fake_grants = InMemoryStore(), FakeOAuthGrants()
        return fake_grants, FakeUserRepository(store), FakeGrantHolders(fake_grants, store)
    from infrastructure.firestore.accounts.users import FirestoreUserRepository
    from infrastructure.firestore.provider.oauth import FirestoreGrantHolders, FirestoreOAuthGrants

    client: Any = request.getfixturevalue("firestore")
    return (
        FirestoreOAuthGrants(client),
        FirestoreUserRepository(client, write_staged=write_staged),
        FirestoreGrantHolders(client),
    )


def app(client_id: str = "c1", at: datetime = NOW) -> OAuthClient:
    return OAuthClient.new(
        client_id=client_id,
        name="Example",
        redirect_uris=("https://app.example.com/cb", "http://127.0.0.1/cb"),
        secret="s3cret",
        scopes=("openid", "email"),
        now=at,
        post_logout_redirect_uris=("https://app.example.com/bye",),
    )


def code(value: str = "the-code", client_id: str = "c1", user_id: str = "u1") -> AuthorizationCode:
    return AuthorizationCode(
        hash=digest(value),
        client_id=client_id,
        user_id=user_id,
        grant_id=f"g-{value}",
        redirect_uri="https://app.example.com/cb",
        scope="openid email offline_access",
        code_challenge="c" * 43,
        code_challenge_method="S256",
        created_at=NOW,
        auth_time=NOW - timedelta(minutes=1),
        nonce="n",
        resource="https://api.example.com",
        amr=("pwd",),
    )


def spend(
    grants: OAuthGrants, value: str, client_id: str, at: datetime
) -> tuple[SpendOutcome, AuthorizationCode | None]:
    """Present a code as the provider does: the domain's transition, applied by the port."""
    spending = grants.spend_code(digest(value), lambda found: found.spend(client_id, at))
    if spending is None or spending.outcome == "invalid":
        return "invalid", None
    return spending.outcome, spending.code


def exchange(
    grants: OAuthGrants,
    value: str,
    token_version: int = 0,
    refresh: str | None = "r1",
    read: AuthorizationCode | None = None,
) -> tuple[SpendOutcome, AuthorizationCode | None]:
    """Present a code as an exchange that passed every check: spent, its grant created issued
    (at ``token_version``, with ``refresh``'s hash), in one commit; ``read``, the code as
    the exchange read it earlier."""
    hashed, expires = (digest(refresh), LATER) if refresh else (None, None)
    spending = grants.spend_code(
        digest(value),
        lambda found: found.spend("c1", NOW).issuing(token_version, hashed, expires),
        read=read,
    )
    if spending is None or spending.outcome == "invalid":
        return "invalid", None
    return spending.outcome, spending.code


def rotate(grants: OAuthGrants, grant_id: str, presented: str, successor: str) -> RotateOutcome:
    """Present a refresh token as the provider does: the domain's transition, applied."""
    rotation = grants.rotate(
        grant_id, lambda grant: grant.rotated(digest(presented), digest(successor), LATER, NOW)
    )
    return rotation.outcome if rotation is not None else "invalid"


def test_a_client_comes_back_as_stored_and_is_deleted(clients: OAuthClients) -> None:
    stored = app()
    clients.add(stored)
    clients.add(app("c2", NOW + timedelta(seconds=1)))
    assert clients.get("c1") == stored
    assert clients.get("nope") is None
    for odd in ("__proto__", "..", "a/b", ""):  # no document can have it: none, not a 400
        assert clients.get(odd) is None, odd
    assert [c.client_id for c in clients.list(10)] == ["c1", "c2"]
    assert clients.delete("c1") is True
    assert clients.delete("c1") is False
    assert clients.get("c1") is None


def test_a_clients_native_apps_are_kept_and_found(clients: OAuthClients) -> None:
    fingerprint = ":".join(["AB"] * 32)
    apps = replace(
        app("c2", NOW + timedelta(seconds=1)),
        ios_apps=("ABCDE12345.com.example.app",),
        android_apps=(AndroidApp("com.example.app", fingerprint),),
    )
    only_ios = replace(app("c3", NOW + timedelta(seconds=2)), ios_apps=("FGHIJ67890.org.x.y",))
    for stored in (app(), only_ios, apps):
        clients.add(stored)
    assert clients.get("c2") == apps
    assert clients.get("c1") == app()  # none: empty
    assert [c.client_id for c in clients.with_native_apps(10)] == ["c2", "c3"]
    assert len(clients.with_native_apps(1)) == 1
    # an app dropped by an edit leaves the query too
    clients.update("c3", lambda client: replace(client, ios_apps=()))
    assert [c.client_id for c in clients.with_native_apps(10)] == ["c2"]


def test_a_code_is_spent_once_and_its_reuse_revokes_the_grant(grants: OAuthGrants) -> None:
    grants.add_code(code())
    assert grants.get_code(digest("the-code")) == code()
    assert grants.get_code(digest("unknown")) is None
    outcome, found = exchange(grants, "the-code", token_version=3)
    assert outcome == "spent" and found is not None and found.nonce == "n"
    assert found.amr == ("pwd",) and found.resource == "https://api.example.com"
    grant = grants.get(found.grant_id)
    assert grant is not None and grant.live(3, NOW) and not grant.live(4, NOW)
    assert grant.refresh_valid(digest("r1"), NOW)
    outcome, _ = spend(grants, "the-code", "c1", NOW)
    assert outcome == "reused"
    revoked = grants.get(found.grant_id)
    assert revoked is not None and revoked.revoked


def test_a_code_of_another_client_an_unknown_or_an_expired_one_is_invalid(
    grants: OAuthGrants,
) -> None:
    grants.add_code(code())
    assert spend(grants, "the-code", "c2", NOW) == ("invalid", None)
    assert spend(grants, "unknown", "c1", NOW) == ("invalid", None)
    assert spend(grants, "the-code", "c1", NOW + CODE_TTL) == ("invalid", None)
    outcome, _ = spend(grants, "the-code", "c1", NOW)  # still unspent
    assert outcome == "spent"


def test_an_exchange_of_a_code_spent_since_it_was_read_issues_nothing(
    grants: OAuthGrants,
) -> None:
    grants.add_code(code())
    read = grants.get_code(digest("the-code"))
    _, found = spend(grants, "the-code", "c1", NOW)  # spent (a refused try) after that read
    assert found is not None
    assert exchange(grants, "the-code", read=read)[0] == "reused"
    grant = grants.get(found.grant_id)
    assert grant is not None and grant.revoked and not grant.issued


def test_the_refresh_token_rotates_and_an_old_one_revokes(grants: OAuthGrants) -> None:
    grants.add_code(code())
    _, found = exchange(grants, "the-code")
    assert found is not None
    assert rotate(grants, found.grant_id, "r1", "r2") == "rotated"
    grant = grants.get(found.grant_id)
    assert grant is not None and grant.refresh_valid(digest("r2"), NOW)
    assert rotate(grants, found.grant_id, "r1", "r3") == "reused"
    assert rotate(grants, found.grant_id, "r2", "r3") == "invalid"
    assert grants.revoke(found.grant_id) is False  # already revoked


def test_a_grants_last_use_is_kept_and_a_rotation_writes_it(grants: OAuthGrants) -> None:
    grants.add_code(code())
    _, found = exchange(grants, "the-code")
    assert found is not None
    grant = grants.get(found.grant_id)
    assert grant is not None and grant.last_used_at is None
    grants.note_use(found.grant_id, NOW + timedelta(hours=2))
    noted = grants.get(found.grant_id)
    assert noted is not None and noted.last_used_at == NOW + timedelta(hours=2)
    assert replace(noted, last_used_at=None) == grant  # nothing else changed
    assert rotate(grants, found.grant_id, "r1", "r2") == "rotated"
    rotated = grants.get(found.grant_id)
    assert rotated is not None and rotated.last_used_at == NOW  # the rotation's own time
    grants.note_use("no-such-grant", NOW)  # a grant gone: nothing, and none made
    assert grants.get("no-such-grant") is None


def test_grants_are_listed_per_user_and_deleted_with_the_account(grants: OAuthGrants) -> None:
    for value, user in (("a", "u1"), ("b", "u1"), ("c", "u2")):
        grants.add_code(code(value, user_id=user))
        spend(grants, value, "c1", NOW)
    grants.put_consent(Consent("u1", "c1", ("openid",), NOW))
    assert {g.id for g in grants.list_for_user("u1", 10)} == {"g-a", "g-b"}
    assert grants.revoke("g-a") is True
    grants.delete_owned_by("u1", 1)
    assert grants.list_for_user("u1", 10) == []
    assert grants.get_consent("u1", "c1") is None
    assert [g.id for g in grants.list_for_user("u2", 10)] == ["g-c"]


def test_a_consent_is_remembered_and_forgotten(grants: OAuthGrants) -> None:
    grants.put_consent(Consent("u1", "c1", ("openid", "email"), NOW))
    found = grants.get_consent("u1", "c1")
    assert found is not None and found.covers(("openid",)) and not found.covers(("roles",))
    assert grants.get_consent("u1", "c2") is None
    grants.delete_consent("u1", "c1")
    assert grants.get_consent("u1", "c1") is None


def test_a_consent_to_a_metadata_documents_client_is_kept_under_its_url(
    grants: OAuthGrants,
) -> None:
    """A client_id that is a URL ("/" in it) is kept and found as any other
    (docs/agents-and-clis.md, "Agents with a client metadata document")."""
    url = "https://agent.example.com/oauth/client.json"
    other = "https://agent.example.com/oauth/other.json"
    grants.put_consent(Consent("u1", url, ("openid",), NOW))
    found = grants.get_consent("u1", url)
    assert found is not None and found.client_id == url and found.covers(("openid",))
    assert grants.get_consent("u1", other) is None
    grants.delete_owned_by("u1", 10)
    assert grants.get_consent("u1", url) is None


def test_thirty_parallel_uses_noted_never_undo_a_revocation_or_a_rotation(
    grants: OAuthGrants,
) -> None:
    """Each note writes its one field: racing a revocation and a rotation, both stand."""
    grants.add_code(code())
    _, found = exchange(grants, "the-code")
    assert found is not None
    grant_id = found.grant_id

    def act(n: int) -> str | bool | None:
        if n == 10:
            return rotate(grants, grant_id, "r1", "r2")
        if n == 20:
            return grants.revoke(grant_id)
        grants.note_use(grant_id, NOW + timedelta(minutes=n))
        return None

    with ThreadPoolExecutor(max_workers=30) as pool:
        outcomes = list(pool.map(act, range(30)))
    assert outcomes[20] is True
    grant = grants.get(grant_id)
    assert grant is not None and grant.revoked and grant.last_used_at is not None
    if outcomes[10] == "rotated":  # before the revocation: its successor stands
        assert grant.refresh_valid(digest("r2"), NOW)


def test_thirty_parallel_spends_of_one_code_give_exactly_one(grants: OAuthGrants) -> None:
    grants.add_code(code())
    with ThreadPoolExecutor(max_workers=30) as pool:
        outcomes = list(pool.map(lambda _: spend(grants, "the-code", "c1", NOW)[0], range(30)))
    assert outcomes.count("spent") == 1
    assert set(outcomes) <= {"spent", "reused"}


def test_thirty_parallel_exchanges_of_one_code_read_unspent_give_exactly_one(
    grants: OAuthGrants,
) -> None:
    grants.add_code(code())
    read = grants.get_code(digest("the-code"))  # each exchange found it unspent
    with ThreadPoolExecutor(max_workers=30) as pool:
        outcomes = list(pool.map(lambda _: exchange(grants, "the-code", read=read)[0], range(30)))
    assert outcomes.count("spent") == 1
    assert set(outcomes) <= {"spent", "reused"}
    grant = grants.get(code().grant_id)
    assert grant is not None and grant.issued and grant.revoked  # the reuses revoked it


def test_thirty_parallel_rotations_of_one_refresh_token_give_exactly_one(
    grants: OAuthGrants,
) -> None:
    grants.add_code(code())
    _, found = exchange(grants, "the-code")
    assert found is not None
    with ThreadPoolExecutor(max_workers=30) as pool:
        outcomes = list(
            pool.map(
                lambda i: rotate(grants, found.grant_id, "r1", f"n{i}"),
                range(30),
            )
        )
    # One rotates; a later one is a reuse, which revokes the grant, after which the rest
    # find it revoked. Every answer is definite: none is an outage.
    assert outcomes.count("rotated") == 1
    assert set(outcomes) <= {"rotated", "reused", "invalid"}
    grant = grants.get(found.grant_id)
    assert grant is not None and grant.revoked  # the reuse revoked it


def an_account(users: UserRepository) -> User:
    alice = User.register(
        admitted=ALLOWED,
        id="u1",
        username=Username("alice"),
        email=Email("a@example.com"),
        password_hash="h",
        now=NOW,
    )
    users.add(alice)
    return alice


def an_issued_grant(
    holders: tuple[OAuthGrants, UserRepository, GrantHolders],
) -> tuple[OAuthGrants, GrantHolders, User, str]:
    """The grants, the read of a grant with its account, the account u1 (``an_account``) and
    the id of its grant issued for "the-code"."""
    grants, users, both = holders
    alice = an_account(users)
    grants.add_code(code())
    _, found = exchange(grants, "the-code")
    assert found is not None
    return grants, both, alice, found.grant_id


def test_a_grant_and_its_account_are_read_together(
    holders: tuple[OAuthGrants, UserRepository, GrantHolders],
) -> None:
    grants, both, alice, grant_id = an_issued_grant(holders)
    grant, user = both.load(grant_id, "u1")
    assert grant == grants.get(grant_id) and grant is not None and grant.issued
    assert user == alice
    assert both.load(grant_id, "nobody") == (grant, None)
    assert both.load("no-grant", "u1") == (None, alice)
    assert both.load("no-grant", "nobody") == (None, None)
    # with an access token's jti: whether it was revoked by itself, in the same read
    assert both.load_revocable(grant_id, "u1", "j1") == (grant, alice, False)
    grants.revoke_token("j1", "c2", LATER)
    assert both.load_revocable(grant_id, "u1", "j1") == (grant, alice, True)
    assert both.load_revocable("no-grant", "nobody", "j1") == (None, None, True)
    assert both.load_revocable(grant_id, "u1", "a/b") == (grant, alice, False)
    # with the grants of a delegated token's agents: each in the same read, in their order
    chain = both.load_chain(grant_id, "u1", "j1", (grant_id, "no-grant", "a/b", grant_id))
    assert chain == (grant, alice, True, (grant, None, None, grant))


def test_a_grant_is_read_with_its_version_and_rotated_from_that_read(
    holders: tuple[OAuthGrants, UserRepository, GrantHolders],
) -> None:
    grants, both, alice, grant_id = an_issued_grant(holders)
    read, user = both.load_versioned(grant_id, "u1")
    assert read is not None and read.grant == grants.get(grant_id) and user == alice
    assert both.load_versioned("no-grant", "u1") == (None, alice)
    assert both.load_versioned("no-grant", "nobody") == (None, None)

    def rotated_from_read(presented: str, successor: str) -> RotateOutcome:
        rotation = grants.rotate(
            grant_id,
            lambda grant: grant.rotated(digest(presented), digest(successor), LATER, NOW),
            read=read,
        )
        return rotation.outcome if rotation is not None else "invalid"

    assert rotated_from_read("r1", "r2") == "rotated"
    grant = grants.get(grant_id)
    assert grant is not None and grant.refresh_valid(digest("r2"), NOW)
    # The same read again: the grant changed since, so it is read again, and the token it
    # was read for is now a reuse, which revokes the grant, as without a read
    assert rotated_from_read("r1", "r3") == "reused"
    grant = grants.get(grant_id)
    assert grant is not None and grant.revoked


def test_the_reads_of_a_token_and_a_rotation_name_documents_by_path(
    firestore: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Firestore only: the reads a grant, a code or an introspection makes, and a rotation's
    commit, build none of the client library's document references (about 10 µs each,
    docs/benchmarks.md, "Where a grant's time goes"); they read and write the same."""
    from google.cloud.firestore_v1 import Client
    from google.cloud.firestore_v1.collection import CollectionReference

    from infrastructure.firestore.accounts.users import FirestoreUserRepository
    from infrastructure.firestore.provider.oauth import FirestoreGrantHolders, FirestoreOAuthGrants

    grants, users = (
        FirestoreOAuthGrants(firestore),
        FirestoreUserRepository(firestore, write_staged=write_staged),
    )
    both = FirestoreGrantHolders(firestore)
    alice = an_account(users)
    grants.add_code(code("other-code"))
    grant_id = an_issued_grant((grants, users, both))[3]
    grants.revoke_token("j1", "c1", LATER)

    def no_reference(*_: object, **__: object) -> None:
        raise AssertionError("a document reference was built")

    monkeypatch.setattr(CollectionReference, "document", no_reference)
    monkeypatch.setattr(Client, "document", no_reference)
    read, user = both.load_versioned(grant_id, "u1")
    assert read is not None and user == alice
    assert both.load(grant_id, "u1") == (read.grant, alice)
    assert both.load_revocable(grant_id, "u1", "j1") == (read.grant, alice, True)
    found, account = both.load_code(digest("other-code"), "u1")
    assert found is not None and not found.spent and account == alice
    assert grants.get(grant_id) == read.grant and grants.token_revoked("j1")
    assert grants.get_code(digest("other-code")) == found
    rotation = grants.rotate(
        grant_id, lambda grant: grant.rotated(digest("r1"), digest("r2"), LATER, NOW), read=read
    )
    assert rotation is not None and rotation.outcome == "rotated"
    monkeypatch.undo()
    rotated = grants.get(grant_id)
    assert rotated is not None and rotated.refresh_valid(digest("r2"), NOW)


def test_a_code_and_its_account_are_read_together(
    holders: tuple[OAuthGrants, UserRepository, GrantHolders],
) -> None:
    grants, users, both = holders
    alice = an_account(users)
    grants.add_code(code())
    hashed = digest("the-code")
    stored = grants.get_code(hashed)
    assert stored is not None
    assert both.load_code(hashed, "u1") == (stored, alice)
    assert both.load_code(hashed, "nobody") == (stored, None)
    assert both.load_code(digest("no-code"), "u1") == (None, alice)
    exchange(grants, "the-code")
    spent, _ = both.load_code(hashed, "u1")
    assert spent is not None and spent.spent


def test_a_clients_own_token_is_revoked_by_its_jti(grants: OAuthGrants) -> None:
    assert grants.token_revoked("j1") is False
    grants.revoke_token("j1", "c1", LATER)
    grants.revoke_token("j1", "c1", LATER)  # again: nothing changes
    assert grants.token_revoked("j1") is True
    assert grants.token_revoked("j2") is False
    assert grants.token_revoked("") is False and grants.token_revoked("a/b") is False


def test_a_clients_resources_a_grants_and_a_consents_are_kept(
    clients: OAuthClients, grants: OAuthGrants
) -> None:
    """RFC 8707: the resources a client may have tokens for, the one a grant's code was
    given for (its refresh tokens' audience), those a consent covers."""
    limited = OAuthClient.new(
        client_id="c9",
        name="Limited",
        redirect_uris=("https://app.example.com/cb",),
        secret="s",
        scopes=(),
        now=NOW,
        resources=("https://api.example.com/", "https://mcp.example.com/mcp"),
        grants=("device_code", "token_exchange"),
    )
    clients.add(limited)
    assert clients.get("c9") == limited
    assert limited.grants == (DEVICE_CODE, TOKEN_EXCHANGE)
    grants.add_code(code())
    outcome, found = spend(grants, "the-code", "c1", NOW)
    assert outcome == "spent" and found is not None
    grant = grants.get(found.grant_id)
    assert grant is not None and grant.resource == "https://api.example.com"
    grants.put_consent(Consent("u1", "c1", ("openid",), NOW, ("https://api.example.com/",)))
    consent = grants.get_consent("u1", "c1")
    assert consent is not None and consent.covers(("openid",), "https://api.example.com/")
    assert not consent.covers(("openid",), "https://other.example/")


def test_an_asserted_grant_is_created_once_with_its_jti_by_thirty_parallel_uses(
    grants: OAuthGrants,
) -> None:
    spent = SpentProof("c" * 64, NOW + timedelta(minutes=5))

    def redeem(n: int) -> bool:
        grant = Grant(f"asserted{n}", "u1", "c1", "chat.read", NOW, 0, issued=True)
        return grants.add_asserted(grant, spent)

    with ThreadPoolExecutor(max_workers=30) as pool:
        outcomes = list(pool.map(redeem, range(30)))
    assert outcomes.count(True) == 1
    (winner,) = [n for n, won in enumerate(outcomes) if won]
    kept = grants.get(f"asserted{winner}")
    assert kept is not None and kept.issued and kept.scope == "chat.read"
    assert [grants.get(f"asserted{n}") for n in range(30) if n != winner] == [None] * 29
    assert grants.spend_proof(spent) is False  # the same store as any value used once


def test_a_dpop_proof_is_spent_once_by_thirty_parallel_uses(grants: OAuthGrants) -> None:
    proof = SpentProof("a" * 64, NOW + timedelta(minutes=2))
    with ThreadPoolExecutor(max_workers=30) as pool:
        outcomes = list(pool.map(lambda _: grants.spend_proof(proof), range(30)))
    assert outcomes.count(True) == 1
    assert grants.spend_proof(SpentProof("b" * 64, NOW)) is True  # another proof


def test_a_rotation_spends_its_dpop_proof_in_its_commit(grants: OAuthGrants) -> None:
    grants.add_code(code())
    _, found = exchange(grants, "the-code")
    assert found is not None
    proof = SpentProof("c" * 64, NOW + timedelta(minutes=2))

    def rotated_with(presented: str, successor: str) -> RotateOutcome:
        rotation = grants.rotate(
            found.grant_id,
            lambda grant: grant.rotated(digest(presented), digest(successor), LATER, NOW),
            proof,
        )
        return rotation.outcome if rotation is not None else "invalid"

    assert rotated_with("r1", "r2") == "rotated"
    assert grants.spend_proof(proof) is False  # kept by the rotation
    with pytest.raises(InvalidProof):  # a replayed proof: nothing is stored
        rotated_with("r2", "r3")
    grant = grants.get(found.grant_id)
    assert grant is not None and grant.refresh_valid(digest("r2"), NOW) and not grant.revoked


def test_a_code_keeps_its_sid_and_claims_and_its_grant_the_userinfo_ones(
    grants: OAuthGrants,
) -> None:
    asked = replace(code(), sid="s" * 32, id_token_claims=("email",), userinfo_claims=("name",))
    grants.add_code(asked)
    assert grants.get_code(digest("the-code")) == asked
    outcome, found = exchange(grants, "the-code", token_version=0)
    assert outcome == "spent" and found is not None
    grant = grants.get(found.grant_id)
    assert grant is not None and grant.userinfo_claims == ("name",)
    assert grant.sid == "s" * 32  # whose session's end tells its client (back-channel logout)
    assert [g.sid for g in grants.list_for_user(grant.user_id, 10)] == ["s" * 32]
    grants.add_code(code("plain"))
    assert (plain := grants.get_code(digest("plain"))) is not None and plain.sid is None
    assert plain.id_token_claims == plain.userinfo_claims == ()


def test_a_codes_grant_keeps_the_sign_in_its_refreshes_carry(grants: OAuthGrants) -> None:
    """The code's ``auth_time`` and ``amr`` go to its grant, whose refreshed tokens carry them
    (tests/unit/provider/test_a_refresh_keeps_the_sign_in.py)."""
    grants.add_code(code())
    outcome, found = exchange(grants, "the-code", token_version=0)
    assert outcome == "spent" and found is not None
    grant = grants.get(found.grant_id)
    assert grant is not None and (grant.auth_time, grant.amr) == (code().auth_time, ("pwd",))
    grants.add_code(replace(code("plain"), amr=()))
    outcome, found = exchange(grants, "plain", token_version=0, refresh="r2")
    assert outcome == "spent" and found is not None
    plain = grants.get(found.grant_id)
    assert plain is not None and plain.amr == ()  # a guest's sign-in names no method


def test_a_grant_and_a_code_keep_their_dpop_key(grants: OAuthGrants) -> None:
    grants.add_code(replace(code(), dpop_jkt="k" * 43))
    assert (kept := grants.get_code(digest("the-code"))) is not None and kept.dpop_jkt == "k" * 43
    spending = grants.spend_code(
        digest("the-code"),
        lambda found: found.spend("c1", NOW).issuing(0, digest("r1"), LATER, "k" * 43),
    )
    assert spending is not None and spending.outcome == "spent"
    grant = grants.get(code().grant_id)
    assert grant is not None and grant.dpop_jkt == "k" * 43
    assert grant.refresh_key_holds("k" * 43) and not grant.refresh_key_holds(None)


def test_a_code_of_support_access_and_its_grant_keep_the_admin_and_the_end(
    grants: OAuthGrants,
) -> None:
    """The admin acting in the browser session and its end go from the code to the grant,
    whose refresh tokens never outlive that end (docs/support-access.md)."""
    ends = NOW + timedelta(minutes=15)
    grants.add_code(replace(code(), acting_admin_id="admin1", acting_until=ends))
    kept = grants.get_code(digest("the-code"))
    assert kept is not None and (kept.acting_admin_id, kept.acting_until) == ("admin1", ends)
    outcome, found = exchange(grants, "the-code", token_version=0)
    assert outcome == "spent" and found is not None
    grant = grants.get(found.grant_id)
    assert grant is not None and (grant.acting_admin_id, grant.acting_until) == ("admin1", ends)
    assert grant.refresh_expires_at == ends and grant.acting_admin_id == "admin1"
    assert grant.live(0, NOW) and not grant.live(0, ends)
    grants.add_code(code("plain"))
    assert (plain := grants.get_code(digest("plain"))) is not None
    assert plain.acting_admin_id is None and plain.acting_until is None


def test_a_clients_dpop_and_pkce_policies_are_kept(clients: OAuthClients) -> None:
    clients.add(replace(app("c9"), dpop_bound_access_tokens=True, pkce_required=False))
    found = clients.get("c9")
    assert found is not None and found.dpop_bound_access_tokens is True
    assert found.pkce_required is False
    clients.add(app("c8"))
    assert (plain := clients.get("c8")) is not None and plain.dpop_bound_access_tokens is False
    assert plain.pkce_required is True


def test_a_clients_resource_scopes_are_kept(clients: OAuthClients) -> None:
    clients.add(replace(app("c7"), resource_scopes=("tasks:read", "notes:read")))
    found = clients.get("c7")
    assert found is not None and found.resource_scopes == ("tasks:read", "notes:read")
    assert clients.list(10) == [found]
    clients.add(app("c6"))
    assert (plain := clients.get("c6")) is not None and plain.resource_scopes == ()


def test_a_clients_back_channel_logout_registration_is_kept(clients: OAuthClients) -> None:
    uri = "https://app.example.com/backchannel?x=1"
    registered = replace(
        app("c7"), backchannel_logout_uri=uri, backchannel_logout_session_required=True
    )
    clients.add(registered)
    assert clients.get("c7") == registered
    clients.add(app("c6"))
    assert (plain := clients.get("c6")) is not None and plain.backchannel_logout_uri is None
    assert plain.backchannel_logout_session_required is False


def test_an_orgs_clients_are_listed_and_deleted_with_it(clients: OAuthClients) -> None:
    first, second = replace(app("o1"), org_id="acme"), replace(app("o2", LATER), org_id="acme")
    for made in (second, first, replace(app("o3"), org_id="other"), app("c1")):
        clients.add(made)
    assert clients.get("o1") == first  # the org is kept
    assert [c.client_id for c in clients.list_for_org("acme", 10)] == ["o1", "o2"]
    assert [c.client_id for c in clients.list_for_org("acme", 1)] == ["o1"]
    clients.delete_owned_by_org("acme", 1)  # in batches of one
    clients.delete_owned_by_org("acme", 1)  # again: nothing left, nothing refused
    assert clients.list_for_org("acme", 10) == []
    assert clients.get("o1") is None and clients.get("o2") is None
    assert clients.get("o3") is not None and clients.get("c1") is not None


def test_an_orgs_client_keeps_members_only_and_is_edited(clients: OAuthClients) -> None:
    stored = replace(app("o1"), org_id="acme", members_only=True)
    clients.add(stored)
    assert clients.get("o1") == stored
    edited = clients.update(
        "o1",
        lambda c: c.edited(redirect_uris=("https://app.example.com/later",), members_only=False),
    )
    assert edited is not None and clients.get("o1") == edited
    assert (edited.redirect_uris, edited.members_only) == (
        ("https://app.example.com/later",),
        False,
    )
    assert clients.update("nobody", lambda c: c) is None
