"""Org invitations end to end: gunicorn on the emulators, the mail through maildev, real HTTP;
30 parallel accepts of one invitation make one member (docs/reference/orgs.md,
"Invitations")."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from application.ports import MailBrand
from bootstrap import build_adapters
from domain.orgs.orgs import Membership, Org, Slug
from infrastructure.firestore.orgs.orgs import FirestoreOrgRepository
from tests.support.api import PASSWORD, bearer, login, register
from tests.support.app import app_on
from tests.support.mail_brands import Brands, with_brands
from tests.support.mailbox import link_in, token_in, wait_for
from tests.support.servers import serving
from tests.support.settings import make_settings

pytestmark = pytest.mark.e2e
PARALLEL = 30


@pytest.fixture(scope="module")
def service(emulators: Any) -> Iterator[str]:
    with serving("gunicorn-org-invitations.log") as url:
        yield url


def call(method: str, url: str, token: str | None = None, **kwargs: Any) -> requests.Response:
    headers = bearer(token) if token else {}
    return requests.request(method, url, headers=headers, timeout=30, **kwargs)


def sign_up(url: str, name: str) -> tuple[str, str]:
    """A new account; its access token and id."""
    body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    assert call("POST", url + "/register", json=body).status_code == 201
    answer = call("POST", url + "/login", json={"username": name, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token, call("GET", url + "/user", token).json()["id"]


def an_org(firestore: Any, owner_id: str) -> Org:
    """An org of which ``owner_id`` is the owner, made as POST /orgs makes one."""
    now = datetime.now(UTC)
    org = Org.create(Slug("acme"), "Acme Corp", now)
    owner = Membership(org.id, owner_id, ("owner",), 0, now, now)
    FirestoreOrgRepository(firestore).add(org, owner)
    return org


def test_invite_mail_and_thirty_parallel_accepts(service: str, firestore: Any) -> None:
    url = service
    admin, admin_id = sign_up(url, "olga")
    org = an_org(firestore, admin_id)
    body = {"email": "Ivy@example.com", "roles": ["member"]}
    created = call("POST", f"{url}/orgs/acme/invitations", admin, json=body)
    assert created.status_code == 201, created.text
    invitation = created.json()
    # As the admin typed it, and mailed so (the account's key folds its local part).
    assert (invitation["email"], invitation["roles"]) == ("Ivy@example.com", ["member"])
    (mail,) = wait_for("Ivy@example.com")
    assert "Acme Corp" in mail["subject"] and "olga" in mail["subject"]
    assert "/orgs/join?token=" in link_in(mail)
    link_token = token_in(mail)

    eve, _ = sign_up(url, "eve")
    refused = call("POST", f"{url}/orgs/invitations/accept", eve, json={"token": link_token})
    assert (refused.status_code, refused.json()["code"]) == (403, "address_mismatch")

    ivy, ivy_id = sign_up(url, "ivy")  # its address not proven yet: the invitation proves it

    def accept(_: int) -> requests.Response:
        return call("POST", f"{url}/orgs/invitations/accept", ivy, json={"token": link_token})

    with ThreadPoolExecutor(PARALLEL) as pool:
        answers = list(pool.map(accept, range(PARALLEL)))
    statuses = Counter(answer.status_code for answer in answers)
    assert set(statuses) <= {200, 409}, [a.text for a in answers if a.status_code not in {200, 409}]
    assert statuses[200] >= 1
    members = firestore.collection("orgs").document(org.id).collection("members").stream()
    assert sorted(member.id for member in members) == sorted([admin_id, ivy_id])
    joined = next(answer.json() for answer in answers if answer.status_code == 200)
    assert joined == {"id": org.id, "slug": "acme", "name": "Acme Corp", "roles": ["member"]}
    assert call("GET", url + "/user", ivy).json()["email_verified"] is True
    stored = [e.to_dict() for e in firestore.collection("security_events").stream()]
    kinds = sorted((e["type"], e["user_id"], e.get("org_id")) for e in stored if "org" in e["type"])
    assert kinds == [
        ("org.invitation_accepted", ivy_id, org.id),  # once, of 30 accepts
        ("org.invitation_created", admin_id, org.id),
        ("org.member_added", ivy_id, org.id),  # once too, in the membership's commit
    ]

    listed = call("GET", f"{url}/orgs/{org.id}/invitations", admin)
    assert listed.status_code == 200
    (item,) = listed.json()["items"]
    assert (item["id"], item["accepted_by"]) == (invitation["id"], ivy_id)
    assert call("GET", f"{url}/orgs/acme/invitations", ivy).json()["code"] == (
        "org_permission_denied"
    )
    assert call("GET", f"{url}/orgs/acme/invitations", eve).status_code == 404

    gone = call("DELETE", f"{url}/orgs/acme/invitations/{invitation['id']}", admin)
    assert gone.status_code == 204
    again = call("POST", f"{url}/orgs/invitations/accept", ivy, json={"token": link_token})
    assert (again.status_code, again.json()["code"]) == (400, "invalid_token")
    gone_again = call("DELETE", f"{url}/orgs/acme/invitations/{invitation['id']}", admin)
    assert gone_again.status_code == 404


def test_an_invitation_under_the_orgs_brand_arrives_from_its_sender(firestore: Any) -> None:
    """A unit that fills MAIL_BRANDS (the tests' own) names the org's brand: the mail arrives
    through SMTP from the brand's sender, its name in the layout; the org's next invitation,
    once the brand answers none, from MAIL_FROM as ever
    (docs/decisions/0865-a-mail-about-an-org-goes-out-under-its-brand.md)."""
    settings = make_settings()
    brands = Brands()
    app = app_on(settings, with_brands(build_adapters(settings, firestore=firestore), brands))
    client = app.test_client()
    register(client, "bruna")
    bruna = bearer(login(client, "bruna"))
    made = client.post("/orgs", json={"slug": "brandco", "name": "Brand Co"}, headers=bruna)
    assert made.status_code == 201, made.get_json()
    org_id = made.get_json()["id"]
    brands.first[org_id] = MailBrand("Brand Co", sender="news@brand.example")
    body = {"email": "bree@example.com", "roles": ["member"]}
    assert client.post("/orgs/brandco/invitations", json=body, headers=bruna).status_code == 201
    (mail,) = wait_for("bree@example.com")
    assert mail["from"] == [{"address": "news@brand.example", "name": "Brand Co"}]
    assert "<strong>Brand Co</strong>" in mail["html"] and "Brand Co" in mail["subject"]

    del brands.first[org_id]
    body = {"email": "cleo@example.com", "roles": ["member"]}
    assert client.post("/orgs/brandco/invitations", json=body, headers=bruna).status_code == 201
    (plain,) = wait_for("cleo@example.com")
    assert plain["from"] == [{"address": "no-reply@localhost", "name": "firegate"}]
    assert "<strong>" not in plain["html"]
