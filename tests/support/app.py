"""The app on the fakes: every port on in-memory fakes (``fake_adapters``), the app on them
(``app_on``: with the default settings, one per process, bound to each test's fakes), the
fake clock an app built on them reads (``app_time``), and ``World``: the whole app with its
job queue, mailer and clock in the test's hands."""

from __future__ import annotations

import base64
import os
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from importlib import import_module
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask import Flask
from flask.testing import FlaskClient

from application.jobs import JobPush, encode_job
from application.ports import Job, RequestCounter
from application.services import Services
from bootstrap import bind, build_adapters, build_app
from bootstrap.accounts import AccountsAdapters
from bootstrap.adapters import Adapters
from bootstrap.clients import ClientsAdapters
from bootstrap.events import EventsAdapters
from bootstrap.federation import FederationAdapters
from bootstrap.hooks import HooksAdapters
from bootstrap.mail import MailAdapters
from bootstrap.migration import MigrationAdapters
from bootstrap.orgs import OrgsAdapters
from bootstrap.platform import Platform, outbound
from bootstrap.provider import ProviderAdapters, request_seal
from bootstrap.provider_keys import provider_tokens
from bootstrap.scim import ScimAdapters
from bootstrap.signin_adapters import (
    SigninAdapters,
    passkey_ceremonies,
    secret_box,
    token_issuer,
)
from bootstrap.sso import SsoAdapters, connection_client, service_provider
from bootstrap.unit import Placed
from bootstrap.units import CORE_UNITS, UNITS, core_units, units_on
from domain.request_limits import WindowCounts
from infrastructure.audit_log import LoggingAuditLog
from infrastructure.federation.upstream_oidc import AuthlibUpstreamClient
from infrastructure.mail.render import JinjaMailRenderer
from infrastructure.request_counts import InMemoryRequestCounter
from infrastructure.settings import Settings
from infrastructure.settings.identity.events import EventsSettings
from infrastructure.settings.identity.signin import SignInSettings
from infrastructure.signin.one_time_passwords import PyotpOneTimePasswords
from infrastructure.sso.saml_metadata import Pysaml2Metadata
from interfaces.web import catalogues
from interfaces.web.rendering import KEPT_PAGES, KeptPages
from tests.fakes.accounts import (
    FakeBreachedPasswords,
    FakeChallengeVerifier,
    FakePersonalTokens,
    FakeProfileSchemaStore,
    FakeSpentChallenges,
    FakeUserRepository,
)
from tests.fakes.clients import FakeApiResources, FakeOAuthClients
from tests.fakes.events import (
    FakeScheduler,
    FakeSecurityEvents,
    FakeWebhookDeliveries,
    FakeWebhookEndpoints,
    FakeWebhookSender,
    RecordingAuditLog,
)
from tests.fakes.federation import (
    FakeCustomTokens,
    FakeIdentityRepository,
    FakeIdentityVerifier,
    FakeUpstreamProviders,
)
from tests.fakes.hooks import FakeAuthHooks, FakeHookClient
from tests.fakes.kernel import FakeClock, FakeHasher, FakeHostResolver, FakeJobQueue, InMemoryStore
from tests.fakes.mail import (
    FakeActionTokenRepository,
    FakeMailer,
    FakeNewDeviceMails,
)
from tests.fakes.migration import FakeUserMoves
from tests.fakes.org_access import FakeMemberPermissions
from tests.fakes.org_domains import FakeOrgDomains, FakeTxtRecords
from tests.fakes.org_roles import FakeOrgRoles, FakeRoleTemplates
from tests.fakes.orgs import FakeOrgInvitationRepository, FakeOrgRepository
from tests.fakes.provider import (
    FakeDeviceAuthorizations,
    FakeGrantHolders,
    FakeOAuthGrants,
    FakePushedRequests,
)
from tests.fakes.scim import FakeScimGroups, FakeScimTokens, FakeScimUsers
from tests.fakes.signin import (
    FakeActiveOrgs,
    FakeChallengeRepository,
    FakeEmailCodeFlows,
    FakeLoginLookup,
    FakeLoginThrottle,
    FakeMfaRepository,
    FakePasskeyRepository,
    FakePrincipals,
    FakeSessionRepository,
)
from tests.fakes.sso import (
    FakeConnections,
    FakeDocumentGetter,
    FakeSamlSessions,
    FakeSpentAssertions,
)
from tests.fakes.storage import FakeFileStore
from tests.support.settings import make_settings

