"""The log streams unit: an org's audit events streamed to its own SIEM
(docs/log-streams.md, docs/reference/log-streams.md).

Its outbox (``EVENT_OUTBOXES``, lent early: the entries of each stored event for the
streams that see it, in the event's commit), bound to the orgs' memberships once they lend
them; each stream's delivery (``JOBS``: ``log_streams.deliver``, and the paused stream's
owners' mail) and the sweep that retries them (``SWEEPS``); a purged org's streams and links
(``ORG_DATA``); ``/orgs/{org}/log-streams``, the setup links' ``/log-streams/setup`` and the page
they open, ``/setup/log-stream``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

from application.events.outbox import OutboxEntries
from application.jobs import JOBS, SWEEPS
from application.log_streams.delivery import StreamDeliveries
from application.log_streams.formats import Product
from application.log_streams.mails import MAIL_OWNER, PAUSED, PausedMails
from application.log_streams.outbox import DELIVER, StreamCache, StreamOutbox
from application.log_streams.ports import Destination
from application.log_streams.store import StreamLinks, StreamStore
from application.log_streams.streams import LogStreams
from application.mail.sending import MailingJob
from application.orgs.ports import ORG_REPOSITORY
from application.outbound import HostResolver
from application.signin.codes.ways import CODE_WAYS
from bootstrap.events import EVENT_OUTBOXES
from bootstrap.mail import HOOKED_MAIL, mail_settings
from bootstrap.orgs_parts import ORG_DATA
from bootstrap.signin_adapters import secret_box
from bootstrap.unit import Built, Kernel, Lent, Unit
from domain.accounts.outlasting import OUTLASTING_ROUTES, Outlasting
from domain.log_streams.streams import LogStream
from infrastructure.firestore.events.outbox import FirestoreOutboxEntries
from infrastructure.firestore.log_streams.streams import FirestoreStreamLinks, FirestoreStreams
from infrastructure.log_streams.destinations import Destinations
from infrastructure.log_streams.settings import LogStreamsSettings
from infrastructure.outbound_http import SocketHostResolver
from infrastructure.settings.identity.events import EventsSettings
from infrastructure.settings.identity.signin import SignInSettings

if TYPE_CHECKING:
    from flask import Blueprint
    from google.cloud.firestore import Client

    from infrastructure.settings import Settings
    from interfaces.web.parts import Pages

SWEEP = "log-streams"  # the retries' pass (a ``sweep`` job's subject)
MEMBERSHIPS_READ = 200  # a person's orgs an event about them is streamed to, at most


@dataclass
class Outboxes:
    """The outbox and its cache as the early lend makes them, for the later steps."""

    cache: StreamCache | None = None
    outbox: StreamOutbox | None = None


@dataclass(frozen=True, kw_only=True)
class LogStreamsAdapters:
    """``destinations``: what makes a stream's destination (None: the real ones, through
    the platform's outbound client; a test's own else); ``resolver``: whose addresses an
    https stream's host must be public in."""

    store: StreamStore
    links: StreamLinks
    entries: OutboxEntries
    resolver: HostResolver
    destinations: Callable[[LogStream], Destination] | None = None
    made: Outboxes = field(default_factory=Outboxes)


def adapters(_settings: Settings, client: Client) -> LogStreamsAdapters:
    return LogStreamsAdapters(
        store=FirestoreStreams(client),
        links=FirestoreStreamLinks(client),
        entries=FirestoreOutboxEntries(client),
        resolver=SocketHostResolver(),
    )


def product(kernel: Kernel) -> Product:
    try:
        release = version("firegate")
    except PackageNotFoundError:
        release = "0"
    return Product(name=kernel.settings.branding.site_name, version=release)


def lends_early(own: LogStreamsAdapters, kernel: Kernel) -> Lent:
    """The outbox (``EVENT_OUTBOXES``), on the per-process cache of the active streams."""
    cache = StreamCache(own.store, kernel.platform.clock)
    outbox = StreamOutbox(cache=cache, queue=kernel.queue, product=product(kernel))
    own.made.cache, own.made.outbox = cache, outbox
    return Lent(fills=(EVENT_OUTBOXES(outbox),))


def _cache(own: LogStreamsAdapters, kernel: Kernel) -> StreamCache:
    if own.made.cache is None:  # a kernel without the early lends (a test's)
        own.made.cache = StreamCache(own.store, kernel.platform.clock)
    return own.made.cache


def _local(kernel: Kernel) -> bool:
    return kernel.settings.service.app_profile == "local"


