"""The shared signals unit: an SSF transmitter for firegate's relying parties, and an SSF
receiver for an org's IdP and Google's RISC (docs/reference/ssf.md)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from application.accounts.accounts import OWNED_DATA
from application.clients.ports import OAuthClients
from application.events.outbox import OutboxEntries
from application.jobs import JOBS
from application.outbound import HostResolver
from application.shared_signals.transmitter.outbox import PUSH_SETS, SetOutbox, SetPush, SetSigner
from application.shared_signals.transmitter.ports import SetPusher, TransmitterStore
from application.shared_signals.transmitter.streams import Transmitter, TransmitterPolicy
from application.signin.codes.ways import CODE_WAYS
from bootstrap.events import EVENT_OUTBOXES
from bootstrap.provider_keys import provider_tokens
from bootstrap.signin_adapters import secret_box
from bootstrap.unit import Built, Kernel, Lent, Unit
from domain.errors import Unavailable
from infrastructure.settings.identity.events import EventsSettings
from infrastructure.settings.identity.signin import SignInSettings
from interfaces.cli import CLIENT_FLAGS, ClientFlag

if TYPE_CHECKING:
    from flask import Blueprint
    from google.cloud.firestore import Client

    from infrastructure.settings import Settings

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
    )


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
    clients = own.transmitter.clients
    push = SetPush(
        store=own.transmitter.store,
        entries=own.transmitter.entries,
        pusher=set_pusher(own, kernel),
        box=secret_box(kernel.settings.group(SignInSettings)),
        resolver=own.transmitter.resolver,
        queue=kernel.queue,
        clock=kernel.platform.clock,
        local=transmitter_policy(kernel.settings).local,
        client_exists=lambda client_id: clients.get(client_id) is not None,
    )
    return Lent(fills=(JOBS((PUSH_SETS, push.run)), OWNED_DATA(own.transmitter.store)))


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


def receiver_lends(own: SharedSignalsAdapters, kernel: Kernel) -> Lent:
    return Lent()


def receiver_built(own: SharedSignalsAdapters, kernel: Kernel) -> Built:
    return Built()


# (the receiver's other parts above this line)


# -- the unit


@dataclass(frozen=True, kw_only=True)
class SharedSignalsAdapters:
    """The unit's adapters: the transmitter's and the receiver's."""

    transmitter: TransmitterAdapters


def adapters(_settings: Settings, client: Client) -> SharedSignalsAdapters:
    return SharedSignalsAdapters(
        transmitter=transmitter_adapters(client),
    )


def lends_early(own: SharedSignalsAdapters, kernel: Kernel) -> Lent:
    transmitter = transmitter_lends_early(own, kernel)
    return Lent(fills=(*transmitter.fills,), offers=(*transmitter.offers,))


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
    return (*transmitter_api(),)


UNIT = Unit[SharedSignalsAdapters](
    name="shared_signals",
    adapters=adapters,
    lends=lends,
    build=build,
    lends_early=lends_early,
    api=api,
    fills=(CLIENT_FLAGS(SSF_FLAG),),
)
