"""What a directory may send past the limits of a SCIM record or search, and the answer each
gets: a SCIM error (400 ``invalidValue`` or the fitting type), never a 500, and nothing
written (docs/reference/scim.md, "Limits"). Run on the fakes and on the Firestore emulator,
which refuses what gets past them (an offset past 32 bits, a document past 1 MiB, a query
value past 1,500 bytes) with errors that would be 500s."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.support.scim import ERROR, LIST, USERS, Directory, directory, patch_body, user_body

GROUPS = "/scim/v2/Groups"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
HUGE = 10**30


def refused(answer: TestResponse, scim_type: str = "invalidValue", status: int = 400) -> str:
    """The ``detail`` of a SCIM error of ``status`` and ``scim_type``."""
    text = answer.get_data(as_text=True)[:300]
    assert answer.status_code == status, text
    body: dict[str, Any] = answer.get_json(force=True)
    assert body["schemas"] == [ERROR] and body.get("scimType") == scim_type, text
    detail: str = body["detail"]
    return detail


def listed(client: FlaskClient, acme: Directory, query: str, base: str = USERS) -> dict[str, Any]:
    answer = client.get(f"{base}?{query}", headers=acme.auth)
    assert answer.status_code == 200, (query[:80], answer.get_data(as_text=True)[:300])
    body: dict[str, Any] = answer.get_json(force=True)
    assert body["schemas"] == [LIST]
    return body


def first_user(client: FlaskClient, acme: Directory) -> str:
    made = client.post(USERS, json=user_body("ann@example.org"), headers=acme.auth)
    assert made.status_code == 201, made.get_data(as_text=True)
    user_id: str = made.get_json(force=True)["id"]
    return user_id


def out_of_range_positions_are_refused(client: FlaskClient, acme: Directory) -> None:
    """``startIndex`` and ``count`` past what a query takes: 400 ``invalidValue``, on users
    and groups, listed, filtered or searched by POST; below 1 and 0 they are read as 1 and 0
    (RFC 7644 §3.4.2.4); a count past 100 is cut to 100."""
    for base, attribute in ((USERS, "userName"), (GROUPS, "displayName")):
        filtered = "filter=" + quote(f'{attribute} sw "a"') + "&"
        for query in (
            f"startIndex={HUGE}",
            f"startIndex={2**31 + 1}",
            f"{filtered}startIndex={HUGE}",
            f"startIndex={HUGE}&count={HUGE}",
        ):
            answer = client.get(f"{base}?{query}", headers=acme.auth)
            assert "startIndex" in refused(answer), query
        search = {"schemas": [SEARCH], "startIndex": HUGE}
        assert "startIndex" in refused(
            client.post(f"{base}/.search", json=search, headers=acme.auth)
        )
        for query in (f"startIndex=-{HUGE}", "startIndex=-5", "count=-5", f"count=-{HUGE}"):
            assert listed(client, acme, query, base)["startIndex"] == 1, query
        assert listed(client, acme, f"count={HUGE}", base)["itemsPerPage"] <= 100


def oversized_users_are_refused(client: FlaskClient, acme: Directory, user_id: str) -> None:
    """A user with 20,000 addresses (POST, PUT, PATCH), 20,000 phone numbers, strings a record
    keys by past 256 characters, a resource past 256 KiB, a filter's value longer than any
    record holds: SCIM's 400s, and the org's users and ``user_id`` as they were."""
    before = listed(client, acme, "")
    kept = client.get(f"{USERS}/{user_id}", headers=acme.auth).get_json(force=True)
    emails = [{"value": f"user{n}@example.org"} for n in range(20_000)]
    phones = [{"value": f"+1555{n:07d}"} for n in range(20_000)]
    for body, named in (
        (user_body("many@example.org", emails=emails), "emails"),
        (user_body("phones@example.org", phoneNumbers=phones), "phoneNumbers"),
        (user_body("long@example.org", displayName="d" * 500_000), "displayName"),
        (user_body("long@example.org", externalId="e" * 257), "externalId"),
        (user_body("x" * 257), "userName"),
        (user_body("big@example.org", title="t" * 300_000), "resource_too_large"),
    ):
        assert named in refused(client.post(USERS, json=body, headers=acme.auth)), named
        replaced = client.put(f"{USERS}/{user_id}", json=body, headers=acme.auth)
        assert named in refused(replaced), named
    patched = patch_body({"op": "add", "path": "emails", "value": emails[:2000]})
    assert "emails" in refused(client.patch(f"{USERS}/{user_id}", json=patched, headers=acme.auth))
    assert listed(client, acme, "") == before
    assert client.get(f"{USERS}/{user_id}", headers=acme.auth).get_json(force=True) == kept
    for attribute in ("userName", "externalId", "displayName"):
        query = "filter=" + quote(f'{attribute} eq "{"q" * 5000}"')
        assert listed(client, acme, query)["totalResults"] == 0, attribute


def oversized_groups_are_refused(client: FlaskClient, acme: Directory, user_id: str) -> None:
    """A group with 20,000 members (the same one over and over), an ``externalId`` past 256
    characters: SCIM's 400s, and no group made."""
    member = {"value": user_id}
    for body, named in (
        ({"schemas": [GROUP], "displayName": "G", "members": [member] * 20_000}, "members"),
        ({"schemas": [GROUP], "displayName": "G", "externalId": "e" * 500_000}, "externalId"),
    ):
        assert named in refused(client.post(GROUPS, json=body, headers=acme.auth)), named
    assert listed(client, acme, "", GROUPS)["totalResults"] == 0
    query = "filter=" + quote(f'members[value eq "{"m" * 5000}"]')
    assert listed(client, acme, query, GROUPS)["totalResults"] == 0


def limits_hold(client: FlaskClient) -> None:
    """Every case above, for an org of its own with one user."""
    acme = directory(client)
    out_of_range_positions_are_refused(client, acme)
    user_id = first_user(client, acme)
    oversized_users_are_refused(client, acme, user_id)
    oversized_groups_are_refused(client, acme, user_id)