# One renderer for every app on the fakes, as a process has one: each mail's templates are
# compiled once per language, not again for every test's app.
# Every unit's templates and catalogue: a test that leaves a unit out sends none of its mails.
MAIL_RENDERER = JinjaMailRenderer(
    translations=[str(found) for found in catalogues((*CORE_UNITS, *UNITS))],
    units=(*CORE_UNITS, *UNITS),
)


def fake_adapters(settings: Settings, store: InMemoryStore | None = None) -> Adapters:
    """Every port on in-memory fakes sharing ``store`` and a fake clock (a microsecond passes
    at each reading, so what is made in turn sorts in turn), but for a real audit log and
    token issuer (from ``settings``); tests swap a core unit's by their type
    (``adapters.with_(replace(adapters.of(MailAdapters), mailer=...))``) or a port by its
    name (``swap``)."""
    store = store or InMemoryStore()
    throttle = FakeLoginThrottle()
    deliveries = FakeWebhookDeliveries(store)
    grants = FakeOAuthGrants(store)
    org_repository = FakeOrgRepository(store)
    users = FakeUserRepository(store)
    idp_resolver = FakeHostResolver()  # an SSO connection's IdP's addresses
    saml_sp = service_provider(settings)  # SAML sign-in and single logout
    clock = FakeClock(tick=timedelta(microseconds=1))
    platform = Platform(
        clock=clock,
        audit=LoggingAuditLog(),
        ready=lambda: True,
        job_queue=FakeJobQueue().attach,
        push_verifier=None,
        request_counter=InMemoryRequestCounter(),
        file_store=FakeFileStore(),
        # The real client, as the settings make it: it calls nothing until a sender is used
        # (the OpenID connections' below; the other callers are fakes).
        outbound=outbound(settings),
    )
    return Adapters.placing(
        platform,
        accounts=AccountsAdapters(
            users=users,
            identities=FakeIdentityRepository(store),
            hasher=FakeHasher(),
            challenge=FakeChallengeVerifier(),
            spent_challenges=FakeSpentChallenges(),
            breaches=FakeBreachedPasswords(),
            profile_schemas=FakeProfileSchemaStore(),
        ),
        hooks=HooksAdapters(
            auth_hooks=FakeAuthHooks(),
            host_resolver=FakeHostResolver(),
            hook_client=FakeHookClient(),
        ),
        signin=SigninAdapters(
            sessions=FakeSessionRepository(store),
            login_lookup=FakeLoginLookup(store, throttle),
            throttle=throttle,
            tokens=token_issuer(settings.group(SignInSettings)),
            passkeys=FakePasskeyRepository(store),
            challenges=FakeChallengeRepository(),
            ceremonies=passkey_ceremonies(settings.group(SignInSettings)),
            factors=FakeMfaRepository(store),
            otp=PyotpOneTimePasswords(),  # pure computation: the real one
            secret_box=secret_box(settings.group(SignInSettings)),
            personal_tokens=FakePersonalTokens(store),
            principals=FakePrincipals(store),
            email_codes=FakeEmailCodeFlows(),
            active_orgs=FakeActiveOrgs(store),
        ),
        federation=FederationAdapters(
            identity_verifier=FakeIdentityVerifier(),
            custom_tokens=FakeCustomTokens(),
            upstream_providers=FakeUpstreamProviders(),
            upstream_client=AuthlibUpstreamClient(),  # no request until a provider is used
        ),
        mail=MailAdapters(
            action_tokens=FakeActionTokenRepository(store),
            mail_renderer=MAIL_RENDERER,
            mailer=FakeMailer(),
            new_device_mails=FakeNewDeviceMails(),
        ),
        events=EventsAdapters(
            security_events=FakeSecurityEvents(store, deliveries),
            webhook_endpoints=FakeWebhookEndpoints(),
            webhook_deliveries=deliveries,
            host_resolver=FakeHostResolver(),
            webhook_sender=FakeWebhookSender(),
            scheduler=FakeScheduler(),
        ),
        clients=ClientsAdapters(
            oauth_clients=FakeOAuthClients(),
            api_resources=FakeApiResources(),
            keys_getter=FakeDocumentGetter(),
            keys_resolver=FakeHostResolver(),
        ),
        provider=ProviderAdapters(
            oauth_grants=grants,
            grant_holders=FakeGrantHolders(grants, store),
            device_authorizations=FakeDeviceAuthorizations(grants),
            pushed_requests=FakePushedRequests(),
            request_seal=request_seal(settings),  # pure computation: the real one
            provider_tokens=provider_tokens(settings),  # pure computation: the real one
        ),
        migration=MigrationAdapters(user_moves=FakeUserMoves(store)),
        orgs=OrgsAdapters(
            orgs=org_repository,
            invitations=FakeOrgInvitationRepository(),
            domains=FakeOrgDomains(store),
            txt=FakeTxtRecords(),
            roles=FakeOrgRoles(org_repository),
            templates=FakeRoleTemplates(org_repository),
            permissions=FakeMemberPermissions(org_repository, users),
        ),
        sso=SsoAdapters(
            connections=FakeConnections(store),
            saml_metadata=Pysaml2Metadata(),
            saml=saml_sp,  # pysaml2 and libxmlsec1: no request of its own
            spent=FakeSpentAssertions(),
            metadata_getter=FakeDocumentGetter(),
            metadata_resolver=idp_resolver,
            # The real client and transport, to an IdP in the test's process, whose host's
            # addresses are the fake's to say.
            oidc_client=connection_client(
                platform.outbound.sender(settings.group(EventsSettings).webhook_timeout),
                idp_resolver,
                local=settings.service.app_profile == "local",
            ),
            slo=saml_sp,
            saml_sessions=FakeSamlSessions(),
        ),
        scim=ScimAdapters(
            tokens=FakeScimTokens(org_repository),
            users=FakeScimUsers(users, org_repository),
            groups=FakeScimGroups(),
        ),
        units=unit_fakes(settings),
    )


