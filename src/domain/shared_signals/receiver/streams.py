"""The stream firegate registers at an org's IdP's SSF transmitter for one OpenID connection
(docs/reference/ssf-receiver.md): the transmitter it was registered at, what a push must
carry (the authorization header's secret, sealed), and, until it is registered, when the
sweep tries again."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

# A failed registration is tried again by the sweep after a backoff that doubles, at most
# a day apart.
FIRST_RETRY = timedelta(minutes=5)
LONGEST_RETRY = timedelta(days=1)


@dataclass(frozen=True)
class TransmitterConfig:
    """What a transmitter's ``/.well-known/ssf-configuration`` says firegate needs."""

    issuer: str
    jwks_uri: str
    configuration_endpoint: str


@dataclass(frozen=True)
class ReceiverStream:
    """Firegate's stream at a connection's transmitter. ``configuration_url``: the address
    it was registered for (a connection pointed elsewhere registers again); ``issuer``,
    ``jwks_uri``: what its SETs are checked against; ``sealed_authorization``: the secret a
    push's ``Authorization`` header carries, sealed (``SecretBox``); ``stream_id``: the
    transmitter's id for it ("" until registered); ``failures`` and ``retry_at``: the
    registration's backoff."""

    connection_id: str
    org_id: str
    configuration_url: str
    sealed_authorization: str
    issuer: str = ""
    jwks_uri: str = ""
    audience: tuple[str, ...] = ()  # the ``aud`` its SETs carry, as the transmitter said
    stream_id: str = ""
    failures: int = 0
    retry_at: datetime | None = None
    last_error: str = ""

    @property
    def registered(self) -> bool:
        return bool(self.stream_id)

    def due(self, configuration_url: str, now: datetime) -> bool:
        """Whether the sweep registers it (again) now: pointed elsewhere since, or not
        registered and its backoff over."""
        if configuration_url != self.configuration_url:
            return True
        return not self.registered and (self.retry_at is None or self.retry_at <= now)

    def registered_at(
        self, config: TransmitterConfig, stream_id: str, audience: tuple[str, ...]
    ) -> ReceiverStream:
        return replace(
            self,
            issuer=config.issuer,
            jwks_uri=config.jwks_uri,
            audience=audience,
            stream_id=stream_id,
            failures=0,
            retry_at=None,
            last_error="",
        )

    def failed(self, error: str, now: datetime) -> ReceiverStream:
        wait = min(FIRST_RETRY * (2**self.failures), LONGEST_RETRY)
        return replace(self, failures=self.failures + 1, retry_at=now + wait, last_error=error)
