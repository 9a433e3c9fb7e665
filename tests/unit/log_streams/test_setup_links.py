"""Setup links (docs/reference/log-streams.md, "Setup links"): an owner makes one, whoever
holds it adds one stream to the org without an account, once, within 7 days, while its maker
is an owner."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient

from application.orgs.members.members import AddMember
from application.orgs.services import OrgServices
from bootstrap import Adapters
from bootstrap.accounts import AccountsAdapters
from bootstrap.orgs import OrgsAdapters
from tests.fakes.kernel import FakeClock
from tests.support.api import assert_problem, bearer, login, register, services
from tests.unit.log_streams.fakes import link, owner

pytestmark = pytest.mark.unit

SYSLOG = {"kind": "syslog", "format": "ocsf", "host": "siem.example.com", "port": 6514}


def test_the_holder_adds_one_stream_without_an_account(client: FlaskClient) -> None:
    olga = owner(client, "olga", "acme")
    token = link(client, "acme", olga)
    seen = client.get(f"/log-streams/setup?token={token}")
    assert seen.status_code == 200 and seen.get_json()["org_name"] == "Acme"
    bad = client.post(f"/log-streams/setup?token={token}", json={**SYSLOG, "url": "x"})
    assert_problem(bad, 422, "field_not_allowed")  # refused before the link is spent
    made = client.post(f"/log-streams/setup?token={token}", json=SYSLOG)
    assert made.status_code == 201, made.get_json()
    listed = client.get("/orgs/acme/log-streams", headers=olga).get_json()["items"]
    assert [s["id"] for s in listed] == [made.get_json()["id"]]
    assert_problem(
        client.post(f"/log-streams/setup?token={token}", json=SYSLOG), 400, "invalid_token"
    )
    assert_problem(client.get(f"/log-streams/setup?token={token}"), 400, "invalid_token")


def test_a_link_ends_with_its_week_or_its_makers_ownership(
    fake_app: Flask, client: FlaskClient, adapters: Adapters
) -> None:
    olga = owner(client, "olga", "acme")
    register(client, "otto")
    members = services(fake_app).of(OrgServices).members
    members.add_member(AddMember("acme", "otto", ("owner",)))
    otto = bearer(login(client, "otto"))
    theirs, old = link(client, "acme", otto), link(client, "acme", olga)
    orgs = adapters.of(OrgsAdapters).orgs
    acme, user = orgs.find("acme"), adapters.of(AccountsAdapters).users.find_by_login("otto")
    assert acme is not None and user is not None
    orgs.remove_member(acme.id, user.id, datetime.now(UTC))  # no owner any more
    assert_problem(
        client.post(f"/log-streams/setup?token={theirs}", json=SYSLOG), 400, "invalid_token"
    )
    clock = adapters.platform.clock
    assert isinstance(clock, FakeClock)
    clock.advance(days=7)
    assert_problem(
        client.post(f"/log-streams/setup?token={old}", json=SYSLOG), 400, "invalid_token"
    )
    assert_problem(client.get("/log-streams/setup?token=nonsense"), 400, "invalid_token")


def test_only_owners_make_links(fake_app: Flask, client: FlaskClient) -> None:
    owner(client, "olga", "acme")
    register(client, "adam")
    services(fake_app).of(OrgServices).members.add_member(AddMember("acme", "adam", ("admin",)))
    adam = bearer(login(client, "adam"))
    made = client.post("/orgs/acme/log-streams/setup-links", headers=adam)
    assert_problem(made, 403, "org_permission_denied")
