"""The Log streams section of an org's page (docs/log-streams.md): its owners see each
stream with its state and last delivery; no other member sees it."""

from __future__ import annotations

import pytest

from application.orgs.members.members import AddMember
from application.orgs.services import OrgServices
from tests.support.admin_pages import browser, org_owner
from tests.support.api import bearer, login
from tests.support.app import World, unit_adapters

pytestmark = pytest.mark.unit

SECTION = "/account/orgs/acme/log-streams"


def test_owners_see_their_streams_and_states_members_do_not() -> None:
    world = World()
    olga = org_owner(world)
    assert "No log stream yet." in olga.get(SECTION).get_data(as_text=True)
    auth = bearer(login(world.client, "olga"))
    body = {"kind": "pubsub", "format": "ocsf", "topic": "projects/acme-siem/topics/audit"}
    assert world.client.post("/orgs/acme/log-streams", json=body, headers=auth).status_code == 201
    page = olga.get(SECTION)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'href="{SECTION}" aria-current="page"' in html
    assert "projects/acme-siem/topics/audit" in html and "Active" in html and "none yet" in html
    mia = browser(world, "mia")
    world.app.extensions["firegate"].of(OrgServices).members.add_member(
        AddMember("acme", "mia", ("member",))
    )
    assert mia.get(SECTION).status_code in (403, 404)
    assert SECTION not in mia.get("/account/orgs/acme").get_data(as_text=True)


def test_a_deleted_orgs_streams_and_links_go_with_it() -> None:
    world = World()
    org_owner(world)
    auth = bearer(login(world.client, "olga"))
    body = {"kind": "gcs", "format": "firegate", "bucket": "acme-audit"}
    assert world.client.post("/orgs/acme/log-streams", json=body, headers=auth).status_code == 201
    made = world.client.post("/orgs/acme/log-streams/setup-links", headers=auth)
    assert made.status_code == 201
    fakes = unit_adapters(world.adapters, "log_streams")
    assert fakes.store.streams and fakes.links.links
    assert world.client.delete("/orgs/acme", headers=auth).status_code == 204
    world.deliver()
    assert not fakes.store.streams and not fakes.links.links
