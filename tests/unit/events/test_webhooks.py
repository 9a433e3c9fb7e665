"""Webhooks on in-memory fakes: the signature as Standard Webhooks' own library checks it, the
retry schedule, the URL rule, the outbox written with its event, delivery and the sweeper."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook

from application.events.webhooks.admin import CreateWebhook, DeliveryQuery, Resend, WebhookRef
from application.events.webhooks.outbox import DELIVER_WEBHOOK, FIRST, payload
from application.ports import Audit, AuditEvent, Job
from domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Unavailable
from domain.events.security_events import SecurityEvent
from domain.events.webhooks import (
    MAX_ATTEMPTS_KEPT,
    Attempt,
    Delivery,
    DeliveryStatus,
    RetryPolicy,
    WebhookEndpoint,
)
from domain.public_urls import check_url, public_address
from domain.standard_webhooks import new_secret, signature, signed_headers
from infrastructure.signin.secret_box import FernetSecretBox
from tests.fakes.events import FakeWebhookEndpoints, FakeWebhookSender
from tests.fakes.kernel import FakeClock, FakeHostResolver
from tests.support.webhooks import ADMIN, BOX, Hooks

pytestmark = pytest.mark.unit
USER = replace(ADMIN, user_id="u9", username="bob", role="user")


# -- the signature ----------------------------------------------------------------------------


def test_a_signature_verifies_with_the_standard_webhooks_library() -> None:
    secret, body = new_secret(), '{"type":"user.created","data":{"user_id":"u1"}}'
    now = datetime.now(UTC)
    headers = signed_headers(secret, "msg_abc", now, body)
    assert headers["webhook-id"] == "msg_abc"
    assert headers["webhook-timestamp"] == str(int(now.timestamp()))
    assert Webhook(secret).verify(body, headers) == json.loads(body)
    with pytest.raises(Exception, match="No matching signature"):
        Webhook(new_secret()).verify(body, headers)
    with pytest.raises(Exception, match="No matching signature"):
        Webhook(secret).verify(body.replace("u1", "u2"), headers)


def test_the_secret_is_whsec_and_32_random_bytes() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
    assert new_secret() != secret


def test_the_signature_matches_the_specifications_example() -> None:
    # The example of the Standard Webhooks specification (its reference test vector).
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = '{"test": 2432232314}'
    expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == expected


# -- the retry schedule -------------------------------------------------------------------------

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def test_retries_back_off_from_5_seconds_to_every_4_hours_for_24_hours() -> None:
    policy = RetryPolicy()
    delays = [policy.delay(n) for n in range(1, 10)]
    assert delays[:7] == [
        timedelta(seconds=5),
        timedelta(seconds=30),
        timedelta(minutes=2),
        timedelta(minutes=10),
        timedelta(minutes=30),
        timedelta(hours=1),
        timedelta(hours=2),
    ]
    assert delays[7:] == [timedelta(hours=4)] * 2
    now, failures = T0, 0
    while True:
        failures += 1
        due = policy.next_attempt(T0, failures, now)
        if due is None:
            break
        now = due
    assert now <= T0 + timedelta(hours=24) < now + policy.delay(failures)
    assert failures == 13  # the first attempt and 12 retries, the last at 23 h 42 min


def test_a_delivery_succeeds_is_rescheduled_or_dies() -> None:
    policy = RetryPolicy(first=timedelta(seconds=1), window=timedelta(seconds=60))
    delivery = Delivery("msg_1", "e1", "user.created", "ev1", "{}", T0, T0, T0)
    failed = delivery.after(Attempt(T0, 500), policy)
    assert failed.status is DeliveryStatus.PENDING
    assert failed.next_attempt_at == T0 + timedelta(seconds=1)
    ok = failed.after(Attempt(T0 + timedelta(seconds=1), 204), policy)
    assert ok.status is DeliveryStatus.SUCCEEDED and len(ok.attempts) == 2
    late = failed.after(Attempt(T0 + timedelta(seconds=59), None, "Timeout"), policy)
    assert late.status is DeliveryStatus.DEAD
    again = late.resent(T0 + timedelta(hours=1))
    assert again.due(T0 + timedelta(hours=1)) and again.failures_since_retry() == 0
    many = delivery
    for n in range(MAX_ATTEMPTS_KEPT + 5):
        many = replace(many.after(Attempt(T0, 500), policy), status=DeliveryStatus.PENDING)
        assert len(many.attempts) == min(n + 1, MAX_ATTEMPTS_KEPT)


# -- the URL rule -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/in",
        "https://203.0.114.5/in",  # not in a documentation or private range
        "https://[2606:4700::1111]:8443/x",
        "https://bücher.example/in",  # an international name
        "https://my_hooks.example.com/in",
    ],
)
def test_public_https_urls_are_accepted_everywhere(url: str) -> None:
    assert check_url(url, local=False) == url
    assert check_url(url, local=True) == url


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/in",
        "https://localhost/in",
        "https://127.0.0.1/in",
        "https://10.0.0.8/in",
        "https://192.168.1.1/",
        "https://169.254.169.254/latest/meta-data",  # cloud metadata
        "https://[::1]/in",
        "https://[::ffff:10.0.0.1]/in",
        "https://0.0.0.0/",
    ],
)
def test_plain_http_and_private_addresses_only_in_the_local_profile(url: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_url(url, local=False)
    assert refused.value.errors[0].field == "url"
    assert check_url(url, local=True) == url


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/",
        "https://",
        "not a url",
        "https://u:p@example.com/",
        "https://a\n/",
        "https://exa mple.com/",  # a host no delivery could ever reach
        "https://exa<mple.com/",
        "https://example..com/",
        "https://-example.com/",
        "https://" + "a" * 64 + ".com/",
    ],
)
def test_unusable_urls_are_refused_everywhere(url: str) -> None:
    for local in (True, False):
        with pytest.raises(InvalidInput):
            check_url(url, local=local)


def test_public_addresses() -> None:
    assert public_address("8.8.8.8") and public_address("2606:4700::1111")
    for address in ("10.1.2.3", "172.16.0.1", "100.64.0.1", "fe80::1%eth0", "fd00::1", "::1"):
        assert not public_address(address)
    assert not public_address("224.0.0.1") and not public_address("example.com")


@pytest.mark.parametrize(
    ("address", "public"),
    [
        # IPv4-mapped
        ("::ffff:8.8.8.8", True),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        # NAT64, the well-known prefix: a gateway connects to the IPv4 address in it
        ("64:ff9b::808:808", True),
        ("64:ff9b::7f00:1", False),  # 127.0.0.1
        ("64:ff9b::a00:1", False),  # 10.0.0.1
        ("64:ff9b::c0a8:101", False),  # 192.168.1.1
        ("64:ff9b::a9fe:a9fe", False),  # 169.254.169.254, cloud metadata
        ("64:ff9b:1::a00:1", False),  # a network's own NAT64 prefix (RFC 8215)
        # 6to4 (deprecated, RFC 7526; not globally reachable in IANA's registry): never,
        # whatever IPv4 address it carries in bits 16 to 48
        ("2002:808:808::1", False),
        ("2002:7f00:1::1", False),  # 127.0.0.1
        ("2002:ac10:1::", False),  # 172.16.0.1
        ("2002:a9fe:a9fe::", False),  # 169.254.169.254
        # IPv4-compatible ::a.b.c.d
        ("::8.8.8.8", True),
        ("::127.0.0.1", False),
        ("::10.0.0.1", False),
        ("::169.254.169.254", False),
        ("::1", False),
        ("::", False),
    ],
)
def test_ipv6_addresses_embedding_an_ipv4_address_are_judged_by_it(
    address: str, public: bool
) -> None:
    assert public_address(address) is public
    url = f"https://[{address}]/in"
    if public:
        assert check_url(url, local=False) == url
    else:
        with pytest.raises(InvalidInput):
            check_url(url, local=False)


# -- the outbox, written with the event ---------------------------------------------------------


def test_an_event_of_a_subscribed_type_is_stored_with_its_delivery_and_queued() -> None:
    hooks = Hooks()
    wanted, _ = hooks.create("https://hooks.example.com/a", "user.created")
    hooks.create("https://hooks.example.com/b", "signin.failed")
    hooks.audit.record(AuditEvent(Audit.USER_CREATED, user_id="u1", ip="192.0.2.1"))
    [event] = hooks.events.events.values()
    [delivery] = hooks.deliveries.deliveries.values()
    assert delivery.endpoint_id == wanted and delivery.event_id == event.id
    assert delivery.id.startswith("msg_") and delivery.status is DeliveryStatus.PENDING
    assert hooks.queue.jobs == [Job(DELIVER_WEBHOOK, FIRST + delivery.id)]
    assert json.loads(delivery.payload) == {
        "type": "user.created",
        "timestamp": event.at.isoformat().replace("+00:00", "Z"),
        "data": {"event_id": event.id, "user_id": "u1", "actor_id": None, "outcome": "success"},
    }


def test_the_payload_carries_no_address_agent_or_reason() -> None:
    event = SecurityEvent(
        "ev1", T0, "signin.failed", "u1", "failure", "192.0.2.1", "Firefox", "d1", None, "x"
    )
    body = payload(event)
    for private in ("192.0.2.1", "Firefox", "d1", '"x"'):
        assert private not in body


def test_a_sign_in_names_its_method_and_an_orgs_connection() -> None:
    sso = SecurityEvent("ev1", T0, "signin.succeeded", "u1", reason="c1", method="sso")
    assert json.loads(payload(sso))["data"] == {
        "event_id": "ev1",
        "user_id": "u1",
        "actor_id": None,
        "outcome": "success",
        "method": "sso",
        "connection_id": "c1",
    }
    upstream = SecurityEvent("ev2", T0, "signin.succeeded", "u1", reason="acme", method="federated")
    data = json.loads(payload(upstream))["data"]
    assert data["method"] == "federated" and "acme" not in json.dumps(data)


def test_an_orgs_change_names_what_made_it() -> None:
    scim = SecurityEvent("ev1", T0, "user.disabled", "u1", reason="scim", org_id="o1", via="scim")
    assert json.loads(payload(scim))["data"] == {
        "event_id": "ev1",
        "user_id": "u1",
        "actor_id": None,
        "outcome": "success",
        "org_id": "o1",
        "via": "scim",
    }
    by_hand = SecurityEvent("ev2", T0, "org.member_removed", "u1", org_id="o1")
    assert "via" not in json.loads(payload(by_hand))["data"]


def test_a_failed_write_stores_neither_and_queues_nothing() -> None:
    hooks = Hooks()
    hooks.create()
    hooks.events.broken = True
    hooks.audit.record(AuditEvent(Audit.USER_CREATED, user_id="u1"))
    assert hooks.audit.failed_writes == 1
    assert hooks.deliveries.deliveries == {} and hooks.queue.jobs == []


class UnreadableEndpoints(FakeWebhookEndpoints):
    def list_all(self) -> list[WebhookEndpoint]:
        raise Unavailable("down")


def test_endpoints_that_cannot_be_read_leave_the_event_stored_without_deliveries() -> None:
    hooks = Hooks(endpoints=UnreadableEndpoints())
    hooks.create()
    hooks.audit.record(AuditEvent(Audit.USER_CREATED, user_id="u1"))
    assert len(hooks.events.events) == 1 and hooks.audit.failed_writes == 0
    assert hooks.deliveries.deliveries == {} and hooks.queue.jobs == []


def test_the_list_of_endpoints_is_read_once_per_ttl_and_again_after_a_change() -> None:
    hooks = Hooks()
    hooks.create()
    for n in range(5):
        hooks.audit.record(AuditEvent(Audit.USER_CREATED, user_id=f"u{n}"))
    assert hooks.endpoints.reads == 1 and len(hooks.deliveries.deliveries) == 5
    hooks.clock.advance(seconds=5)
    hooks.audit.record(AuditEvent(Audit.USER_CREATED, user_id="u5"))
    assert hooks.endpoints.reads == 2
    second, _ = hooks.create("https://hooks.example.com/2")  # drops the copy
    hooks.audit.record(AuditEvent(Audit.USER_CREATED, user_id="u6"))
    assert hooks.endpoints.reads == 3
    assert any(d.endpoint_id == second for d in hooks.deliveries.deliveries.values())


# -- delivery -----------------------------------------------------------------------------------


def test_a_delivery_is_signed_sent_once_and_recorded() -> None:
    hooks = Hooks(204)
    _, secret = hooks.create()
    hooks.audit.record(AuditEvent(Audit.USER_CREATED, user_id="u1"))
    job = hooks.queue.jobs[0]
    [done] = hooks.run_jobs()
    assert done is not None and done.status is DeliveryStatus.SUCCEEDED
    [(url, body, headers)] = hooks.sender.sent
    assert url == "https://hooks.example.com/in" and headers["webhook-id"] == done.id
    assert Webhook(secret).verify(body, headers)["type"] == "user.created"
    hooks.delivery.run(job, False)  # the job, run again
    assert len(hooks.sender.sent) == 1
    stored = hooks.deliveries.get(done.id)
    assert stored is not None and [a.status_code for a in stored.attempts] == [204]


def test_a_failure_is_retried_by_the_sweeper_with_the_same_webhook_id() -> None:
    hooks = Hooks(500, None, 200)
    hooks.create()
    hooks.audit.record(AuditEvent(Audit.USER_CREATED, user_id="u1"))
    [first] = hooks.run_jobs()
    assert first is not None and first.status is DeliveryStatus.PENDING
    assert hooks.sweeper.sweep() == 0
    hooks.clock.advance(seconds=5)
    assert hooks.sweeper.sweep() == 1
    [second] = hooks.run_jobs()
    assert second is not None and second.attempts[-1].error == "ConnectionError"
    hooks.clock.advance(seconds=30)
    hooks.sweeper.sweep()
    [third] = hooks.run_jobs()
    assert third is not None and third.status is DeliveryStatus.SUCCEEDED
    assert {h["webhook-id"] for _, _, h in hooks.sender.sent} == {first.id}
    assert [a.status_code for a in third.attempts] == [500, None, 200]


def test_a_delivery_whose_job_was_lost_goes_out_once_its_reservation_lapses() -> None:
    hooks = Hooks(200)
    hooks.create()
    hooks.audit.record(AuditEvent(Audit.USER_CREATED, user_id="u1"))
    hooks.queue.jobs.clear()  # the process died before the job ran
    assert hooks.sweeper.sweep() == 0
    hooks.clock.advance(seconds=hooks.policy.lease.total_seconds())
    assert hooks.sweeper.sweep() == 1
    [done] = hooks.run_jobs()
    assert done is not None and done.status is DeliveryStatus.SUCCEEDED


def test_a_delivery_claimed_by_another_worker_is_not_sent_again() -> None:
    """After a restart two workers' sweeps queue the same unsent delivery: the one that
    claims it second must not take the claim for the first job's reservation."""
    hooks = Hooks(200)
    hooks.create()
    hooks.audit.record(AuditEvent(Audit.USER_CREATED, user_id="u1"))
    hooks.queue.jobs.clear()  # the process died before the first job ran
    hooks.clock.advance(seconds=hooks.policy.lease.total_seconds())
    assert hooks.sweeper.sweep() == 1
    [delivery_id] = hooks.deliveries.deliveries
    now = hooks.clock.now()
    # Another worker's job claimed it and is sending it now.
    assert hooks.deliveries.claim(delivery_id, now, now + hooks.policy.lease) is not None
    assert hooks.run_jobs() == [None]
    assert hooks.sender.sent == []


