"""SCIM end to end: gunicorn on the emulators, real HTTP, an org's SCIM token; 30 parallel
creates of one userName make one user and 409s of scimType uniqueness
(docs/reference/scim.md, "Users")."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier
from typing import Any

import pytest
import requests

from tests.support.api import PASSWORD, bearer
from tests.support.scim import SCIM_JSON, user_body
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


def scim_token(url: str, admin: dict[str, str], slug: str) -> dict[str, str]:
    made = call("POST", url + "/orgs", admin, json={"slug": slug, "name": slug.title()})
    assert made.status_code == 201, made.text
    token = call("POST", f"{url}/orgs/{slug}/scim/tokens", admin, json={"name": "Okta"})
    assert token.status_code == 201, token.text
    return {**bearer(token.json()["token"]), "Content-Type": SCIM_JSON}


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
