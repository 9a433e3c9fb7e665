"""Every mail says which it is and in which language it is written (``Mail.kind``,
``Mail.locale``): what a send_mail hook is handed beside the rendered parts
(docs/hooks.md, "send_mail")."""

from __future__ import annotations

import pytest

from application.mail.sending import NOTICES, NotifyingAuditLog
from application.ports import Audit, AuditEvent
from domain.ways_in import WayIn
from tests.fakes.events import RecordingAuditLog
from tests.support.api import bearer
from tests.support.app import World
from tests.support.mail_flows import notices, verified

pytestmark = pytest.mark.unit
ALICE = "alice@example.com"


@pytest.fixture
def world() -> World:
    return World()


def test_a_link_mail_is_of_its_kind_in_the_default_language(world: World) -> None:
    verified(world)
    world.client.post("/auth/password/forgot", json={"email": ALICE})
    world.deliver()
    sent = [(mail.kind, mail.locale) for mail in world.mailer.to(ALICE)]
    assert sent == [("verify_email", "en"), ("reset_password", "en")]


def test_each_notice_is_of_its_own_kind_in_the_accounts_language(world: World) -> None:
    access = verified(world)
    world.client.patch("/user", headers=bearer(access), json={"locale": "es"})
    user_id = next(u.id for u in world.store.users.values() if u.shown_name == "alice")
    log = NotifyingAuditLog(log=RecordingAuditLog(), queue=world.queue, clock=world.clock)
    for event in NOTICES:
        added = WayIn.identity("github", "gh-1") if event is Audit.IDENTITY_LINKED else None
        log.record(AuditEvent(event, user_id=user_id, added=added))
    world.deliver()
    kinds = sorted((mail.kind, mail.locale) for mail in notices(world))
    assert kinds == sorted((kind.value, "es") for kind in NOTICES.values())


def test_an_email_code_is_of_its_kind_in_the_browsers_language(world: World) -> None:
    answer = world.client.post(
        "/auth/email-code", json={"email": "zoe@example.com"}, headers={"Accept-Language": "es"}
    )
    assert answer.status_code == 202, answer.get_json()
    world.deliver()
    [mail] = world.mailer.to("zoe@example.com")
    assert (mail.kind, mail.locale) == ("email_code", "es")
