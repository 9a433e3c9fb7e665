"""Regressions from fuzzing and property tests, on the Firestore emulator (the in-memory
fakes accept document ids Firestore refuses, so these bugs only showed there): each case
answered 500 before."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.support.api import PASSWORD, bearer, login, register

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        # Firestore refuses ids matching __.*__ (InvalidArgument), and is_id() let them by.
        ("get", "/files/__dict__", 404),
        ("delete", "/files/__dict__", 404),
        ("get", "/datasets/__main__", 404),
        ("get", "/datasets/__main__/rows", 404),
        ("delete", "/datasets/__main__", 404),
        ("get", "/tasks/__x__", 404),
        ("patch", "/tasks/__x__", 404),
        ("delete", "/tasks/__x__", 404),
        ("get", "/users/__x__", 404),
        ("delete", "/auth/sessions/__abcdef__", 404),
    ],
)
def test_reserved_document_ids_are_not_found(
    real_client: FlaskClient, method: str, path: str, status: int
) -> None:
    register(real_client, "alice")
    response = getattr(real_client, method)(
        path, headers=bearer(login(real_client)), json={} if method == "patch" else None
    )
    assert response.status_code == status, response.get_json()


def test_a_refresh_token_naming_a_reserved_id_is_invalid(real_client: FlaskClient) -> None:
    for token in ("__main__." + "a" * 43, "__abcdefgh__." + "b" * 43):
        response = real_client.post("/auth/refresh", json={"refresh_token": token})
        assert response.status_code == 401
        assert response.get_json()["code"] == "invalid_refresh_token"


@pytest.mark.parametrize("name", [".", "..", "%2E", "__x__", "a/b"])
def test_login_with_a_name_that_is_no_document_id_is_401(
    real_client: FlaskClient, name: str
) -> None:
    # "." and ".." became the claim ids usernames/. and usernames/.. (a ValueError).
    response = real_client.post("/login", json={"username": name, "password": PASSWORD})
    assert response.status_code == 401
    assert response.get_json()["code"] == "invalid_credentials"


def test_an_address_that_folds_past_1500_bytes_is_refused_not_a_500(
    real_client: FlaskClient, firestore: Any
) -> None:
    # U+FDFA is one character that NFKC turns into 18: this valid address would fold to 2,117
    # bytes, over Firestore's limit for a document id. Folding does more than lower-case it,
    # so it is refused as another address's look-alike (docs/security.md, "One address, one
    # account"); a long key of an address stored before is hashed (claim_id's unit tests).
    address = "\ufdfa" * 64 + "@example.com"
    created = real_client.post(
        "/register", json={"username": "arabic", "email": address, "password": PASSWORD}
    )
    assert created.status_code == 422, created.get_json()
    assert created.get_json()["errors"][0]["code"] == "email_not_allowed"
    assert list(firestore.collection("emails").stream()) == []
