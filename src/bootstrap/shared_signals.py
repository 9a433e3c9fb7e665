"""The shared signals unit: an SSF transmitter for firegate's relying parties, and an SSF
receiver for an org's IdP and Google's RISC (docs/reference/ssf.md)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from math import ceil
from typing import TYPE_CHECKING

from application.accounts.accounts import OWNED_DATA
from application.accounts.ways_in import IdentityRepository
from application.clients.ports import OAuthClients
from application.events.outbox import OutboxEntries
from application.events.webhooks.ports import Scheduler
from application.federation.providers import UpstreamProviders
from application.jobs import JOBS, SWEEPS, TIMERS
from application.orgs.ports import ORG_REPOSITORY
from application.outbound import HostResolver
from application.ports import SecretBox
from application.shared_signals.receiver.effects import Effects
from application.shared_signals.receiver.google import (
    DisabledGoogleIdentities,
    GoogleRiscReceiver,
)
from application.shared_signals.receiver.keys import TransmitterDocuments
from application.shared_signals.receiver.ports import (
    DisabledIdentities,
    Json,
    ReceiverStreams,
    SetSignatures,
    SpentSetIds,
    TransmitterCalls,
)
from application.shared_signals.receiver.receiving import OrgSetReceiver
from application.shared_signals.receiver.registration import (
    REGISTER,
    ConnectionChanges,
    StreamRegistration,
)
from application.shared_signals.transmitter.outbox import PUSH_SETS, SetOutbox, SetPush, SetSigner
from application.shared_signals.transmitter.ports import SetPusher, TransmitterStore
from application.shared_signals.transmitter.streams import Transmitter, TransmitterPolicy
from application.signin.codes.ways import CODE_WAYS
from application.signin.sessions import SIGNIN_STORES
from application.sso.ports import Connections
from bootstrap.events import EVENT_OUTBOXES
from bootstrap.orgs_parts import ORG_DATA
from bootstrap.provider_keys import provider_tokens
from bootstrap.signin_adapters import secret_box
from bootstrap.signin_policies import SIGN_IN_GATES
from bootstrap.unit import Built, Kernel, Lent, Unit
from domain.errors import Unavailable
from domain.request_limits import parse_limits
from infrastructure.events.scheduler import ThreadScheduler
from infrastructure.firestore.accounts.identities import FirestoreIdentityRepository
from infrastructure.firestore.federation.upstream_providers import FirestoreUpstreamProviders
from infrastructure.firestore.shared_signals.receiver import (
    FirestoreDisabledIdentities,
    FirestoreReceiverStreams,
    FirestoreSpentSetIds,
)
from infrastructure.firestore.sso.connections import FirestoreConnections
from infrastructure.outbound_http import SocketHostResolver
from infrastructure.settings import Settings
from infrastructure.settings.identity.events import EventsSettings
from infrastructure.settings.identity.signin import SignInSettings
from infrastructure.shared_signals.receiver_calls import PinnedTransmitterCalls
from infrastructure.shared_signals.receiver_settings import SsfReceiverSettings
from infrastructure.shared_signals.receiver_signatures import PyJwtSetSignatures
from infrastructure.shared_signals.transmitter_settings import SsfTransmitterSettings
from interfaces.cli import CLIENT_FLAGS, ClientFlag

if TYPE_CHECKING:
    from flask import Blueprint
    from google.cloud.firestore import Client

# -- the transmitter


@dataclass(frozen=True, kw_only=True)
class TransmitterAdapters:
    """The transmitter's store, the events' outbox entries it reads back, the clients (a
    deleted client's stream is deleted), the address check of a push receiver's host and,
    where a test gives one, the push itself (None: through the platform's outbound
    client)."""

    store: TransmitterStore
    entries: OutboxEntries
    clients: OAuthClients
    resolver: HostResolver
    pusher: SetPusher | None = None


def transmitter_adapters(client: Client) -> TransmitterAdapters:
    from infrastructure.firestore.clients.oauth import FirestoreOAuthClients  # noqa: PLC0415
    from infrastructure.firestore.events.outbox import FirestoreOutboxEntries  # noqa: PLC0415
    from infrastructure.firestore.shared_signals.transmitter import (  # noqa: PLC0415
        FirestoreTransmitterStore,
    )
    from infrastructure.outbound_http import SocketHostResolver  # noqa: PLC0415

    return TransmitterAdapters(
        store=FirestoreTransmitterStore(client),
        entries=FirestoreOutboxEntries(client),
        clients=FirestoreOAuthClients(client),
        resolver=SocketHostResolver(),
    )


def transmitter_policy(settings: Settings) -> TransmitterPolicy:
    return TransmitterPolicy(
        issuer=settings.service.public_url,
        public_url=settings.service.public_url,
        local=settings.service.app_profile == "local",
        verification_interval=verification_interval(settings),
    )


def verification_interval(settings: Settings) -> int | None:
    """The seconds a receiver waits between two verifications to stay within
    RATE_LIMIT_SSF_VERIFY over every window (10 a minute and 60 an hour: 60); None when
    requests are not limited (docs/reference/ssf.md, "Verification")."""
    verify = settings.group(SsfTransmitterSettings).rate_limit_ssf_verify
    if not settings.service.rate_limit_enabled or not verify.strip():
        return None
    return max(ceil(limit.seconds / limit.amount) for limit in parse_limits(verify))


def set_signer(settings: Settings) -> SetSigner | None:
    """SETs are signed as the provider's ID tokens are, by its keys (its JWKS verifies
    them); None when the provider is off, and with it the transmitter."""
    keys = provider_tokens(settings)
    return None if keys is None else keys.sign_security_event


def transmitter_lends_early(own: SharedSignalsAdapters, kernel: Kernel) -> Lent:
    """The transmitter's outbox (``EVENT_OUTBOXES``, events'): each stored event's SETs for
    the streams that follow its account, in the event's commit."""
    sign = set_signer(kernel.settings)
    if sign is None:
        return Lent()
    outbox = SetOutbox(
        store=own.transmitter.store,
        sign=sign,
        issuer=transmitter_policy(kernel.settings).issuer,
        clock=kernel.platform.clock,
        queue=kernel.queue,
        client_exists=client_exists(own),
    )
    return Lent(fills=(EVENT_OUTBOXES(outbox),))


