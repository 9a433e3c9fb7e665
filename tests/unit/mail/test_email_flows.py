"""The mail flows on fakes: tokens, limits, supersession, the blind forgot route."""

from __future__ import annotations

import base64
import json
import re
from datetime import timedelta
from typing import Any, cast

import pytest

from application.accounts.accounts import UserRepository
from application.accounts.admin import SetDisabled, SetRole
from application.accounts.services import AccountServices
from application.jobs import JobPush, RetryJob, encode_job
from application.mail.flows import RequestVerification
from application.mail.invitations import Invite
from application.mail.sending import ActionTokenRepository
from application.mail.services import MailServices
from application.ports import Audit
from application.signin.authentication import Authenticate
from application.signin.services import SigninServices
from bootstrap import build_app
from bootstrap.accounts import AccountsAdapters
from bootstrap.mail import MailAdapters
from domain.accounts.credentials import Email, Username
from domain.accounts.signups import ALLOWED
from domain.accounts.users import User
from domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from domain.link_tokens import TOKEN_MAX_CHARS, InvalidToken, new_token
from domain.mail.action_tokens import SEND_LIMIT, ActionToken, Purpose, SendLog
from tests.fakes.events import RecordingAuditLog
from tests.fakes.kernel import FakeClock, FakeJobQueue, InMemoryStore
from tests.support.api import PASSWORD, bearer, login, register
from tests.support.app import NEW, World, fake_adapters, swap
from tests.support.settings import make_settings

pytestmark = pytest.mark.unit


@pytest.fixture
def world() -> World:
    return World()


def test_register_mails_a_link_that_verifies_once(world: World) -> None:
    assert register(world.client, "alice")["email_verified"] is False
    assert world.mailer.sent == []  # not in the request: from the job
    world.deliver()
    token = world.token("alice@example.com", "/verify-email")
    answer = world.client.post("/auth/email/verify", json={"token": token})
    assert answer.status_code == 200 and answer.get_json()["email_verified"] is True
    again = world.client.post("/auth/email/verify", json={"token": token})
    assert again.status_code == 400 and again.get_json()["code"] == "invalid_token"
    # Only the hash is stored.
    assert token not in world.store.action_tokens
    assert all(token not in repr(t) for t in world.store.action_tokens.values())


@pytest.mark.parametrize(
    "token", ["nope", "é" * 10, "a b", new_token()], ids=["short", "non-ascii", "space", "unknown"]
)
def test_an_unknown_token_is_400_invalid_token(world: World, token: str) -> None:
    """Any token of the schema's length that is not a live one of ours: 400 invalid_token."""
    for path, body in (
        ("/auth/email/verify", {"token": token}),
        ("/auth/password/reset", {"token": token, "new_password": NEW}),
    ):
        answer = world.client.post(path, json=body)
        assert (answer.status_code, answer.get_json()["code"]) == (400, "invalid_token")


@pytest.mark.parametrize("token", ["", "x" * (TOKEN_MAX_CHARS + 1), 42, None])
def test_a_malformed_token_field_is_422(world: World, token: object) -> None:
    """An empty, over-long or non-string ``token`` fails the request schema."""
    answer = world.client.post("/auth/email/verify", json={"token": token})
    assert answer.status_code == 422


def test_forgot_is_the_same_answer_for_known_and_unknown_addresses(world: World) -> None:
    register(world.client, "bob")
    world.deliver()
    known = world.client.post("/auth/password/forgot", json={"email": "BOB@example.com"})
    unknown = world.client.post("/auth/password/forgot", json={"email": "zed@example.com"})
    assert (known.status_code, known.get_data()) == (unknown.status_code, unknown.get_data())
    assert known.status_code == 202 and known.get_json() == {}
    world.deliver()
    assert world.mailer.to("zed@example.com") == []
    assert len(world.mailer.to("bob@example.com")) == 2
    requested = [e for e in world.audit.events if e.event is Audit.PASSWORD_RESET_REQUESTED]
    assert [(e.outcome, e.reason, e.user_id is None) for e in requested] == [
        ("success", None, False),
        ("failure", "unknown_address", True),
    ]


