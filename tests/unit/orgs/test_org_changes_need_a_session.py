"""An org's invitations, domains and single sign-on connections are changed by a signed-in
session only: a personal access token, even with `write`, may read them (403
`session_required` else), as the org's other changes (docs/reference/orgs.md)."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.support.api import assert_problem, bearer, login, register

pytestmark = pytest.mark.unit


def test_a_personal_token_reads_but_never_changes_an_orgs_access(client: FlaskClient) -> None:
    register(client, "olga")
    session = bearer(login(client, "olga"))
    assert (
        client.post("/orgs", json={"slug": "acme", "name": "Acme"}, headers=session).status_code
        == 201
    )
    made = client.post(
        "/auth/tokens",
        json={"name": "ci", "scopes": ["read", "write"], "expires_in": 3600},
        headers=session,
    )
    assert made.status_code == 201, made.get_json()
    token = bearer(made.get_json()["token"])
    for method, path, body in (
        ("POST", "/orgs/acme/invitations", {"email": "x@example.com", "roles": ["member"]}),
        ("DELETE", "/orgs/acme/invitations/abc", None),
        ("POST", "/orgs/invitations/accept", {"token": "t"}),
        ("POST", "/orgs/acme/domains", {"domain": "example.com"}),
        ("POST", "/orgs/acme/domains/example.com/verify", None),
        ("DELETE", "/orgs/acme/domains/example.com", None),
        ("POST", "/orgs/acme/connections", {"kind": "saml", "name": "Okta"}),
        ("PATCH", "/orgs/acme/connections/abc", {"name": "x"}),
        ("DELETE", "/orgs/acme/connections/abc", None),
        ("PUT", "/orgs/acme/roles/billing", {"permissions": ["pay"]}),
        ("DELETE", "/orgs/acme/roles/billing", None),
    ):
        answer = client.open(path, method=method, json=body, headers=token)
        assert_problem(answer, 403, "session_required")
    for path in (
        "/orgs/acme/invitations",
        "/orgs/acme/domains",
        "/orgs/acme/connections",
        "/orgs/acme/roles",
    ):
        assert client.get(path, headers=token).status_code == 200, path
