"""Signing in through an org's SAML connection on the fakes, against pysaml2's own IdP with
xmlsec1: the round trip, just-in-time accounts and memberships on the org's verified domains,
the account that proved the address linked, an unverified domain joining nobody, replays and
other browsers refused (docs/reference/sso.md, "Signing in")."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient

from application.orgs.members import AddMember
from application.ports import Audit
from application.sso.signin import identity_provider
from tests.support.api import PASSWORD, bearer, login, register
from tests.support.sso import Sso, idp_keys, sso

pytestmark = pytest.mark.unit
__all__ = ["idp_keys", "sso"]  # fixtures


def signed_in(client: FlaskClient) -> bool:
    return client.get("/account").status_code == 200


def test_a_new_person_on_a_verified_domain_gets_an_account_and_a_membership(sso: Sso) -> None:
    browser = sso.world.app.test_client()
    arrived = sso.answer(browser, "ada@corp.example", groups=("IT", "Other"))
    assert arrived.status_code == 303, arrived.get_data(as_text=True)
    assert urlsplit(arrived.headers["Location"]).path == "/account/orgs"
    assert signed_in(browser)
    user = sso.user_of("ada@corp.example")
    assert user is not None and user.email_verified and user.password_hash is None
    assert user.name == "Ada Lovelace"
    assert sso.member_roles(user.id) == ("admin",)  # IT → admin; Other maps to nothing
    links = sso.world.adapters.accounts.identities.list_for(user.id)
    assert [link.provider for link in links] == [identity_provider(sso.cid)]
    events = [(e.event, e.org_id, e.reason) for e in sso.world.audit.events]
    assert (Audit.ORG_MEMBER_ADDED, sso.org_id, "sso") in events
    # The same person again: the same account, still a member as they were.
    again = sso.world.app.test_client()
    assert sso.answer(again, "ada@corp.example").status_code == 303
    assert sso.user_of("ada@corp.example").id == user.id
    assert sso.member_roles(user.id) == ("admin",)


def test_no_group_mapped_makes_a_member(sso: Sso) -> None:
    browser = sso.world.app.test_client()
    assert sso.answer(browser, "bob@corp.example").status_code == 303
    assert sso.member_roles(sso.user_of("bob@corp.example").id) == ("member",)


def test_the_account_that_proved_the_address_is_linked_and_told(sso: Sso) -> None:
    client = sso.world.client
    register(client, "ivy", email="ivy@corp.example")
    ivy = sso.user_of("ivy@corp.example")
    sso.world.adapters.accounts.users.update(ivy.id, lambda u: u.with_email_verified(u.updated_at))
    browser = sso.world.app.test_client()
    assert sso.answer(browser, "ivy@corp.example").status_code == 303
    assert signed_in(browser)
    links = sso.world.adapters.accounts.identities.list_for(ivy.id)
    assert [link.provider for link in links] == [identity_provider(sso.cid)]
    added = [e for e in sso.world.audit.events if e.event is Audit.IDENTITY_LINKED]
    assert added and added[-1].user_id == ivy.id and added[-1].added is not None
    assert sso.member_roles(ivy.id) == ("member",)


def test_an_address_on_another_domain_joins_no_org(sso: Sso) -> None:
    browser = sso.world.app.test_client()
    arrived = sso.answer(browser, "eve@elsewhere.example")
    assert arrived.status_code == 303
    eve = sso.user_of("eve@elsewhere.example")
    assert eve is not None and not eve.email_verified  # the connection proves no such address
    assert sso.member_roles(eve.id) is None
    # An account that proved that address is not linked by it: its owner signs in to connect.
    register(sso.world.client, "mia", email="mia@elsewhere.example")
    mia = sso.user_of("mia@elsewhere.example")
    sso.world.adapters.accounts.users.update(mia.id, lambda u: u.with_email_verified(u.updated_at))
    refused = sso.answer(sso.world.app.test_client(), "mia@elsewhere.example")
    assert refused.status_code == 303
    assert urlsplit(refused.headers["Location"]).path == "/sign-in/connect"
    assert sso.world.adapters.accounts.identities.list_for(mia.id) == []


def test_a_replayed_or_foreign_answer_signs_nobody_in(sso: Sso) -> None:
    browser = sso.world.app.test_client()
    start = browser.get(f"/sso/{sso.cid}/saml")
    request = sso.idp.request_of(start.headers["Location"])
    xml = sso.response(request.message.id, "ada@corp.example")
    # Another browser, which started nothing, cannot use this browser's answer.
    thief = sso.world.app.test_client()
    assert sso.post(thief, xml).status_code == 401
    assert not signed_in(thief)
    assert sso.post(browser, xml).status_code == 303
    # Its flight is spent, and so is the assertion.
    assert sso.post(browser, xml).status_code == 401
    other = sso.world.app.test_client()
    other.get(f"/sso/{sso.cid}/saml")
    assert sso.post(other, xml).status_code == 401


def test_a_switched_off_connection_starts_nothing(sso: Sso) -> None:
    off = sso.world.client.patch(
        f"/orgs/corp/connections/{sso.cid}", json={"status": "inactive"}, headers=sso.owner
    )
    assert off.status_code == 200
    assert sso.world.app.test_client().get(f"/sso/{sso.cid}/saml").status_code == 404


def test_a_member_already_keeps_their_roles(sso: Sso) -> None:
    client = sso.world.client
    register(client, "kim", email="kim@corp.example")
    kim = sso.user_of("kim@corp.example")
    sso.world.adapters.accounts.users.update(kim.id, lambda u: u.with_email_verified(u.updated_at))
    sso.world.services.orgs.add_member(AddMember(sso.org_id, "kim", ("member",)))
    assert (
        sso.answer(sso.world.app.test_client(), "kim@corp.example", groups=("IT",)).status_code
        == 303
    )
    assert sso.member_roles(kim.id) == ("member",)


def test_a_squatters_unproven_account_is_claimed_without_its_ways_in(sso: Sso) -> None:
    # Pre-hijack: someone signed up first with an address on the org's domain, never proved
    # it, and kept a password. The connection proves the address: the account is the
    # person's, its password and sessions gone (the first proof of an address wins).
    client = sso.world.client
    register(client, "squatter", email="ann@corp.example")
    squatter = bearer(login(client, "squatter"))
    browser = sso.world.app.test_client()
    assert sso.answer(browser, "ann@corp.example").status_code == 303
    assert signed_in(browser)
    ann = sso.user_of("ann@corp.example")
    assert ann.email_verified and ann.password_hash is None
    assert (
        client.post("/login", json={"username": "squatter", "password": PASSWORD}).status_code
        == 401
    )
    assert client.get("/user", headers=squatter).status_code == 401
    assert sso.member_roles(ann.id) == ("member",)
