"""Security events on in-memory fakes: what the audit port stores, reading them back over
HTTP (pages, filter, 403/404/422), and a store that fails never failing the request."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from flask import Flask
from flask.testing import FlaskClient

from application.events.security_events import (
    EventHistory,
    EventQuery,
    StoringAuditLog,
    WithRequestOrigin,
    security_events_of,
)
from application.ports import Audit, AuditEvent, StagedWrites
from application.signin.authentication import Actor
from bootstrap import Adapters, build_app
from bootstrap.signin_adapters import SigninAdapters
from domain.errors import InvalidInput, Unavailable
from domain.events.outbox import OutboxEntry
from domain.events.security_events import KEPT_FOR, SecurityEvent, activity_of
from domain.events.webhooks import Delivery
from domain.ids import new_id
from infrastructure.settings import Settings
from tests.fakes.accounts import FakeUserRepository
from tests.fakes.events import FakeSecurityEvents, RecordingAuditLog
from tests.fakes.kernel import FakeClock, InMemoryStore
from tests.fakes.signin import FakeSessionRepository
from tests.support.api import (
    PASSWORD,
    admin_token,
    assert_field_error,
    assert_problem,
    bearer,
    login,
    register,
)
from tests.support.app import swap

pytestmark = pytest.mark.unit
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


class FailingSecurityEvents(FakeSecurityEvents):
    """Firestore down: every write raises what the adapter raises for an outage."""

    def add(
        self,
        event: SecurityEvent,
        deliveries: Sequence[Delivery] = (),
        entries: Sequence[OutboxEntry] = (),
    ) -> None:
        raise Unavailable("down")


@pytest.mark.parametrize(
    ("audit", "types"),
    [
        (AuditEvent(Audit.USER_CREATED, user_id="u"), ["user.created"]),
        (AuditEvent(Audit.LOGIN, user_id="u"), ["signin.succeeded"]),
        (AuditEvent(Audit.LOGIN, "failure", user_id="u"), ["signin.failed"]),
        (AuditEvent(Audit.PASSKEY_SIGN_IN, user_id="u"), ["signin.succeeded"]),
        (AuditEvent(Audit.MFA_CODE, "failure", user_id="u"), ["signin.failed"]),
        (AuditEvent(Audit.MFA_CODE, user_id="u"), []),  # the sign-in that follows is the event
        (AuditEvent(Audit.MFA_CHALLENGE, user_id="u"), []),
        (AuditEvent(Audit.PASSWORD_CHANGE, user_id="u"), ["password.changed"]),
        (AuditEvent(Audit.PASSWORD_RESET, user_id="u"), ["password.reset"]),
        (AuditEvent(Audit.EMAIL_CHANGE, user_id="u"), ["email.changed"]),
        (AuditEvent(Audit.EMAIL_VERIFIED, user_id="u"), ["email.verified"]),
        (AuditEvent(Audit.PHONE_CHANGE, user_id="u"), ["phone.changed"]),
        (AuditEvent(Audit.PHONE_REMOVED, user_id="u"), ["phone.removed"]),
        (AuditEvent(Audit.MFA_ENABLED, user_id="u"), ["mfa.enabled"]),
        (AuditEvent(Audit.MFA_ENABLED, "failure", user_id="u"), []),
        (AuditEvent(Audit.MFA_DISABLED, user_id="u"), ["mfa.disabled"]),
        (AuditEvent(Audit.PASSKEY_REGISTERED, user_id="u"), ["passkey.added"]),
        (AuditEvent(Audit.PASSKEY_DELETED, user_id="u"), ["passkey.removed"]),
        (AuditEvent(Audit.LOGOUT, user_id="u"), ["session.ended"]),
        (AuditEvent(Audit.ACCOUNT_DELETION, user_id="u"), ["user.deleted"]),
        (AuditEvent(Audit.MAIL, user_id="u"), []),
        (AuditEvent(Audit.LOGIN, "failure"), []),  # about no account
        (
            AuditEvent(
                Audit.ROLE_CHANGE,
                user_id="u",
                changes=(("role", "user", "admin"), ("disabled", "False", "True")),
            ),
            ["user.role_changed", "user.disabled"],
        ),
        (
            AuditEvent(Audit.ROLE_CHANGE, user_id="u", changes=(("disabled", "True", "False"),)),
            ["user.enabled"],
        ),
    ],
)
def test_audit_events_map_to_the_stored_types(audit: AuditEvent, types: list[str]) -> None:
    assert [e.type for e in security_events_of(audit, at=NOW)] == types


def test_a_stored_event_keeps_what_the_audit_event_says() -> None:
    audit = AuditEvent(
        Audit.LOGIN,
        "failure",
        user_id="u1",
        ip="192.0.2.7",
        actor_id="admin1",
        reason="wrong_password",
        user_agent="Firefox",
    )
    (event,) = security_events_of(audit, at=NOW)
    assert (event.type, event.user_id, event.outcome, event.at) == (
        "signin.failed",
        "u1",
        "failure",
        NOW,
    )
    assert (event.ip, event.user_agent, event.actor_id, event.reason) == (
        "192.0.2.7",
        "Firefox",
        "admin1",
        "wrong_password",
    )
    assert event.expires_at == NOW + timedelta(days=90) == NOW + KEPT_FOR


def test_the_storing_log_logs_and_stores() -> None:
    inner, events = RecordingAuditLog(), FakeSecurityEvents()
    log = StoringAuditLog(inner, events, FakeClock(NOW))
    log.record(AuditEvent(Audit.LOGIN, user_id="u1"))
    log.record(AuditEvent(Audit.MAIL, user_id="u1"))
    assert [e.event for e in inner.events] == [Audit.LOGIN, Audit.MAIL]
    assert [(e.type, e.at) for e in events.events.values()] == [("signin.succeeded", NOW)]
    assert log.failed_writes == 0


def test_a_failed_write_is_logged_and_counted_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    inner = RecordingAuditLog()
    log = StoringAuditLog(inner, FailingSecurityEvents(), FakeClock(NOW))
    with caplog.at_level(logging.WARNING, logger="firegate.events"):
        log.record(AuditEvent(Audit.LOGIN, user_id="u1"))
        log.record(AuditEvent(Audit.PASSWORD_CHANGE, user_id="u1"))
    assert log.failed_writes == 2
    assert [e.event for e in inner.events] == [Audit.LOGIN, Audit.PASSWORD_CHANGE]  # still logged
    warnings = [r for r in caplog.records if r.name == "firegate.events"]
    assert [r.getMessage() for r in warnings] == [
        "security event not stored: signin.succeeded (Unavailable)",
        "security event not stored: password.changed (Unavailable)",
    ]


# -- over HTTP ---------------------------------------------------------------------------


def events(client: FlaskClient, auth: dict[str, str], query: str = "") -> Any:
    response = client.get(f"/auth/events{query}", headers=auth)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def types(page: Any) -> list[str]:
    return [item["type"] for item in page["items"]]


@pytest.fixture
def alice(client: FlaskClient) -> dict[str, str]:
    register(client, "alice")
    bad = client.post(
        "/login",
        json={"username": "alice", "password": "not the password"},
        headers={"User-Agent": "Guesser/1.0"},
    )
    assert bad.status_code == 401
    return bearer(login(client, "alice"))


def test_the_callers_events_newest_first(client: FlaskClient, alice: dict[str, str]) -> None:
    page = events(client, alice)
    assert types(page) == ["signin.succeeded", "signin.failed", "user.created"]
    assert page["next_cursor"] is None
    failed = page["items"][1]
    assert set(failed) == {
        "id",
        "time",
        "type",
        "outcome",
        "ip",
        "user_agent",
        "device_id",
        "actor_id",
        "reason",
        "method",
        "via",
        "subject_id",
        "minutes",
    }
    # A sign-in names its way in; other events none.
    assert (page["items"][0]["method"], failed["method"]) == ("password", None)
    assert (failed["outcome"], failed["reason"], failed["user_agent"]) == (
        "failure",
        "wrong_password",
        "Guesser/1.0",
    )
    assert failed["time"].endswith("Z")
    assert page["items"][0]["time"] > failed["time"] > page["items"][2]["time"]


def test_pages_walk_every_event_once(client: FlaskClient, alice: dict[str, str]) -> None:
    for _ in range(2):
        login(client, "alice")
    seen: list[str] = []
    cursor = ""
    while True:
        page = events(client, alice, f"?limit=2{cursor}")
        assert len(page["items"]) <= 2
        seen += [item["id"] for item in page["items"]]
        if page["next_cursor"] is None:
            break
        cursor = f"&cursor={page['next_cursor']}"
    assert seen == [item["id"] for item in events(client, alice, "?limit=100")["items"]]
    assert len(seen) == 5 == len(set(seen))


def test_the_type_filter(client: FlaskClient, alice: dict[str, str]) -> None:
    assert types(events(client, alice, "?type=signin.failed")) == ["signin.failed"]
    assert types(events(client, alice, "?type=mfa.enabled")) == []


@pytest.mark.parametrize(
    ("query", "field"),
    [("?type=signin.nope", "type"), ("?type=", "type"), ("?limit=0", "limit")],
)
def test_bad_queries_are_422(
    client: FlaskClient, alice: dict[str, str], query: str, field: str
) -> None:
    response = client.get(f"/auth/events{query}", headers=alice)
    problem = assert_problem(response, 422, "validation_failed")
    assert [e["field"] for e in problem["errors"]] == [field]


def test_a_cursor_we_did_not_make_is_422(client: FlaskClient, alice: dict[str, str]) -> None:
    response = client.get("/auth/events?cursor=bm90IGEgY3Vyc29y", headers=alice)
    assert_field_error(response, "cursor", "invalid_cursor")


def test_events_need_a_token(client: FlaskClient) -> None:
    response = client.get("/auth/events")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_password_change_is_an_event(client: FlaskClient, alice: dict[str, str]) -> None:
    changed = client.put(
        "/user/password",
        json={"current_password": PASSWORD, "new_password": PASSWORD + "-2"},
        headers=alice,
    )
    assert changed.status_code == 204, changed.get_json()
    assert types(events(client, alice))[0] == "password.changed"


def test_only_admins_read_a_users_events(
    fake_app: Flask, client: FlaskClient, alice: dict[str, str]
) -> None:
    alice_id = client.get("/user", headers=alice).get_json()["id"]
    response = client.get(f"/users/{alice_id}/events", headers=alice)  # even one's own
    assert_problem(response, 403, response.get_json()["code"])
    root = admin_token(fake_app, client)
    disabled = client.patch(f"/users/{alice_id}", json={"disabled": True}, headers=root)
    assert disabled.status_code == 200, disabled.get_json()
    page = client.get(f"/users/{alice_id}/events?limit=2", headers=root).get_json()
    assert types(page) == ["user.disabled", "signin.succeeded"]
    root_id = client.get("/user", headers=root).get_json()["id"]
    assert page["items"][0]["actor_id"] == root_id
    assert page["next_cursor"] is not None
    only = client.get(f"/users/{alice_id}/events?type=user.created", headers=root).get_json()
    assert types(only) == ["user.created"]


def test_every_event_carries_the_address_and_agent_of_its_request(
    fake_app: Flask, client: FlaskClient, alice: dict[str, str]
) -> None:
    # An admin's change names no address in its use case: the request it came in says it.
    alice_id = client.get("/user", headers=alice).get_json()["id"]
    root = admin_token(fake_app, client)
    changed = client.patch(
        f"/users/{alice_id}",
        json={"disabled": True},
        headers={**root, "User-Agent": "Console/2.0"},
        environ_base={"REMOTE_ADDR": "203.0.113.7"},
    )
    assert changed.status_code == 200, changed.get_json()
    page = client.get(f"/users/{alice_id}/events", headers=root).get_json()
    disabled = page["items"][0]
    assert disabled["type"] == "user.disabled"
    assert (disabled["ip"], disabled["user_agent"]) == ("203.0.113.7", "Console/2.0")
    created = page["items"][-1]
    assert created["type"] == "user.created" and created["ip"] == "127.0.0.1"


def test_the_owner_sees_an_admins_change_without_the_admins_address_or_browser(
    fake_app: Flask, client: FlaskClient, alice: dict[str, str]
) -> None:
    alice_id = client.get("/user", headers=alice).get_json()["id"]
    root = admin_token(fake_app, client)
    admin = {"headers": {**root, "User-Agent": "Console/2.0"}}
    admin_request = {**admin, "environ_base": {"REMOTE_ADDR": "203.0.113.7"}}
    for disabled in (True, False):
        changed = client.patch(f"/users/{alice_id}", json={"disabled": disabled}, **admin_request)
        assert changed.status_code == 200, changed.get_json()
    alice = bearer(login(client, "alice"))  # disabling ended her sessions
    own = client.get("/auth/events", headers=alice).get_json()["items"]
    by_admin = [e for e in own if e["type"] in {"user.disabled", "user.enabled"}]
    assert [e["type"] for e in by_admin] == ["user.enabled", "user.disabled"]
    for event in by_admin:
        assert (event["ip"], event["user_agent"]) == (None, None)
        assert event["actor_id"] is not None  # "by an administrator"
    assert own[-1]["type"] == "user.created" and own[-1]["ip"] == "127.0.0.1"  # hers: kept
    seen_by_admin = client.get(f"/users/{alice_id}/events", headers=root).get_json()["items"]
    [disabled] = [e for e in seen_by_admin if e["type"] == "user.disabled"]
    assert (disabled["ip"], disabled["user_agent"]) == (
        "203.0.113.7",
        "Console/2.0",
    )


def test_an_address_the_use_case_names_is_kept_and_none_is_made_up() -> None:
    recorded: list[AuditEvent] = []

    class Inner:
        def record(self, event: AuditEvent) -> None:
            recorded.append(event)

        def stage(self, events: Sequence[AuditEvent]) -> StagedWrites:
            recorded.extend(events)
            return StagedWrites(audit=tuple(events))

        def committed(self, staged: StagedWrites) -> None:
            return None

    def origin() -> tuple[str, str]:
        return "198.51.100.1", "Browser/1.0"

    log = WithRequestOrigin(inner=Inner(), origin=origin)
    log.record(AuditEvent(Audit.LOGIN, ip="192.0.2.9", user_agent="Own/1.0"))
    log.stage([AuditEvent(Audit.ROLE_CHANGE)])
    WithRequestOrigin(inner=Inner(), origin=lambda: ("", "")).record(AuditEvent(Audit.LOGOUT))
    assert [(e.ip, e.user_agent) for e in recorded] == [
        ("192.0.2.9", "Own/1.0"),
        ("198.51.100.1", "Browser/1.0"),
        (None, None),  # a background job: no request, no address
    ]


def test_an_unknown_or_deleted_user_is_404_for_an_admin(
    fake_app: Flask, client: FlaskClient, alice: dict[str, str]
) -> None:
    root = admin_token(fake_app, client)
    assert_problem(client.get("/users/no-such-user/events", headers=root), 404, "user_not_found")
    alice_id = client.get("/user", headers=alice).get_json()["id"]
    assert client.delete(f"/users/{alice_id}", headers=root).status_code == 204
    gone = client.get(f"/users/{alice_id}/events", headers=root)
    assert_problem(gone, 404, "user_not_found")


def test_the_use_case_refuses_an_unknown_type_beside_its_field() -> None:
    actor = Actor("u1", "alice", "user", "s1", NOW)
    with pytest.raises(InvalidInput) as refused:
        EventHistory(events=FakeSecurityEvents(), users=FakeUserRepository(InMemoryStore())).list(
            EventQuery(actor, 10, type="signin.nope")
        )
    assert [(e.field, e.code) for e in refused.value.errors] == [("type", "unknown_event_type")]


def test_a_store_that_fails_does_not_fail_a_login(
    adapters: Adapters, app_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    # build_app sets up the JSON log lines on stdout (so caplog's handler goes): read those.
    # Only the events' own writes fail; what is committed with a session is in the same store.
    store = cast(FakeSessionRepository, adapters.of(SigninAdapters).sessions).store
    app = build_app(app_settings, swap(adapters, security_events=FailingSecurityEvents(store)))
    client = app.test_client()
    register(client, "alice")
    wrong = client.post("/login", json={"username": "alice", "password": "not it at all"})
    assert wrong.status_code == 401
    token = login(client, "alice")
    assert client.get("/user", headers=bearer(token)).status_code == 200
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    failures = [line for line in lines if line.get("logger") == "firegate.events"]
    assert [(f["message"], f["failed_writes"]) for f in failures] == [
        ("security event not stored: signin.failed (Unavailable)", 1),
    ]
    # The sign-up's and the sign-in's events are no writes of their own: each is committed
    # with the account or the session it records.
    assert types(events(client, bearer(token))) == ["signin.succeeded", "user.created"]


def test_failed_sign_ins_in_a_row_within_the_window_are_one_line() -> None:
    start = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)

    def at(minutes: int, kind: str = "signin.failed", ip: str = "203.0.113.1") -> SecurityEvent:
        return SecurityEvent(new_id(), start + timedelta(minutes=minutes), kind, "u", ip=ip)

    newest_first = [
        at(200),
        at(190, ip="203.0.113.2"),
        at(150),  # 50 minutes after the run's newest: still in it
        at(130),  # 70 minutes: a run of its own
        at(120, "signin.succeeded"),
        at(110),
    ]
    lines = activity_of(newest_first, timedelta(hours=1))
    assert [(line.event.at, line.count, line.addresses) for line in lines] == [
        (start + timedelta(minutes=200), 3, 2),
        (start + timedelta(minutes=130), 1, 1),
        (start + timedelta(minutes=120), 1, 1),
        (start + timedelta(minutes=110), 1, 1),
    ]
    assert lines[0].since == start + timedelta(minutes=150) and lines[1].since is None
