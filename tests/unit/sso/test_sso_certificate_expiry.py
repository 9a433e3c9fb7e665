"""The IdP certificates' expiry warning on the fakes: 30 days before a certificate of an
active connection ends, the org's owners and admins (at proven addresses, in their language)
are mailed and ``org.sso_certificate_expiring`` is recorded, once per certificate; the
``orgs sso-certificates`` command runs the sweep (docs/reference/sso.md, "Certificate
expiry")."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from application.orgs.members.members import AddMember
from application.orgs.services import OrgServices
from application.ports import Audit, Mail
from application.sso.services import SsoServices
from bootstrap.accounts import AccountsAdapters
from domain.accounts.users import User
from tests.support.api import bearer, login, register
from tests.support.app import World
from tests.support.saml import certificate, idp_metadata

pytestmark = pytest.mark.unit


def proven(world: World, name: str, locale: str | None = None) -> User:
    users = world.adapters.of(AccountsAdapters).users
    found = users.find_by_login(name)
    assert found is not None

    def prove(user: User) -> User:
        changed = user.with_email_verified(world.clock.now())
        return replace(changed, locale=locale) if locale else changed

    return users.update(found.id, prove)


def org_with_connection(world: World, *days_left: int) -> tuple[dict[str, str], str]:
    """Corp, owned by olga, with an active SAML connection whose certificates end in
    ``days_left`` days: (olga's token, the connection's id)."""
    client = world.client
    register(client, "olga")
    owner = bearer(login(client, "olga"))
    client.post("/orgs", json={"slug": "corp", "name": "Corp"}, headers=owner)
    now = datetime.now(UTC)
    ders = [certificate(not_after=now + timedelta(days=d, hours=1))[1] for d in days_left]
    xml = idp_metadata("https://idp.example.com/m", "https://idp.example.com/sso", tuple(ders))
    made = client.post(
        "/orgs/corp/connections",
        json={"kind": "saml", "name": "Okta", "saml": {"metadata_xml": xml}, "status": "active"},
        headers=owner,
    )
    assert made.status_code == 201, made.get_json()
    return owner, made.get_json()["id"]


def warnings_to(world: World, address: str) -> list[Mail]:
    return [m for m in world.mailer.to(address) if "/account/orgs/corp/sso" in m.text]


def expiring_events(world: World, owner: dict[str, str]) -> list[tuple[str, str | None]]:
    items = world.client.get("/orgs/corp/events", headers=owner).get_json()["items"]
    return [
        (e["org_id"], e["reason"]) for e in items if e["type"] == "org.sso_certificate_expiring"
    ]


def test_admins_are_warned_once_a_month_before_a_certificate_ends() -> None:
    world = World()
    owner, cid = org_with_connection(world, 20, 200)
    org_id = world.client.get("/orgs/corp", headers=owner).get_json()["id"]
    proven(world, "olga")
    register(world.client, "ana")
    proven(world, "ana", "es")
    world.services.of(OrgServices).members.add_member(AddMember("corp", "ana", ("admin",)))
    register(world.client, "ned")
    proven(world, "ned")
    world.services.of(OrgServices).members.add_member(AddMember("corp", "ned", ("member",)))
    register(world.client, "una")  # an admin whose address is not proven: no mail
    world.services.of(OrgServices).members.add_member(AddMember("corp", "una", ("admin",)))

    assert (
        world.services.of(SsoServices).certificate_sweep.sweep() == 1
    )  # the one of 20 days, not of 200
    assert expiring_events(world, owner) == [(org_id, cid)]
    world.deliver()
    (english,) = warnings_to(world, "olga@example.com")
    assert "Corp" in english.subject and "expires on" in english.subject
    assert "in 20 days" in english.text and "/account/orgs/corp/sso" in english.text
    (spanish,) = warnings_to(world, "ana@example.com")
    assert "caduca el" in spanish.subject and "dentro de 20 días" in spanish.text
    assert warnings_to(world, "ned@example.com") == []  # a member is not told
    assert warnings_to(world, "una@example.com") == []

    # Once per certificate: not the next day, nor the next sweep.
    world.clock.advance(days=1)
    assert world.services.of(SsoServices).certificate_sweep.sweep() == 0
    world.deliver()
    assert len(warnings_to(world, "olga@example.com")) == 1
    assert len(expiring_events(world, owner)) == 1
    # The other one's turn comes 30 days before its end.
    world.clock.advance(days=169)
    assert world.services.of(SsoServices).certificate_sweep.sweep() == 0
    world.clock.advance(days=2)
    assert world.services.of(SsoServices).certificate_sweep.sweep() == 1
    recorded = [e for e in world.audit.events if e.event is Audit.ORG_SSO_CERTIFICATE_EXPIRING]
    assert [(e.org_id, e.reason) for e in recorded] == [(org_id, cid), (org_id, cid)]


def test_a_connection_not_active_warns_nobody() -> None:
    world = World()
    owner, cid = org_with_connection(world, 10)
    off = world.client.patch(
        f"/orgs/corp/connections/{cid}", json={"status": "inactive"}, headers=owner
    )
    assert off.status_code == 200
    assert world.services.of(SsoServices).certificate_sweep.sweep() == 0
    assert expiring_events(world, owner) == []


def test_the_command_runs_the_sweep() -> None:
    world = World()
    org_with_connection(world, 10)
    runner = world.app.test_cli_runner()
    first = runner.invoke(args=["orgs", "sso-certificates"])
    assert first.exit_code == 0, first.output
    assert first.output.strip() == "1 certificate(s) warned of"
    again = runner.invoke(args=["orgs", "sso-certificates"])
    assert again.output.strip() == "0 certificate(s) warned of"