def test_a_retry_is_claimed_so_two_jobs_for_it_send_it_once() -> None:
    hooks = Hooks(500, 200)
    hooks.create()
    hooks.audit.record(AuditEvent(Audit.USER_CREATED, user_id="u1"))
    hooks.run_jobs()
    hooks.clock.advance(seconds=5)
    hooks.sweeper.sweep()
    hooks.sweeper.sweep()  # twice queued
    assert len(hooks.queue.jobs) == 2
    first, second = hooks.run_jobs()
    assert first is not None and first.status is DeliveryStatus.SUCCEEDED and second is None
    assert len(hooks.sender.sent) == 2  # the failure, then the one retry


class SlowSender(FakeWebhookSender):
    """Takes the whole deadline to fail; meanwhile the sweeper and another worker's job run
    (``meanwhile``)."""

    def __init__(self, clock: FakeClock, deadline: float) -> None:
        super().__init__(None)
        self.clock, self.deadline = clock, deadline
        self.meanwhile: Callable[[], None] = lambda: None

    def post(self, url: str, body: str, headers: dict[str, str], address: str | None = None) -> int:
        self.clock.advance(seconds=self.deadline - 0.001)
        self.meanwhile()
        return super().post(url, body, headers, address)


@pytest.mark.parametrize("first", [True, False], ids=["first-job", "claimed"])
def test_a_delivery_in_flight_until_its_deadline_is_not_claimed_again(first: bool) -> None:
    hooks = Hooks()
    slow = SlowSender(hooks.clock, hooks.policy.timeout)
    hooks.sender = slow
    hooks.create()
    hooks.audit.record(AuditEvent(Audit.USER_CREATED, user_id="u1"))
    [job] = hooks.queue.jobs
    hooks.queue.jobs.clear()
    lease, deadline = hooks.policy.lease, hooks.policy.deadline
    if first:  # it starts as late as its reservation lets it: the deadline before its end
        hooks.clock.advance(seconds=(lease - deadline).total_seconds() - 0.01)
    else:  # the first job was lost: once the reservation ended, a job claims it
        job = Job(DELIVER_WEBHOOK, job.subject.removeprefix(FIRST))
        hooks.clock.advance(seconds=lease.total_seconds())
    others: list[Delivery | None] = []

    def meanwhile() -> None:  # at the deadline's end, every other worker tries it
        hooks.sweeper.sweep()
        others.extend(hooks.run_jobs())

    slow.meanwhile = meanwhile
    hooks.delivery.run(job, False)
    assert others == [] and len(slow.sent) == 1
    [delivery_id] = hooks.deliveries.deliveries
    stored = hooks.deliveries.get(delivery_id)
    assert stored is not None and len(stored.attempts) == 1


