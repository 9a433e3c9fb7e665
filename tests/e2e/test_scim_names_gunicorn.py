"""The names an org's directory gives reach the apps, end to end: gunicorn on the emulators,
a SCIM push of a managed account's given and family name, then the ID token and userinfo an
app reads with Authlib; a directory's later change of the family name (PATCH) and of the
whole name alone (PUT) reach the account and the next claims (docs/reference/scim.md,
"Users"; docs/decisions/0460-a-whole-name-alone-stays-whole.md)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from joserfc import jwt

from domain.orgs.domains import OrgDomain
from infrastructure.firestore.orgs.domains import FirestoreOrgDomains
from tests.support import mailbox
from tests.support.api import PASSWORD, bearer
from tests.support.scim import SCIM_JSON, USERS, patch_body, user_body
from tests.support.served_oauth import (
    allow,
    authlib_sign_in,
    new_client,
    served_provider,
    signed_in_session,
)

pytestmark = pytest.mark.e2e
NAMES = ("name", "given_name", "family_name")


@pytest.fixture(scope="module")
def provider(emulators: Any) -> Iterator[str]:
    with served_provider("gunicorn-scim-names.log") as found:
        yield found


def directory(url: str, firestore: Any) -> dict[str, str]:
    """The org "names" (its domain names.example verified) and its directory's headers."""
    body = {"username": "nora", "email": "nora@example.com", "password": PASSWORD}
    assert requests.post(f"{url}/register", json=body, timeout=30).status_code == 201
    login = requests.post(
        f"{url}/login", json={"username": "nora", "password": PASSWORD}, timeout=30
    )
    admin = bearer(login.json()["access_token"])
    made = requests.post(
        f"{url}/orgs", json={"slug": "names", "name": "Names"}, headers=admin, timeout=30
    )
    assert made.status_code == 201, made.text
    domains, now = FirestoreOrgDomains(firestore), datetime.now(UTC)
    domain = OrgDomain.create(made.json()["id"], "names.example", "nora", now)
    domains.add(domain)
    domains.verify(domain.verified_now(now))
    token = requests.post(
        f"{url}/orgs/names/scim/tokens", json={"name": "Okta"}, headers=admin, timeout=30
    )
    assert token.status_code == 201, token.text
    return {**bearer(token.json()["token"]), "Content-Type": SCIM_JSON}


def claims_now(url: str, app: dict[str, Any], username: str) -> tuple[dict[str, Any], ...]:
    """The ID token's claims and userinfo's for a new sign-in of ``username`` to ``app``."""
    browser = signed_in_session(url, username)

    def consent(where: str) -> requests.Response:
        page = browser.get(where, allow_redirects=False, timeout=10)
        return allow(browser, page) if page.status_code == 200 else page

    session, meta, keys = authlib_sign_in(url, app, "openid profile", browser, consent)
    id_claims = jwt.decode(session.token["id_token"], keys).claims
    info = session.get(meta["userinfo_endpoint"]).json()
    return (
        {k: id_claims[k] for k in NAMES if k in id_claims},
        {k: info[k] for k in NAMES if k in info},
    )


def test_a_directorys_names_reach_the_id_token_and_userinfo(provider: str, firestore: Any) -> None:
    url = provider
    scim = directory(url, firestore)
    name = {"givenName": "Alice", "familyName": "Liddell", "formatted": "Alice Liddell"}
    body = user_body("alice@names.example", name=name, displayName="Alice Liddell")
    made = requests.post(f"{url}{USERS}", json=body, headers=scim, timeout=30)
    assert made.status_code == 201, made.text
    user_url = f"{url}{USERS}/{made.json()['id']}"
    # She sets a password by a reset (the directory made her none) and an app signs her in.
    requests.post(f"{url}/auth/password/forgot", json={"email": "alice@names.example"}, timeout=30)
    token = mailbox.token_in(mailbox.wait_for("alice@names.example")[0])
    reset = {"token": token, "new_password": PASSWORD}
    assert requests.post(f"{url}/auth/password/reset", json=reset, timeout=30).status_code == 204
    app = new_client("--confidential")

    both = {"name": "Alice Liddell", "given_name": "Alice", "family_name": "Liddell"}
    assert claims_now(url, app, "alice") == (both, both)

    married = patch_body({"op": "replace", "path": "name.familyName", "value": "Hargreaves"})
    patched = requests.patch(user_url, json=married, headers=scim, timeout=30)
    assert patched.status_code == 200, patched.text
    renamed = {"name": "Alice Hargreaves", "given_name": "Alice", "family_name": "Hargreaves"}
    assert claims_now(url, app, "alice") == (renamed, renamed)

    whole = user_body("alice@names.example", name={"formatted": "Alice Pleasance"})
    replaced = requests.put(user_url, json=whole, headers=scim, timeout=30)
    assert replaced.status_code == 200, replaced.text
    alone = {"name": "Alice Pleasance"}  # kept whole: no given name made of it
    assert claims_now(url, app, "alice") == (alone, alone)