def unit_fakes(settings: Settings) -> tuple[Placed[Any], ...]:
    """Each unit the settings run, on its fakes: ``adapters(settings)`` of its
    ``tests/unit/<unit>/fakes.py``, which goes with the unit when it is taken out."""
    return tuple(
        Placed(unit, import_module(f"tests.unit.{unit.name}.fakes").adapters(settings))
        for unit in units_on(settings)
    )


def unit_adapters(adapters: Adapters, name: str) -> Any:
    """The adapters of the unit named ``name`` (its fakes, in an app on the fakes)."""
    return next(placed.adapters for placed in adapters.units if placed.unit.name == name)


TEST_CLOCK = "firegate.test_clock"  # the fake clock an app built on the fakes reads


def app_time(client: FlaskClient) -> datetime:
    """The time of the app behind ``client``: its fake clock stands still, so a TOTP code for
    the app is computed at its time, never at the wall clock's; an app on the real adapters
    (the emulators) reads the wall clock."""
    found: FakeClock | None = client.application.extensions.get(TEST_CLOCK)
    return found.current if found is not None else datetime.now(UTC)


NEW = "another long passphrase 7"


def _pushed(services: Services, jobs: list[Job], final: bool) -> None:
    """``jobs`` delivered like a push would (the last attempt when ``final``)."""
    for job in jobs:
        data = base64.b64encode(encode_job(job)).decode()
        services.platform.jobs.receive_push(JobPush(data=data, dead_letter=final))


def run_jobs(app: Flask, queue: FakeJobQueue, *, final: bool = False) -> None:
    """Deliver the jobs queued so far like a push would (the last attempt when ``final``)."""
    jobs, queue.jobs = queue.jobs, []
    _pushed(app.extensions["firegate"], jobs, final)


