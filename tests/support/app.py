"""The app on the fakes: every port on in-memory fakes."""

from __future__ import annotations

from datetime import timedelta

from bootstrap.adapters import (
    Adapters,
    passkey_ceremonies,
    provider_tokens,
    secret_box,
    token_issuer,
)
from infrastructure.audit import LoggingAuditLog
from infrastructure.mail.render import JinjaMailRenderer
from infrastructure.one_time_passwords import PyotpOneTimePasswords
from infrastructure.request_counts import InMemoryRequestCounter
from infrastructure.settings import Settings
from infrastructure.upstream_oidc import AuthlibUpstreamClient
from interfaces.web import TRANSLATIONS
from tests.fakes.accounts import FakePersonalTokens, FakeUserRepository
from tests.fakes.events import (
    FakeHostResolver,
    FakeScheduler,
    FakeSecurityEvents,
    FakeWebhookDeliveries,
    FakeWebhookEndpoints,
    FakeWebhookSender,
)
from tests.fakes.federation import (
    FakeCustomTokens,
    FakeIdentityRepository,
    FakeIdentityVerifier,
    FakeUpstreamProviders,
)
from tests.fakes.kernel import FakeClock, FakeHasher, FakeJobQueue, InMemoryStore
from tests.fakes.mail import FakeActionTokenRepository, FakeMailer, FakeNewDeviceMails
from tests.fakes.migration import FakeUserMoves
from tests.fakes.provider import (
    FakeDeviceAuthorizations,
    FakeGrantHolders,
    FakeOAuthClients,
    FakeOAuthGrants,
)
from tests.fakes.resources import (
    FakeDatasetRepository,
    FakeDogRepository,
    FakeFileRepository,
    FakeFileStore,
    FakePictureSource,
    FakeTaskRepository,
)
from tests.fakes.signin import (
    FakeChallengeRepository,
    FakeLoginLookup,
    FakeLoginThrottle,
    FakeMfaRepository,
    FakePasskeyRepository,
    FakePrincipals,
    FakeSessionRepository,
)


def fake_adapters(settings: Settings, store: InMemoryStore | None = None) -> Adapters:
    """Every port on in-memory fakes sharing ``store`` and a fake clock (a microsecond passes
    at each reading, so what is made in turn sorts in turn), but for a real audit log and
    token issuer (from ``settings``); tests swap fields with ``dataclasses.replace``."""
    store = store or InMemoryStore()
    throttle = FakeLoginThrottle()
    deliveries = FakeWebhookDeliveries(store)
    grants = FakeOAuthGrants(store)
    return Adapters(
        users=FakeUserRepository(store),
        sessions=FakeSessionRepository(store),
        principals=FakePrincipals(store),
        personal_tokens=FakePersonalTokens(store),
        identities=FakeIdentityRepository(store),
        user_moves=FakeUserMoves(store),
        identity_verifier=FakeIdentityVerifier(),
        custom_tokens=FakeCustomTokens(),
        login_lookup=FakeLoginLookup(store, throttle),
        throttle=throttle,
        hasher=FakeHasher(),
        tokens=token_issuer(settings),
        clock=FakeClock(tick=timedelta(microseconds=1)),
        audit=LoggingAuditLog(),
        ready=lambda: True,
        tasks=FakeTaskRepository(),
        dogs=FakeDogRepository(),
        pictures=FakePictureSource(),
        datasets=FakeDatasetRepository(),
        files=FakeFileRepository(),
        file_store=FakeFileStore(),
        job_queue=FakeJobQueue().attach,
        push_verifier=None,
        request_counter=InMemoryRequestCounter(),
        action_tokens=FakeActionTokenRepository(store),
        mail_renderer=JinjaMailRenderer(translations_dir=str(TRANSLATIONS)),
        mailer=FakeMailer(),
        passkeys=FakePasskeyRepository(store),
        challenges=FakeChallengeRepository(),
        ceremonies=passkey_ceremonies(settings),
        factors=FakeMfaRepository(store),
        otp=PyotpOneTimePasswords(),  # pure computation: the real one
        secret_box=secret_box(settings),
        security_events=FakeSecurityEvents(store, deliveries),
        new_device_mails=FakeNewDeviceMails(),
        oauth_clients=FakeOAuthClients(),
        oauth_grants=grants,
        grant_holders=FakeGrantHolders(grants, store),
        device_authorizations=FakeDeviceAuthorizations(grants),
        provider_tokens=provider_tokens(settings),  # pure computation: the real one
        upstream_providers=FakeUpstreamProviders(),
        upstream_client=AuthlibUpstreamClient(),  # no request until a provider is used
        webhook_endpoints=FakeWebhookEndpoints(),
        webhook_deliveries=deliveries,
        host_resolver=FakeHostResolver(),
        webhook_sender=FakeWebhookSender(),
        scheduler=FakeScheduler(),
    )