def set_pusher(own: SharedSignalsAdapters, kernel: Kernel) -> SetPusher:
    if own.transmitter.pusher is not None:
        return own.transmitter.pusher
    from infrastructure.shared_signals.transmitter import OutboundSetPusher  # noqa: PLC0415

    timeout = kernel.settings.group(EventsSettings).webhook_timeout
    return OutboundSetPusher(kernel.platform.outbound.sender(timeout))


def transmitter_lends(own: SharedSignalsAdapters, kernel: Kernel) -> Lent:
    """The push job of a stream's SETs (``ssf_push``), which reads whether the stream's
    client is still registered; the subjects of a deleted account (``OWNED_DATA``)."""
    push = SetPush(
        store=own.transmitter.store,
        entries=own.transmitter.entries,
        pusher=set_pusher(own, kernel),
        box=secret_box(kernel.settings.group(SignInSettings)),
        resolver=own.transmitter.resolver,
        queue=kernel.queue,
        clock=kernel.platform.clock,
        local=transmitter_policy(kernel.settings).local,
        client_exists=client_exists(own),
    )
    return Lent(fills=(JOBS((PUSH_SETS, push.run)), OWNED_DATA(own.transmitter.store)))


def client_exists(own: SharedSignalsAdapters) -> Callable[[str], bool]:
    """Whether a stream's client is still registered (read through the clients' cache)."""
    clients = own.transmitter.clients
    return lambda client_id: clients.get(client_id) is not None


def transmitter_built(own: SharedSignalsAdapters, kernel: Kernel) -> Built:
    """The transmitter's use cases; none when the provider is off."""
    sign = set_signer(kernel.settings)
    if sign is None:
        return Built()
    transmitter = Transmitter(
        store=own.transmitter.store,
        entries=own.transmitter.entries,
        users=kernel.offered(CODE_WAYS).users,
        box=secret_box(kernel.settings.group(SignInSettings)),
        sign=sign,
        clock=kernel.platform.clock,
        queue=kernel.queue,
        policy=transmitter_policy(kernel.settings),
    )
    return Built(services=(transmitter,))


def transmitter_api() -> Sequence[Blueprint]:
    from interfaces.http.routes.shared_signals import transmitter  # noqa: PLC0415 - with the app

    return (transmitter.bp,)


