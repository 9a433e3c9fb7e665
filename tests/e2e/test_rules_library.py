"""firegate's rules library on the emulators (docs/organizations.md, "Permissions in
firestore.rules"): the shipped firestore.rules, whose ``org_invoices`` rule is the guide's,
let a member read an org's invoices when one of their roles carries ``invoices:read``, and
refuse at the very next read a permission taken away or a membership removed. Their
``hasPermission`` reads the membership alone (docs/decisions/0490-the-rules-library.md),
and every revocation reaches the membership through firegate's own API: logout everywhere,
a password reset, disabling, the org's deletion, a removal and a permission taken off a
role."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from google.cloud.firestore import DELETE_FIELD

from domain.accounts.signups import ALLOWED
from domain.accounts.users import User
from infrastructure.firestore.accounts.users import user_to_doc
from tests.fakes.federation import FakeCustomTokens
from tests.support import mailbox
from tests.support.api import PASSWORD, bearer
from tests.support.firebase_auth import firebase_auth
from tests.support.firebase_client import Person, firebase_sign_in, in_org, load_rules, person
from tests.support.orgs import add_org, remove_member, set_member

pytestmark = pytest.mark.e2e
RULES = Path(__file__).resolve().parents[2] / "firestore.rules"
INVOICE = "org_invoices/{org}/2026/q3"


@pytest.fixture
def rules(clean_emulators: Any) -> Any:
    load_rules(clean_emulators, RULES.read_text(encoding="utf-8"))
    return clean_emulators


def grant(firestore: Any, org_id: str, user_id: str, permissions: tuple[str, ...]) -> None:
    """The member's roles' permissions, resolved on their membership, as the org repository
    writes them: at a new version."""
    set_member(firestore, org_id, user_id, ("member", "clerk"))
    member = firestore.document(f"orgs/{org_id}/members/{user_id}")
    member.update({"permissions": sorted(permissions)})


@pytest.mark.timeout(180)
def test_a_permission_opens_an_orgs_invoices_until_taken_away(
    gunicorn_url: str, rules: Any, firestore: Any
) -> None:
    alice, bob, carol = (person(gunicorn_url, rules, name) for name in ("alice", "bob", "carol"))
    org_id = add_org(firestore, "acme", {carol.user_id: ("owner",)})
    other = add_org(firestore, "other", {})
    grant(firestore, org_id, alice.user_id, ("invoices:read",))
    grant(firestore, org_id, bob.user_id, ("reports:read",))
    grant(firestore, org_id, carol.user_id, ("invoices:read", "invoices:write"))
    grant(firestore, other, alice.user_id, ("invoices:read",))
    invoice = INVOICE.format(org=org_id)
    firestore.document(invoice).set({"name": "Q3"})
    firestore.document(INVOICE.format(org=other)).set({"name": "other"})
    for someone in (alice, bob, carol):
        in_org(someone, "acme")
        someone.sign_in_to_firebase()

    assert alice.read(invoice).status_code == 200
    assert alice.write(invoice, "mallory").status_code == 403  # no invoices:write
    assert bob.read(invoice).status_code == 403  # another permission only
    assert carol.write(invoice, "Q3 paid").status_code == 200
    assert alice.read(INVOICE.format(org=other)).status_code == 403  # not the active org
    assert alice.read(f"orgs/{org_id}/members/{alice.user_id}").status_code == 403

    # The permission taken off the membership, its version unchanged: the next read is refused.
    firestore.document(f"orgs/{org_id}/members/{alice.user_id}").update({"permissions": []})
    assert alice.read(invoice).status_code == 403
    # Given back through a role at a new version: refused until a new custom token.
    grant(firestore, org_id, alice.user_id, ("invoices:read",))
    assert alice.read(invoice).status_code == 403
    alice.sign_in_to_firebase()
    assert alice.read(invoice).status_code == 200

    # The membership removed: the very next read is refused.
    remove_member(firestore, org_id, carol.user_id)
    assert carol.read(invoice).status_code == 403
    assert carol.write(invoice, "ghost").status_code == 403
    assert firestore.document(invoice).get().to_dict() == {"name": "Q3 paid"}


def call(method: str, url: str, who: Person, body: dict[str, Any] | None = None) -> Any:
    return requests.request(method, url, json=body, headers=bearer(who.access_token), timeout=60)


def new_org(url: str, owner: Person, slug: str, firestore: Any) -> str:
    """An org made through the API whose owners carry invoices:read; its id, its invoice
    written."""
    made = call("POST", f"{url}/orgs", owner, {"slug": slug, "name": slug.title()})
    assert made.status_code == 201, made.text
    org_id: str = made.json()["id"]
    define(url, owner, org_id, "owner", ["invoices:read"])
    firestore.document(INVOICE.format(org=org_id)).set({"name": slug})
    return org_id


def define(url: str, owner: Person, org_id: str, role: str, permissions: list[str]) -> None:
    body = {"description": role, "permissions": permissions}
    put = call("PUT", f"{url}/orgs/{org_id}/roles/{role}", owner, body)
    assert put.status_code in (200, 201), put.text


def signed_in_to(someone: Person, slug: str) -> None:
    in_org(someone, slug)
    someone.sign_in_to_firebase()


@pytest.mark.timeout(240)
def test_has_permission_reads_the_membership_alone(
    gunicorn_url: str, rules: Any, firestore: Any
) -> None:
    olga, bob, carol = (person(gunicorn_url, rules, name) for name in ("olga", "bob", "carol"))
    org_id = new_org(gunicorn_url, olga, "acme", firestore)
    for member in (bob, carol):
        set_member(firestore, org_id, member.user_id, ("member",))
    define(gunicorn_url, olga, org_id, "member", ["invoices:read"])
    for someone in (olga, bob, carol):
        signed_in_to(someone, "acme")
    invoice = INVOICE.format(org=org_id)

    # Neither the accounts nor the org are there to read: a rule reading them would refuse
    # (a missing document's data is an error), so the membership alone decides.
    kept = {
        path: firestore.document(path).get().to_dict()
        for path in (f"orgs/{org_id}", *(f"users/{p.user_id}" for p in (olga, bob, carol)))
    }
    for path in kept:
        firestore.document(path).delete()
    for someone in (olga, bob, carol):
        assert someone.read(invoice).status_code == 200
    for path, data in kept.items():
        firestore.document(path).set(data)

    # A membership written before firegate kept the copy: the account is read instead.
    bobs = firestore.document(f"orgs/{org_id}/members/{bob.user_id}")
    bobs.update({"token_version": DELETE_FIELD})
    assert bob.read(invoice).status_code == 200
    firestore.document(f"users/{bob.user_id}").update({"token_version": 7})
    assert bob.read(invoice).status_code == 403
    firestore.document(f"users/{bob.user_id}").update({"token_version": 0})
    bobs.update({"token_version": 0})

    # Carol leaves: her next read is refused.
    assert call("DELETE", f"{gunicorn_url}/orgs/{org_id}/members/{carol.user_id}", carol).ok
    assert carol.read(invoice).status_code == 403
    # The members' role loses the permission: Bob's next read is refused, Olga's is not.
    define(gunicorn_url, olga, org_id, "member", [])
    assert bob.read(invoice).status_code == 403
    bob.sign_in_to_firebase()
    assert bob.read(invoice).status_code == 403
    assert olga.read(invoice).status_code == 200


@pytest.mark.timeout(240)
def test_every_end_of_the_accounts_sessions_reaches_its_memberships(
    gunicorn_url: str, rules: Any, firestore: Any
) -> None:
    alice, root = person(gunicorn_url, rules, "alice"), person(gunicorn_url, rules, "root")
    acme, beta = (new_org(gunicorn_url, alice, slug, firestore) for slug in ("acme", "beta"))
    signed_in_to(alice, "acme")
    assert alice.read(INVOICE.format(org=acme)).status_code == 200

    # Logout everywhere: the Firebase session of before is refused at its next read.
    ended = call("POST", f"{gunicorn_url}/auth/logout?all=true", alice)
    assert ended.status_code == 204
    assert alice.read(INVOICE.format(org=acme)).status_code == 403
    alice.refresh_firebase()
    assert alice.read(INVOICE.format(org=acme)).status_code == 403

    # Signed in again, a new custom token opens both orgs, and an org made since.
    body = {"username": "alice", "password": PASSWORD}
    login = requests.post(f"{gunicorn_url}/login", json=body, timeout=60)
    assert login.status_code == 200, login.text
    alice.access_token = login.json()["access_token"]
    gamma = new_org(gunicorn_url, alice, "gamma", firestore)
    for slug, org_id in (("acme", acme), ("beta", beta), ("gamma", gamma)):
        signed_in_to(alice, slug)
        assert alice.read(INVOICE.format(org=org_id)).status_code == 200

    # Disabled by an admin: refused at the next read.
    firestore.document(f"users/{root.user_id}").update({"role": "admin"})
    disabled = call("PATCH", f"{gunicorn_url}/users/{alice.user_id}", root, {"disabled": True})
    assert disabled.status_code == 200, disabled.text
    assert alice.read(INVOICE.format(org=gamma)).status_code == 403


@pytest.mark.timeout(240)
def test_an_orgs_deletion_refuses_its_members_at_once(
    gunicorn_url: str, rules: Any, firestore: Any
) -> None:
    olga, bob = person(gunicorn_url, rules, "olga"), person(gunicorn_url, rules, "bob")
    org_id = new_org(gunicorn_url, olga, "acme", firestore)
    set_member(firestore, org_id, bob.user_id, ("member",))
    define(gunicorn_url, olga, org_id, "member", ["invoices:read"])
    for someone in (olga, bob):
        signed_in_to(someone, "acme")
        assert someone.read(INVOICE.format(org=org_id)).status_code == 200

    assert call("DELETE", f"{gunicorn_url}/orgs/{org_id}", olga).status_code == 204
    for someone in (olga, bob):
        assert someone.read(INVOICE.format(org=org_id)).status_code == 403


@pytest.mark.timeout(240)
def test_a_password_reset_through_the_mail_refuses_the_firebase_session(
    gunicorn_url: str, rules: Any, firestore: Any
) -> None:
    alice = person(gunicorn_url, rules, "alice")
    org_id = new_org(gunicorn_url, alice, "acme", firestore)
    signed_in_to(alice, "acme")
    assert alice.read(INVOICE.format(org=org_id)).status_code == 200

    forgot = {"email": "alice@example.com"}
    asked = requests.post(f"{gunicorn_url}/auth/password/forgot", json=forgot, timeout=60)
    assert asked.status_code == 202
    mail = mailbox.wait_for("alice@example.com", 2)[-1]  # after the address's proof
    assert "reset" in mailbox.link_in(mail)
    body = {"token": mailbox.token_in(mail), "new_password": f"{PASSWORD}-new"}
    reset = requests.post(f"{gunicorn_url}/auth/password/reset", json=body, timeout=60)
    assert reset.status_code == 204, reset.text
    assert alice.read(INVOICE.format(org=org_id)).status_code == 403


@pytest.mark.timeout(240)
def test_a_claim_by_a_firebase_proof_refuses_the_squatters_firebase_session(
    gunicorn_url: str, rules: Any, firestore: Any
) -> None:
    """Someone registered the address and never proved it; its holder signs in with Firebase,
    whose proof of the address claims the account: the squatter's Firebase session of before
    reads nothing of the org's from its next read (docs/decisions/0496-one-first-proof.md)."""
    mallory = person(gunicorn_url, rules, "mal")  # mal@example.com, never proven
    org_id = new_org(gunicorn_url, mallory, "acme", firestore)
    signed_in_to(mallory, "acme")
    assert mallory.read(INVOICE.format(org=org_id)).status_code == 200

    with firebase_auth(rules, "claim-by-firebase") as auth:
        auth.create("mal@example.com", email_verified=True)
        token = auth.sign_in("mal@example.com")
    claimed = requests.post(f"{gunicorn_url}/auth/firebase", json={"id_token": token}, timeout=60)
    assert claimed.status_code == 200, claimed.text
    assert mallory.read(INVOICE.format(org=org_id)).status_code == 403
    mallory.refresh_firebase()
    assert mallory.read(INVOICE.format(org=org_id)).status_code == 403