class Recording:
    """Passes every call on to ``inner`` and notes the method's name."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        found = getattr(self.inner, name)
        if not callable(found):
            return found

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            return found(*args, **kwargs)

        return call


def test_forgot_does_the_same_work_for_known_and_unknown_addresses() -> None:
    """What the request thread does must not depend on the address having an account
    (docs/security.md, "Password recovery"): no repository call, one job of one shape."""
    settings = make_settings()
    queue, audit = FakeJobQueue(), RecordingAuditLog()
    base = fake_adapters(settings, InMemoryStore())
    users, tokens = (
        Recording(base.of(AccountsAdapters).users),
        Recording(base.of(MailAdapters).action_tokens),
    )
    adapters = swap(
        base,
        users=cast(UserRepository, users),
        action_tokens=cast(ActionTokenRepository, tokens),
        job_queue=queue.attach,
        audit=audit,
    )
    client = build_app(settings, adapters).test_client()
    register(client, "hal")

    def work(address: str) -> dict[str, object]:
        for calls in (users.calls, tokens.calls, queue.jobs, audit.events):
            calls.clear()
        answer = client.post("/auth/password/forgot", json={"email": address})
        return {
            "answer": (answer.status_code, answer.get_data()),
            "repository calls": users.calls + tokens.calls,
            "jobs": [(job.kind, sorted(json.loads(job.subject))) for job in queue.jobs],
            "audit": list(audit.events),
        }

    known, unknown = work("hal@example.com"), work("nobody@example.com")
    assert known == unknown
    assert known["repository calls"] == [] and len(queue.jobs) == 1


def test_reset_sets_the_password_ends_sessions_and_voids_older_tokens(world: World) -> None:
    register(world.client, "carol")
    access = login(world.client, "carol")
    for _ in range(2):
        world.client.post("/auth/password/forgot", json={"email": "carol@example.com"})
    world.deliver()
    resets = [m for m in world.mailer.to("carol@example.com") if "/reset-password" in m.text]
    assert len(resets) == 2
    first = resets[0].text.split("token=")[1].split()[0]
    newest = world.token("carol@example.com", "/reset-password")
    assert world.reset(first) == 400  # a newer token exists
    assert world.reset(newest, "short") == 422  # register's policy
    assert world.reset(newest) == 204
    assert world.client.get("/user", headers=bearer(access)).status_code == 401
    login(world.client, "carol", NEW)
    assert world.reset(newest) == 400  # spent


def test_a_reset_token_is_void_once_the_password_changed(world: World) -> None:
    register(world.client, "dan")
    world.client.post("/auth/password/forgot", json={"email": "dan@example.com"})
    world.deliver()
    token = world.token("dan@example.com", "/reset-password")
    headers = bearer(login(world.client, "dan"))
    body = {"current_password": PASSWORD, "new_password": "a different passphrase"}
    assert world.client.put("/user/password", headers=headers, json=body).status_code == 204
    assert world.reset(token) == 400


def test_reset_tokens_live_30_minutes_and_verification_tokens_24_hours(world: World) -> None:
    for name in ("eve", "fred"):
        register(world.client, name)
        world.client.post("/auth/password/forgot", json={"email": f"{name}@example.com"})
    world.deliver()
    verify = {n: world.token(f"{n}@example.com", "/verify-email") for n in ("eve", "fred")}
    reset = {n: world.token(f"{n}@example.com", "/reset-password") for n in ("eve", "fred")}
    world.clock.advance(minutes=29, seconds=59)
    assert world.reset(reset["eve"]) == 204
    world.clock.advance(seconds=1)  # 30 min
    assert world.reset(reset["fred"]) == 400
    world.clock.advance(hours=23, minutes=29, seconds=59)  # 24 h less a second
    answer = world.client.post("/auth/email/verify", json={"token": verify["eve"]})
    assert answer.status_code == 200
    world.clock.advance(seconds=1)  # 24 h
    answer = world.client.post("/auth/email/verify", json={"token": verify["fred"]})
    assert (answer.status_code, answer.get_json()["code"]) == (400, "invalid_token")


def test_at_most_three_mails_per_account_per_window_of_every_kind(world: World) -> None:
    register(world.client, "fay")  # the verification mail is the first of the three
    for _ in range(SEND_LIMIT + 2):
        answer = world.client.post("/auth/password/forgot", json={"email": "fay@example.com"})
        assert answer.status_code == 202
    world.deliver()
    assert len(world.mailer.to("fay@example.com")) == SEND_LIMIT
    resets = [m for m in world.mailer.to("fay@example.com") if "/reset-password" in m.text]
    assert len(resets) == SEND_LIMIT - 1
    assert any(e.reason == "send_limit" for e in world.audit.events)
    world.clock.advance(minutes=15)
    world.client.post("/auth/password/forgot", json={"email": "fay@example.com"})
    world.deliver()
    assert len([m for m in world.mailer.to("fay@example.com") if "/reset" in m.text]) == 3


def test_address_change_notices_count_against_the_same_limit(world: World) -> None:
    """Five changes through never-verified addresses: three mails in all, not ten."""
    register(world.client, "ada", name="Free money at evil.example")
    world.deliver()
    headers = bearer(login(world.client, "ada"))
    for i in range(5):
        answer = world.client.patch("/user", headers=headers, json={"email": f"v{i}@example.net"})
        assert answer.status_code == 200
    world.deliver()
    assert len(world.mailer.sent) == SEND_LIMIT
    assert [e.reason for e in world.audit.events].count(
        "send_limit"
    ) == 11 - SEND_LIMIT  # 1 + 2 per change


def without_tokens(text: str) -> str:
    return re.sub(r"token=[^\s\"'&<]+", "token=", text)


def test_a_mail_to_a_never_verified_address_carries_no_user_written_text(world: World) -> None:
    register(world.client, "bea", name="Free money at evil.example")
    world.deliver()
    headers = bearer(login(world.client, "bea"))
    world.client.patch("/user", headers=headers, json={"email": "Win.Big@example.net"})
    world.deliver()
    for mail in world.mailer.sent:
        # A random token may hold "bea" (one did): the tokens are left out.
        for text in map(without_tokens, (mail.subject, mail.text, mail.html)):
            assert "evil" not in text and "bea" not in text.replace("bea@example.com", "")
            assert "Win.Big" not in text or mail.to == "Win.Big@example.net"
        assert mail.text.startswith("Hello,\n")
    notice = world.mailer.to("bea@example.com")[-1]
    assert "token=" not in notice.text and "was changed" in notice.text


def test_a_verified_old_address_is_told_the_new_one_even_past_the_limit(world: World) -> None:
    register(world.client, "cid", name="Cid")
    world.deliver()
    assert world.client.post(
        "/auth/email/verify", json={"token": world.token("cid@example.com", "/verify-email")}
    ).is_json
    for _ in range(SEND_LIMIT):  # the budget spent by someone who knows the address
        world.client.post("/auth/password/forgot", json={"email": "cid@example.com"})
    world.deliver()
    headers = bearer(login(world.client, "cid"))
    world.client.patch("/user", headers=headers, json={"email": "cid@example.org"})
    world.deliver()
    notice = world.mailer.to("cid@example.com")[-1]
    assert notice.text.startswith("Hello Cid,\n") and "cid@example.org" in notice.text
    # What to do if it was not them, on a page that exists (the site's root is not one).
    sign_in = world.settings.service.public_url + "/sign-in"
    assert f"sign in at {sign_in}," in notice.text
    assert f'<a href="{sign_in}">{sign_in}</a>' in notice.html
    assert world.mailer.to("cid@example.org") == []  # its verification waits for the window


def test_a_failed_send_is_retried_then_given_up_never_changing_the_answer(world: World) -> None:
    world.mailer.failing = True
    register(world.client, "gus")  # 201 although the mail server is down
    job = world.queue.jobs[0]
    data = base64.b64encode(encode_job(job)).decode()
    with pytest.raises(RetryJob):
        world.services.platform.jobs.receive_push(JobPush(data=data))
    world.services.platform.jobs.receive_push(
        JobPush(data=data, dead_letter=True)
    )  # gives up quietly
    assert any(e.reason == "delivery_failed" for e in world.audit.events)
    world.mailer.failing = False
    world.services.platform.jobs.receive_push(
        JobPush(data=data)
    )  # the same mail, not counted twice
    assert len(world.mailer.to("gus@example.com")) == 1


def test_an_address_change_mails_both_addresses(world: World) -> None:
    register(world.client, "hal")
    world.deliver()
    old_token = world.token("hal@example.com", "/verify-email")
    headers = bearer(login(world.client, "hal"))
    changed = world.client.patch("/user", headers=headers, json={"email": "hal@example.org"})
    assert changed.get_json()["email_verified"] is False
    world.deliver()
    notice = world.mailer.to("hal@example.com")[-1]  # never verified: no new address in it
    assert "token=" not in notice.text and "hal@example.org" not in notice.text
    assert world.client.post("/auth/email/verify", json={"token": old_token}).status_code == 400
    token = world.token("hal@example.org", "/verify-email")
    assert world.client.post("/auth/email/verify", json={"token": token}).status_code == 200


def test_a_token_sent_to_the_other_flow_is_refused_and_stays_usable(world: World) -> None:
    register(world.client, "kit")
    world.client.post("/auth/password/forgot", json={"email": "kit@example.com"})
    world.deliver()
    verify = world.token("kit@example.com", "/verify-email")
    reset = world.token("kit@example.com", "/reset-password")
    wrong = world.client.post("/auth/email/verify", json={"token": reset})
    assert (wrong.status_code, wrong.get_json()["code"]) == (400, "invalid_token")
    assert world.reset(verify) == 400
    assert world.reset(reset) == 204
    answer = world.client.post("/auth/email/verify", json={"token": verify})
    assert answer.status_code == 200


def test_a_token_is_void_after_an_address_change_and_back(world: World) -> None:
    register(world.client, "lou")
    world.deliver()
    first = world.token("lou@example.com", "/verify-email")
    headers = bearer(login(world.client, "lou"))
    for address in ("lou@example.org", "lou@example.com"):
        answer = world.client.patch("/user", headers=headers, json={"email": address})
        assert answer.status_code == 200
    answer = world.client.post("/auth/email/verify", json={"token": first})
    assert (answer.status_code, answer.get_json()["code"]) == (400, "invalid_token")


def test_require_verified_email_refuses_the_right_password_only() -> None:
    world = World(require_verified_email=True)
    register(world.client, "ivy")
    wrong = world.client.post("/login", json={"username": "ivy", "password": "wrong password"})
    assert wrong.status_code == 401
    right = world.client.post("/login", json={"username": "ivy", "password": PASSWORD})
    assert right.status_code == 403 and right.get_json()["code"] == "email_not_verified"
    world.deliver()
    token = world.token("ivy@example.com", "/verify-email")
    world.client.post("/auth/email/verify", json={"token": token})
    login(world.client, "ivy")


def test_invitations_are_for_admins_and_set_a_password(world: World) -> None:
    register(world.client, "root")
    world.services.of(AccountServices).admin.set_role(SetRole("root", "admin"))
    admin = bearer(login(world.client, "root"))
    body = {"username": "joan", "email": "jo@example.com"}
    register(world.client, "kim")
    kim = bearer(login(world.client, "kim"))
    assert world.client.post("/users/invitations", headers=kim, json=body).status_code == 403
    invited = world.client.post("/users/invitations", headers=admin, json=body)
    assert invited.status_code == 201
    world.deliver()
    token = world.token("jo@example.com", "/reset-password")
    mail = world.mailer.to("jo@example.com")[-1]
    assert "invited" in mail.subject
    assert world.reset(token) == 204
    login(world.client, "joan", NEW)
    assert world.reset(token) == 400  # spent


def test_an_invitation_with_an_unknown_role_is_422_invalid_role(world: World) -> None:
    register(world.client, "root")
    world.services.of(AccountServices).admin.set_role(SetRole("root", "admin"))
    root = world.services.of(SigninServices).authentication.authenticate(
        Authenticate(login(world.client, "root"))
    )
    with pytest.raises(InvalidInput) as info:
        world.services.of(MailServices).invitations.invite(
            Invite(root, None, "joan@example.com", role="superuser")
        )
    assert (info.value.errors[0].field, info.value.errors[0].code) == ("role", "invalid_role")
    assert [u.shown_name for u in world.store.users.values()] == ["root"]


def test_an_admin_asks_for_another_account_verification_mail(world: World) -> None:
    for name in ("root", "kim", "lee"):
        register(world.client, name)
    world.services.of(AccountServices).admin.set_role(SetRole("root", "admin"))
    root, kim = (
        world.services.of(SigninServices).authentication.authenticate(
            Authenticate(login(world.client, name))
        )
        for name in ("root", "kim")
    )
    lee = world.store.usernames["lee"]
    world.deliver()
    ask = world.services.of(MailServices).verification.request_verification
    with pytest.raises(PermissionDenied):
        ask(RequestVerification(kim, user_id=lee))
    ask(RequestVerification(root, user_id=lee))
    event = world.audit.events[-1]
    assert (event.event, event.user_id, event.actor_id) == (
        Audit.EMAIL_VERIFICATION_REQUESTED,
        lee,
        root.user_id,
    )
    world.deliver()
    assert len(world.mailer.to("lee@example.com")) == 2  # at sign-up, and now
    world.services.of(AccountServices).admin.set_disabled(SetDisabled("lee", True))
    with pytest.raises(Conflict) as info:
        ask(RequestVerification(root, user_id=lee))
    assert info.value.code == "user_disabled"
    with pytest.raises(NotFound):
        ask(RequestVerification(root, user_id="no-such-user"))


def test_an_invitation_link_lives_seven_days(world: World) -> None:
    register(world.client, "root")
    world.services.of(AccountServices).admin.set_role(SetRole("root", "admin"))
    admin = bearer(login(world.client, "root"))
    for name, address in (("joan", "j1@example.com"), ("kurt", "k1@example.com")):
        body = {"username": name, "email": address}
        assert world.client.post("/users/invitations", headers=admin, json=body).status_code == 201
    world.deliver()
    [mail] = world.mailer.to("j1@example.com")
    for part in (mail.text, mail.html):  # as the other mails say it, and whose account
        assert "for 7 days." in part and "hours" not in part
        assert "joan" in part  # the username the admin chose: not in the address
    joan = world.token("j1@example.com", "/reset-password")
    kurt = world.token("k1@example.com", "/reset-password")
    world.clock.advance(days=6, hours=23)
    assert world.reset(joan) == 204
    login(world.client, "joan", NEW)
    world.clock.advance(hours=1)  # 7 days
    assert world.reset(kurt) == 400


def test_a_firebase_account_sets_a_password_by_mail_and_can_then_enrol_totp() -> None:
    """docs/reference/mfa.md: a Firebase-made account has no password until a reset."""
    world = World()
    id_token = world.verifier.issue("uid-1", email="fb@example.com", display_name="fb")
    pair = world.client.post("/auth/firebase", json={"id_token": id_token}).get_json()
    headers = bearer(pair["access_token"])
    refused = world.client.post("/auth/mfa/totp", json={"password": NEW}, headers=headers)
    assert (refused.status_code, refused.get_json()["code"]) == (403, "invalid_current_password")
    forgot = world.client.post("/auth/password/forgot", json={"email": "fb@example.com"})
    assert forgot.status_code == 202
    world.deliver()
    assert world.reset(world.token("fb@example.com", "/reset-password")) == 204
    fresh = login(world.client, "fb@example.com", NEW)  # the reset ended every session
    started = world.client.post("/auth/mfa/totp", json={"password": NEW}, headers=bearer(fresh))
    assert started.status_code == 200, started.get_json()


def test_an_account_without_an_address_has_no_mail_flows(world: World) -> None:
    user = User.register(
        admitted=ALLOWED,
        id="u1",
        username=Username("nomail"),
        email=None,
        password_hash="h",
        now=world.clock.now(),
    )
    assert user.email_verified is False
    with pytest.raises(InvalidInput) as info:
        user.with_email_verified(world.clock.now())
    assert info.value.code == "no_email"
    with pytest.raises(ValueError, match="no mail"):
        ActionToken.issue(user, Purpose.VERIFY_EMAIL, world.clock.now())


def test_a_token_check_refuses_every_void_case() -> None:
    now = FakeClock().now()
    user = User.register(
        admitted=ALLOWED,
        id="u",
        username=Username("lee"),
        email=Email("lee@example.com"),
        password_hash="h",
        now=now,
    )
    _, token = ActionToken.issue(user, Purpose.RESET_PASSWORD, now)
    assert token.check(Purpose.RESET_PASSWORD, user, now, token.hash) == user
    cases = [
        (Purpose.VERIFY_EMAIL, user, now, token.hash),
        (Purpose.RESET_PASSWORD, None, now, token.hash),
        (Purpose.RESET_PASSWORD, user, now + timedelta(minutes=30), token.hash),
        (Purpose.RESET_PASSWORD, user, now, "newer"),
        (Purpose.RESET_PASSWORD, user.with_password_hash("h2", now), now, token.hash),
        (Purpose.RESET_PASSWORD, user.edited({"email": "l@example.org"}, now), now, token.hash),
        (Purpose.RESET_PASSWORD, user.with_disabled(True, now), now, token.hash),
    ]
    for purpose, who, when, latest in cases:
        with pytest.raises(InvalidToken):
            token.check(purpose, who, when, latest)
    with pytest.raises(InvalidToken):
        token.spent(now).check(Purpose.RESET_PASSWORD, user, now, token.hash)


def test_a_send_log_counts_a_retried_job_once() -> None:
    now = FakeClock().now()
    log = SendLog()
    for job in ("a", "b", "c"):
        assert log.allows(job, now)
        log = log.after_send(job, now)
    assert not log.allows("d", now) and log.allows("a", now)
    assert log.allows("d", now + timedelta(minutes=15))


def test_a_reset_lifts_the_login_throttle_of_the_account(world: World) -> None:
    register(world.client, "max")
    wrong = {"username": "max", "password": "wrong password!"}
    right = {"username": "max", "password": NEW}
    for _ in range(10):
        assert world.client.post("/login", json=wrong).status_code == 401
    blocked = world.client.post("/login", json=wrong)
    assert (blocked.status_code, blocked.get_json()["code"]) == (429, "too_many_login_failures")
    world.client.post("/auth/password/forgot", json={"email": "max@example.com"})
    world.deliver()
    assert world.reset(world.token("max@example.com", "/reset-password")) == 204
    assert world.client.post("/login", json=right).status_code == 200  # at once


def test_a_reset_lifts_the_account_wide_ceiling_for_its_owner(world: World) -> None:
    register(world.client, "ned")
    wrong = {"username": "ned", "password": "wrong password!"}
    for i in range(10):
        for _ in range(10):
            world.client.post("/login", json=wrong, environ_base={"REMOTE_ADDR": f"192.0.2.{i}"})
    owner = {"REMOTE_ADDR": "198.51.100.7"}
    right = {"username": "ned", "password": NEW}
    assert world.client.post("/login", json=right, environ_base=owner).status_code == 429
    world.client.post("/auth/password/forgot", json={"email": "ned@example.com"})
    world.deliver()
    token = world.token("ned@example.com", "/reset-password")
    body = {"token": token, "new_password": NEW}
    assert (
        world.client.post("/auth/password/reset", json=body, environ_base=owner).status_code == 204
    )
    assert world.client.post("/login", json=right, environ_base=owner).status_code == 200


def events(world: World, kind: Audit) -> list[tuple[str, str | None, str | None, str | None]]:
    """(outcome, user id, ip, reason) of each audit record of ``kind``."""
    return [(e.outcome, e.user_id, e.ip, e.reason) for e in world.audit.events if e.event is kind]


def test_every_step_is_audited(world: World) -> None:
    ip = {"REMOTE_ADDR": "203.0.113.9"}
    uid = register(world.client, "olga")["id"]
    headers = bearer(login(world.client, "olga"))
    asked = world.client.post("/auth/email/verification", headers=headers, environ_base=ip)
    assert asked.status_code == 202
    # Each event has the address of the request that caused it.
    assert events(world, Audit.EMAIL_VERIFICATION_REQUESTED) == [
        ("success", uid, "203.0.113.9", None)
    ]
    world.deliver()
    token = world.token("olga@example.com", "/verify-email")
    world.client.post("/auth/email/verify", json={"token": token}, environ_base=ip)
    world.client.post("/auth/email/verify", json={"token": token}, environ_base=ip)
    assert events(world, Audit.EMAIL_VERIFIED) == [
        ("success", uid, "203.0.113.9", None),
        ("failure", None, "203.0.113.9", "invalid_token"),
    ]
    world.client.patch(
        "/user", headers=headers, json={"email": "olga@example.org"}, environ_base=ip
    )
    assert events(world, Audit.EMAIL_CHANGE) == [("success", uid, "203.0.113.9", None)]
    world.clock.advance(minutes=15)  # four mails so far: the sending limit's window passes
    world.client.post("/auth/password/forgot", json={"email": "olga@example.org"})
    world.deliver()
    reset = world.token("olga@example.org", "/reset-password")
    body = {"token": reset, "new_password": NEW}
    world.client.post("/auth/password/reset", json=body, environ_base=ip)
    world.client.post("/auth/password/reset", json=body, environ_base=ip)
    assert events(world, Audit.PASSWORD_RESET) == [
        ("success", uid, "203.0.113.9", None),
        ("failure", None, "203.0.113.9", "invalid_token"),
    ]
    world.clock.advance(minutes=-15)  # back to the time the token issuer checks against
    world.services.of(AccountServices).admin.set_role(SetRole("olga", "admin"))
    admin = bearer(login(world.client, "olga", NEW))
    invite = {"username": "pia", "email": "pia@example.com"}
    invited = world.client.post("/users/invitations", headers=admin, json=invite).get_json()
    recorded = [e for e in world.audit.events if e.event is Audit.INVITATION]
    assert [(e.outcome, e.user_id, e.actor_id) for e in recorded] == [
        ("success", invited["id"], uid)
    ]


def test_register_requires_an_address(world: World) -> None:
    body = {"username": "quinn", "password": PASSWORD}
    answer = world.client.post("/register", json=body)
    assert answer.status_code == 422
    assert world.store.users == {}