def test_an_attempt_without_its_deadline_left_of_the_claim_is_left_to_the_next() -> None:
    hooks = Hooks(200)
    hooks.create()
    hooks.audit.record(AuditEvent(Audit.USER_CREATED, user_id="u1"))
    # The job starts late: less than the deadline is left of the reservation.
    hooks.clock.advance(seconds=(hooks.policy.lease - hooks.policy.deadline).total_seconds())
    assert hooks.run_jobs() == [None] and hooks.sender.sent == []
    hooks.clock.advance(seconds=hooks.policy.deadline.total_seconds())
    assert hooks.sweeper.sweep() == 1
    [done] = hooks.run_jobs()
    assert done is not None and done.status is DeliveryStatus.SUCCEEDED
    assert len(hooks.sender.sent) == 1


def test_outside_the_local_profile_a_host_resolving_to_a_private_address_is_not_called() -> None:
    hooks = Hooks(200, local=False)
    hooks.resolver.names["hooks.example.com"] = ["93.184.215.14", "10.0.0.7"]
    hooks.create()
    hooks.audit.record(AuditEvent(Audit.USER_CREATED, user_id="u1"))
    [done] = hooks.run_jobs()
    assert done is not None and done.attempts[-1] == Attempt(
        done.attempts[-1].at, None, "not_public_address"
    )
    assert hooks.sender.sent == [] and done.status is DeliveryStatus.PENDING