def as_agent(
    someone: Person,
    rules: Any,
    org_id: str,
    member: dict[str, Any],
    scope: str,
    *,
    agent_grants: tuple[str, ...] = (),
) -> None:
    """Signed in to Firebase with the custom token firegate mints for an agent's token
    (docs/reference/firebase.md, "An agent's custom token"): the person's claims, the org as
    the membership stands, and ``act``, ``scope``, ``grant_id`` and, for a chain of agents,
    ``agent_grants``."""
    claims: dict[str, Any] = {
        "role": "user",
        "token_version": member["token_version"],
        "org_id": org_id,
        "org_roles": member["roles"],
        "org_version": member["version"],
        "act": {"sub": "invoice-agent", "act": {"sub": "orchestrator"}},
        "scope": scope,
        "grant_id": "grant-of-alice",
    }
    if agent_grants:
        claims["agent_grants"] = list(agent_grants)
    custom = FakeCustomTokens().mint(someone.user_id, claims)
    someone.id_token = firebase_sign_in(rules, custom)["idToken"]


@pytest.mark.timeout(180)
def test_acting_agent_and_agent_may_allow_and_refuse_an_agents_writes(
    gunicorn_url: str, rules: Any, firestore: Any
) -> None:
    """The shipped rules: an org's invoices are written by a member whose roles carry
    invoices:write and, where an agent acts, whose token's scopes do too (``agentMay``);
    private_settings/{uid} by the person alone (``actingAgent() == null``); and an agent's
    Firebase session ends with the person's grant."""
    alice = person(gunicorn_url, rules, "alice")
    org_id = add_org(firestore, "acme", {})
    grant(firestore, org_id, alice.user_id, ("invoices:read", "invoices:write"))
    member = firestore.document(f"orgs/{org_id}/members/{alice.user_id}").get().to_dict()
    firestore.document("oauth_grants/grant-of-alice").set(
        {"user_id": alice.user_id, "client_id": "orchestrator", "issued": True, "revoked": False}
    )
    invoice, settings = INVOICE.format(org=org_id), f"private_settings/{alice.user_id}"
    firestore.document(invoice).set({"name": "Q3"})

    as_agent(alice, rules, org_id, member, "invoices:read")
    assert alice.read(invoice).status_code == 200  # hasPermission alone
    assert alice.write(invoice, "paid").status_code == 403  # agentMay('invoices:write')
    assert alice.write(settings, "dark").status_code == 403  # actingAgent() is the agent
    as_agent(alice, rules, org_id, member, "invoices:read invoices:write")
    assert alice.write(invoice, "paid").status_code == 200
    assert alice.write(settings, "dark").status_code == 403

    in_org(alice, "acme")  # the person alone: every write their roles allow
    alice.sign_in_to_firebase()
    assert alice.write(settings, "dark").status_code == 200
    assert alice.write(invoice, "paid twice").status_code == 200

    # The grant revoked, or another account's: the agent is refused at its next request.
    as_agent(alice, rules, org_id, member, "invoices:read invoices:write")
    assert alice.read(invoice).status_code == 200
    firestore.document("oauth_grants/grant-of-alice").update({"revoked": True})
    assert alice.read(invoice).status_code == 403
    assert alice.write(invoice, "mallory").status_code == 403
    firestore.document("oauth_grants/grant-of-alice").update(
        {"revoked": False, "user_id": "someone-else"}
    )
    assert alice.read(invoice).status_code == 403
    assert firestore.document(invoice).get().to_dict() == {"name": "paid twice"}

    # A chain of agents: the person's grant to each must hold too; one revoked ends it.
    firestore.document("oauth_grants/grant-of-alice").update({"user_id": alice.user_id})
    for agent in ("invoice-agent", "orchestrator"):
        firestore.document(f"oauth_grants/{agent}-grant").set(
            {"user_id": alice.user_id, "client_id": agent, "issued": True, "revoked": False}
        )
    chain = ("invoice-agent-grant", "orchestrator-grant")
    as_agent(alice, rules, org_id, member, "invoices:read", agent_grants=chain)
    assert alice.read(invoice).status_code == 200
    firestore.document("oauth_grants/orchestrator-grant").update({"revoked": True})
    assert alice.read(invoice).status_code == 403


