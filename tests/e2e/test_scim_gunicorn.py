"""SCIM end to end: gunicorn on the emulators, real HTTP, an org's SCIM token. scim2-tester,
a checker nobody here wrote, finds no failure; 30 parallel creates of one userName make one
user and 409s of scimType uniqueness; deprovisioning fails the person's next request
(docs/reference/scim.md).

What scim2-tester does not check here, because the service does not announce it: bulk
operations, sorting, password changes and cursors (the ServiceProviderConfig says so, and the
checker follows it); it skips a search at the root (``POST /.search`` of users and groups at
once), which the service answers 501."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from threading import Barrier
from typing import Any

import pytest
import requests

from domain.orgs.domains import OrgDomain
from infrastructure.firestore.orgs.domains import FirestoreOrgDomains
from tests.support import mailbox
from tests.support.api import PASSWORD, bearer
from tests.support.scim import SCIM_JSON, patch_body, user_body
from tests.support.servers import serving

pytestmark = pytest.mark.e2e
PARALLEL = 30


@pytest.fixture(scope="module")
def service(emulators: Any) -> Iterator[str]:
    with serving("gunicorn-scim.log") as url:
        yield url


def call(
    method: str, url: str, headers: dict[str, str] | None = None, **kwargs: Any
) -> requests.Response:
    return requests.request(method, url, headers=headers or {}, timeout=30, **kwargs)


def signed_in(url: str, name: str) -> dict[str, str]:
    body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    assert call("POST", url + "/register", json=body).status_code == 201
    answer = call("POST", url + "/login", json={"username": name, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return bearer(answer.json()["access_token"])


def org_id_of(url: str, admin: dict[str, str], slug: str) -> str:
    org_id: str = call("GET", f"{url}/orgs/{slug}", admin).json()["id"]
    return org_id


def scim_token(url: str, admin: dict[str, str], slug: str) -> dict[str, str]:
    made = call("POST", url + "/orgs", admin, json={"slug": slug, "name": slug.title()})
    assert made.status_code == 201, made.text
    token = call("POST", f"{url}/orgs/{slug}/scim/tokens", admin, json={"name": "Okta"})
    assert token.status_code == 201, token.text
    return {**bearer(token.json()["token"]), "Content-Type": SCIM_JSON}


def test_scim2_tester_finds_no_failure(service: str) -> None:
    from httpx2 import Client
    from scim2_client.engines.httpx2 import SyncSCIMClient
    from scim2_tester import Status, check_server

    directory = scim_token(service, signed_in(service, "tess"), "tested")
    with Client(base_url=service + "/scim/v2", headers=directory, timeout=30) as http:
        results = check_server(SyncSCIMClient(http))
    failed = [
        (r.title, r.resource_type, r.reason)
        for r in results
        if r.status in (Status.ERROR, Status.CRITICAL, Status.DEVIATION)
    ]
    assert failed == []
    checked = {r.resource_type for r in results if r.status is Status.SUCCESS}
    assert {"User", "Group"} <= checked
    assert len([r for r in results if r.status is Status.SUCCESS]) >= 120


def test_thirty_parallel_creates_of_one_user_name_make_one_user(
    service: str, firestore: Any
) -> None:
    url = service
    admin = signed_in(url, "olga")
    directory = scim_token(url, admin, "acme")
    barrier = Barrier(PARALLEL)

    def create(n: int) -> tuple[int, str | None]:
        body = user_body("Ivy@Example.org" if n % 2 else "ivy@example.ORG")
        barrier.wait()
        answer = call("POST", url + "/scim/v2/Users", directory, json=body)
        return answer.status_code, answer.json().get("scimType")

    with ThreadPoolExecutor(PARALLEL) as pool:
        results = Counter(pool.map(create, range(PARALLEL)))
    assert results == {(201, None): 1, (409, "uniqueness"): PARALLEL - 1}, results
    listed = call(
        "GET", url + '/scim/v2/Users?filter=userName eq "IVY@example.org"', directory
    ).json()
    assert listed["totalResults"] == 1
    members = call("GET", url + "/orgs/acme/members", admin).json()["items"]
    assert len(members) == 2  # the owner and Ivy: one account was made


def test_deprovisioning_fails_the_persons_next_request(service: str, firestore: Any) -> None:
    """``active: false`` on an account the org made on its verified domain: the person's
    access token, refresh token and personal token fail on their next request."""
    url = service
    admin = signed_in(url, "dora")
    directory = scim_token(url, admin, "deprov")
    domains, now = FirestoreOrgDomains(firestore), datetime.now(UTC)
    domain = OrgDomain.create(org_id_of(url, admin, "deprov"), "deprov.example", "dora", now)
    domains.add(domain)
    domains.verify(domain.verified_now(now))
    made = call("POST", url + "/scim/v2/Users", directory, json=user_body("max@deprov.example"))
    assert made.status_code == 201, made.text
    user_id = made.json()["id"]
    # The person sets a password by a reset (no password is made for them) and signs in.
    call("POST", url + "/auth/password/forgot", json={"email": "max@deprov.example"})
    token = mailbox.token_in(mailbox.wait_for("max@deprov.example")[0])
    new = {"token": token, "new_password": "max's own passphrase 1"}
    assert call("POST", url + "/auth/password/reset", json=new).status_code == 204
    signed = call("POST", url + "/login", json={"username": "max", "password": new["new_password"]})
    assert signed.status_code == 200, signed.text
    pair = signed.json()
    access = bearer(pair["access_token"])
    pat_body = {"name": "cli", "scopes": ["read"], "expires_in": 600}
    pat = bearer(call("POST", url + "/auth/tokens", access, json=pat_body).json()["token"])
    assert call("GET", url + "/user", pat).status_code == 200

    off = patch_body({"op": "replace", "path": "active", "value": False})
    answer = call("PATCH", f"{url}/scim/v2/Users/{user_id}", directory, json=off)
    assert answer.status_code == 200 and answer.json()["active"] is False

    assert call("GET", url + "/user", access).status_code == 401
    assert call("GET", url + "/user", pat).status_code == 401
    refreshed = call("POST", url + "/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert refreshed.status_code == 401