class RebindingResolver(FakeHostResolver):
    """A host whose DNS answers a public address first, then a private one (DNS rebinding:
    the check sees the first answer, a second lookup at connection time the other)."""

    def __init__(self) -> None:
        super().__init__()
        self.answers = [["93.184.215.14"], ["169.254.169.254"]]

    def addresses(self, host: str) -> list[str]:
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


def test_outside_the_local_profile_the_sender_connects_to_the_checked_address() -> None:
    hooks = Hooks(200, local=False)
    hooks.resolver = RebindingResolver()
    hooks.create()
    hooks.audit.record(AuditEvent(Audit.USER_CREATED, user_id="u1"))
    [done] = hooks.run_jobs()
    assert done is not None and done.status is DeliveryStatus.SUCCEEDED
    assert hooks.sender.addresses == ["93.184.215.14"]  # never the address DNS gave next


def test_in_the_local_profile_the_sender_resolves_the_host_itself() -> None:
    hooks = Hooks(200)
    hooks.create("http://127.0.0.1:9/hook")
    hooks.audit.record(AuditEvent(Audit.USER_CREATED, user_id="u1"))
    hooks.run_jobs()
    assert hooks.sender.addresses == [None]


def test_a_secret_that_cannot_be_opened_is_a_recorded_failure_not_a_stuck_delivery() -> None:
    hooks = Hooks(200)
    endpoint_id, _ = hooks.create()
    other_key = FernetSecretBox("b3RoZXIta2V5LW90aGVyLWtleS1vdGhlci1rZXktb3Q=")
    stored = hooks.endpoints.get(endpoint_id)
    assert stored is not None
    hooks.endpoints.endpoints[endpoint_id] = replace(
        stored, sealed_secret=other_key.seal("whsec_x")
    )
    hooks.audit.record(AuditEvent(Audit.USER_CREATED, user_id="u1"))
    [done] = hooks.run_jobs()
    assert done is not None and done.attempts[-1].error == "secret_unreadable"
    assert done.status is DeliveryStatus.PENDING and hooks.sender.sent == []


