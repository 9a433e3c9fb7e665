"""Metrics (docs/operations.md, "Metrics"): /metrics only to METRICS_TOKEN's bearer (404
when off, 401 without or with another token), the names and labels operators' queries use,
and the counts each way of signing in, the mail job, the webhook sender, the job queue and
the argon2 queue make."""

from __future__ import annotations

import math
import re
import threading
import time

import pytest
from flask.testing import FlaskClient

from application.metrics import (
    ARGON2_QUEUE_WAIT,
    BREACHED_PASSWORD_CHECKS,
    HOOK_CALL_DURATION,
    HOOK_CALLS,
    HTTP_REQUESTS,
    IMPORTED_HASH_FAILURES,
    JOBS_OLDEST_DUE,
    JOBS_WAITING,
    MAILS,
    REFRESH_REUSE,
    SIGNINS,
    SMS_REFUSED,
    SMS_SENT,
    THROTTLE_REFUSALS,
    TOKENS_ISSUED,
    WEBHOOK_ATTEMPTS,
    WEBHOOK_DELAY,
)
from application.ports import NO_METRICS, Audit, AuditEvent, Job
from bootstrap import Adapters, build_app
from bootstrap.metrics import measuring
from domain.events.webhooks import DeliveryStatus
from domain.signin.throttling import TOO_MANY_LOGIN_FAILURES
from infrastructure.accounts.argon2_hasher import Argon2PasswordHasher
from infrastructure.jobs.inprocess import InProcessJobQueue
from infrastructure.metrics.prometheus import PrometheusMetrics
from infrastructure.settings import Settings
from infrastructure.signin.metered_audit import MeteredAuditLog
from tests.fakes.events import RecordingAuditLog
from tests.support.api import PASSWORD, bearer, login, register
from tests.support.app import World
from tests.support.metrics import TOKEN, samples, scrape, watch_queries
from tests.support.oauth import OAuthWorld
from tests.support.settings import make_settings
from tests.support.webhooks import Hooks

pytestmark = pytest.mark.unit


@pytest.fixture
def app_settings() -> Settings:
    return make_settings(metrics_token=TOKEN)


def test_metrics_are_off_without_a_token_and_the_path_is_a_404(adapters: Adapters) -> None:
    settings = make_settings()
    assert measuring(settings) is None
    app = build_app(settings, adapters)
    client = app.test_client()
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers=bearer(TOKEN)).status_code == 404


def test_a_short_token_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="METRICS_TOKEN must be at least 32 characters"):
        make_settings(metrics_token="too-short")
    assert make_settings(metrics_token="").telemetry.metrics_token is None  # set but empty: off


def test_only_the_bearer_of_the_token_reads_them(client: FlaskClient) -> None:
    for headers in ({}, bearer("x" * 40), bearer(TOKEN + "x"), {"Authorization": TOKEN}):
        refused = client.get("/metrics", headers=headers)
        assert refused.status_code == 401
        assert refused.content_type == "application/problem+json"
        assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert "firegate_signins_total" not in refused.get_data(as_text=True)
    scrape(client)


def test_metrics_are_not_in_the_public_api_document(client: FlaskClient) -> None:
    assert "/metrics" not in client.get("/openapi.json").get_json()["paths"]


def test_sign_ins_are_counted_by_method_and_outcome(client: FlaskClient) -> None:
    register(client)
    login(client)
    login(client)
    wrong = client.post("/login", json={"username": "alice", "password": PASSWORD + "!"})
    assert wrong.status_code == 401
    seen = scrape(client)
    assert seen['firegate_signins_total{method="password",outcome="succeeded"}'] == 2
    assert seen['firegate_signins_total{method="password",outcome="failed"}'] == 1


