"""An org's own OAuth clients and its members' org-scoped personal tokens over gunicorn on the
Firestore emulator: the client's own tokens carry the org's id, a removed member's token is
refused at their next request, and the org's deletion ends both (docs/reference/orgs.md,
"Apps and tokens of an org")."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
from google.cloud import firestore as gcf

from tests.support.api import PASSWORD, bearer
from tests.support.orgs import set_member
from tests.support.servers import cli

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]
API = "https://api.acme.example"
APP = {
    "name": "Acme billing",
    "redirect_uris": ["https://billing.acme.example/callback"],
    "confidential": True,
    "scopes": ["roles"],
}


def claims_of(jwt: str) -> dict[str, Any]:
    body = jwt.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return decoded


def signed_in(url: str, name: str) -> tuple[str, dict[str, str]]:
    body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    created = requests.post(f"{url}/register", json=body, timeout=60)
    assert created.status_code == 201, created.text
    login = requests.post(f"{url}/login", json={"username": name, "password": PASSWORD}, timeout=60)
    assert login.status_code == 200, login.text
    return created.json()["id"], bearer(login.json()["access_token"])


def new_org(url: str, auth: dict[str, str], slug: str = "acme") -> str:
    made = requests.post(
        f"{url}/orgs", json={"slug": slug, "name": "Acme"}, headers=auth, timeout=60
    )
    assert made.status_code == 201, made.text
    org_id: str = made.json()["id"]
    return org_id


def new_client(url: str, auth: dict[str, str], slug: str = "acme") -> dict[str, Any]:
    made = requests.post(f"{url}/orgs/{slug}/clients", json=APP, headers=auth, timeout=60)
    assert made.status_code == 201, made.text
    found: dict[str, Any] = made.json()
    return found


def own_token(url: str, client: dict[str, Any], **form: str) -> requests.Response:
    body = {
        "grant_type": "client_credentials",
        "client_id": client["client_id"],
        "client_secret": client["client_secret"],
        **form,
    }
    return requests.post(f"{url}/oauth/token", data=body, timeout=60)


def introspect(url: str, by: dict[str, Any], token: str) -> dict[str, Any]:
    auth = (by["client_id"], by["client_secret"])
    answer = requests.post(f"{url}/oauth/introspect", data={"token": token}, auth=auth, timeout=60)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def org_token(url: str, auth: dict[str, str], org: str) -> str:
    body = {"name": "ci", "scopes": ["read"], "expires_in": 3600, "org": org}
    made = requests.post(f"{url}/auth/tokens", json=body, headers=auth, timeout=60)
    assert made.status_code == 201, made.text
    text: str = made.json()["token"]
    return text


def refused(answer: requests.Response) -> bool:
    return bool(answer.status_code in (400, 401) and answer.json()["error"] == "invalid_client")


def within_the_client_cache(check: Callable[[], bool]) -> None:
    """Wait for ``check``: another gunicorn worker keeps a client it read for up to
    OAUTH_CLIENT_CACHE_TTL (5 s; docs/decisions/0200-oauth-client-cache.md)."""
    deadline = time.monotonic() + 30  # patience, several times the cache's time
    while not check():
        assert time.monotonic() < deadline, "a deleted client still works"
        time.sleep(0.2)


def whoami(url: str, token: str) -> requests.Response:
    return requests.get(f"{url}/auth/whoami", headers=bearer(token), timeout=60)


def of_org(firestore: Any, collection: str, org_id: str) -> list[str]:
    query = firestore.collection(collection).where(filter=gcf.FieldFilter("org_id", "==", org_id))
    return [snap.id for snap in query.stream()]


def test_an_org_clients_own_token_carries_the_orgs_id(gunicorn_url: str, firestore: Any) -> None:
    _, owner = signed_in(gunicorn_url, "olga")
    org_id = new_org(gunicorn_url, owner)
    client = new_client(gunicorn_url, owner)
    assert client["org_id"] == org_id
    stored = firestore.collection("oauth_clients").document(client["client_id"]).get().to_dict()
    assert stored["org_id"] == org_id and client["client_secret"] not in str(stored)
    answer = own_token(gunicorn_url, client, scope="roles")
    assert answer.status_code == 200, answer.text
    token = answer.json()["access_token"]
    assert claims_of(token)["org_id"] == org_id and claims_of(token)["sub"] == client["client_id"]
    found = introspect(gunicorn_url, client, token)
    assert found["active"] is True and found["org_id"] == org_id
    listed = requests.get(f"{gunicorn_url}/orgs/acme/clients", headers=owner, timeout=60)
    assert [c["client_id"] for c in listed.json()["items"]] == [client["client_id"]]
    gone = requests.delete(
        f"{gunicorn_url}/orgs/acme/clients/{client['client_id']}", headers=owner, timeout=60
    )
    assert gone.status_code == 204
    within_the_client_cache(lambda: refused(own_token(gunicorn_url, client)))


def test_a_removed_members_org_token_is_refused_at_their_next_request(
    gunicorn_url: str, firestore: Any
) -> None:
    _, owner = signed_in(gunicorn_url, "olga")
    bob_id, bob = signed_in(gunicorn_url, "bob")
    org_id = new_org(gunicorn_url, owner)
    set_member(firestore, org_id, bob_id, ("member",))
    token = org_token(gunicorn_url, bob, "acme")
    me = whoami(gunicorn_url, token)
    assert me.status_code == 200, me.text
    org = {"id": org_id, "slug": "acme", "roles": ["member"], "permissions": []}
    assert me.json()["org"] == org
    removed = requests.delete(
        f"{gunicorn_url}/orgs/acme/members/{bob_id}", headers=owner, timeout=60
    )
    assert removed.status_code == 204, removed.text
    refused = whoami(gunicorn_url, token)
    assert refused.status_code == 401 and refused.json()["code"] == "invalid_token"
    # Added again: a new membership, which the earlier token does not open.
    set_member(firestore, org_id, bob_id, ("member",))
    assert whoami(gunicorn_url, token).status_code == 401
    assert whoami(gunicorn_url, org_token(gunicorn_url, bob, org_id)).status_code == 200


def test_the_orgs_deletion_ends_its_clients_and_its_tokens(
    gunicorn_url: str, firestore: Any
) -> None:
    _, owner = signed_in(gunicorn_url, "olga")
    org_id = new_org(gunicorn_url, owner)
    new_org(gunicorn_url, owner, "globex")
    client = new_client(gunicorn_url, owner)
    kept = new_client(gunicorn_url, owner, "globex")
    server = json.loads(
        cli(["clients", "create", "--name", "API", "--redirect-uri", API, "--confidential"])
    )
    # An org's app has tokens only for a registered resource that allows its org.
    described = ("--scope", "billing:read", "--description", "billing:read", "Read billing")
    cli(["resources", "add", API, *described])
    cli(["resources", "allow", API, "acme"])
    answer = own_token(gunicorn_url, client, resource=API)
    assert answer.status_code == 200, answer.text
    resource_token = answer.json()["access_token"]
    assert introspect(gunicorn_url, server, resource_token)["active"] is True
    token = org_token(gunicorn_url, owner, "acme")
    elsewhere = org_token(gunicorn_url, owner, "globex")
    assert whoami(gunicorn_url, token).status_code == 200
    deleted = requests.delete(f"{gunicorn_url}/orgs/acme", headers=owner, timeout=60)
    assert deleted.status_code == 204, deleted.text
    assert whoami(gunicorn_url, token).status_code == 401  # at once: the org is gone
    deadline = time.monotonic() + 60  # patience: the purge job runs beside the answer
    # The purge ends the clients and tokens, then the memberships, then the org's document:
    # done when that is gone too (checked before, the test raced the purge's last commit).
    while (
        of_org(firestore, "oauth_clients", org_id)
        or of_org(firestore, "personal_tokens", org_id)
        or firestore.collection("orgs").document(org_id).get().exists
    ):
        assert time.monotonic() < deadline, "the org's purge left its clients, tokens or org"
        time.sleep(0.2)
    within_the_client_cache(lambda: refused(own_token(gunicorn_url, client)))
    within_the_client_cache(
        lambda: introspect(gunicorn_url, server, resource_token) == {"active": False}
    )
    assert whoami(gunicorn_url, elsewhere).status_code == 200  # another org's, untouched
    assert own_token(gunicorn_url, kept).status_code == 200
