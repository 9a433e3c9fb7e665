"""POST /access/v1/evaluation and /evaluations over gunicorn on the emulators
(docs/reference/access.md): a person asks about themselves, an org's client about its org's
members, nobody about anyone else; and the request after a change sees it."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.support.api import bearer
from tests.support.orgs import remove_member, served_account, set_member

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]
APP = {"name": "Acme billing", "redirect_uris": ["https://billing.acme.example/cb"]}


def ask(url: str, auth: dict[str, str], user: str, action: str, org: str) -> requests.Response:
    body = {
        "subject": {"type": "user", "id": user},
        "action": {"name": action},
        "resource": {"type": "org", "id": org},
    }
    return requests.post(f"{url}/access/v1/evaluation", json=body, headers=auth, timeout=60)


def decision(answer: requests.Response) -> bool:
    assert answer.status_code == 200, answer.text
    found: bool = answer.json()["decision"]
    return found


def permit(firestore: Any, org_id: str, user_id: str, *permissions: str) -> None:
    """The membership's resolved permissions, as the org repository writes them."""
    member = firestore.document(f"orgs/{org_id}/members/{user_id}")
    member.update({"permissions": sorted(permissions)})


def org_client_auth(url: str, owner: dict[str, str], slug: str) -> dict[str, str]:
    """An org-owned confidential client's own access token (client_credentials)."""
    made = requests.post(
        f"{url}/orgs/{slug}/clients", json=APP | {"confidential": True}, headers=owner, timeout=60
    )
    assert made.status_code == 201, made.text
    app = made.json()
    form = {"grant_type": "client_credentials"}
    auth = (app["client_id"], app["client_secret"])
    token = requests.post(f"{url}/oauth/token", data=form, auth=auth, timeout=60)
    assert token.status_code == 200, token.text
    return bearer(token.json()["access_token"])


def new_org(url: str, owner: dict[str, str], slug: str) -> str:
    made = requests.post(
        f"{url}/orgs", json={"slug": slug, "name": slug}, headers=owner, timeout=60
    )
    assert made.status_code == 201, made.text
    org_id: str = made.json()["id"]
    return org_id


def test_a_person_and_an_orgs_client_ask_and_see_each_change(
    gunicorn_url: str, firestore: Any
) -> None:
    url = gunicorn_url
    olga, owner = served_account(url, "olga")
    bob, bobs = served_account(url, "bob")
    org_id, other = new_org(url, owner, "acme"), new_org(url, owner, "globex")
    set_member(firestore, org_id, bob, ("member",))
    permit(firestore, org_id, bob, "invoices:read")
    permit(firestore, org_id, olga, "invoices:read", "invoices:write")
    permit(firestore, other, olga, "invoices:read")

    # A person about themselves.
    assert decision(ask(url, bobs, bob, "invoices:read", org_id))
    assert not decision(ask(url, bobs, bob, "invoices:write", org_id))
    assert not decision(ask(url, bobs, bob, "invoices:read", other))  # no membership
    assert decision(ask(url, owner, olga, "invoices:write", org_id))
    refused = ask(url, bobs, olga, "invoices:read", org_id)  # about someone else
    assert refused.status_code == 403 and refused.json()["code"] == "evaluation_not_allowed"
    assert ask(url, {}, bob, "invoices:read", org_id).status_code == 401

    # An org's client about its org's members, never another org's.
    app = org_client_auth(url, owner, "acme")
    assert decision(ask(url, app, bob, "invoices:read", org_id))
    assert decision(ask(url, app, olga, "invoices:write", org_id))
    refused = ask(url, app, olga, "invoices:read", other)
    assert refused.status_code == 403 and refused.json()["code"] == "evaluation_not_allowed"

    # An org named by its slug, as on every other route: by a person and by the org's client.
    assert decision(ask(url, bobs, bob, "invoices:read", "acme"))
    assert decision(ask(url, app, bob, "invoices:read", "acme"))
    refused = ask(url, app, olga, "invoices:read", "globex")
    assert refused.status_code == 403 and refused.json()["code"] == "evaluation_not_allowed"

    # Several at once: the request's defaults, the answers in order.
    for resource in (org_id, "acme"):
        batch = {
            "subject": {"type": "user", "id": bob},
            "resource": {"type": "org", "id": resource},
            "evaluations": [{"action": {"name": n}} for n in ("invoices:read", "invoices:write")],
        }
        answer = requests.post(f"{url}/access/v1/evaluations", json=batch, headers=app, timeout=60)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"evaluations": [{"decision": True}, {"decision": False}]}

    # The next request after a change sees it: a permission taken away, then the membership.
    permit(firestore, org_id, bob)
    assert not decision(ask(url, app, bob, "invoices:read", org_id))
    permit(firestore, org_id, bob, "invoices:read")
    assert decision(ask(url, bobs, bob, "invoices:read", org_id))
    remove_member(firestore, org_id, bob)
    assert not decision(ask(url, bobs, bob, "invoices:read", org_id))
    assert not decision(ask(url, app, bob, "invoices:read", org_id))

    # The org deleted: no member of it holds anything.
    deleted = requests.delete(f"{url}/orgs/globex", headers=owner, timeout=60)
    assert deleted.status_code == 204, deleted.text
    assert not decision(ask(url, owner, olga, "invoices:read", other))
