"""An org's connection fills profile attributes from its IdP's answer, for both kinds (SAML
against pysaml2's own IdP, OpenID against the stand-in): the mapping names the IdP's attribute
or claim of each; the values are written as ``org_admin`` at the first sign-in and at each one
after; one the schema refuses is skipped and logged, never a failed sign-in; a person on a
domain the org has not verified gets none (docs/reference/sso.md, "Attribute mapping";
docs/decisions/0488-sso-writes-profile-attributes-as-org-admin.md)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from bootstrap.accounts import AccountsAdapters
from tests.support.api import assert_field_error
from tests.support.saml_idp import KeyPair, key_pair
from tests.support.sso_world import GROUPS_TO_ROLES, OidcSso, SamlSso, oidc_sso, saml_sso

pytestmark = pytest.mark.unit

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "department": {
            "type": "string",
            "maxLength": 40,
            "x-read": ["user", "admin", "org_admin"],
            "x-write": ["admin", "org_admin"],
        },
        "floor": {"type": "integer", "minimum": 0, "x-write": ["org_admin"]},
        "badge": {"type": "string", "x-write": ["admin"]},  # not the org's to write
    },
}
MAPPED = {"department": "ou", "floor": "floor", "badge": "badge"}


@pytest.fixture(scope="module")
def idp_keys() -> KeyPair:
    return key_pair()


@pytest.fixture(params=["saml", "oidc"])
def sso(request: pytest.FixtureRequest, idp_keys: KeyPair) -> Iterator[SamlSso | OidcSso]:
    with contextlib.ExitStack() as stack:
        found: SamlSso | OidcSso
        if request.param == "saml":
            found = saml_sso(idp_keys)
            mapping: dict[str, Any] = {"email": "mail", "groups": "groups"}
        else:
            found = stack.enter_context(oidc_sso())
            mapping = {"groups": "groups"}
        found.world.adapters.of(AccountsAdapters).profile_schemas.put(SCHEMA)
        body = {"mapping": {**mapping, "roles": GROUPS_TO_ROLES, "attributes": MAPPED}}
        changed = found.world.client.patch(
            f"/orgs/corp/connections/{found.cid}", json=body, headers=found.owner
        )
        assert changed.status_code == 200, changed.get_json()
        assert changed.get_json()["mapping"]["attributes"] == MAPPED
        yield found


def sign_in(sso: SamlSso | OidcSso, email: str, **values: str | int) -> FlaskClient:
    """A browser signed in through the connection, the IdP giving ``values`` besides the
    person's own (as texts in a SAML attribute; as they are in an OpenID claim)."""
    browser = sso.world.app.test_client()
    if isinstance(sso, SamlSso):
        arrived = sso.sign_in_with(browser, email, {k: [str(v)] for k, v in values.items()})
    else:
        arrived = sso.sign_in_with(browser, email, **values)
    assert arrived.status_code == 303, arrived.get_data(as_text=True)
    return browser


def test_the_idp_fills_the_attributes_at_each_sign_in(
    sso: SamlSso | OidcSso, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="firegate.sso"):
        sign_in(sso, "ada@corp.example", ou="Engineering", floor=7, badge="B-1")
    ada = sso.user_of("ada@corp.example")
    # Made just now, and given what the IdP says; the badge is not org_admin's to write:
    # skipped and logged, and the person is signed in all the same.
    assert ada.attributes == {"department": "Engineering", "floor": 7}
    skipped = [r.getMessage() for r in caplog.records if r.name == "firegate.sso"]
    assert len(skipped) == 1 and "attributes.badge" in skipped[0]
    assert "attribute_not_writable" in skipped[0]

    # The IdP is their source: the next sign-in writes what it says then; a value the
    # schema refuses keeps the one stored; one the answer lacks stays as it is.
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="firegate.sso"):
        sign_in(sso, "ada@corp.example", ou="Sales", floor="upstairs")
    assert sso.user_of("ada@corp.example").attributes == {"department": "Sales", "floor": 7}
    assert any("attributes.floor" in r.getMessage() for r in caplog.records)
    sign_in(sso, "ada@corp.example", floor=3)
    assert sso.user_of("ada@corp.example").attributes == {"department": "Sales", "floor": 3}


def test_a_person_the_org_does_not_vouch_for_gets_no_attributes(
    sso: SamlSso | OidcSso,
) -> None:
    sign_in(sso, "eve@elsewhere.example", ou="Engineering", floor=1)
    eve = sso.world.adapters.of(AccountsAdapters).users.find_by_login("eve@elsewhere.example")
    assert eve is None or eve.attributes == {}


def test_the_mapping_names_attributes_by_their_rules(sso: SamlSso | OidcSso) -> None:
    url = f"/orgs/corp/connections/{sso.cid}"
    for attributes, where in (
        ({"9lives": "ou"}, "mapping.attributes.9lives"),
        ({"department": "o u"}, "mapping.attributes.department"),
        ({"department": ""}, "mapping.attributes.department"),
    ):
        answer = sso.world.client.patch(
            url, json={"mapping": {"attributes": attributes}}, headers=sso.owner
        )
        assert_field_error(answer, where, "invalid_attribute")
    shown = sso.world.client.get(url, headers=sso.owner).get_json()
    assert shown["mapping"]["attributes"] == MAPPED