def _ssf_client(client_id: str) -> Mapping[str, object]:
    """``clients create --ssf``: the client may hold a stream."""
    from interfaces.shared.services import services  # noqa: PLC0415 - in the app's context

    try:
        transmitter = services().of(Transmitter)
    except LookupError:
        raise Unavailable(
            "Shared signals need the OpenID provider (OAUTH_PROVIDER); the client is made "
            "without --ssf.",
            code="ssf_off",
        ) from None
    transmitter.register_client(client_id)
    return {"ssf": True}


SSF_FLAG = ClientFlag(
    name="ssf",
    help="A shared signals receiver: it manages its one stream of security events "
    "(/ssf/streams) with its own access token (client credentials).",
    made=_ssf_client,
)


# (the transmitter's other parts above this line; the receiver's below the next)


# -- the receiver

RECEIVER_SWEEP = "ssf-receiver-streams"  # registers the streams at the IdPs' transmitters


@dataclass(frozen=True, kw_only=True)
class ReceiverAdapters:
    """The receiver's adapters (docs/reference/ssf-receiver.md): its own stores, and its
    readers of the core's (the connections, the linked identities, the upstream providers).
    ``calls``: None for the platform's outbound client, made when the unit lends."""

    connections: Connections
    identities: IdentityRepository
    providers: UpstreamProviders
    streams: ReceiverStreams
    spent: SpentSetIds
    disabled: DisabledIdentities
    signatures: SetSignatures
    box: SecretBox
    scheduler: Scheduler  # runs the registration on this process's timer
    calls: TransmitterCalls | None = None
    # The transmitters' documents fetched, shared by the sweep and the receivers.
    kept: dict[str, tuple[datetime, Json]] = field(default_factory=dict)


def receiver_adapters(settings: Settings, client: Client) -> ReceiverAdapters:
    return ReceiverAdapters(
        connections=FirestoreConnections(client),
        identities=FirestoreIdentityRepository(client),
        providers=FirestoreUpstreamProviders(client),
        streams=FirestoreReceiverStreams(client),
        spent=FirestoreSpentSetIds(client),
        disabled=FirestoreDisabledIdentities(client),
        signatures=PyJwtSetSignatures(),
        box=secret_box(settings.group(SignInSettings)),
        scheduler=ThreadScheduler(),
    )


def transmitter_calls(own: ReceiverAdapters, kernel: Kernel) -> TransmitterCalls:
    """Sent as a webhook is: a public address only (any, in the local profile)."""
    if own.calls is not None:
        return own.calls
    settings = kernel.settings
    return PinnedTransmitterCalls(
        kernel.platform.outbound.sender(settings.group(EventsSettings).webhook_timeout),
        SocketHostResolver(),
        local=settings.service.app_profile == "local",
    )


def transmitter_documents(own: ReceiverAdapters, kernel: Kernel) -> TransmitterDocuments:
    return TransmitterDocuments(
        calls=transmitter_calls(own, kernel),
        signatures=own.signatures,
        clock=kernel.platform.clock,
        kept=own.kept,
    )


def stream_registration(own: SharedSignalsAdapters, kernel: Kernel) -> StreamRegistration:
    """``own.transmitter.entries``: the unit's outbox entries, where a connection's changes
    are too (``ConnectionChanges``)."""
    return StreamRegistration(
        connections=own.receiver.connections,
        streams=own.receiver.streams,
        entries=own.transmitter.entries,
        documents=transmitter_documents(own.receiver, kernel),
        calls=transmitter_calls(own.receiver, kernel),
        box=own.receiver.box,
        clock=kernel.platform.clock,
        public_url=kernel.settings.service.public_url,
    )


def receiver_lends(own: SharedSignalsAdapters, kernel: Kernel) -> Lent:
    """The streams' registration (``SWEEPS``, and every SSF_RECEIVER_SWEEP_INTERVAL seconds
    in this process: ``TIMERS``; a connection's after its change: ``JOBS``) and the sign-in
    gate that refuses a Google identity Google
    said is disabled (``SIGN_IN_GATES``), and a purged org's streams (``ORG_DATA``)."""
    receiver, settings = own.receiver, kernel.settings.group(SsfReceiverSettings)
    gate = DisabledGoogleIdentities(
        provider_id=settings.ssf_google_provider,
        identities=receiver.identities,
        disabled=receiver.disabled,
    )
    registration = stream_registration(own, kernel)
    sweep = registration.sweep
    interval = settings.ssf_receiver_sweep_interval

    def start() -> None:
        if interval > 0:
            receiver.scheduler.every(interval, sweep)

    return Lent(
        fills=(
            SWEEPS((RECEIVER_SWEEP, sweep)),
            JOBS((REGISTER, registration.run)),
            TIMERS(start),
            SIGN_IN_GATES(gate),
            ORG_DATA(receiver.streams),
        )
    )


