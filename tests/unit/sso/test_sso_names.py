"""The names an IdP gives arrive apart: a SAML IdP's ``givenName`` and ``sn`` become the
account's given and family name, its ``displayName`` alone the whole name (never a given
name), and the provider's claims are made of them (docs/reference/sso.md, "Attribute
mapping"; docs/decisions/0460-a-whole-name-alone-stays-whole.md)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from application.provider.claims import claims_of
from bootstrap.orgs import OrgsAdapters
from domain.accounts.credentials import Username
from domain.accounts.profile import PersonName
from domain.accounts.signups import ALLOWED
from domain.accounts.users import User
from tests.fakes.orgs import FakeOrgRepository
from tests.support.saml_idp import key_pair
from tests.support.sso_world import SamlSso, saml_sso

pytestmark = pytest.mark.unit
NOW = datetime(2026, 11, 1, tzinfo=UTC)


def test_a_saml_display_name_alone_is_the_whole_name() -> None:
    sso = saml_sso(key_pair())
    saml = sso.connection["saml"]
    browser = sso.world.app.test_client()
    start = browser.get(f"/sso/{sso.cid}/saml")
    xml = sso.idp.response(
        in_response_to=sso.idp.request_of(start.headers["Location"]).message.id,
        destination=saml["acs_url"],
        audience=saml["sp_entity_id"],
        email="lewis@corp.example",
        attributes={"mail": ["lewis@corp.example"], "displayName": ["Lewis Carroll"]},
    )
    assert sso.post(browser, xml).status_code == 303
    lewis = sso.user_of("lewis@corp.example")
    assert lewis is not None
    assert (lewis.name, lewis.last_name, lewis.full_name) == (None, None, "Lewis Carroll")


def test_the_claims_are_made_of_the_names_as_they_are_kept() -> None:
    def user(names: PersonName) -> User:
        return User.register(
            admitted=ALLOWED,
            id="u1",
            username=Username("alice"),
            email=None,
            password_hash=None,
            now=NOW,
        ).named(names, NOW)

    parts = claims_of(user(PersonName.of("Alice", "Liddell", "Alice Liddell")), "openid profile")
    assert {k: parts.get(k) for k in ("name", "given_name", "family_name")} == {
        "name": "Alice Liddell",
        "given_name": "Alice",
        "family_name": "Liddell",
    }
    whole = claims_of(user(PersonName.of(None, " ", "Alice Liddell")), "openid profile")
    assert whole["name"] == "Alice Liddell"
    assert "given_name" not in whole and "family_name" not in whole
    assert PersonName.of("\x1b[1mAda", None, "x" * 300) == PersonName("[1mAda", None, None)
    assert PersonName.of(None, None, "y" * 300).full == "y" * 100


def _saml_sign_in(sso: SamlSso, email: str, attributes: dict[str, list[str]]) -> int:
    saml, browser = sso.connection["saml"], sso.world.app.test_client()
    start = browser.get(f"/sso/{sso.cid}/saml")
    xml = sso.idp.response(
        in_response_to=sso.idp.request_of(start.headers["Location"]).message.id,
        destination=saml["acs_url"],
        audience=saml["sp_entity_id"],
        email=email,
        attributes={"mail": [email], **attributes},
    )
    return int(sso.post(browser, xml).status_code)


def test_an_account_the_org_made_takes_the_names_its_idp_gives_at_each_sign_in() -> None:
    """The IdP is the directory of the accounts the org's single sign-on made: a name changed
    there reaches the account at the next sign-in (as a SCIM change does); an answer with no
    name leaves the names alone, and a person's own account keeps the names they chose."""
    sso = saml_sso(key_pair())
    ada = {"givenName": ["Ada"], "sn": ["Byron"]}
    assert _saml_sign_in(sso, "ada@corp.example", ada) == 303
    assert _saml_sign_in(sso, "ada@corp.example", {"givenName": ["Ada"], "sn": ["King"]}) == 303
    made = sso.user_of("ada@corp.example")
    assert (made.name, made.last_name, made.full_name) == ("Ada", "King", None)
    assert _saml_sign_in(sso, "ada@corp.example", {}) == 303
    assert (sso.user_of("ada@corp.example").last_name) == "King"

    # The same account, had it joined the org by hand (an invitation): its own names stay.
    orgs = sso.world.adapters.of(OrgsAdapters).orgs
    assert isinstance(orgs, FakeOrgRepository)
    members = orgs.members[sso.org_id]
    members[made.id] = replace(members[made.id], managed=False)
    assert _saml_sign_in(sso, "ada@corp.example", {"givenName": ["A"], "sn": ["L"]}) == 303
    kept = sso.user_of("ada@corp.example")
    assert (kept.name, kept.last_name) == ("Ada", "King")
