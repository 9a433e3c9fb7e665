"""The "this wasn't me" link on fakes (docs/pages.md, /not-me): a GET spends nothing; the
button spends the token once, ends every session and mails a password reset."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from application.events.security_events import security_events_of
from application.mail.sending import NOTICES, NotifyingAuditLog
from application.ports import Audit, AuditEvent
from domain.accounts.users import User
from domain.link_tokens import new_token
from domain.mail.action_tokens import (
    LIFETIME,
    NOTICE_LIMIT,
    NOTICE_WINDOW,
    SEND_LIMIT,
    ActionToken,
    Purpose,
)
from domain.ways_in import WayIn
from tests.fakes.events import RecordingAuditLog
from tests.support.api import PASSWORD, bearer, login, register
from tests.support.app import World
from tests.support.mail_flows import notices, press, resets, verified
from tests.support.pages import csrf

pytestmark = pytest.mark.unit


@pytest.fixture
def world() -> World:
    return World()


def _user(world: World, username: str) -> User:
    return next(u for u in world.store.users.values() if u.shown_name == username)


def issue(world: World, username: str = "alice", purpose: Purpose = Purpose.NOT_ME) -> str:
    """A token as a notification mail carries it; only its hash is stored."""
    token, record = ActionToken.issue(_user(world, username), purpose, world.clock.now())
    world.store.action_tokens[record.hash] = record
    return token


def test_opening_the_link_spends_nothing(world: World) -> None:
    register(world.client, "alice")
    access = login(world.client)
    token = issue(world)
    answer = world.app.test_client().get("/not-me", query_string={"token": token})
    html = answer.get_data(as_text=True)
    main = html.partition("<main>")[2].partition("</main>")[0]  # not the language switch
    assert answer.status_code == 200 and main.count("<button") == 1
    assert f'name="token" value="{token}"' in html and 'action="/not-me"' in html
    assert all(t.spent_at is None for t in world.store.action_tokens.values())
    assert world.client.get("/user", headers=bearer(access)).status_code == 200


def test_the_button_ends_every_session_and_mails_a_reset_once(world: World) -> None:
    register(world.client, "alice")
    world.deliver()  # the verification mail
    first, second = login(world.client), login(world.client)
    token = issue(world)
    status, html = press(world, token)
    assert status == 200 and 'role="status"' in html and "/sign-in" in html
    for access in (first, second):
        assert world.client.get("/user", headers=bearer(access)).status_code == 401
    assert not [s for s in world.store.sessions.values() if s.user_id == _user(world, "alice").id]
    world.deliver()
    assert resets(world) == 1
    ended = [e for e in world.audit.events if e.event is Audit.LOGOUT and e.reason == "not_me"]
    assert len(ended) == 1 and ended[0].user_id == _user(world, "alice").id
    stored = security_events_of(ended[0], at=world.clock.now())
    assert [e.type for e in stored] == ["session.ended"]
    # Single use: the same token again changes nothing.
    version = _user(world, "alice").token_version
    assert press(world, token)[0] == 400
    world.deliver()
    assert resets(world) == 1 and _user(world, "alice").token_version == version


@pytest.mark.parametrize("kind", ["unknown", "empty", "too_long", "expired", "reset_token"])
def test_a_bad_token_is_a_400_page_and_changes_nothing(world: World, kind: str) -> None:
    register(world.client, "alice")
    access = login(world.client)
    token = {
        "unknown": new_token(),
        "empty": "",
        "too_long": "x" * 200,
        "expired": issue(world),
        "reset_token": issue(world, purpose=Purpose.RESET_PASSWORD),
    }[kind]
    if kind == "expired":
        world.clock.advance(seconds=LIFETIME[Purpose.NOT_ME] / timedelta(seconds=1))
    version = _user(world, "alice").token_version
    status, html = press(world, token)
    assert status == 400 and 'role="alert"' in html and "invalid" in html
    assert _user(world, "alice").token_version == version
    assert world.client.get("/user", headers=bearer(access)).status_code == 200
    world.deliver()
    assert resets(world) == 0


def test_the_reset_mail_goes_out_though_the_link_mails_limit_is_spent(world: World) -> None:
    # Whoever has the password can spend the account's link mails (verification mails
    # asked for again and again) before the owner presses the button: its reset must still
    # go out, or the owner is told of a mail that never comes and the password stays theirs.
    register(world.client, "alice")  # the verification mail: one of the three
    access = login(world.client)
    for _ in range(SEND_LIMIT):
        world.client.post("/auth/email/verification", headers=bearer(access))
    world.deliver()
    assert any(e.reason == "send_limit" for e in world.audit.events)  # the limit is spent
    failures = sum(e.reason == "send_limit" for e in world.audit.events)
    assert press(world, issue(world))[0] == 200
    assert world.client.get("/user", headers=bearer(access)).status_code == 401
    world.deliver()
    assert resets(world) == 1
    assert sum(e.reason == "send_limit" for e in world.audit.events) == failures


def test_a_post_without_the_csrf_token_is_403_and_spends_nothing(world: World) -> None:
    register(world.client, "alice")
    token = issue(world)
    client = world.app.test_client()
    client.get("/sign-in")
    assert client.post("/not-me", data={"token": token}).status_code == 403
    assert all(t.spent_at is None for t in world.store.action_tokens.values())


# -- the notices that carry the link


def change_password(
    world: World, access: str, new: str = "a different passphrase", current: str = PASSWORD
) -> None:
    body = {"current_password": current, "new_password": new}
    assert world.client.put("/user/password", headers=bearer(access), json=body).status_code == 204


def test_a_password_change_mails_a_notice_whose_link_works(world: World) -> None:
    change_password(world, verified(world))
    other = login(world.client, password="a different passphrase")
    world.deliver()
    [mail] = notices(world)
    assert "password" in mail.subject and "alice" in mail.text  # greeted: a proved address
    token = world.token("alice@example.com", "/not-me")
    assert press(world, token)[0] == 200
    assert world.client.get("/user", headers=bearer(other)).status_code == 401
    world.deliver()
    assert resets(world) == 1


def test_the_account_form_password_change_mails_a_notice(world: World) -> None:
    verified(world)
    client = world.app.test_client()
    form = {"username": "alice", "password": PASSWORD}
    client.post("/sign-in", data={**form, "csrf_token": csrf(client, "/sign-in")})
    change = {"current_password": PASSWORD, "new_password": "a different passphrase"}
    answer = client.post(
        "/account/password", data={**change, "csrf_token": csrf(client, "/account")}
    )
    assert answer.status_code in (200, 303)
    world.deliver()
    # The browser had never signed in to the account: its sign-in is a new device's.
    subjects = sorted(m.subject for m in notices(world))
    assert subjects == [
        "A new sign-in to your firegate account",
        "Your firegate password was changed",
    ]


def test_each_notice_carries_a_fresh_token_in_the_accounts_language(world: World) -> None:
    access = verified(world)
    user_id = _user(world, "alice").id
    world.client.patch("/user", headers=bearer(access), json={"locale": "es"})
    log = NotifyingAuditLog(log=RecordingAuditLog(), queue=world.queue, clock=world.clock)
    for event in NOTICES:
        # A link's notice is of one the person connected, not of a new account's own.
        added = WayIn.identity("github", "gh-1") if event is Audit.IDENTITY_LINKED else None
        log.record(AuditEvent(event, user_id=user_id, added=added))
        log.record(AuditEvent(event, "failure", user_id=user_id))  # nothing happened
    world.deliver()
    mails = notices(world)
    assert len(mails) == len(NOTICES)
    assert all("Hola" in m.text for m in mails), [m.text for m in mails]
    tokens = {
        parse_qs(urlsplit(word).query)["token"][0]
        for m in mails
        for word in m.text.split()
        if "/not-me?token=" in word
    }
    assert len(tokens) == len(NOTICES)
    assert all(press(world, token)[0] == 200 for token in tokens)


def test_no_notice_to_an_unproved_address(world: World) -> None:
    register(world.client, "alice")
    change_password(world, login(world.client))
    world.deliver()
    assert notices(world) == [] and len(world.mailer.to("alice@example.com")) == 1  # verify


def test_notices_stay_within_a_limit_of_their_own(world: World) -> None:
    access = verified(world)
    log = NotifyingAuditLog(log=RecordingAuditLog(), queue=world.queue, clock=world.clock)
    for _ in range(NOTICE_LIMIT + 2):
        log.record(AuditEvent(Audit.PASSWORD_CHANGE, user_id=_user(world, "alice").id))
    world.deliver()
    assert len(notices(world)) == NOTICE_LIMIT
    assert any(e.reason == "send_limit" for e in world.audit.events)
    # The link mails' limit is untouched by them ...
    world.client.post("/auth/password/forgot", json={"email": "alice@example.com"})
    world.deliver()
    assert resets(world) == 1
    # ... and the notices' window moves on after a day.
    world.clock.advance(seconds=NOTICE_WINDOW / timedelta(seconds=1))
    change_password(world, access)
    world.deliver()
    assert len(notices(world)) == NOTICE_LIMIT + 1


def test_notices_do_not_hold_back_a_reset_mail(world: World) -> None:
    """A password change, MFA on and a passkey added within minutes: the reset asked for
    next is still mailed (docs/decisions/0172-notice-mail-limit.md)."""
    access = verified(world)  # the verification mail
    change_password(world, access)
    log = NotifyingAuditLog(log=RecordingAuditLog(), queue=world.queue, clock=world.clock)
    for event in (Audit.MFA_ENABLED, Audit.PASSKEY_REGISTERED):
        log.record(AuditEvent(event, user_id=_user(world, "alice").id))
    world.deliver()
    assert len(notices(world)) == 3
    world.client.post("/auth/password/forgot", json={"email": "alice@example.com"})
    world.deliver()
    assert resets(world) == 1
    assert not any(e.reason == "send_limit" for e in world.audit.events)