def receiver_built(own: SharedSignalsAdapters, kernel: Kernel) -> Built:
    """The pushes' receivers: an org's IdP's, Google's RISC."""
    receiver, platform = own.receiver, kernel.platform
    stores = kernel.offered(SIGNIN_STORES)
    effects = Effects(
        users=stores.users, sessions=stores.sessions, clock=platform.clock, audit=platform.audit
    )
    documents = transmitter_documents(receiver, kernel)
    settings = kernel.settings.group(SsfReceiverSettings)
    orgs = OrgSetReceiver(
        connections=receiver.connections,
        streams=receiver.streams,
        documents=documents,
        spent=receiver.spent,
        users=stores.users,
        identities=receiver.identities,
        orgs=kernel.offered(ORG_REPOSITORY),
        box=receiver.box,
        effects=effects,
    )
    google = GoogleRiscReceiver(
        providers=receiver.providers,
        provider_id=settings.ssf_google_provider,
        configuration_url=settings.ssf_google_risc_configuration_url,
        documents=documents,
        spent=receiver.spent,
        identities=receiver.identities,
        disabled=receiver.disabled,
        effects=effects,
    )
    return Built(services=(orgs, google, stream_registration(own, kernel)))


def receiver_api() -> Sequence[Blueprint]:
    from interfaces.http.routes.shared_signals import (  # noqa: PLC0415 - loaded with the app
        receiver,
    )

    return (receiver.bp,)


# (the receiver's other parts above this line)


# -- the unit


@dataclass(frozen=True, kw_only=True)
class SharedSignalsAdapters:
    """The unit's adapters: the transmitter's and the receiver's."""

    transmitter: TransmitterAdapters
    receiver: ReceiverAdapters


def adapters(settings: Settings, client: Client) -> SharedSignalsAdapters:
    return SharedSignalsAdapters(
        transmitter=transmitter_adapters(client),
        receiver=receiver_adapters(settings, client),
    )


def lends_early(own: SharedSignalsAdapters, kernel: Kernel) -> Lent:
    """The transmitter's outbox, and the receiver's of its connections' changes
    (``EVENT_OUTBOXES``, events')."""
    transmitter = transmitter_lends_early(own, kernel)
    changes = ConnectionChanges(queue=kernel.queue)
    return Lent(fills=(*transmitter.fills, EVENT_OUTBOXES(changes)), offers=(*transmitter.offers,))


def lends(own: SharedSignalsAdapters, kernel: Kernel) -> Lent:
    transmitter, receiver = transmitter_lends(own, kernel), receiver_lends(own, kernel)
    return Lent(
        fills=(*transmitter.fills, *receiver.fills),
        offers=(*transmitter.offers, *receiver.offers),
    )


def build(own: SharedSignalsAdapters, kernel: Kernel) -> Built:
    transmitter, receiver = transmitter_built(own, kernel), receiver_built(own, kernel)
    return Built(
        services=(*transmitter.services, *receiver.services),
        offers=(*transmitter.offers, *receiver.offers),
    )


def api() -> Sequence[Blueprint]:
    return (*transmitter_api(), *receiver_api())


def limits(settings: Settings) -> dict[tuple[str, str], str]:
    """A receiver's verification: a SET signed and pushed at once (docs/security.md)."""
    verify = settings.group(SsfTransmitterSettings).rate_limit_ssf_verify
    return {("POST", "/ssf/streams/verify"): verify}


UNIT = Unit[SharedSignalsAdapters](
    name="shared_signals",
    adapters=adapters,
    lends=lends,
    build=build,
    lends_early=lends_early,
    api=api,
    limits=limits,
    settings=(SsfReceiverSettings, SsfTransmitterSettings),
    fills=(CLIENT_FLAGS(SSF_FLAG),),
)