def deliveries(own: LogStreamsAdapters, kernel: Kernel) -> StreamDeliveries:
    settings, platform = kernel.settings, kernel.platform
    destinations = own.destinations or Destinations(
        sender=platform.outbound.sender(settings.group(EventsSettings).webhook_timeout),
        resolver=own.resolver,
        box=secret_box(settings.group(SignInSettings)),
        clock=platform.clock,
        local=_local(kernel),
        ca_certs=platform.outbound.ca_certs,
        project=settings.service.google_cloud_project,
    )
    return StreamDeliveries(
        store=own.store,
        entries=own.entries,
        destinations=destinations,
        clock=platform.clock,
        queue=kernel.queue,
        cache=_cache(own, kernel),
        on_paused=paused_mails(kernel).paused,
    )


def paused_mails(kernel: Kernel) -> PausedMails:
    mail = kernel.offered(HOOKED_MAIL)
    return PausedMails(
        orgs=kernel.offered(ORG_REPOSITORY),
        users=kernel.offered(CODE_WAYS).users,
        queue=kernel.queue,
        mails=MailingJob(
            renderer=mail.mail_renderer,
            mailer=mail.mailer,
            settings=mail_settings(kernel.settings),
            metrics=kernel.platform.metrics,
        ),
        public_url=kernel.settings.service.public_url,
    )


def lends(own: LogStreamsAdapters, kernel: Kernel) -> Lent:
    """The outbox bound to the orgs' memberships; the deliveries' and the mails' jobs
    (``JOBS``), the retries' sweep (``SWEEPS``), a purged org's streams (``ORG_DATA``)."""
    orgs = kernel.offered(ORG_REPOSITORY)
    if own.made.outbox is not None:
        own.made.outbox.bind(
            lambda user_id: [org.id for org, _ in orgs.memberships_of(user_id, MEMBERSHIPS_READ)]
        )
    delivery, mails = deliveries(own, kernel), paused_mails(kernel)
    return Lent(
        fills=(
            JOBS(
                (DELIVER, delivery.run),
                (PAUSED, mails.find_owners),
                (MAIL_OWNER, mails.mail_owner),
            ),
            SWEEPS((SWEEP, delivery.sweep)),
            ORG_DATA(own.store, own.links),
        )
    )


def build(own: LogStreamsAdapters, kernel: Kernel) -> Built:
    settings, platform = kernel.settings, kernel.platform
    return Built(
        services=(
            LogStreams(
                orgs=kernel.offered(ORG_REPOSITORY),
                store=own.store,
                links=own.links,
                entries=own.entries,
                deliveries=deliveries(own, kernel),
                cache=_cache(own, kernel),
                box=secret_box(settings.group(SignInSettings)),
                queue=kernel.queue,
                clock=platform.clock,
                audit=platform.audit,
                product=product(kernel),
                public_url=settings.service.public_url,
                local=_local(kernel),
            ),
        )
    )


def api() -> Sequence[Blueprint]:
    from interfaces.http.routes.log_streams import (  # noqa: PLC0415 - loaded with the app
        setup,
        streams,
    )

    return (streams.bp, setup.bp)


def pages() -> Pages:
    """The Log streams section of an org's page, its owners', after its brand; the page a
    setup link opens (``/setup/log-stream``), to which a browser's navigation to the link's
    JSON address is sent."""
    from interfaces.web.log_streams import section, setup  # noqa: PLC0415 - loaded with the app
    from interfaces.web.orgs.org import ORG_SECTIONS  # noqa: PLC0415 - loaded with the app
    from interfaces.web.parts import At, Pages  # noqa: PLC0415 - loaded with the app

    return Pages(
        fills=(ORG_SECTIONS(At(97, section.STREAMS)),),
        before_request=(setup.api_address,),
    )


def limits(settings: Settings) -> dict[tuple[str, str], str]:
    """A stream's test: one event sent to the org's destination at once (docs/security.md)."""
    tests = settings.group(LogStreamsSettings).rate_limit_log_stream_tests
    return {("POST", "/orgs/<org>/log-streams/<stream_id:stream_id>/test"): tests}


# Its routes that make or change what outlasts a session (an org's log streams), by kind: a
# session of support access is refused them (the accounts' ``OUTLASTING_ROUTES``).
_OUTLASTING = OUTLASTING_ROUTES(
    (
        Outlasting.ORG_SETTINGS,
        (
            ("POST", "/orgs/<org>/log-streams"),
            ("DELETE", "/orgs/<org>/log-streams/<stream_id:stream_id>"),
            ("POST", "/orgs/<org>/log-streams/<stream_id:stream_id>/resume"),
            ("POST", "/orgs/<org>/log-streams/setup-links"),
        ),
    ),
)


UNIT = Unit[LogStreamsAdapters](
    name="log_streams",
    adapters=adapters,
    lends_early=lends_early,
    lends=lends,
    build=build,
    api=api,
    limits=limits,
    pages=pages,
    settings=(LogStreamsSettings,),
    fills=(_OUTLASTING,),
)