def test_requests_are_timed_by_their_route_never_their_path(client: FlaskClient) -> None:
    register(client)
    token = login(client)
    assert client.get("/user", headers=bearer(token)).status_code == 200
    for n in range(3):
        assert client.get(f"/orgs/nope-{n}", headers=bearer(token)).status_code == 404
    assert client.get("/no/such/path").status_code == 404
    text = client.get("/metrics", headers=bearer(TOKEN)).get_data(as_text=True)
    seen = samples(text)
    user = 'method="GET",route="/user",status="200"'
    assert seen[f"firegate_http_request_duration_seconds_count{{{user}}}"] == 1
    assert seen[f'firegate_http_request_duration_seconds_bucket{{le="+Inf",{user}}}'] == 1
    one_org = 'method="GET",route="/orgs/<org:org>",status="404"'
    assert seen[f"firegate_http_request_duration_seconds_count{{{one_org}}}"] == 3
    unmatched = 'method="GET",route="unmatched",status="404"'
    assert seen[f"firegate_http_request_duration_seconds_count{{{unmatched}}}"] == 1
    assert "nope-" not in text and "/no/such/path" not in text


def one_of_each() -> dict[str, float]:
    """The exposition's samples once each metric has counted one thing."""
    metrics = PrometheusMetrics()
    metrics.add(SIGNINS, method="passkey", outcome="succeeded")
    metrics.add(TOKENS_ISSUED, grant="authorization_code")
    metrics.add(THROTTLE_REFUSALS, scope="requests")
    metrics.add(REFRESH_REUSE)
    metrics.add(MAILS, kind="verify_email", outcome="sent")
    metrics.add(WEBHOOK_ATTEMPTS, outcome="failed")
    metrics.observe(WEBHOOK_DELAY, 2.0)
    metrics.set(JOBS_WAITING, 3, queue="jobs")
    metrics.set(JOBS_OLDEST_DUE, 1_000.0, queue="jobs")
    metrics.observe(ARGON2_QUEUE_WAIT, 0.02)
    metrics.add(IMPORTED_HASH_FAILURES, kind="firebase-scrypt")
    metrics.add(BREACHED_PASSWORD_CHECKS, outcome="timeout")
    metrics.observe(HTTP_REQUESTS, 0.004, route="/user", method="GET", status=200)
    metrics.add(HOOK_CALLS, kind="before_sign_up", outcome="timeout")
    metrics.observe(HOOK_CALL_DURATION, 0.3, kind="before_sign_up")
    metrics.add(SMS_SENT, country="FR")
    metrics.add(SMS_REFUSED, reason="over_budget")
    return samples(metrics.exposition().decode())


def test_every_metric_operators_query_is_named_with_its_labels() -> None:
    seen = one_of_each()
    assert seen['firegate_signins_total{method="passkey",outcome="succeeded"}'] == 1
    assert seen['firegate_tokens_issued_total{grant="authorization_code"}'] == 1
    assert seen['firegate_throttle_refusals_total{scope="requests"}'] == 1
    assert seen["firegate_refresh_reuse_total"] == 1
    assert seen['firegate_sms_sent_total{country="FR"}'] == 1
    assert seen['firegate_sms_refused_total{reason="over_budget"}'] == 1
    assert seen['firegate_mails_total{kind="verify_email",outcome="sent"}'] == 1
    assert seen['firegate_webhook_attempts_total{outcome="failed"}'] == 1
    assert seen['firegate_webhook_delay_seconds_bucket{le="5.0"}'] == 1
    assert seen['firegate_jobs_waiting{queue="jobs"}'] == 3
    assert seen['firegate_jobs_oldest_due_timestamp_seconds{queue="jobs"}'] == 1_000.0
    assert seen['firegate_argon2_queue_wait_seconds_bucket{le="0.025"}'] == 1
    assert seen["firegate_argon2_queue_wait_seconds_count"] == 1
    assert seen['firegate_imported_hash_failures_total{kind="firebase-scrypt"}'] == 1
    assert seen['firegate_breached_password_checks_total{outcome="timeout"}'] == 1
    assert seen['firegate_hook_calls_total{kind="before_sign_up",outcome="timeout"}'] == 1
    assert seen['firegate_hook_call_duration_seconds_bucket{kind="before_sign_up",le="0.5"}'] == 1
    assert not any(name.endswith("_created") or "_created{" in name for name in seen)


