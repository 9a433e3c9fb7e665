"""Sign-ins from a new device on fakes (docs/reference/email.md, "new device";
docs/decisions/0173-new-device-mail.md): recorded as ``signin.new_device`` and mailed, with
when, where from, which browser and a "not me" link; never for the account's first sign-in
or a device with a valid device token; at most one mail per device a day."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast

import pytest
from flask.testing import FlaskClient

from application.events.security_events import security_events_of
from application.ports import Audit, Mail
from bootstrap import build_app
from bootstrap.accounts import AccountsAdapters
from bootstrap.events import EventsAdapters
from bootstrap.mail import MailAdapters
from domain.errors import Unavailable
from domain.signin.devices import device_key
from domain.user_agents import browser_and_system, browser_of
from tests.fakes.accounts import FakeUserRepository
from tests.fakes.kernel import FakeJobQueue, InMemoryStore
from tests.fakes.mail import FakeNewDeviceMails
from tests.support.api import PASSWORD, bearer, login, register
from tests.support.app import World, fake_adapters, swap
from tests.support.mail_flows import press, resets, verified
from tests.support.passkey_authenticator import SIGN_IN, assertion, enrol
from tests.support.passkey_authenticator import Passkey as SoftPasskey
from tests.support.settings import make_settings
from tests.support.user_agents import FIREFOX

pytestmark = pytest.mark.unit

ELSEWHERE = "203.0.113.9"


@pytest.fixture
def world() -> World:
    return World()


def new_devices(world: World, address: str = "alice@example.com") -> list[Mail]:
    return [m for m in world.mailer.to(address) if "new sign-in" in m.subject.lower()]


def device(world: World, ip: str = ELSEWHERE, agent: str = FIREFOX) -> FlaskClient:
    """Another browser: no device cookie, its own address and user agent."""
    client = world.app.test_client()
    client.environ_base.update(REMOTE_ADDR=ip, HTTP_USER_AGENT=agent)
    return client


def api_login(client: FlaskClient, **headers: str) -> dict[str, Any]:
    answer = client.post(
        "/login", json={"username": "alice", "password": PASSWORD}, headers=headers
    )
    assert answer.status_code == 200, answer.get_json()
    body: dict[str, Any] = answer.get_json()
    return body


def recorded(world: World) -> list[str | None]:
    return [e.session_id for e in world.audit.events if e.event is Audit.NEW_DEVICE]


def test_the_first_sign_in_after_sign_up_is_not_a_new_device(world: World) -> None:
    verified(world)  # registered, verified, then the first sign-in (a new client)
    world.deliver()
    assert new_devices(world) == [] and recorded(world) == []
    assert all(u.has_signed_in for u in world.store.users.values())


def test_a_new_device_is_recorded_and_mailed_with_when_where_and_browser(world: World) -> None:
    verified(world)
    body = api_login(device(world))
    world.deliver()
    [mail] = new_devices(world)
    assert ELSEWHERE in mail.text and "Firefox (Linux)" in mail.text
    when = world.clock.now().strftime("%Y-%m-%d %H:%M UTC")
    assert when in mail.text and when in mail.html and "Firefox (Linux)" in mail.html
    assert "Hello alice," in mail.text and "/not-me?token=" in mail.text
    # One event, on the new session, stored as signin.new_device.
    [event] = [e for e in world.audit.events if e.event is Audit.NEW_DEVICE]
    assert event.session_id == body["refresh_token"].partition(".")[0]
    assert event.ip == ELSEWHERE and event.user_agent == FIREFOX
    assert [e.type for e in security_events_of(event, at=world.clock.now())] == [
        "signin.new_device"
    ]
    # Its link ends every session, this new device's too, and mails a reset.
    assert press(world, world.token("alice@example.com", "/not-me"))[0] == 200
    me = world.client.get("/user", headers=bearer(body["access_token"]))
    assert me.status_code == 401
    world.deliver()
    assert resets(world) == 1


def test_a_device_token_of_the_account_makes_it_a_known_device(world: World) -> None:
    verified(world)
    phone = device(world)
    token = api_login(phone)["device_token"]
    world.deliver()
    assert len(new_devices(world)) == 1
    # Its cookie (the client keeps it) and its header each make the next sign-in known ...
    api_login(phone)
    api_login(device(world, ip="198.51.100.7"), **{"Device-Token": token})
    world.deliver()
    assert len(new_devices(world)) == 1 and len(recorded(world)) == 1
    # ... but not another account's token, nor a forged one.
    register(world.client, "bob")
    bobs = device(world, ip="192.0.2.1").post(
        "/login", json={"username": "bob", "password": PASSWORD}
    )
    for presented in (bobs.get_json()["device_token"], token[:-2] + "xx"):
        api_login(device(world, ip="192.0.2.2"), **{"Device-Token": presented})
    assert len(recorded(world)) == 3


def test_one_mail_per_device_a_day(world: World) -> None:
    verified(world)
    for _ in range(3):
        api_login(device(world))  # no cookie kept: a client that never sends its token
    world.deliver()
    assert len(new_devices(world)) == 1 and len(recorded(world)) == 3
    api_login(device(world, agent="curl/8.5.0"))  # another device (its user agent)
    world.deliver()
    assert len(new_devices(world)) == 2
    world.clock.advance(hours=24)
    api_login(device(world))
    world.deliver()
    assert len(new_devices(world)) == 3


def test_thirty_parallel_sign_ins_of_one_new_device_send_one_mail(world: World) -> None:
    verified(world)
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda _: api_login(device(world)), range(30)))
    world.deliver()
    assert len(new_devices(world)) == 1 and len(recorded(world)) == 30


def test_the_mail_is_in_the_accounts_language(world: World) -> None:
    access = verified(world)
    world.client.patch("/user", headers=bearer(access), json={"locale": "es"})
    api_login(device(world))
    world.deliver()
    [mail] = [m for m in world.mailer.to("alice@example.com") if "nuevo" in m.subject.lower()]
    assert (
        "Hola" in mail.text
        and "Navegador (según se identificó):" in mail.text
        and "/not-me?token=" in mail.text
    )


def test_no_mail_to_an_unverified_address_but_the_event_is_recorded(world: World) -> None:
    register(world.client, "alice")
    login(world.client)  # the first sign-in
    api_login(device(world))
    world.deliver()
    assert new_devices(world) == [] and len(recorded(world)) == 1
    assert [m.subject for m in world.mailer.to("alice@example.com")] == [
        "Confirm your e-mail address for firegate"
    ]


def test_the_user_agent_never_reaches_the_mail(world: World) -> None:
    verified(world)
    api_login(device(world, agent="Evil <a href=https://evil.example>click</a> Chrome/1"))
    world.deliver()
    [mail] = new_devices(world)
    for part in (mail.subject, mail.text, mail.html):
        assert "evil" not in part.lower()
    assert "Chrome" in mail.text


def test_the_second_step_of_a_two_step_login_is_the_sign_in_that_counts(world: World) -> None:
    import pyotp

    access = verified(world)
    started = world.client.post(
        "/auth/mfa/totp", json={"password": PASSWORD}, headers=bearer(access)
    )
    secret = started.get_json()["secret"]
    code = pyotp.TOTP(secret).at(world.clock.now())
    confirmed = world.client.post(
        "/auth/mfa/totp/confirm", json={"code": code}, headers=bearer(access)
    )
    assert confirmed.status_code == 200

    def two_steps(client: FlaskClient, **headers: str) -> dict[str, Any]:
        first = client.post(
            "/login", json={"username": "alice", "password": PASSWORD}, headers=headers
        )
        assert first.get_json()["code"] == "mfa_required"
        assert recorded(world) == before  # nothing yet: the password alone signs nobody in
        world.clock.advance(seconds=30)
        second = client.post(
            "/login/mfa",
            json={
                "mfa_token": first.get_json()["mfa_token"],
                "code": pyotp.TOTP(secret).at(world.clock.now()),
            },
        )
        assert second.status_code == 200, second.get_json()
        body: dict[str, Any] = second.get_json()
        return body

    before = recorded(world)
    token = two_steps(device(world))["device_token"]
    assert len(recorded(world)) == len(before) + 1
    before = recorded(world)
    two_steps(device(world, ip="198.51.100.7"), **{"Device-Token": token})
    assert recorded(world) == before


def test_a_passkey_sign_in_takes_and_hands_out_device_tokens(world: World) -> None:
    access = verified(world)
    key = SoftPasskey()
    enrol(world.client, access, key, name="laptop")
    laptop = device(world)
    first = laptop.post(SIGN_IN, json=assertion(laptop, key))
    assert first.status_code == 200 and first.get_json()["device_token"]
    assert len(recorded(world)) == 1
    again = device(world, ip="198.51.100.7")
    headers = {"Device-Token": first.get_json()["device_token"]}
    assert again.post(SIGN_IN, json=assertion(again, key), headers=headers).status_code == 200
    assert laptop.post(SIGN_IN, json=assertion(laptop, key)).status_code == 200  # its cookie
    assert len(recorded(world)) == 1


def test_browser_names_come_from_a_fixed_list() -> None:
    assert browser_of(FIREFOX) == "Firefox (Linux)"
    chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/120.0 Safari/537.36"
    assert browser_of(chrome) == "Chrome (Linux)"
    edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0 Safari/537.36 Edg/120.0"
    assert browser_of(edge) == "Edge (Windows)"
    iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Version/17.0 Safari/604.1"
    assert browser_of(iphone) == "Safari (iPhone)"  # as people name it
    chrome_ios = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) CriOS/120.0 Safari/604.1"
    assert browser_and_system(chrome_ios) == ("Chrome", "iPhone")
    assert browser_of("") == browser_of(None) == browser_of("<script>") == ""
    assert browser_of("x" * 10_000 + "Firefox/1") == ""  # read no further than 512 characters


def test_a_device_key_names_account_address_and_user_agent() -> None:
    key = device_key("u1", "203.0.113.9", FIREFOX)
    assert len(key) == 64 and key == device_key("u1", "203.0.113.9", FIREFOX)
    others = {device_key("u2", "203.0.113.9", FIREFOX), device_key("u1", "203.0.113.8", FIREFOX)}
    assert key not in others and device_key("u1", None, None) == device_key("u1", "", "")


def test_a_claim_is_once_a_day_and_again_for_its_own_job() -> None:
    from datetime import UTC, datetime, timedelta

    mails, now = FakeNewDeviceMails(), datetime(2026, 5, 1, tzinfo=UTC)
    assert mails.claim("k", "u1", "job-1", now)
    assert mails.claim("k", "u1", "job-1", now)  # the same job, retried
    assert not mails.claim("k", "u1", "job-2", now + timedelta(hours=23))
    assert mails.claim("k", "u1", "job-3", now + timedelta(hours=24))


class Counting:
    """A port that counts the calls of each method (each a round trip in the adapters)."""

    def __init__(self, inner: object) -> None:
        self.inner, self.calls = inner, Counter[str]()

    def __getattr__(self, name: str) -> Any:
        found = getattr(self.inner, name)
        if not callable(found):
            return found

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return found(*args, **kwargs)

        return counted


def test_what_a_sign_in_writes_for_a_known_a_new_and_a_first_device() -> None:
    """A known device: nothing more than before (one event, in the session's commit); a new
    one: one more event in that commit, and in the mail job one claim; the first sign-in:
    one update of the account. No event is a write of its own."""
    store, queue = InMemoryStore(), FakeJobQueue()
    settings = make_settings()
    base = fake_adapters(settings, store)
    users, events = (
        Counting(base.of(AccountsAdapters).users),
        Counting(base.of(EventsAdapters).security_events),
    )
    claims = Counting(base.of(MailAdapters).new_device_mails)
    adapters = swap(
        base,
        users=cast(Any, users),
        security_events=cast(Any, events),
        new_device_mails=cast(Any, claims),
        job_queue=queue.attach,
    )
    app = build_app(settings, adapters)
    register(app.test_client(), "alice")

    def counted_login(**headers: str) -> tuple[dict[str, Any], dict[str, int]]:
        for port in (users, events, claims):
            port.calls.clear()
        queue.jobs.clear()
        before = len(store.security_events)
        body = api_login(app.test_client(), **headers)  # a client without cookies
        return body, {
            "user updates": users.calls["update"],
            "events with the session": len(store.security_events) - before,
            "event writes of their own": events.calls["add"],
            "jobs": len(queue.jobs),
        }

    first, costs = counted_login()
    assert costs == {
        "user updates": 1,
        "events with the session": 1,
        "event writes of their own": 0,
        "jobs": 0,
    }
    _, costs = counted_login(**{"Device-Token": first["device_token"]})
    assert costs == {
        "user updates": 0,
        "events with the session": 1,
        "event writes of their own": 0,
        "jobs": 0,
    }
    _, costs = counted_login()
    assert costs == {
        "user updates": 0,
        "events with the session": 2,
        "event writes of their own": 0,
        "jobs": 1,
    }
    assert claims.calls["claim"] == 0  # none in the request: the mail job claims


def test_a_first_sign_in_that_cannot_be_marked_still_signs_in() -> None:
    """Firestore refusing the mark costs no sign-in: the next one is taken as the first."""
    store = InMemoryStore()
    settings = make_settings()
    base = fake_adapters(settings, store)

    class Refusing(FakeUserRepository):
        def update(self, user_id: str, change: Any, *, keep_session: str | None = None) -> Any:
            raise Unavailable("Firestore went away", retry_after=1)

    app = build_app(settings, swap(base, users=Refusing(store)))
    register(app.test_client(), "alice")
    for _ in range(2):
        assert api_login(app.test_client())["access_token"]
    assert not next(iter(store.users.values())).has_signed_in
