"""The composition root: settings -> adapters -> use cases -> Flask app.

- ``Adapters`` (bootstrap/adapters.py): one adapter per port, made from the settings; a
  capability's own adapters are made in its module (``bootstrap/signin.py``, ``mail.py``,
  ``federation.py``, ``provider.py``, ``resources.py``) from its group of settings.
- ``Policies``: what the settings decide for the use cases, made once.
- ``bind``: each feature binds its own use cases from the adapters and the policies it
  names (``tasks.bind(adapters)``); ``Services`` is the group of each.
- ``build_app``: the Flask app over the services, with the command line.

A use case is added in its feature alone (docs/decisions/0042-wiring-per-feature.md). No
global here is named as a submodule of bootstrap is (``mail``, ``signin``, ...): importing that
submodule would replace it.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING

from flask import Flask

from application import jobs
from application.accounts import accounts, admin, authentication
from application.events import security_events as events
from application.events.webhooks import wiring as webhooks
from application.events.webhooks.ports import WebhookPolicy
from application.federation import connected, firebase, upstream
from application.jobs import JobHandler, PushPolicy
from application.mail import flows as email
from application.mail import sending
from application.migration import wiring as migration
from application.ports import NO_METRICS, OwnedData
from application.provider import wiring as oauth
from application.provider.ports import OAuthPolicy
from application.resources import datasets, dogs, files, tasks
from application.resources.csv_input import CsvLimits
from application.services import Services
from application.signin import login, passkeys, personal_tokens, sessions, totp
from application.signin.tokens import TokenPolicy
from bootstrap.adapters import Adapters, build_adapters
from bootstrap.driving import driving_adapters
from bootstrap.metrics import measuring, metered
from bootstrap.signin import derived_key
from domain.events.webhooks import RetryPolicy
from domain.request_limits import Limit
from domain.signin.devices import DevicePolicy
from domain.signin.throttling import LoginThrottlePolicy, ThrottleRule
from infrastructure.settings import Settings
from interfaces.cli import install_cli
from interfaces.shared.limits import request_origin
from interfaces.shared.logs import configure_logging
from interfaces.shared.services import LazyServices
from interfaces.shared.shell import ShellConfig, create_app

if TYPE_CHECKING:
    from bootstrap.telemetry import Tracing

__all__ = ["Adapters", "Policies", "bind", "build_adapters", "build_app", "build_policies"]


@dataclass(frozen=True)
class Policies:
    """Each feature's ``bind`` names the part it needs (``LoginPolicies``, ...)."""

    token_policy: TokenPolicy
    throttle_policy: LoginThrottlePolicy
    device_policy: DevicePolicy
    require_verified_email: bool
    mfa_issuer: str
    mail_settings: sending.MailSettings
    dataset_limits: datasets.DatasetLimits
    max_upload_bytes: int
    push_policy: PushPolicy
    job_max_attempts: int
    identity_changes: Limit
    oauth_policy: OAuthPolicy
    webhook_policy: WebhookPolicy
    upstream_policy: upstream.UpstreamPolicy