SELECTOR = re.compile(r"(firegate_\w+)(?:\{([^}]*)\})?")


def test_what_to_watch_queries_only_metrics_and_labels_the_service_exports() -> None:
    queries = watch_queries()
    assert len(queries) >= 10
    exported: dict[str, set[str]] = {}  # a sample's name: its label names
    for sample in one_of_each():
        name, _, selector = sample.partition("{")
        exported.setdefault(name, set()).update(LABEL_NAME.findall(selector))
    for promql in queries:
        for name, selector in SELECTOR.findall(promql):
            assert name in exported, (name, promql)
            wanted = set(LABEL_NAME.findall(selector)) - {"le"}
            assert wanted <= exported[name], (name, wanted, promql)
        for grouped in re.findall(r"by \(([^)]*)\)", promql):
            names = SELECTOR.findall(promql)
            known = set().union(*(exported[name] for name, _ in names)) | {"le"}
            assert {g.strip() for g in grouped.split(",")} <= known, promql


LABEL_NAME = re.compile(r"(\w+)=~?\"")


def test_the_audit_port_counts_each_way_of_signing_in_and_the_throttle() -> None:
    metrics = PrometheusMetrics()
    audit = MeteredAuditLog(RecordingAuditLog(), metrics)
    audit.record(AuditEvent(Audit.LOGIN, "failure", reason="wrong_password"))
    audit.record(AuditEvent(Audit.LOGIN, "failure", reason=TOO_MANY_LOGIN_FAILURES))
    audit.record(AuditEvent(Audit.PASSKEY_SIGN_IN, "failure", reason="invalid_passkey"))
    audit.record(AuditEvent(Audit.MFA_CODE, "failure", reason="invalid_mfa_code"))
    audit.record(AuditEvent(Audit.MFA_CODE, reason="totp"))  # the login that follows counts
    audit.record(AuditEvent(Audit.REFRESH_TOKEN_REUSE, "failure"))
    audit.record(AuditEvent(Audit.LOGOUT))
    audit.committed(
        audit.stage(
            [
                AuditEvent(Audit.LOGIN, reason="firebase"),
                AuditEvent(Audit.LOGIN, reason="github"),
                AuditEvent(Audit.PASSKEY_SIGN_IN),
            ]
        )
    )
    seen = samples(metrics.exposition().decode())
    assert {k: v for k, v in seen.items() if k.startswith("firegate_signins_total")} == {
        'firegate_signins_total{method="password",outcome="failed"}': 2,
        'firegate_signins_total{method="passkey",outcome="failed"}': 1,
        'firegate_signins_total{method="mfa",outcome="failed"}': 1,
        'firegate_signins_total{method="firebase",outcome="succeeded"}': 1,
        'firegate_signins_total{method="upstream",outcome="succeeded"}': 1,
        'firegate_signins_total{method="passkey",outcome="succeeded"}': 1,
    }
    assert seen['firegate_throttle_refusals_total{scope="login"}'] == 1
    assert seen["firegate_refresh_reuse_total"] == 1


