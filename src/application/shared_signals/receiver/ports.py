"""The SSF receiver's ports (docs/reference/ssf-receiver.md): what it calls at a transmitter,
how a SET's signature is checked, the ``jti``s spent, its streams and the Google identities
disabled."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

from domain.shared_signals.receiver.streams import ReceiverStream

type Json = Mapping[str, object]


class TransmitterCalls(Protocol):
    """Calls to a transmitter or an IdP, sent as a webhook is: a public address only (any,
    in the local profile), that very address, no redirect, the webhooks' deadline."""

    def get_json(self, url: str) -> Json:
        """The JSON object at ``url`` (answered 200); Unavailable otherwise, in words."""
        ...

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> tuple[int, Json]:
        """POST ``body``: the status and the JSON object answered ({} if none); Unavailable
        when no answer came."""
        ...


class UnknownKey(Exception):
    """The SET names a key (``kid``) the JWK Set given does not hold."""


class SetSignatures(Protocol):
    def claims(self, token: str, jwks: Json) -> Json:
        """The claims of the SET ``token`` whose signature one key of ``jwks`` (the one its
        header's ``kid`` names) verifies (an asymmetric algorithm only); UnknownKey when
        ``jwks`` has no such key, Refused (``invalid_key`` or ``invalid_request``)
        otherwise."""
        ...


class SpentSetIds(Protocol):
    def spend(self, key: str, expires_at: datetime) -> bool:
        """Remember ``key`` until ``expires_at``: True the first time, False if it was."""
        ...


class ReceiverStreams(Protocol):
    def get(self, connection_id: str) -> ReceiverStream | None:
        """The stream registered (or being registered) for a connection, or None."""
        ...

    def put(self, stream: ReceiverStream) -> None:
        """Store ``stream`` as it now is."""
        ...

    def take_registration(
        self, connection_id: str, holder: str, now: datetime, until: datetime
    ) -> bool:
        """The registration of the connection's stream is ``holder``'s until ``until``,
        unless another holds it past ``now``: of the servers that find it due at once, one
        registers it (the transmitter would otherwise have a stream per server)."""
        ...

    def release_registration(self, connection_id: str, holder: str) -> None:
        """``holder`` is done registering (no error if it no longer holds it)."""
        ...

    def delete_owned_by_org(self, org_id: str, batch_size: int) -> None:
        """Delete a deleted org's streams, ``batch_size`` a commit; idempotent."""
        ...


class DisabledIdentities(Protocol):
    def disable(self, provider: str, subject: str, user_id: str, now: datetime) -> None:
        """Mark the identity ``subject`` at ``provider`` as one that no longer signs in."""
        ...

    def disabled(self, provider: str, subject: str) -> bool:
        """Is the identity marked?"""
        ...