def test_an_endpoint_failing_for_the_whole_window_is_disabled_and_reported() -> None:
    hooks = Hooks(503)
    endpoint_id, _ = hooks.create()
    hooks.audit.record(AuditEvent(Audit.USER_CREATED, user_id="u1"))
    hooks.run_jobs()
    failing = hooks.endpoints.get(endpoint_id)
    assert failing is not None and failing.failing_since is not None and failing.enabled
    last: Delivery | None = None
    for _ in range(20):
        hooks.clock.advance(hours=4)
        hooks.sweeper.sweep()
        for done in hooks.run_jobs():
            last = done or last
    assert last is not None and last.status is DeliveryStatus.DEAD
    gone = hooks.endpoints.get(endpoint_id)
    assert gone is not None and not gone.enabled
    assert [e.id for e in hooks.disabled] == [endpoint_id]
    hooks.audit.record(AuditEvent(Audit.USER_CREATED, user_id="u2"))
    assert hooks.queue.jobs == []  # a disabled endpoint gets nothing new


def retried_at_its_times(hooks: Hooks, last: Delivery | None) -> Delivery | None:
    """Each retry at its ``next_attempt_at`` exactly, until the delivery is settled."""
    while last is not None and last.status is DeliveryStatus.PENDING:
        assert last.next_attempt_at is not None
        hooks.clock.current = last.next_attempt_at
        hooks.sweeper.sweep()
        [last] = hooks.run_jobs()
    return last


