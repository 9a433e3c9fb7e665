"""The SSF transmitter's SETs (docs/reference/ssf.md, "Events", "Delivery"): made of the
stored events of the accounts a stream follows, signed by the provider's keys, pushed in
order (RFC 8935) or polled (RFC 8936), through the app on the fakes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from application.events.security_events import EVENT_TYPES
from application.jobs import RetryJob
from application.ports import Job
from application.shared_signals.transmitter.outbox import PUSH_SETS
from application.shared_signals.transmitter.ports import PushAnswer
from domain.events.security_events import SecurityEvent
from domain.shared_signals.event_types import (
    ACCOUNT_DISABLED,
    ACCOUNT_PURGED,
    ASSURANCE_LEVEL_CHANGE,
    CREDENTIAL_CHANGE,
    CREDENTIAL_COMPROMISE,
    SESSION_REVOKED,
    VERIFICATION,
)
from domain.shared_signals.transmitter.events import SUPPORTED, set_events
from tests.support.api import assert_problem
from tests.support.pages import PASSWORD
from tests.unit.shared_signals.fakes import RECEIVER, TransmitterWorld

pytestmark = pytest.mark.unit

PUSH, POLL = "urn:ietf:rfc:8935", "urn:ietf:rfc:8936"
AT = datetime(2026, 11, 30, 12, tzinfo=UTC)


def event(kind: str, **fields: Any) -> SecurityEvent:
    return SecurityEvent(id="e1", at=AT, type=kind, user_id="u1", **fields)


@pytest.mark.parametrize(
    ("kind", "made"),
    [
        ("session.ended", {SESSION_REVOKED: {}}),
        ("password.changed", {CREDENTIAL_CHANGE: {"credential_type": "password"}}),
        ("password.reset", {CREDENTIAL_CHANGE: {"change_type": "update"}}),
        ("passkey.added", {CREDENTIAL_CHANGE: {"credential_type": "fido2-platform"}}),
        ("passkey.removed", {CREDENTIAL_CHANGE: {"change_type": "delete"}}),
        (
            "mfa.enabled",
            {
                CREDENTIAL_CHANGE: {"credential_type": "app", "change_type": "create"},
                ASSURANCE_LEVEL_CHANGE: {
                    "namespace": "NIST-AAL",
                    "current_level": "nist-aal2",
                    "previous_level": "nist-aal1",
                    "change_direction": "increase",
                },
            },
        ),
        (
            "mfa.disabled",
            {
                CREDENTIAL_CHANGE: {"change_type": "delete"},
                ASSURANCE_LEVEL_CHANGE: {
                    "current_level": "nist-aal1",
                    "change_direction": "decrease",
                },
            },
        ),
        ("user.disabled", {ACCOUNT_DISABLED: {}}),
        ("user.deleted", {ACCOUNT_PURGED: {}}),
        ("password.breached", {CREDENTIAL_COMPROMISE: {"credential_type": "password"}}),
    ],
)
def test_each_event_is_the_caep_or_risc_event_it_means(
    kind: str, made: dict[str, dict[str, str]]
) -> None:
    found = set_events(event(kind))
    assert set(found) == set(made)
    for uri, fields in made.items():
        assert found[uri]["event_timestamp"] == int(AT.timestamp())
        assert fields.items() <= found[uri].items()


@pytest.mark.parametrize("kind", ["signin.succeeded", "signin.failed", "email.changed", "x"])
def test_other_events_and_failures_make_no_set(kind: str) -> None:
    assert set_events(event(kind)) == {}
    assert set_events(event("session.ended", outcome="failure")) == {}


def test_who_made_it_happen_is_said() -> None:
    mine = set_events(event("password.changed"))[CREDENTIAL_CHANGE]
    assert mine["initiating_entity"] == "user"
    admins = set_events(event("session.ended", actor_id="admin"))[SESSION_REVOKED]
    assert admins["initiating_entity"] == "admin"


@pytest.fixture
def world() -> TransmitterWorld:
    return TransmitterWorld()


def push_stream(world: TransmitterWorld, events: list[str] | None = None) -> str:
    stream_id: str = world.create(
        delivery={"method": PUSH, "endpoint_url": RECEIVER, "authorization_header": "Bearer s3"},
        events_requested=list(SUPPORTED) if events is None else events,
    )["stream_id"]
    return stream_id


def sign_out_everywhere(world: TransmitterWorld, headers: dict[str, str]) -> None:
    answer = world.client.post("/auth/logout?all=true", headers=headers)
    assert answer.status_code == 204


def test_a_followed_accounts_session_end_is_pushed_signed(world: TransmitterWorld) -> None:
    stream_id = push_stream(world)
    user_id, headers = world.alice()
    world.follow(stream_id, user_id)
    world.deliver()
    assert world.pusher.sent == []  # a sign-in is no SET
    sign_out_everywhere(world, headers)
    world.deliver()
    [(url, body, sent_headers)] = world.pusher.sent
    assert url == RECEIVER
    assert sent_headers["Content-Type"] == "application/secevent+jwt"
    assert sent_headers["Authorization"] == "Bearer s3"
    kept = world.store_of.streams[world.rp["client_id"]].delivery.authorization_header
    assert kept is not None and "s3" not in kept  # sealed at rest
    claims = world.verified(body)
    assert claims["iss"] == "http://127.0.0.1:8000" and claims["aud"] == world.rp["client_id"]
    assert claims["sub_id"] == {"format": "opaque", "id": user_id}
    assert list(claims["events"]) == [SESSION_REVOKED]
    assert claims["events"][SESSION_REVOKED]["initiating_entity"] == "user"
    stored = [e for e in world.store.security_events.values() if e.type == "session.ended"]
    assert claims["txn"] == stored[0].id and isinstance(claims["iat"], int) and claims["jti"]
    assert world.store.event_outbox == {}  # delivered: removed


def test_an_account_no_stream_follows_is_sent_nothing(world: TransmitterWorld) -> None:
    stream_id = push_stream(world)
    _, headers = world.alice()
    world.follow(stream_id, "someone-else")
    sign_out_everywhere(world, headers)
    world.deliver()
    assert world.pusher.sent == [] and world.store.event_outbox == {}


def test_an_event_the_stream_did_not_ask_for_is_not_sent(world: TransmitterWorld) -> None:
    stream_id = push_stream(world, [ACCOUNT_PURGED])
    user_id, headers = world.alice()
    world.follow(stream_id, user_id)
    sign_out_everywhere(world, headers)
    world.deliver()
    assert world.pusher.sent == [] and world.store.event_outbox == {}


def test_a_subject_named_by_its_iss_sub_is_named_so_in_its_sets(world: TransmitterWorld) -> None:
    stream_id = push_stream(world)
    user_id, headers = world.alice()
    subject = {"format": "iss_sub", "iss": "http://127.0.0.1:8000", "sub": user_id}
    body = {"stream_id": stream_id, "subject": subject}
    assert world.call("POST", "/ssf/streams/subjects:add", json=body).status_code == 200
    sign_out_everywhere(world, headers)
    world.deliver()
    assert world.verified(world.pusher.sent[0][1])["sub_id"] == subject


def set_status(world: TransmitterWorld, stream_id: str, status: str) -> None:
    body = {"stream_id": stream_id, "status": status}
    assert world.call("POST", "/ssf/streams/status", json=body).status_code == 200


def test_a_paused_stream_keeps_its_sets_until_enabled(world: TransmitterWorld) -> None:
    stream_id = push_stream(world)
    user_id, headers = world.alice()
    world.follow(stream_id, user_id)
    set_status(world, stream_id, "paused")
    sign_out_everywhere(world, headers)
    world.deliver()
    assert world.pusher.sent == [] and len(world.store.event_outbox) == 1
    set_status(world, stream_id, "enabled")
    world.deliver()
    assert len(world.pusher.sent) == 1 and world.store.event_outbox == {}


def test_a_disabled_stream_is_sent_nothing_and_keeps_nothing(world: TransmitterWorld) -> None:
    stream_id = push_stream(world)
    user_id, headers = world.alice()
    world.follow(stream_id, user_id)
    set_status(world, stream_id, "paused")
    sign_out_everywhere(world, headers)
    set_status(world, stream_id, "disabled")
    assert world.store.event_outbox == {}
    _, headers = world.alice()
    sign_out_everywhere(world, headers)
    world.deliver()
    assert world.pusher.sent == [] and world.store.event_outbox == {}


def test_a_refused_set_is_dropped_and_a_failed_one_retried_in_order(
    world: TransmitterWorld,
) -> None:
    stream_id = push_stream(world)
    user_id, headers = world.alice()
    world.follow(stream_id, user_id)
    refused = PushAnswer(400, b'{"err": "invalid_key", "description": "no such key"}')
    world.pusher.answers = [refused, PushAnswer(503, b""), PushAnswer(400, b"not json")]
    sign_out_everywhere(world, headers)  # refused: dropped
    _, headers = world.alice()
    sign_out_everywhere(world, headers)  # 503, then 400 with no err: kept, retried
    with pytest.raises(RetryJob):
        world.deliver()
    assert len(world.store.event_outbox) == 1
    retried = Job(PUSH_SETS, stream_id)  # the queue runs the job again, after a backoff
    world.queue.enqueue(retried)
    with pytest.raises(RetryJob):
        world.deliver()
    world.queue.enqueue(retried)
    world.deliver()
    jtis = [world.verified(body)["jti"] for _, body, _ in world.pusher.sent]
    assert len(jtis) == 4 and jtis[1] == jtis[2] == jtis[3] != jtis[0]
    assert world.store.event_outbox == {}


def test_a_failed_push_on_its_last_attempt_keeps_the_set(world: TransmitterWorld) -> None:
    stream_id = push_stream(world)
    user_id, headers = world.alice()
    world.follow(stream_id, user_id)
    world.pusher.answers = [PushAnswer(500, b"")]
    sign_out_everywhere(world, headers)
    world.deliver(final=True)
    assert len(world.store.event_outbox) == 1
    world.clock.advance(seconds=1)
    world.call("POST", "/ssf/streams/verify", json={"stream_id": stream_id})
    world.deliver()
    assert [list(world.verified(body)["events"]) for _, body, _ in world.pusher.sent[1:]] == [
        [SESSION_REVOKED],
        [VERIFICATION],
    ]


def test_a_verification_set_carries_the_receivers_state(world: TransmitterWorld) -> None:
    stream_id = push_stream(world)
    answer = world.call("POST", "/ssf/streams/verify", json={"stream_id": stream_id, "state": "s1"})
    assert answer.status_code == 204
    world.deliver()
    claims = world.verified(world.pusher.sent[0][1])
    assert claims["events"] == {VERIFICATION: {"state": "s1"}}
    assert claims["sub_id"] == {"format": "opaque", "id": stream_id}
    bad = world.call("POST", "/ssf/streams/verify", json={"stream_id": stream_id, "state": 1})
    assert_problem(bad, 400, "invalid_stream_request")


def test_verifications_are_limited_per_address() -> None:
    """Each verification signs a SET and pushes it at once: an address has
    ``RATE_LIMIT_SSF_VERIFY`` of them, another address its own."""
    world = TransmitterWorld(rate_limit_ssf_verify="2/minute")
    body = {"stream_id": push_stream(world)}
    for _ in range(2):
        assert world.call("POST", "/ssf/streams/verify", json=body).status_code == 204
    refused = world.call("POST", "/ssf/streams/verify", json=body)
    assert_problem(refused, 429, "rate_limited")
    assert 1 <= int(refused.headers["Retry-After"]) <= 120
    other = {"REMOTE_ADDR": "198.51.100.7"}
    answer = world.call("POST", "/ssf/streams/verify", json=body, environ_base=other)
    assert answer.status_code == 204


def poll(world: TransmitterWorld, stream_id: str, **body: Any) -> dict[str, Any]:
    answer = world.call("POST", f"/ssf/poll/{stream_id}", json=body)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    found: dict[str, Any] = answer.get_json()
    return found


def test_a_poll_stream_takes_its_sets_and_acknowledges_them(world: TransmitterWorld) -> None:
    stream_id = world.create(delivery={"method": POLL}, events_requested=list(SUPPORTED))[
        "stream_id"
    ]
    user_id, headers = world.alice()
    world.follow(stream_id, user_id)
    sign_out_everywhere(world, headers)
    world.clock.advance(seconds=1)  # the verification after the session's end
    world.call("POST", "/ssf/streams/verify", json={"stream_id": stream_id, "state": "v"})
    world.deliver()
    assert world.pusher.sent == []
    first = poll(world, stream_id, maxEvents=1, returnImmediately=True)
    assert first["moreAvailable"] is True
    [(jti, token)] = first["sets"].items()
    assert world.verified(token)["jti"] == jti
    assert list(world.verified(token)["events"]) == [SESSION_REVOKED]
    assert poll(world, stream_id, maxEvents=1)["sets"] == first["sets"]  # not acknowledged
    second = poll(world, stream_id, ack=[jti, "unknown"])
    assert second["moreAvailable"] is False
    [(verification, token)] = second["sets"].items()
    assert list(world.verified(token)["events"]) == [VERIFICATION]
    errs = {verification: {"err": "invalid_request", "description": "?"}}
    assert poll(world, stream_id, setErrs=errs, maxEvents=0) == {
        "sets": {},
        "moreAvailable": False,
    }
    assert world.store.event_outbox == {}


@pytest.mark.parametrize(
    "body",
    [{"ack": "x"}, {"ack": [1]}, {"maxEvents": -1}, {"maxEvents": True}, {"setErrs": []}],
)
def test_a_poll_ssf_does_not_allow_is_a_400(world: TransmitterWorld, body: dict[str, Any]) -> None:
    stream_id = world.create(delivery={"method": POLL})["stream_id"]
    answer = world.call("POST", f"/ssf/poll/{stream_id}", json=body)
    assert_problem(answer, 400, "invalid_stream_request")


def test_a_push_stream_and_another_clients_are_not_polled(world: TransmitterWorld) -> None:
    stream_id = push_stream(world)
    answer = world.call("POST", f"/ssf/poll/{stream_id}", json={})
    assert_problem(answer, 400, "invalid_stream_request")
    other = world.register("--confidential", "--ssf", name="Another receiver")
    theirs = world.client.post(
        f"/ssf/poll/{stream_id}", json={}, headers=world.client_headers(other)
    )
    assert_problem(theirs, 404, "stream_not_found")


def test_the_command_line_says_a_client_is_a_receiver(world: TransmitterWorld) -> None:
    assert world.rp["ssf"] is True
    assert "ssf" not in world.register("--confidential", name="Plain")
    help_text = world.app.test_cli_runner().invoke(args=["clients", "create", "--help"]).output
    assert "--ssf" in help_text


def test_a_deleted_clients_stream_is_deleted_with_its_sets(world: TransmitterWorld) -> None:
    stream_id = push_stream(world)
    user_id, headers = world.alice()
    world.follow(stream_id, user_id)
    deleted = world.app.test_cli_runner().invoke(args=["clients", "delete", world.rp["client_id"]])
    assert deleted.exit_code == 0, deleted.output
    sign_out_everywhere(world, headers)
    world.deliver()
    assert world.pusher.sent == [] and world.store.event_outbox == {}
    assert world.store_of.streams == {} and world.store_of.subjects == {}


def test_every_event_the_transmitter_reads_is_a_stored_one() -> None:
    kinds = {"session.ended", "password.changed", "password.reset", "passkey.added"}
    kinds |= {"passkey.removed", "mfa.enabled", "mfa.disabled", "user.disabled"}
    kinds |= {"user.deleted", "password.breached"}
    assert kinds <= set(EVENT_TYPES)
    assert all(set_events(event(kind)) for kind in kinds)
    assert not [kind for kind in EVENT_TYPES if kind not in kinds and set_events(event(kind))]


def test_a_password_change_and_a_deletion_are_sent(world: TransmitterWorld) -> None:
    stream_id = push_stream(world)
    user_id, headers = world.alice()
    world.follow(stream_id, user_id)
    change = {"current_password": PASSWORD, "new_password": "another fine passphrase 9"}
    assert world.client.put("/user/password", json=change, headers=headers).status_code == 204
    world.clock.advance(seconds=1)  # the app's clock stands still: the deletion after
    assert world.client.delete("/user", headers=headers).status_code == 204
    world.deliver()
    sent = [world.verified(body) for _, body, _ in world.pusher.sent]
    assert [list(claims["events"]) for claims in sent] == [[CREDENTIAL_CHANGE], [ACCOUNT_PURGED]]
    assert sent[0]["events"][CREDENTIAL_CHANGE]["credential_type"] == "password"
    assert world.store_of.subjects == {}  # the deleted account is followed no more


def test_a_stream_another_job_pushes_is_left_to_it(world: TransmitterWorld) -> None:
    stream_id = push_stream(world)
    user_id, headers = world.alice()
    world.follow(stream_id, user_id)
    stream = world.store_of.get(stream_id)
    assert stream is not None
    now = world.clock.now()
    assert world.store_of.take_push(stream, "another job", now, now + timedelta(minutes=5))
    sign_out_everywhere(world, headers)
    world.deliver()
    assert world.pusher.sent == [] and len(world.store.event_outbox) == 1
    world.clock.advance(minutes=6)  # the other job died: its hold lapses
    world.queue.enqueue(Job(PUSH_SETS, stream_id))
    world.deliver()
    assert len(world.pusher.sent) == 1 and world.store_of.pushes == {}


def test_a_deleted_clients_poll_stream_gets_no_set_and_goes(world: TransmitterWorld) -> None:
    """A poll stream is never pushed, and its client's token is refused: the first event of
    an account it followed finds its client gone, makes no SET, and its job deletes it."""
    stream_id = world.create(delivery={"method": POLL})["stream_id"]
    user_id, headers = world.alice()
    world.follow(stream_id, user_id)
    deleted = world.app.test_cli_runner().invoke(args=["clients", "delete", world.rp["client_id"]])
    assert deleted.exit_code == 0, deleted.output
    sign_out_everywhere(world, headers)
    assert world.store.event_outbox == {}  # no SET made for it, even before its job ran
    world.deliver()
    assert world.store_of.streams == {} and world.store_of.subjects == {}
