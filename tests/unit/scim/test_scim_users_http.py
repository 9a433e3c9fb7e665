"""SCIM users over HTTP on the fakes: created as accounts with a membership (or joined to the
account that proved the address), read, filtered, paged, replaced, patched, deleted, with
ETags and the org's events (docs/reference/scim.md, "Users")."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient

from application.ports import Audit
from bootstrap import Adapters
from bootstrap.accounts import AccountsAdapters
from bootstrap.orgs import OrgsAdapters
from domain.orgs.domains import OrgDomain
from tests.fakes.events import RecordingAuditLog
from tests.support.api import register
from tests.support.scim import (
    ERROR,
    LIST,
    SCIM_JSON,
    Directory,
    directory,
    patch_body,
    user_body,
)

pytestmark = pytest.mark.unit
USERS = "/scim/v2/Users"


def verify(adapters: Adapters, org_id: str, name: str) -> None:
    domains: Any = adapters.of(OrgsAdapters).domains
    now = adapters.platform.clock.now()
    domain = OrgDomain.create(org_id, name, "alice", now)
    domains.add(domain)
    domains.verify(domain.verified_now(now))


def create(client: FlaskClient, acme: Directory, body: dict[str, object]) -> dict[str, Any]:
    made = client.post(USERS, json=body, headers=acme.auth)
    assert made.status_code == 201, made.get_data(as_text=True)
    assert made.mimetype == SCIM_JSON
    created: dict[str, Any] = made.get_json(force=True)
    assert made.headers["Location"] == created["meta"]["location"]
    assert made.headers["ETag"] == created["meta"]["version"]
    return created


def found(client: FlaskClient, acme: Directory, query: str) -> dict[str, Any]:
    answer = client.get(f"{USERS}?{query}", headers=acme.auth)
    assert answer.status_code == 200, (query, answer.get_data(as_text=True))
    body: dict[str, Any] = answer.get_json(force=True)
    assert body["schemas"] == [LIST]
    return body


def names(body: dict[str, Any]) -> list[str]:
    return [user["userName"] for user in body.get("Resources", [])]


def members(client: FlaskClient, acme: Directory) -> dict[str, list[str]]:
    items = client.get("/orgs/acme/members?limit=100", headers=acme.admin).get_json()["items"]
    return {m["user_id"]: m["roles"] for m in items}


def test_a_provisioned_person_is_an_account_and_a_member_on_a_verified_domain(
    client: FlaskClient, adapters: Adapters, audit_log: RecordingAuditLog
) -> None:
    acme = directory(client)
    verify(adapters, acme.org_id, "example.com")
    body = user_body(
        "Bjensen@Example.com",
        name={"givenName": "Barbara", "familyName": "Jensen"},
        externalId="00u1",
        title="Tour Guide",
    )
    made = create(client, acme, body)
    assert (made["userName"], made["externalId"], made["title"]) == (
        "Bjensen@Example.com",
        "00u1",
        "Tour Guide",
    )
    assert made["meta"]["version"] == 'W/"1"'
    account = adapters.of(AccountsAdapters).users.get(made["id"])
    assert account is not None
    assert (account.shown_name, account.email_verified, account.password_hash) == (
        "Bjensen",
        True,
        None,
    )
    assert account.email is not None and account.email.normalized == "bjensen@example.com"
    assert members(client, acme)[made["id"]] == ["member"]
    got = client.get(f"{USERS}/{made['id']}", headers=acme.auth)
    assert (got.status_code, got.get_json(force=True)) == (200, made)
    scim_events = [(e.event, e.reason) for e in audit_log.events if e.user_id == made["id"]]
    assert (Audit.USER_CREATED, "scim") in scim_events
    assert (Audit.ORG_MEMBER_ADDED, "scim") in scim_events


def test_a_user_name_is_the_orgs_once_whatever_its_case(client: FlaskClient) -> None:
    acme = directory(client)
    create(client, acme, user_body("Kim", "kim@example.org"))
    again = client.post(USERS, json=user_body("kIM", "kim2@example.org"), headers=acme.auth)
    assert again.status_code == 409
    error = again.get_json(force=True)
    assert (error["schemas"], error["scimType"]) == ([ERROR], "uniqueness")
    assert error["detail"].startswith("user_name_taken")
    # Another org's directory may use the name.
    other = directory(client, "other", "olga")
    create(client, other, user_body("kim", "kim3@example.org"))
    # An address an account holds without proof is nobody's to join.
    taken = client.post(USERS, json=user_body("kim.b", "kim@example.org"), headers=acme.auth)
    assert taken.status_code == 409 and "email_taken" in taken.get_json(force=True)["detail"]


def test_an_account_that_proved_the_address_is_joined_not_duplicated(
    client: FlaskClient, adapters: Adapters
) -> None:
    acme = directory(client)
    verify(adapters, acme.org_id, "example.com")
    register(client, "robin", email="robin@example.com")
    robin = adapters.of(AccountsAdapters).users.find_by_login("robin@example.com")
    assert robin is not None
    now = adapters.platform.clock.now()
    adapters.of(AccountsAdapters).users.update(robin.id, lambda u: u.with_email_verified(now))
    made = create(client, acme, user_body("robin.s@EXAMPLE.com", "Robin@example.com"))
    assert made["id"] == robin.id
    assert members(client, acme)[robin.id] == ["member"]
    # Unproven, it would not be.
    register(client, "sam", email="sam@example.com")
    refused = client.post(USERS, json=user_body("sam@example.com"), headers=acme.auth)
    assert refused.status_code == 409


def test_the_username_is_derived_valid_and_unique(client: FlaskClient, adapters: Adapters) -> None:
    acme = directory(client)
    register(client, "pat")
    derived = []
    for user_name in ("pat@example.org", "0b4f9c1e-5a8e-4bfa-9f5e-0c1d2e3f4a5b", "J. O'Brien"):
        account = adapters.of(AccountsAdapters).users.get(
            create(client, acme, user_body(user_name))["id"]
        )
        assert account is not None
        derived.append(account.shown_name)
    assert derived[0].startswith("pat_") and derived[0][4:].isdigit()  # "pat" is taken
    assert derived[1:] == ["0b4f9c1e-5a8e-4bfa-9f5e-0c1d2e3f", "J._O_Brien"]  # 32 at most


def test_filters_on_each_attribute_with_and_or(client: FlaskClient) -> None:
    acme = directory(client)
    for n, (name, display, external) in enumerate(
        (
            ("ann@example.org", "Ann Lee", "e1"),
            ("bob@example.org", "Bob Ray", "e2"),
            ("carla@corp.example", "Carla Ann", None),
        )
    ):
        body = user_body(name, displayName=display, active=n != 1)
        if external:
            body["externalId"] = external
        create(client, acme, body)
    cases = {
        'userName eq "ANN@example.org"': ["ann@example.org"],
        'userName sw "b"': ["bob@example.org"],
        'userName co "corp"': ["carla@corp.example"],
        'userName ew ".org"': ["ann@example.org", "bob@example.org"],
        'emails.value eq "bob@example.org"': ["bob@example.org"],
        'emails[type eq "work" and value co "carla"]': ["carla@corp.example"],
        'externalId eq "e2"': ["bob@example.org"],
        'externalId eq "E2"': [],  # case-exact
        "externalId pr": ["ann@example.org", "bob@example.org"],
        'displayName co "ann"': ["ann@example.org", "carla@corp.example"],
        "active eq false": ["bob@example.org"],
        'displayName co "ann" and active eq true': ["ann@example.org", "carla@corp.example"],
        'userName sw "a" or externalId eq "e2"': ["ann@example.org", "bob@example.org"],
        'not (userName sw "a")': ["bob@example.org", "carla@corp.example"],
        'title eq "x"': [],
    }
    for expression, expected in cases.items():
        body = found(client, acme, "filter=" + quote(expression))
        assert sorted(names(body)) == expected, expression
        assert body["totalResults"] == len(expected), expression
    bad = client.get(f"{USERS}?filter=" + quote("userName eq"), headers=acme.auth)
    assert bad.status_code == 400 and bad.get_json(force=True)["scimType"] == "invalidFilter"


def test_start_index_and_count_page_the_list(client: FlaskClient) -> None:
    acme = directory(client)
    for n in range(5):
        create(client, acme, user_body(f"user{n}@example.org"))
    everyone = found(client, acme, "")
    assert everyone["totalResults"] == 5
    ids = [u["id"] for u in everyone["Resources"]]
    assert ids == sorted(ids)
    page = found(client, acme, "startIndex=2&count=2")
    assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (5, 2, 2)
    assert [u["id"] for u in page["Resources"]] == ids[1:3]
    filtered = found(
        client, acme, "filter=" + quote('userName sw "user"') + "&startIndex=4&count=5"
    )
    in_id_order = [u["userName"] for u in everyone["Resources"]]
    assert (filtered["totalResults"], names(filtered)) == (5, in_id_order[3:])
    assert found(client, acme, "count=0")["totalResults"] == 5


def test_put_replaces_and_patch_edits_with_paths_and_value_filters(client: FlaskClient) -> None:
    acme = directory(client)
    made = create(client, acme, user_body("lee@example.org", displayName="Lee"))
    url = f"{USERS}/{made['id']}"
    replaced = client.put(
        url,
        json=user_body("lee@example.org", displayName="Lee Chan", nickName="L"),
        headers=acme.auth,
    )
    assert replaced.status_code == 200
    assert (replaced.get_json(force=True)["displayName"], replaced.headers["ETag"]) == (
        "Lee Chan",
        'W/"2"',
    )
    patched = client.patch(
        url,
        json=patch_body(
            {"op": "replace", "path": 'emails[type eq "work"].value', "value": "lee.c@example.org"},
            {
                "op": "add",
                "path": "emails",
                "value": [{"value": "lee@home.example", "type": "home"}],
            },
            {"op": "remove", "path": "nickName"},
            {"op": "replace", "value": {"displayName": "L. Chan"}},
        ),
        headers=acme.auth,
    )
    assert patched.status_code == 200, patched.get_data(as_text=True)
    user = patched.get_json(force=True)
    assert user["displayName"] == "L. Chan" and "nickName" not in user
    assert {(e["type"], e["value"]) for e in user["emails"]} == {
        ("work", "lee.c@example.org"),
        ("home", "lee@home.example"),
    }
    by_home = found(client, acme, "filter=" + quote('emails.value eq "lee@home.example"'))
    assert names(by_home) == ["lee@example.org"]
    renamed = client.patch(
        url,
        json=patch_body({"op": "replace", "path": "userName", "value": "LEE2@example.org"}),
        headers=acme.auth,
    )
    assert renamed.status_code == 200
    reuse = create(client, acme, user_body("lee@example.org", "lee3@example.org"))  # freed
    assert reuse["userName"] == "lee@example.org"
    clash = client.patch(
        url,
        json=patch_body({"op": "replace", "path": "userName", "value": "Lee@example.org"}),
        headers=acme.auth,
    )
    assert clash.status_code == 409 and clash.get_json(force=True)["scimType"] == "uniqueness"
    no_flag = client.patch(
        url, json=patch_body({"op": "remove", "path": "active"}), headers=acme.auth
    )
    assert no_flag.status_code == 200 and "active" not in no_flag.get_json(force=True)
    immutable = client.patch(
        url, json=patch_body({"op": "replace", "path": "id", "value": "x"}), headers=acme.auth
    )
    assert immutable.status_code == 400
    assert immutable.get_json(force=True)["scimType"] == "mutability"


def test_etags_are_honoured_when_sent(client: FlaskClient) -> None:
    acme = directory(client)
    made = create(client, acme, user_body("ed@example.org"))
    url = f"{USERS}/{made['id']}"
    stale = {**acme.auth, "If-Match": 'W/"7"'}
    edit = patch_body({"op": "replace", "path": "displayName", "value": "Ed"})
    assert client.patch(url, json=edit, headers=stale).status_code == 412
    assert client.put(url, json=user_body("ed@example.org"), headers=stale).status_code == 412
    assert client.delete(url, headers=stale).status_code == 412
    current = {**acme.auth, "If-Match": made["meta"]["version"]}
    assert client.patch(url, json=edit, headers=current).status_code == 200
    same = client.get(url, headers={**acme.auth, "If-None-Match": 'W/"2"'})
    assert same.status_code == 304
    assert client.delete(url, headers={**acme.auth, "If-Match": 'W/"2"'}).status_code == 204


def test_delete_ends_the_membership_and_frees_the_name(
    client: FlaskClient, audit_log: RecordingAuditLog
) -> None:
    acme = directory(client)
    made = create(client, acme, user_body("dee@example.org"))
    assert client.delete(f"{USERS}/{made['id']}", headers=acme.auth).status_code == 204
    assert made["id"] not in members(client, acme)
    gone = client.get(f"{USERS}/{made['id']}", headers=acme.auth)
    assert gone.status_code == 404 and gone.get_json(force=True)["schemas"] == [ERROR]
    assert client.delete(f"{USERS}/{made['id']}", headers=acme.auth).status_code == 404
    removed = [e for e in audit_log.events if e.event is Audit.ORG_MEMBER_REMOVED]
    assert [(e.user_id, e.reason, e.via) for e in removed] == [(made["id"], "scim", "scim")]
    # Another org's users are not found through this org's token.
    other = directory(client, "other", "olga")
    theirs = create(client, other, user_body("zed@example.org"))
    assert client.get(f"{USERS}/{theirs['id']}", headers=acme.auth).status_code == 404
    assert client.delete(f"{USERS}/{theirs['id']}", headers=acme.auth).status_code == 404
    assert names(found(client, acme, "")) == []


def test_bad_bodies_are_scim_400s_never_500s(client: FlaskClient) -> None:
    acme = directory(client)
    deep = "[" * 10000 + "]" * 10000
    user = '{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"]'
    for data in (
        deep,
        "{",
        user + "}",
        user + ', "userName": " "}',
        user + ', "userName": "a", "emails": [{"value": "nope"}]}',
    ):
        content_type = SCIM_JSON
        answer = client.post(USERS, data=data, content_type=content_type, headers=acme.auth)
        assert answer.status_code == 400, (data[:80], answer.get_data(as_text=True)[:300])
        assert answer.get_json(force=True)["schemas"] == [ERROR]
    assert (
        client.post(USERS, data="x", content_type="text/plain", headers=acme.auth).status_code
        == 415
    )
