"""A transmitter's documents, kept a while per process (docs/reference/ssf-receiver.md): its
configuration and its keys; a SET signed with a key not among those kept has them fetched
again, once, before it is refused."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from application.ports import Clock
from application.shared_signals.receiver.ports import (
    Json,
    SetSignatures,
    TransmitterCalls,
    UnknownKey,
)
from domain.errors import Unavailable
from domain.shared_signals.receiver.sets import INVALID_KEY, Refused
from domain.shared_signals.receiver.streams import TransmitterConfig

KEPT = timedelta(hours=1)  # a configuration or a key set is fetched again after this


def transmitter_config(document: Json, *, managed: bool = True) -> TransmitterConfig:
    """The configuration ``document`` fetched; Unavailable, in words, when it lacks what
    firegate needs: a ``configuration_endpoint`` only where firegate manages its stream
    (``managed``; Google's RISC stream is set up in Google's console)."""
    needed = ("issuer", "jwks_uri", "configuration_endpoint") if managed else ("issuer", "jwks_uri")
    found = {name: document.get(name) for name in needed}
    missing = [name for name, value in found.items() if not isinstance(value, str) or not value]
    if missing:
        raise Unavailable(f"The transmitter's configuration lacks {', '.join(missing)}.")
    return TransmitterConfig(
        issuer=str(found["issuer"]),
        jwks_uri=str(found["jwks_uri"]),
        configuration_endpoint=str(found.get("configuration_endpoint") or ""),
    )


@dataclass
class TransmitterDocuments:
    """The configurations and key sets fetched, by address, each kept for ``KEPT``."""

    calls: TransmitterCalls
    signatures: SetSignatures
    clock: Clock
    kept: dict[str, tuple[datetime, Json]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def document(self, url: str, *, fresh: bool = False) -> Json:
        now = self.clock.now()
        with self._lock:
            kept = self.kept.get(url)
        if kept is not None and not fresh and now < kept[0]:
            return kept[1]
        document = self.calls.get_json(url)
        with self._lock:
            self.kept[url] = (now + KEPT, document)
        return document

    def config(self, url: str, *, managed: bool = True) -> TransmitterConfig:
        """The transmitter's configuration at ``url`` (``transmitter_config``)."""
        return transmitter_config(self.document(url), managed=managed)

    def verified(self, token: str, jwks_uri: str) -> Json:
        """The SET's claims, its signature checked with the keys at ``jwks_uri``, fetched
        again once when it names a key not kept; Refused (``invalid_key``) when none
        verifies it or the keys cannot be fetched."""
        try:
            try:
                return self.signatures.claims(token, self.document(jwks_uri))
            except UnknownKey:
                return self.signatures.claims(token, self.document(jwks_uri, fresh=True))
        except UnknownKey:
            raise Refused(
                INVALID_KEY, "The SET is signed with a key the transmitter does not publish."
            ) from None
        except Unavailable:
            raise Refused(INVALID_KEY, "The transmitter's keys could not be fetched.") from None
