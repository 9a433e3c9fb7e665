"""Which account a person gets through an org's connection, for both kinds (SAML against
pysaml2's own IdP, OpenID against a stand-in whose ID tokens Authlib's client checks; the one
step they share, docs/reference/sso.md "Signing in"): just-in-time accounts and memberships on
the org's verified domains, the account that proved the address linked and told, a squatter's
account claimed, an unverified domain joining nobody, a member keeping their roles, what
the sign-in records, and the accounts it made deprovisioned by the org's directory (disabled:
the org manages them; docs/decisions/0414-accounts-the-orgs-sso-made.md)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient

from application.orgs.members.members import AddMember
from application.orgs.services import OrgServices
from application.ports import Audit
from application.sso.arrival import identity_provider
from bootstrap.accounts import AccountsAdapters
from bootstrap.orgs import OrgsAdapters
from bootstrap.signin_adapters import SigninAdapters
from tests.support.api import PASSWORD, bearer, login, register
from tests.support.pages import csrf
from tests.support.saml_idp import KeyPair, key_pair
from tests.support.scim import USERS, Directory, active, signed_in_by_reset, user_body
from tests.support.sso_world import (
    LANDING,
    OidcSso,
    SamlSso,
    oidc_sso,
    proven_account,
    saml_sso,
    signed_in,
    told_of_new_way_in,
)
from tests.support.totp import next_code, register_with_totp

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def idp_keys() -> KeyPair:
    return key_pair()


@pytest.fixture(params=["saml", "oidc"])
def sso(request: pytest.FixtureRequest, idp_keys: KeyPair) -> Iterator[SamlSso | OidcSso]:
    if request.param == "saml":
        yield saml_sso(idp_keys)
    else:
        with oidc_sso() as found:
            yield found


def linked_providers(sso: SamlSso | OidcSso, user_id: str) -> list[str]:
    return [
        link.provider
        for link in sso.world.adapters.of(AccountsAdapters).identities.list_for(user_id)
    ]


def test_a_new_person_on_a_verified_domain_gets_an_account_and_a_membership(
    sso: SamlSso | OidcSso,
) -> None:
    browser = sso.world.app.test_client()
    arrived = sso.sign_in(browser, "ada@corp.example", groups=("IT", "Other"))
    assert arrived.status_code == 303, arrived.get_data(as_text=True)
    assert urlsplit(arrived.headers["Location"]).path == LANDING
    assert signed_in(browser)
    user = sso.user_of("ada@corp.example")
    assert user is not None and user.email_verified and user.password_hash is None
    assert (user.name, user.last_name) == ("Ada", "Lovelace")
    assert user.full_name is None
    assert sso.member_roles(user.id) == ("admin",)  # IT → admin; Other maps to nothing
    assert linked_providers(sso, user.id) == [identity_provider(sso.cid)]
    mine = [e for e in sso.world.audit.events if e.user_id == user.id]
    added = [(e.event, e.org_id, e.reason) for e in mine]
    assert (Audit.ORG_MEMBER_ADDED, sso.org_id, "sso") in added
    joined = [e for e in mine if e.event is Audit.ORG_MEMBER_ADDED]
    assert [e.via for e in joined] == ["sso"]
    # signin.succeeded names the way in and the connection, and is on the org's audit log;
    # the session is federated.
    signins = [e for e in mine if e.event is Audit.LOGIN]
    assert [(e.method, e.reason, e.org_id) for e in signins] == [("sso", sso.cid, sso.org_id)]
    log = sso.world.client.get("/orgs/corp/events", headers=sso.owner).get_json()["items"]
    seen = [(e["type"], e.get("method"), e["user_id"]) for e in log]
    assert ("signin.succeeded", "sso", user.id) in seen
    sessions = sso.world.adapters.of(SigninAdapters).sessions.list_for_user(user.id, 10)
    assert [s.amr for s in sessions] == [("fed",)]
    # The same person again, out of IT: the same account, its roles from the mapping now
    # what the mapping now gives (docs/decisions/0459-each-source-grants-its-own-roles.md).
    again = sso.world.app.test_client()
    assert sso.sign_in(again, "ada@corp.example", groups=("Staff",)).status_code == 303
    assert signed_in(again)
    assert sso.user_of("ada@corp.example").id == user.id
    assert sso.member_roles(user.id) == ("member",)


def test_no_group_mapped_makes_a_member(sso: SamlSso | OidcSso) -> None:
    assert sso.sign_in(sso.world.app.test_client(), "bob@corp.example").status_code == 303
    assert sso.member_roles(sso.user_of("bob@corp.example").id) == ("member",)


def sign_in_with_password(browser: FlaskClient, username: str, next_path: str) -> None:
    form = {"username": username, "password": PASSWORD, "csrf_token": csrf(browser, "/sign-in")}
    signed = browser.post("/sign-in", query_string={"next": next_path}, data=form)
    assert signed.status_code == 303, signed.get_data(as_text=True)
    assert signed.headers["Location"] == next_path


def confirm_connection(browser: FlaskClient, username: str) -> None:
    """The holder, sent to /sign-in/connect by a connection's sign-in, signs in to their
    account with its password in that browser and confirms the connection."""
    sign_in_with_password(browser, username, "/account/connect")
    confirm = browser.post("/account/connect", data={"csrf_token": csrf(browser, "/account")})
    assert confirm.status_code == 303, confirm.get_data(as_text=True)


def test_an_account_with_a_password_is_connected_only_by_its_holder(
    sso: SamlSso | OidcSso,
) -> None:
    # The account proved the address and opens with a password: the connection asserting
    # the address is no proof that this is its holder (whoever runs the IdP says what it
    # likes), so nothing is linked and nobody is signed in until the holder signs in to it.
    ivy = proven_account(sso.world, "ivy", "ivy@corp.example")
    browser = sso.world.app.test_client()
    arrived = sso.sign_in(browser, "ivy@corp.example")
    assert arrived.status_code == 303
    assert urlsplit(arrived.headers["Location"]).path == "/sign-in/connect"
    assert not signed_in(browser)
    assert linked_providers(sso, ivy.id) == []
    assert sso.member_roles(ivy.id) is None
    assert not any(e.event is Audit.IDENTITY_LINKED for e in sso.world.audit.events)
    # Ivy signs in to her account in that browser and confirms: linked, and told.
    confirm_connection(browser, "ivy")
    assert linked_providers(sso, ivy.id) == [identity_provider(sso.cid)]
    assert told_of_new_way_in(sso.world, ivy.id)
    # From then on the connection signs her in (rule 1), and she joins the org.
    later = sso.world.app.test_client()
    assert sso.sign_in(later, "ivy@corp.example").status_code == 303
    assert signed_in(later)
    assert sso.member_roles(ivy.id) == ("member",)


def test_an_account_the_org_holds_is_linked_unasked_and_told(sso: SamlSso | OidcSso) -> None:
    # No other way in: an account the org's directory made (no password, no passkey).
    corp = corp_directory(sso)
    noa = provisioned(sso, corp, "noa@corp.example")
    browser = sso.world.app.test_client()
    assert sso.sign_in(browser, "noa@corp.example").status_code == 303
    assert signed_in(browser)
    assert linked_providers(sso, noa) == [identity_provider(sso.cid)]
    assert told_of_new_way_in(sso.world, noa)
    # A member the org requires single sign-on of, who signs in no other way.
    ivy = proven_account(sso.world, "ivy", "ivy@corp.example")
    sso.world.services.of(OrgServices).members.add_member(AddMember(sso.org_id, "ivy", ("member",)))
    required = sso.world.client.patch("/orgs/corp", json={"require_sso": True}, headers=sso.owner)
    assert required.status_code == 200, required.get_json()
    again = sso.world.app.test_client()
    assert sso.sign_in(again, "ivy@corp.example").status_code == 303
    assert signed_in(again)
    assert linked_providers(sso, ivy.id) == [identity_provider(sso.cid)]
    assert told_of_new_way_in(sso.world, ivy.id)
    # The notice names the org and its connection as people know them, never an id.
    sso.world.deliver()
    [notice] = [m for m in sso.world.mailer.to("ivy@corp.example") if "not-me" in m.text]
    assert notice.subject == "Single sign-on of Corp (Corp IdP) was added to your firegate account"
    assert "the single sign-on of the organization Corp, through its connection Corp IdP" in (
        " ".join(notice.text.split())
    )
    assert sso.cid not in notice.text


def test_an_account_another_orgs_connection_opens_is_asked(sso: SamlSso | OidcSso) -> None:
    # Opened only through another org's connection: that org's, not this one's, to link.
    other = sso.world.adapters.of(AccountsAdapters).identities
    zoe = proven_account(sso.world, "zoe", "zoe@corp.example")
    sso.world.adapters.of(AccountsAdapters).users.update(
        zoe.id, lambda u: replace(u, password_hash=None)
    )
    assert other.link_existing(zoe.id, "github", "gh-zoe", lambda u: u) is not None
    arrived = sso.sign_in(sso.world.app.test_client(), "zoe@corp.example")
    assert urlsplit(arrived.headers["Location"]).path == "/sign-in/connect"
    assert linked_providers(sso, zoe.id) == ["github"]


def test_an_address_on_another_domain_joins_no_org(sso: SamlSso | OidcSso) -> None:
    arrived = sso.sign_in(sso.world.app.test_client(), "eve@elsewhere.example", groups=("IT",))
    assert arrived.status_code == 303
    eve = sso.user_of("eve@elsewhere.example")
    assert eve is not None and not eve.email_verified  # the connection proves no such address
    assert sso.member_roles(eve.id) is None
    # An account that proved that address is not linked by it: its owner signs in to connect.
    mia = proven_account(sso.world, "mia", "mia@elsewhere.example")
    refused = sso.sign_in(sso.world.app.test_client(), "mia@elsewhere.example")
    assert refused.status_code == 303
    assert urlsplit(refused.headers["Location"]).path == "/sign-in/connect"
    assert linked_providers(sso, mia.id) == []
    assert sso.member_roles(mia.id) is None


def test_a_connection_never_unproves_an_address_it_cannot_vouch_for(
    sso: SamlSso | OidcSso,
) -> None:
    # Mia proved her address herself and connected the org's connection to her account; the
    # connection cannot vouch for an address off the org's verified domains, which proves
    # nothing, and disproves nothing either (else her account would become claimable by
    # whoever proves the address next, second factor and all).
    mia = proven_account(sso.world, "mia", "mia@elsewhere.example")
    browser = sso.world.app.test_client()
    assert sso.sign_in(browser, "mia@elsewhere.example").status_code == 303
    confirm_connection(browser, "mia")
    later = sso.world.app.test_client()
    assert sso.sign_in(later, "mia@elsewhere.example").status_code == 303
    assert signed_in(later)
    account = sso.user_of("mia@elsewhere.example")
    assert account.id == mia.id and account.email_verified


def test_a_member_already_keeps_their_roles(sso: SamlSso | OidcSso) -> None:
    kim = proven_account(sso.world, "kim", "kim@corp.example")
    sso.world.services.of(OrgServices).members.add_member(AddMember(sso.org_id, "kim", ("member",)))
    arrived = sso.sign_in(sso.world.app.test_client(), "kim@corp.example", groups=("IT",))
    assert arrived.status_code == 303
    assert sso.member_roles(kim.id) == ("member",)


def test_a_squatters_unproven_account_is_claimed_without_its_ways_in(
    sso: SamlSso | OidcSso,
) -> None:
    # Pre-hijack: someone signed up first with an address on the org's domain, never proved
    # it, and kept a password. The connection proves the address: the account is the
    # person's, its password and sessions gone (the first proof of an address wins).
    client = sso.world.client
    register(client, "squatter", email="ann@corp.example")
    squatter = bearer(login(client, "squatter"))
    browser = sso.world.app.test_client()
    assert sso.sign_in(browser, "ann@corp.example").status_code == 303
    assert signed_in(browser)
    ann = sso.user_of("ann@corp.example")
    assert ann.email_verified and ann.password_hash is None
    again = client.post("/login", json={"username": "squatter", "password": PASSWORD})
    assert again.status_code == 401
    assert client.get("/user", headers=squatter).status_code == 401
    assert sso.member_roles(ann.id) == ("member",)


def test_a_disabled_account_is_refused(sso: SamlSso | OidcSso) -> None:
    browser = sso.world.app.test_client()
    assert sso.sign_in(browser, "dan@corp.example").status_code == 303
    dan = sso.user_of("dan@corp.example")
    sso.world.adapters.of(AccountsAdapters).users.update(
        dan.id, lambda u: u.with_disabled(True, u.updated_at)
    )
    later = sso.world.app.test_client()
    assert sso.sign_in(later, "dan@corp.example").status_code == 403
    assert not signed_in(later)


def test_a_second_factor_is_asked_next_and_the_sign_in_still_names_the_connection(
    sso: SamlSso | OidcSso,
) -> None:
    secret, _ = register_with_totp(sso.world.client, "tia", email="tia@corp.example")
    users = sso.world.adapters.of(AccountsAdapters).users
    tia = users.update(
        sso.user_of("tia@corp.example").id, lambda u: u.with_email_verified(u.updated_at)
    )
    # A member the org holds to its single sign-on: linked at once (else she would confirm).
    sso.world.services.of(OrgServices).members.add_member(AddMember(sso.org_id, "tia", ("member",)))
    required = sso.world.client.patch("/orgs/corp", json={"require_sso": True}, headers=sso.owner)
    assert required.status_code == 200, required.get_json()
    browser = sso.world.app.test_client()
    arrived = sso.sign_in(browser, "tia@corp.example")
    assert arrived.status_code == 303
    assert urlsplit(arrived.headers["Location"]).path == "/sign-in/mfa"
    assert not signed_in(browser)
    form = {"code": next_code(secret, browser), "csrf_token": csrf(browser, "/sign-in/mfa")}
    done = browser.post("/sign-in/mfa", query_string={"next": LANDING}, data=form)
    assert done.status_code == 303, done.get_data(as_text=True)
    assert done.headers["Location"] == LANDING
    assert signed_in(browser)
    signins = [e for e in sso.world.audit.events if e.event is Audit.LOGIN and e.user_id == tia.id]
    assert (signins[-1].method, signins[-1].reason) == ("sso", sso.cid)
    assert signins[-1].org_id == sso.org_id  # the org's audit log, after the second step too
    amrs = [s.amr for s in sso.world.adapters.of(SigninAdapters).sessions.list_for_user(tia.id, 10)]
    assert ("fed", "otp") in amrs


def corp_directory(sso: SamlSso | OidcSso) -> Directory:
    client = sso.world.client
    token = client.post("/orgs/corp/scim/tokens", json={"name": "Okta"}, headers=sso.owner)
    assert token.status_code == 201, token.get_json()
    return Directory(sso.org_id, sso.owner, token.get_json()["token"])


def provisioned(sso: SamlSso | OidcSso, corp: Directory, address: str) -> str:
    made = sso.world.client.post(USERS, json=user_body(address), headers=corp.auth)
    assert made.status_code == 201, made.get_data(as_text=True)
    user_id: str = made.get_json(force=True)["id"]
    return user_id


def disabled(sso: SamlSso | OidcSso, user_id: str) -> bool:
    account = sso.world.adapters.of(AccountsAdapters).users.get(user_id)
    assert account is not None
    return account.disabled


def test_an_account_the_orgs_sso_made_is_disabled_when_deprovisioned(
    sso: SamlSso | OidcSso,
) -> None:
    browser = sso.world.app.test_client()
    assert sso.sign_in(browser, "ada@corp.example").status_code == 303
    ada = sso.user_of("ada@corp.example")
    membership = sso.world.adapters.of(OrgsAdapters).orgs.membership(sso.org_id, ada.id)
    assert membership is not None and membership.managed
    tokens = signed_in_by_reset(sso.world, "ada@corp.example", ada.username.value)
    corp = corp_directory(sso)
    assert provisioned(sso, corp, "ada@corp.example") == ada.id  # the same account

    active(sso.world, corp, ada.id, False)

    assert disabled(sso, ada.id)
    assert not signed_in(browser)  # the SSO session is gone
    client = sso.world.client
    assert client.get("/user", headers=bearer(tokens["access_token"])).status_code == 401
    refreshed = client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code in (400, 401)
    assert sso.member_roles(ada.id) == ("member",)  # suspended, still the org's


def test_deleting_an_account_the_orgs_sso_made_disables_it(sso: SamlSso | OidcSso) -> None:
    assert sso.sign_in(sso.world.app.test_client(), "max@corp.example").status_code == 303
    max_ = sso.user_of("max@corp.example")
    corp = corp_directory(sso)
    provisioned(sso, corp, "max@corp.example")
    assert sso.world.client.delete(f"{USERS}/{max_.id}", headers=corp.auth).status_code == 204
    assert disabled(sso, max_.id)
    assert sso.member_roles(max_.id) is None


def test_an_account_the_sso_linked_only_leaves_the_org(sso: SamlSso | OidcSso) -> None:
    ivy = proven_account(sso.world, "ivy", "ivy@corp.example")
    browser = sso.world.app.test_client()
    assert sso.sign_in(browser, "ivy@corp.example").status_code == 303
    confirm_connection(browser, "ivy")  # her own account: she connects it herself
    assert sso.sign_in(browser, "ivy@corp.example").status_code == 303
    membership = sso.world.adapters.of(OrgsAdapters).orgs.membership(sso.org_id, ivy.id)
    assert membership is not None and not membership.managed
    corp = corp_directory(sso)
    assert provisioned(sso, corp, "ivy@corp.example") == ivy.id

    active(sso.world, corp, ivy.id, False)

    assert not disabled(sso, ivy.id)
    assert sso.member_roles(ivy.id) is None
    assert signed_in(browser)  # their own account, signed in still
