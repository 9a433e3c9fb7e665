"""A domain that reads like another org's is verified when DNS proves it, and named: both
orgs' admins are told, and each exact domain signs its own people in (docs/reference/orgs.md,
"Verified domains"; docs/decisions/0641-look-alike-domains-are-named-never-refused.md).

Addresses are keyed by their exact domain (IDNA 2008 A-labels), so a look-alike reaches no
account of the real domain: refusing it would let whoever verifies ``g1ass-…`` first keep
the real owner of ``glass-…`` out."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from bootstrap.orgs import OrgsAdapters
from tests.fakes.org_domains import FakeTxtRecords
from tests.support.admin_pages import browser
from tests.support.api import bearer, login
from tests.support.app import World
from tests.support.pages import csrf
from tests.support.saml_idp import SSO_URL, key_pair
from tests.support.sso import onward
from tests.support.sso_world import active_connection

pytestmark = pytest.mark.unit
Auth = dict[str, str]
LOOK_ALIKES = [  # (the look-alike, verified first; the real domain, verified after)
    ("g1ass-x.net", "glass-x.net"),
    ("rnicro-x.com", "micro-x.com"),
    ("\u0430pple-x.com", "apple-x.com"),  # its first letter Cyrillic
    ("paypa1-x.com", "paypal-x.com"),
]


def org_of(world: World, owner: str, slug: str) -> tuple[Auth, FlaskClient]:
    """A new org of ``owner``: their bearer headers and their browser, signed in."""
    page = browser(world, owner)
    auth = bearer(login(world.client, owner))
    made = world.client.post("/orgs", json={"slug": slug, "name": slug.title()}, headers=auth)
    assert made.status_code == 201, made.get_json()
    return auth, page


def verify(world: World, slug: str, auth: Auth, domain: str) -> Any:
    """``domain`` added to the org, its record published, and verified: the answer."""
    added = world.client.post(f"/orgs/{slug}/domains", json={"domain": domain}, headers=auth)
    assert added.status_code == 201, added.get_json()
    record = added.get_json()["record"]
    txt = world.adapters.of(OrgsAdapters).txt
    assert isinstance(txt, FakeTxtRecords)
    txt.records[record["name"]] = [record["value"]]
    name = added.get_json()["domain"]
    return world.client.post(f"/orgs/{slug}/domains/{name}/verify", headers=auth)


def connect(world: World, slug: str, auth: Auth) -> str:
    idp = {
        "entity_id": f"https://idp.{slug}.example/metadata",
        "sso_url": SSO_URL,
        "certificates": [key_pair().der],
    }
    body = {"kind": "saml", "name": f"{slug.title()} IdP", "saml": idp}
    return str(active_connection(world, slug, auth, body)["id"])


def warnings(world: World, slug: str, auth: Auth) -> list[tuple[str, str]]:
    """The org's look-alike warnings on its audit log: (whom it is about, the domain)."""
    items = world.client.get(f"/orgs/{slug}/events", headers=auth).get_json()["items"]
    return [(e["user_id"], e["reason"]) for e in items if e["type"] == "org.domain_look_alike"]


@pytest.mark.parametrize(("look_alike", "real"), LOOK_ALIKES)
def test_a_look_alike_verified_first_leaves_the_real_domain_to_its_owner(
    look_alike: str, real: str
) -> None:
    world = World()
    (mallory, mallorys), (olga, olgas) = (
        org_of(world, "mallory", "squat"),
        org_of(world, "olga", "corp"),
    )
    first = verify(world, "squat", mallory, look_alike)
    after = verify(world, "corp", olga, real)
    assert (first.status_code, after.status_code) == (200, 200), after.get_json()
    assert after.get_json()["status"] == "verified"
    squatted = first.get_json()["domain"]
    assert first.get_json()["look_alike_of"] == []
    assert after.get_json()["look_alike_of"] == [squatted]

    # Each org's domains name the other's look-alike, wherever they are read.
    for slug, auth, pages, mine, theirs in (
        ("squat", mallory, mallorys, squatted, real),
        ("corp", olga, olgas, real, squatted),
    ):
        listed = world.client.get(f"/orgs/{slug}/domains", headers=auth).get_json()["items"]
        assert [(d["domain"], d["look_alike_of"]) for d in listed] == [(mine, [theirs])]
        page = pages.get(f"/account/orgs/{slug}/domains")
        assert page.status_code == 200
        assert f"<code>{theirs}</code>" in page.get_data(as_text=True)

    # Both orgs' admins are warned on their org's audit log (and its webhooks).
    mallory_id = world.client.get("/user", headers=mallory).get_json()["id"]
    olga_id = world.client.get("/user", headers=olga).get_json()["id"]
    assert warnings(world, "corp", olga) == [(olga_id, squatted)]
    assert warnings(world, "squat", mallory) == [(mallory_id, real)]

    # Home-realm discovery sends each exact domain to its own org, and says which.
    squat_idp, corp_idp = connect(world, "squat", mallory), connect(world, "corp", olga)
    for domain, connection in ((squatted, squat_idp), (real, corp_idp)):
        found = world.client.get("/sso/discover", query_string={"email": f"bob@{domain}"})
        assert found.status_code == 200, found.get_json()
        assert found.get_json()["connection"]["id"] == connection
        assert found.get_json()["domain"] == domain
    typed = world.client.get("/sso/discover", query_string={"email": f"bob@{look_alike}"})
    assert typed.get_json()["connection"]["id"] == squat_idp  # as typed: the same domain


def test_the_sign_in_page_shows_the_exact_domain_it_sends_to() -> None:
    """A person who typed a look-alike's address sees, before going on, the domain whose
    single sign-on it is, in its exact ASCII form."""
    world = World()
    (mallory, _), (olga, _) = org_of(world, "mallory", "squat"), org_of(world, "olga", "corp")
    squatted = verify(world, "squat", mallory, "\u0430pple-x.com").get_json()["domain"]
    assert verify(world, "corp", olga, "apple-x.com").status_code == 200
    connect(world, "squat", mallory)
    connect(world, "corp", olga)
    browser = world.app.test_client()
    token = csrf(browser, "/sign-in")
    for typed, shown in (("bob@\u0430pple-x.com", squatted), ("bob@apple-x.com", "apple-x.com")):
        step = browser.post("/sign-in/continue", data={"username": typed, "csrf_token": token})
        onward(step)
        assert f"<code>{shown}</code>" in step.get_data(as_text=True)
    assert squatted.startswith("xn--")