class World:
    def __init__(self, **settings: object) -> None:
        """An app on the fakes with ``settings``."""
        self.settings = make_settings(**settings)
        self.store = InMemoryStore()
        self.queue = FakeJobQueue()
        self.mailer = FakeMailer()
        self.clock = FakeClock()
        self.audit = RecordingAuditLog()
        self.verifier = FakeIdentityVerifier()
        adapters = swap(
            fake_adapters(self.settings, self.store),
            identity_verifier=self.verifier,
            job_queue=self.queue.attach,
            mailer=self.mailer,
            audit=self.audit,
            clock=self.clock,
        )
        adapters = replace(adapters, units=(*adapters.units, *self.own_units()))
        self.adapters = adapters  # the fakes behind the app, for a test to plant state in
        self.app = app_on(self.settings, adapters)
        self.app.extensions[TEST_CLOCK] = self.clock
        self.client: FlaskClient = self.app.test_client()
        self.services: Services = self.app.extensions["firegate"]

    def own_units(self) -> Sequence[Placed[Any]]:
        """Units of the tests' own beside the service's (tests/support/keepsakes.py)."""
        return ()

    def deliver(self, *, final: bool = False) -> None:
        """Run the queued jobs, and the jobs they queue, until none is left."""
        deliver_jobs(self.queue, self.services, final=final)

    def token(self, address: str, path: str) -> str:
        mail = [m for m in self.mailer.to(address) if path in m.text][-1]
        link = next(word for word in mail.text.split() if "token=" in word)
        assert link.startswith(f"http://127.0.0.1:8000{path}?token=")
        return parse_qs(urlsplit(link).query)["token"][0]

    def reset(self, token: str, password: str = NEW) -> int:
        body = {"token": token, "new_password": password}
        return self.client.post("/auth/password/reset", json=body).status_code


# The core's adapters whose ports ``swap`` finds by name, beside the platform's.
_GROUPS: tuple[type[Any], ...] = (
    AccountsAdapters,
    SigninAdapters,
    FederationAdapters,
    MailAdapters,
    EventsAdapters,
    ProviderAdapters,
    MigrationAdapters,
    SsoAdapters,
)


def deliver_jobs(queue: FakeJobQueue, services: Services, *, final: bool = False) -> None:
    """Run the jobs ``queue`` holds, and the jobs they queue, as Pub/Sub's pushes would."""
    while queue.jobs:
        jobs, queue.jobs = queue.jobs, []
        _pushed(services, jobs, final)


def app_on_emulator(
    settings: Settings, firestore: Any, queue: FakeJobQueue, **ports: object
) -> Flask:
    """The app on the emulators through ``firestore`` (a client, a counted one say), its jobs
    kept in ``queue``, its mail in a fake, no webhook queue; ``ports`` swapped in."""
    adapters = swap(
        build_adapters(settings, firestore=firestore),
        job_queue=queue.attach,
        webhook_queue=None,
        mailer=FakeMailer(),
        **ports,
    )
    return app_on(settings, adapters)


def swap(adapters: Adapters, **ports: object) -> Adapters:
    """``adapters`` with the named ports swapped, whichever capability holds each: a test
    names the port it replaces (``swap(adapters, mailer=mailer)``), not its capability; a
    unit's adapters by the unit's name (``swap(adapters, tasks=repository)``)."""
    groups: list[Any] = [adapters.platform, *(adapters.of(kind) for kind in _GROUPS)]
    units = list(adapters.units)
    for port, adapter in ports.items():
        at = [i for i, placed in enumerate(units) if placed.unit.name == port]
        if at:
            units[at[0]] = Placed(units[at[0]].unit, adapter)
            continue
        holders = [i for i, group in enumerate(groups) if hasattr(group, port)]
        if len(holders) != 1:
            raise TypeError(f"no capability's adapters have a port named {port!r}")
        groups[holders[0]] = replace(groups[holders[0]], **{port: adapter})
    platform, *core = groups
    return replace(adapters.with_(*core), platform=platform, units=tuple(units))


# The apps the tests share in a process. Building the app compiles werkzeug's two URL builders
# for each of its ~260 rules (about 85 ms; docs/testing.md, "Where the time goes"), and most
# tests build one with the default settings. ``app_on`` builds that app once per process and,
# for each later test, binds it to the test's fakes: the services the routes read
# (``services()``), the request counter the limits count with, and the kept signed-out pages.
# The rest of an app is made from its settings alone (tests/unit/test_shared_app.py names each
# part). Other settings share an app in the same way among the tests of one module (the
# module's own settings, a parametrized test's) when nothing else could carry a test's state
# into the next (``shareable``): the default settings' request limits or none, no metrics, no
# traces. Tighter limits, metrics or traces get an app of their own, as does a second app within one
# test (two instances of the service, say). ``free_shared_apps``, after each test
# (tests/conftest.py), lets the next test have them, and forgets the module's apps before
# another module's tests. The default settings' limits are relaxed (1000 a minute), so no
# test with them meets the limiter's memory of a refusal, which is the app's.
SERVICES = "firegate"  # what services() reads (interfaces/shared/services.py)
DEFAULT_SETTINGS = make_settings()


