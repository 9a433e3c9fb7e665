"""SCIM's discovery endpoints and its errors on the fakes: a SCIM token needed (401 in
SCIM's error schema with a Bearer challenge), answers in ``application/scim+json``
(docs/reference/scim.md, "Discovery")."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.support.api import bearer
from tests.support.scim import ERROR, SCIM_JSON, directory

pytestmark = pytest.mark.unit
CONFIG = "/scim/v2/ServiceProviderConfig"


def test_without_a_valid_token_every_endpoint_answers_401_in_scims_schema(
    client: FlaskClient,
) -> None:
    acme = directory(client)
    token_id = acme.token.split(".")[1]
    for headers in (
        {},
        {"Authorization": "Basic YTpi"},
        {"Authorization": "Bearer "},
        bearer("fgs_nope"),
        bearer(f"fgs_{acme.org_id}.{token_id}.{'x' * 43}"),
        acme.admin,  # a person's access token is not a directory's
    ):
        for path in (CONFIG, "/scim/v2/Users", "/scim/v2/Nowhere", "/scim/v2"):
            answer = client.get(path, headers=headers)
            assert answer.status_code == 401, (path, headers)
            assert answer.mimetype == SCIM_JSON
            body = answer.get_json(force=True)
            assert (body["schemas"], body["status"]) == ([ERROR], "401")
            assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get(CONFIG, headers=acme.auth).status_code == 200
    listed = client.get("/orgs/acme/scim/tokens", headers=acme.admin).get_json()["items"]
    assert client.delete(f"/orgs/acme/scim/tokens/{listed[0]['id']}", headers=acme.admin)
    assert client.get(CONFIG, headers=acme.auth).status_code == 401  # revoked: at once


def test_the_service_provider_config_says_what_is_served(client: FlaskClient) -> None:
    acme = directory(client)
    answer = client.get(CONFIG, headers=acme.auth)
    assert answer.mimetype == SCIM_JSON
    config = answer.get_json(force=True)
    assert config["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"]
    assert config["meta"]["location"] == "http://127.0.0.1:8000/scim/v2/ServiceProviderConfig"
    assert [s["type"] for s in config["authenticationSchemes"]] == ["oauthbearertoken"]
    for feature in ("bulk", "sort", "changePassword"):
        assert config[feature]["supported"] is False, feature


def test_resource_types_and_schemas_are_listed(client: FlaskClient) -> None:
    acme = directory(client)
    for path in ("/scim/v2/ResourceTypes", "/scim/v2/Schemas"):
        answer = client.get(path, headers=acme.auth)
        assert answer.status_code == 200, path
        body = answer.get_json(force=True)
        assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]
        assert body["totalResults"] == len(body.get("Resources", []))


def test_unknown_endpoints_and_methods_answer_in_scims_schema(client: FlaskClient) -> None:
    acme = directory(client)
    missing = client.get("/scim/v2/Nowhere", headers=acme.auth)
    assert (missing.status_code, missing.mimetype) == (404, SCIM_JSON)
    assert missing.get_json(force=True)["schemas"] == [ERROR]
    refused = client.post(CONFIG, headers=acme.auth, json={})
    assert (refused.status_code, refused.mimetype) == (405, SCIM_JSON)
    assert "GET" in refused.headers["Allow"]
    # RFC 7644 §4: the configuration endpoints take no filter.
    filtered = client.get(f"{CONFIG}?filter=id pr", headers=acme.auth)
    assert (filtered.status_code, filtered.mimetype) == (403, SCIM_JSON)


@pytest.mark.parametrize(
    "path", ["/scim/v2", "/scim/v2/", "/scim/v2/Nowhere", "/scim/v2/Users/a/b/c"]
)
def test_an_unknown_path_under_the_base_answers_a_scim_error(
    client: FlaskClient, path: str
) -> None:
    """With a valid token (and without one), every path under /scim/v2/ that names nothing is
    answered in SCIM's error schema, never the JSON API's problem."""
    acme = directory(client)
    for headers, status in ((acme.auth, 404), ({}, 401)):
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            answer = client.open(path, method=method, headers=headers, json={})
            assert answer.mimetype == SCIM_JSON, (path, method, answer.get_data(as_text=True))
            body = answer.get_json(force=True)
            assert body["schemas"] == [ERROR], (path, method, body)
            assert answer.status_code in {status, 405}, (path, method, answer.status_code)
            assert body["status"] == str(answer.status_code)