def test_an_endpoint_whose_only_delivery_died_failing_is_disabled_at_once() -> None:
    """Retried at its times, a delivery's last attempt falls a little short of the window's
    end; it dies there, and the endpoint, failing since before it began, is disabled and
    reported then, not at some later event."""
    hooks = Hooks(503)
    endpoint_id, _ = hooks.create()
    hooks.audit.record(AuditEvent(Audit.USER_CREATED, user_id="u1"))
    [last] = hooks.run_jobs()
    last = retried_at_its_times(hooks, last)
    assert last is not None and last.status is DeliveryStatus.DEAD
    assert last.attempts[-1].at - last.retry_since < hooks.policy.retry.window
    gone = hooks.endpoints.get(endpoint_id)
    assert gone is not None and not gone.enabled
    assert [e.id for e in hooks.disabled] == [endpoint_id]


def test_a_dead_delivery_does_not_disable_an_endpoint_that_recovered_meanwhile() -> None:
    hooks = Hooks(503)
    endpoint_id, _ = hooks.create()
    hooks.audit.record(AuditEvent(Audit.USER_CREATED, user_id="u1"))
    [last] = hooks.run_jobs()
    stored = hooks.endpoints.get(endpoint_id)
    assert stored is not None and stored.failing_since is not None
    later = stored.failing_since + timedelta(hours=1)  # another delivery succeeded, then failed
    hooks.endpoints.endpoints[endpoint_id] = replace(stored, failing_since=later)
    hooks.cache.drop()
    last = retried_at_its_times(hooks, last)
    assert last is not None and last.status is DeliveryStatus.DEAD
    kept = hooks.endpoints.get(endpoint_id)
    assert kept is not None and kept.enabled and hooks.disabled == []