def test_the_argon2_queue_wait_is_measured_for_each_hash() -> None:
    waits: list[float] = []
    hasher = Argon2PasswordHasher(max_concurrent=1, waited=waits.append)
    hashed = hasher.hash(PASSWORD)
    threads = [threading.Thread(target=hasher.verify, args=(hashed, PASSWORD)) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(waits) == 4
    assert max(waits) > 0.005  # one slot: the later checks waited for the earlier ones


def test_the_job_queue_tells_its_depth_and_first_due_time() -> None:
    seen: list[tuple[int, float]] = []
    release = threading.Event()

    def run(job: Job, final: bool) -> None:
        release.wait(5)

    queue = InProcessJobQueue(run, workers=1, observe=lambda n, due: seen.append((n, due)))

    before = time.time()
    for n in range(3):
        queue.enqueue(Job("test", str(n)))
    deadline = time.monotonic() + 5
    while not seen or seen[-1][0] != 2:  # one taken by the worker, two waiting
        assert time.monotonic() < deadline
        time.sleep(0.01)
    _, due = seen[-1]
    assert before - 1 <= due <= time.time()
    release.set()
    assert queue.join(5)
    assert seen[-1] == (0, math.inf)


def test_off_the_adapters_measure_nothing(adapters: Adapters) -> None:
    assert adapters.platform.metrics is NO_METRICS
    assert (
        build_app(make_settings(), adapters).extensions["firegate"].platform.metrics is NO_METRICS
    )


def test_the_provider_counts_the_tokens_it_issues_by_grant() -> None:
    world = OAuthWorld(metrics_token=TOKEN)
    service = world.register("--confidential", "--scope", "roles", name="A service")
    assert world.post_token(service, grant_type="client_credentials").status_code == 200
    refused = world.post_token(
        {**service, "client_secret": "wrong"}, grant_type="client_credentials"
    )
    assert refused.status_code == 401
    app = world.register()
    code, verifier = world.code(app["client_id"])
    assert world.exchange(app, code, verifier).status_code == 200
    assert world.exchange(app, code, verifier).status_code == 400  # spent: nothing issued
    seen = scrape(world.client)
    assert seen['firegate_tokens_issued_total{grant="client_credentials"}'] == 1
    assert seen['firegate_tokens_issued_total{grant="authorization_code"}'] == 1


def test_mails_are_counted_by_kind_and_outcome() -> None:
    world = World(metrics_token=TOKEN)
    register(world.client)
    world.deliver()
    world.mailer.failing = True
    register(world.client, "bob")
    world.deliver(final=True)  # the last attempt fails: given up
    seen = scrape(world.client)
    assert seen['firegate_mails_total{kind="verify_email",outcome="sent"}'] == 1
    assert seen['firegate_mails_total{kind="verify_email",outcome="failed"}'] == 1


def test_webhook_attempts_are_counted_with_their_delay() -> None:
    hooks = Hooks(500, 204)
    metrics = PrometheusMetrics()
    hooks.metrics = metrics
    hooks.create()
    hooks.audit.record(AuditEvent(Audit.USER_CREATED, user_id="u1"))
    [failed] = hooks.run_jobs()
    assert failed is not None
    hooks.clock.advance(seconds=7)
    assert hooks.sweeper.sweep() == 1
    [succeeded] = hooks.run_jobs()
    assert succeeded is not None and succeeded.status is DeliveryStatus.SUCCEEDED
    seen = samples(metrics.exposition().decode())
    assert seen['firegate_webhook_attempts_total{outcome="failed"}'] == 1
    assert seen['firegate_webhook_attempts_total{outcome="succeeded"}'] == 1
    assert seen["firegate_webhook_delay_seconds_count"] == 2
    assert seen['firegate_webhook_delay_seconds_bucket{le="1.0"}'] == 1  # the first, at once
    assert seen['firegate_webhook_delay_seconds_bucket{le="30.0"}'] == 2  # the retry, 7 s on


def test_the_rate_limits_refusals_are_counted_apart_from_the_login_throttles(
    adapters: Adapters,
) -> None:
    settings = make_settings(metrics_token=TOKEN, rate_limit_login="2/minute")
    client = build_app(settings, adapters).test_client()
    register(client)
    wrong = {"username": "alice", "password": PASSWORD + "!"}
    statuses = [client.post("/login", json=wrong).status_code for _ in range(3)]
    assert statuses == [401, 401, 429]
    seen = scrape(client)
    assert seen['firegate_throttle_refusals_total{scope="requests"}'] == 1
    assert 'firegate_throttle_refusals_total{scope="login"}' not in seen
    assert seen['firegate_signins_total{method="password",outcome="failed"}'] == 2