def request_limits(settings: Settings) -> dict[str, object]:
    """Every RATE_LIMIT_* setting of the service's and the core's groups by its name: what
    the app's limiter is made of."""
    found: dict[str, object] = {}
    groups = [getattr(settings, name) for name in type(settings).model_fields]
    groups += [settings.group(kind) for unit in core_units() for kind in unit.settings]
    for group in groups:
        for name in type(group).model_fields:
            if name.startswith("rate_limit"):
                found[name] = getattr(group, name)
    return found


DEFAULT_LIMITS = request_limits(DEFAULT_SETTINGS)


def shareable(settings: Settings) -> bool:
    """Whether tests may share an app with ``settings``: no request limits, or the default
    settings' (which no test meets); no metrics or traces (counts and spans of the app's
    own)."""
    limits = request_limits(settings)
    return (
        settings.telemetry == DEFAULT_SETTINGS.telemetry
        and (limits["rate_limit_enabled"] is False or limits == DEFAULT_LIMITS)
        and os.environ.get("FLASK_RUN_FROM_CLI") != "true"  # build_app's command line
    )


class TestsRequestCounter:
    """The shared app's request counter: that of the test it serves."""

    def __init__(self, current: RequestCounter) -> None:
        self.current = current

    def hit(self, key: str, windows: Sequence[int], now: float) -> dict[int, WindowCounts]:
        return self.current.hit(key, windows, now)

    def check(self) -> bool:
        return self.current.check()


def fills_of_its_own(settings: Settings, adapters: Adapters) -> bool:
    """Whether ``adapters`` place a unit of the tests' own that fills slots itself (its
    record's ``fills``): the app is made with those (the pages' brands, say), so it is not
    shared."""
    named = {unit.name for unit in (*core_units(), *units_on(settings))}
    return any(placed.unit.fills for placed in adapters.units if placed.unit.name not in named)


class SharedApp:
    """An app with ``settings``, bound to one test's fakes at a time."""

    def __init__(self, settings: Settings = DEFAULT_SETTINGS) -> None:
        self.settings = settings
        self.app: Flask | None = None
        self.counter: TestsRequestCounter | None = None
        self.taken = False  # by the test running

    def on(self, adapters: Adapters) -> Flask:
        if self.taken or fills_of_its_own(self.settings, adapters):
            return build_app(self.settings, adapters)
        if self.app is None or self.counter is None:
            self.counter = TestsRequestCounter(adapters.platform.request_counter)
            self.app = build_app(self.settings, swap(adapters, request_counter=self.counter))
        else:
            self.counter.current = adapters.platform.request_counter
            self.app.extensions[SERVICES] = bind(self.settings, adapters)
            self.app.extensions[KEPT_PAGES] = KeptPages()
            self.app.extensions.pop(TEST_CLOCK, None)  # its caller's to set
        self.taken = True
        return self.app

    def free(self) -> None:
        """After a test: the next may have the app."""
        self.taken = False


SHARED_APP = SharedApp()  # the process's, with the default settings
MODULE_APPS: list[SharedApp] = []  # the module's, each with settings of its own


def app_on(settings: Settings, adapters: Adapters) -> Flask:
    """The app on ``adapters``: with the default settings, the process's one, bound to them;
    with other settings that may be shared, the module's one with those settings; else one
    built for this call."""
    if settings == DEFAULT_SETTINGS:
        return SHARED_APP.on(adapters)
    if not shareable(settings):
        return build_app(settings, adapters)
    found = next((shared for shared in MODULE_APPS if shared.settings == settings), None)
    if found is None:
        found = SharedApp(settings)
        MODULE_APPS.append(found)
    return found.on(adapters)


def free_shared_apps(*, next_module: bool) -> None:
    """After a test: the next may have the shared apps; ``next_module``: the next test is
    another module's (or there is none), which forgets this module's apps."""
    SHARED_APP.free()
    for shared in MODULE_APPS:
        shared.free()
    if next_module:
        MODULE_APPS.clear()