@pytest.mark.timeout(180)
def test_is_guest_lets_a_guest_write_its_trial_and_no_person(
    gunicorn_url: str, rules: Any, firestore: Any
) -> None:
    """The shipped rules' trials/{uid} (docs/guests.md): written by the account while it is a
    guest (``isGuest()``: the custom token's ``guest`` claim, as firegate mints it for a
    guest, and its account a guest as stored), read by it as its own; a person's token does
    not match it, and an upgraded guest is refused before its next custom token."""
    made = User.new_guest(id="guestUid0000000000000A", now=datetime.now(UTC), admitted=ALLOWED)
    firestore.document(f"users/{made.id}").set(user_to_doc(made))
    guest = Person(gunicorn_url, rules, made.id, access_token="")
    claims = {"role": "user", "token_version": 0, "guest": True}
    guest.id_token = firebase_sign_in(rules, FakeCustomTokens().mint(made.id, claims))["idToken"]
    trial = f"trials/{made.id}"
    assert guest.write(trial, "cart").status_code == 200
    assert guest.read(trial).status_code == 200

    alice = person(gunicorn_url, rules, "alice")
    alice.sign_in_to_firebase()  # firegate's own custom token: no guest claim for a person
    assert alice.write(f"trials/{alice.user_id}", "cart").status_code == 403
    assert alice.read(f"trials/{alice.user_id}").status_code == 404  # its own: none yet
    assert alice.write(trial, "mallory").status_code == 403

    # Upgraded in place: the same uid, the account no guest; its guest token no longer is.
    firestore.document(f"users/{made.id}").update({"guest": False})
    assert guest.write(trial, "more").status_code == 403
    assert guest.read(trial).status_code == 200
    assert firestore.document(trial).get().to_dict() == {"name": "cart"}