def build_policies(settings: Settings) -> Policies:
    def rule(max_failures: int) -> ThrottleRule:
        return ThrottleRule(
            max_failures=max_failures,
            window=timedelta(seconds=settings.signin.login_failure_window),
            backoff=timedelta(seconds=settings.signin.login_backoff),
            max_backoff=timedelta(seconds=settings.signin.login_backoff_max),
        )

    return Policies(
        token_policy=TokenPolicy(
            access_ttl=timedelta(seconds=settings.signin.access_token_ttl),
            refresh_ttl=timedelta(seconds=settings.signin.refresh_token_ttl),
            session_lifetime=timedelta(seconds=settings.signin.session_lifetime),
            refresh_grace=timedelta(seconds=settings.signin.refresh_grace_seconds),
            reauth_max_age=timedelta(seconds=settings.signin.reauth_max_age),
            successor_key=derived_key(settings.signin, b"refresh-token successor"),
            generation_key=derived_key(settings.signin, b"refresh-token generation"),
        ),
        throttle_policy=LoginThrottlePolicy(
            per_account_ip=rule(settings.signin.login_failures_per_account_ip),
            per_account=rule(settings.signin.login_failures_per_account),
            per_ip=rule(settings.signin.login_failures_per_ip),
        ),
        device_policy=DevicePolicy(key=derived_key(settings.signin, b"device token")),
        require_verified_email=settings.accounts.require_verified_email,
        mfa_issuer=settings.signin.mfa_issuer,
        mail_settings=sending.MailSettings(
            public_url=settings.service.public_url,
            product=settings.branding.site_name,
            support_email=settings.branding.support_email,
        ),
        dataset_limits=datasets.DatasetLimits(
            max_upload_bytes=settings.resources.max_upload_bytes,
            csv=CsvLimits(
                max_rows=settings.resources.max_dataset_rows,
                max_columns=settings.resources.max_dataset_columns,
                max_field_chars=settings.resources.csv_max_field_chars,
            ),
        ),
        max_upload_bytes=settings.resources.max_upload_bytes,
        push_policy=PushPolicy(shared_token=settings.jobs.push_token, oidc=settings.jobs.push_oidc),
        job_max_attempts=settings.jobs.job_max_attempts,
        identity_changes=Limit(
            settings.accounts.identity_change_limit, settings.accounts.identity_change_window
        ),
        oauth_policy=OAuthPolicy(
            issuer=settings.service.public_url,
            access_token_ttl=timedelta(seconds=settings.provider.oauth_access_token_ttl),
            refresh_ttl=timedelta(seconds=settings.provider.oauth_refresh_token_ttl),
            client_cache_ttl=settings.provider.oauth_client_cache_ttl,
        ),
        webhook_policy=WebhookPolicy(
            local=settings.service.app_profile == "local",
            retry=RetryPolicy(
                first=timedelta(seconds=settings.events.webhook_retry_first),
                window=timedelta(seconds=settings.events.webhook_retry_window),
            ),
            timeout=settings.events.webhook_timeout,
            cache_ttl=settings.events.webhook_cache_ttl,
            sweep_interval=settings.events.webhook_sweep_interval,
        ),
        upstream_policy=upstream.UpstreamPolicy(public_url=settings.service.public_url),
    )


def bind(policies: Policies, adapters: Adapters) -> Services:
    """The use cases of every feature, bound to ``adapters`` and ``policies``."""
    # The queue runs every feature's jobs; the handlers are bound after it, as some queue
    # jobs themselves.
    handlers: dict[str, JobHandler] = {}

    # Queued or pushed, a job runs through the same ``run`` (in a span, with traces on).
    run = adapters.job_spans(functools.partial(jobs.run_job, handlers=handlers))
    queue = adapters.job_queue(run)
    # Webhook deliveries wait for their receivers: on threads (or a subscription) of their own,
    # so that no mail waits behind them (docs/reference/jobs.md).
    hooks = adapters.webhook_queue(run) if adapters.webhook_queue is not None else queue
    # Every audit event is also stored where the account's owner and the admins read it,
    # with its webhook deliveries, and a change to how an account signs in, or a sign-in from
    # a new device, queues its notice.
    outbox = webhooks.outbox(adapters, policies, queue=hooks)
    stored = events.StoringAuditLog(
        metered(adapters.audit, adapters.metrics), adapters.security_events, adapters.clock, outbox
    )
    # Each event carries the address and user agent of the request that caused it.
    audit = events.WithRequestOrigin(
        sending.NotifyingAuditLog(stored, queue, adapters.clock), request_origin
    )
    a, p = replace(adapters, audit=audit), policies
    handlers.update(
        dogs.handlers(a)
        | email.handlers(a, p, queue=queue)
        | webhooks.handlers(a, p, box=outbox, queue=queue)
    )
    webhooks.start_sweeper(a, p, queue=hooks)
    # What each resource module owns per user, deleted with the account.
    owned: list[OwnedData] = [
        datasets.OwnedDatasets(a.datasets, a.file_store),
        files.OwnedFiles(a.files, a.file_store),
        a.tasks,
        a.dogs,
        a.passkeys,
        a.factors,
        a.oauth_grants,
        a.personal_tokens,
    ]
    return Services(
        accounts=accounts.bind(
            a,
            p,
            owned=owned,
            hooks=email.account_hooks(a, queue=queue),
            check_password=login.password_check(a, p),
        ),
        admin=admin.bind(a, owned=owned),
        authentication=authentication.bind(a, p.token_policy.reauth_max_age),
        datasets=datasets.bind(a, p),
        dogs=dogs.bind(a, queue=queue),
        email=email.bind(a, p, queue=queue),
        events=events.bind(a),
        files=files.bind(a, p),
        firebase=firebase.bind(a, p, hooks=email.account_hooks(a, queue=queue)),
        identities=connected.bind(a),
        jobs=jobs.bind(a, p, run=run),
        login=login.bind(a, p),
        moves=migration.bind(
            a, providers=lambda: frozenset(x.id for x in a.upstream_providers.list_all())
        ),
        oauth=oauth.bind(a, p),
        passkeys=passkeys.bind(a, p),
        personal_tokens=personal_tokens.bind(a),
        sessions=sessions.bind(a, p),
        tasks=tasks.bind(a),
        totp=totp.bind(a, p),
        upstream=upstream.bind(a, p, hooks=email.account_hooks(a, queue=queue)),
        webhooks=webhooks.bind(a, p, box=outbox, queue=hooks),
        ready=a.ready,
        request_counter=a.request_counter,
        metrics=a.metrics,
    )


