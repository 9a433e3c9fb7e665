"""What a SCIM user costs Firestore's indexes, and the filters it is still found by: at most
twenty index entries a user, counted from its stored document and firestore.indexes.json;
``eq`` on ``userName``, ``externalId`` and ``emails.value`` looked up by its keys, every other
filter going through at most SCAN_MAX of the org's users, then 400 ``tooMany``
(docs/decisions/0472-scim-filters-within-twenty-index-entries.md)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient

from application.scim.search import SCAN_MAX
from bootstrap import Adapters
from bootstrap.scim import ScimAdapters
from domain.scim.users import EMAILS_MAX, KEYED_EMAILS_MAX, TEXT_MAX, ScimEmail, ScimUser
from infrastructure.firestore.scim.users import SCIM_USERS, user_to_doc
from tests.support.firestore_indexes import index_entries, load_config
from tests.support.scim import USER, USERS, directory

pytestmark = pytest.mark.unit

ENTRIES_MAX = 20  # docs/operations.md, "What an operation costs": the SCIM create
NOW = datetime(2026, 11, 27, tzinfo=UTC)


def record(org_id: str, n: int, *, emails: int = 1, size: int = 0) -> ScimUser:
    """A user as a directory sends one; ``size`` pads each string to that many characters."""

    def text(base: str) -> str:
        return base + "x" * max(size - len(base), 0)

    addresses = tuple(
        ScimEmail(text(f"p{n}.{k}@mail") + ".example", "work", k == 0) for k in range(emails)
    )
    sent: dict[str, Any] = {
        "schemas": [USER],
        "userName": text(f"p{n}@big.example"),
        "active": n % 2 == 0,
        "emails": [{"value": e.value, "type": e.type, "primary": e.primary} for e in addresses],
        "externalId": text(f"ext-{n}"),
        "displayName": text(f"Person {n}"),
    }
    return ScimUser(
        org_id,
        f"u{n:05d}",
        sent["userName"],
        sent["active"],
        True,
        NOW,
        NOW,
        1,
        emails=addresses,
        external_id=sent["externalId"],
        display_name=sent["displayName"],
        document=json.dumps(sent),
    )


def test_a_user_holds_at_most_twenty_index_entries_whatever_the_directory_sends() -> None:
    config = load_config()
    typical = index_entries(SCIM_USERS, user_to_doc(record("org", 1)), config)
    largest = record("org", 2, emails=EMAILS_MAX, size=TEXT_MAX - len(".example"))
    assert all(len(e.value) <= TEXT_MAX for e in largest.emails)
    most = index_entries(SCIM_USERS, user_to_doc(largest), config)
    assert typical <= most <= ENTRIES_MAX, (typical, most)


def test_a_filter_no_key_narrows_goes_through_at_most_scan_max_users(
    client: FlaskClient, adapters: Adapters
) -> None:
    acme = directory(client)
    for n in range(SCAN_MAX):
        adapters.of(ScimAdapters).users.claim(record(acme.org_id, n))

    def listed(expression: str) -> tuple[int, object]:
        answer = client.get(f"{USERS}?filter={quote(expression)}", headers=acme.auth)
        body = answer.get_json(force=True)
        return answer.status_code, body.get("totalResults", body.get("scimType"))

    assert listed('displayName co "person 1999"') == (200, 1)
    assert listed('userName sw "p7"') == (200, 111)  # p7, p70…p79, p700…p799
    adapters.of(ScimAdapters).users.claim(record(acme.org_id, SCAN_MAX))
    for expression in ('displayName co "person 1999"', 'userName sw "p7"', "externalId pr"):
        assert listed(expression) == (400, "tooMany"), expression
    for keyed in ('userName eq "P1999@big.example"', 'externalId eq "ext-7"'):
        assert listed(keyed) == (200, 1), keyed
    assert listed('emails.value eq "P7.0@mail.example"') == (200, 1)


def test_an_address_past_the_keyed_ones_is_still_found_by_eq(
    client: FlaskClient, adapters: Adapters
) -> None:
    acme = directory(client)
    many = record(acme.org_id, 1, emails=KEYED_EMAILS_MAX + 2)
    adapters.of(ScimAdapters).users.claim(many)
    adapters.of(ScimAdapters).users.claim(record(acme.org_id, 2, emails=3))
    assert len(many.keys()) == KEYED_EMAILS_MAX + 3  # userName, externalId, overflow
    for k in (0, KEYED_EMAILS_MAX + 1):
        answer = client.get(
            f"{USERS}?filter=" + quote(f'emails.value eq "p1.{k}@mail.example"'),
            headers=acme.auth,
        )
        assert [u["id"] for u in answer.get_json(force=True)["Resources"]] == [many.user_id]