@pytest.mark.timeout(180)
def test_not_impersonated_refuses_support_access_and_lets_the_person_through(
    gunicorn_url: str, rules: Any, firestore: Any
) -> None:
    """The shipped rules' private_settings/{uid}: read by the person and by an admin acting
    as them (support access, docs/support-access.md), written by the person alone
    (``notImpersonated()``); the impersonated custom token and the Firebase ID token made of
    it name the admin in ``act``."""
    alice, root = person(gunicorn_url, rules, "alice"), person(gunicorn_url, rules, "root")
    firestore.document(f"users/{root.user_id}").update({"role": "admin"})
    settings = f"private_settings/{alice.user_id}"
    firestore.document(settings).set({"name": "light"})
    started = requests.post(
        f"{gunicorn_url}/admin/users/{alice.user_id}/impersonate",
        json={"reason": "Ticket 4711", "minutes": 10},
        headers=bearer(root.access_token),
        timeout=60,
    )
    assert started.status_code == 201, started.text
    support = Person(gunicorn_url, rules, alice.user_id, started.json()["access_token"])
    claims = support.sign_in_to_firebase()
    assert claims["user_id"] == alice.user_id and claims["act"] == {"sub": root.user_id}
    assert claims["impersonation_ends"] > 0

    assert support.read(settings).status_code == 200  # isFiregateAccount lets it through
    assert support.write(settings, "dark").status_code == 403  # notImpersonated()
    alice.sign_in_to_firebase()
    assert alice.write(settings, "dark").status_code == 200  # the person's own
    assert firestore.document(settings).get().to_dict() == {"name": "dark"}