def build_app(
    settings: Settings | None = None,
    adapters: Adapters | None = None,
    *,
    configure_logs: bool = True,
    fail_fast: bool = False,
    tracing: Tracing | None = None,
) -> Flask:
    """The service: ``adapters`` default to the production ones that ``settings`` name.

    Those are built on first use, and meanwhile on a background thread, so the process
    answers /healthz before the cloud SDKs are imported (docs/benchmarks.md, "Cold start").
    Call it after a fork, never before (gunicorn does: no ``preload_app``). ``fail_fast``:
    if those adapters cannot be built, the process exits as gunicorn's failed boot. ``tracing``:
    a test's tracer provider; by default the settings' (docs/operations.md, "Traces")."""
    settings = settings or Settings()
    if os.environ.get("FLASK_RUN_FROM_CLI") == "true":
        # A command line, not a server: no webhook sweeper here; the servers' send what it
        # leaves (docs/operations.md, "Webhooks").
        events = settings.events.model_copy(update={"webhook_sweep_interval": 0.0})
        settings = settings.model_copy(update={"events": events})
    if configure_logs:
        configure_logging(settings.service.log_level)
    if tracing is None and settings.telemetry.traces is not None:
        from bootstrap.telemetry import start  # noqa: PLC0415 - OpenTelemetry, only when on

        tracing = start(settings)
    # Made here, in the worker (after gunicorn's fork); None when metrics are off.
    measured = measuring(settings)
    metrics = measured.metrics if measured is not None else NO_METRICS
    services: Services | LazyServices
    if adapters is not None:
        if measured is not None:
            adapters = replace(adapters, metrics=metrics)
        services = bind(build_policies(settings), _traced(adapters, tracing))
    else:
        waited = tracing.hash_waited if tracing is not None else None
        services = LazyServices(
            lambda: bind(
                build_policies(settings),
                _traced(build_adapters(settings, hash_waited=waited, metrics=metrics), tracing),
            )
        )
    app = create_app(
        services,
        ShellConfig(
            project=settings.service.google_cloud_project,
            max_body_bytes=settings.service.max_json_bytes,
            trusted_proxy_hops=settings.service.trusted_proxy_hops,
            production=settings.service.app_profile == "production",
            rate_limits=settings.service.rate_limit_enabled,
            trace_ids=tracing.trace_ids if tracing is not None else None,
        ),
        driving_adapters(settings),
        measured,
    )
    if tracing is not None:
        tracing.install(app)
    install_cli(app)
    if isinstance(services, LazyServices):
        # Once the app is built: the warm-up's imports would otherwise share the interpreter
        # with the app's own, and the worker would answer later (docs/benchmarks.md).
        services.warm_up(fatal=fail_fast)
    return app


def _traced(adapters: Adapters, tracing: Tracing | None) -> Adapters:
    return adapters if tracing is None else tracing.adapters(adapters)