def test_a_delivery_of_a_disabled_endpoint_is_not_resent() -> None:
    hooks = Hooks(503)
    endpoint_id, _ = hooks.create()
    hooks.audit.record(AuditEvent(Audit.USER_CREATED, user_id="u1"))
    [done] = hooks.run_jobs()
    assert done is not None
    stored = hooks.endpoints.get(endpoint_id)
    assert stored is not None
    hooks.endpoints.endpoints[endpoint_id] = replace(stored, enabled=False)
    with pytest.raises(Conflict) as refused:
        hooks.webhooks.resend(Resend(ADMIN, endpoint_id, done.id))
    assert refused.value.code == "webhook_disabled" and hooks.queue.jobs == []


def test_a_success_clears_the_failing_mark() -> None:
    hooks = Hooks(500, 200)
    endpoint_id, _ = hooks.create()
    hooks.audit.record(AuditEvent(Audit.USER_CREATED, user_id="u1"))
    hooks.run_jobs()
    hooks.clock.advance(seconds=5)
    hooks.sweeper.sweep()
    hooks.run_jobs()
    endpoint = hooks.endpoints.get(endpoint_id)
    assert endpoint is not None and endpoint.failing_since is None


def test_deliveries_of_a_deleted_endpoint_stop() -> None:
    hooks = Hooks(200)
    endpoint_id, _ = hooks.create()
    hooks.audit.record(AuditEvent(Audit.USER_CREATED, user_id="u1"))
    hooks.webhooks.delete(WebhookRef(ADMIN, endpoint_id))
    [done] = hooks.run_jobs()
    assert done is not None and done.status is DeliveryStatus.FAILED
    assert done.attempts[-1].error == "endpoint_deleted" and hooks.sender.sent == []


# -- what admins do -----------------------------------------------------------------------------


def test_only_admins_manage_webhooks() -> None:
    hooks = Hooks()
    with pytest.raises(PermissionDenied):
        hooks.webhooks.create(
            CreateWebhook(USER, "https://hooks.example.com/in", ("user.created",))
        )


def test_every_bad_field_is_reported_at_once() -> None:
    hooks = Hooks(local=False)
    with pytest.raises(InvalidInput) as refused:
        hooks.webhooks.create(
            CreateWebhook(ADMIN, "http://10.0.0.1/", ("user.created", "user.exploded"), "a\x00")
        )
    assert [(e.field, e.code) for e in refused.value.errors] == [
        ("url", "invalid_webhook_url"),
        ("events", "unknown_event_type"),
        ("description", "control_character"),
    ]


def test_the_secret_is_stored_sealed() -> None:
    hooks = Hooks()
    endpoint_id, secret = hooks.create()
    stored = hooks.endpoints.get(endpoint_id)
    assert stored is not None and secret not in stored.sealed_secret
    assert BOX.open(stored.sealed_secret) == secret


def test_resend_sends_the_same_delivery_again_and_pages_list_newest_first() -> None:
    hooks = Hooks(200)
    endpoint_id, _ = hooks.create()
    for n in range(3):
        hooks.audit.record(AuditEvent(Audit.USER_CREATED, user_id=f"u{n}"))
        hooks.clock.advance(seconds=1)
    hooks.run_jobs()
    query = DeliveryQuery(ADMIN, endpoint_id, 2)
    first = hooks.webhooks.deliveries(query)
    rest = hooks.webhooks.deliveries(replace(query, cursor=first.next_cursor))
    everything = first.items + rest.items
    assert [d.created_at for d in everything] == sorted(
        (d.created_at for d in everything), reverse=True
    )
    assert len(everything) == 3 and rest.next_cursor is None
    oldest = everything[-1]
    again = hooks.webhooks.resend(Resend(ADMIN, endpoint_id, oldest.id))
    assert again.id == oldest.id and again.status is DeliveryStatus.PENDING
    [sent] = hooks.run_jobs()
    assert sent is not None and [a.status_code for a in sent.attempts] == [200, 200]
    assert hooks.sender.sent[-1][2]["webhook-id"] == oldest.id
    with pytest.raises(NotFound):
        hooks.webhooks.resend(Resend(ADMIN, "other", oldest.id))
