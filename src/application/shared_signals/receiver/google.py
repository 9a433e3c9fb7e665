"""Google's RISC events for the Google upstream (docs/reference/ssf-receiver.md, "Google"):
pushed to ``/ssf/receive/google``, checked against Google's RISC configuration and keys, to
the audience of the upstream's client id, about an identity linked under it. Sessions
revoked end the linked account's sessions; an account disabled at Google ends them and marks
the identity, which then signs in through Google no more
(docs/decisions/0962-a-google-identity-disabled-is-the-receivers-mark.md)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from application.accounts.ways_in import IdentityRepository
from application.federation.providers import UpstreamProviders
from application.shared_signals.receiver.effects import Effects
from application.shared_signals.receiver.keys import TransmitterDocuments
from application.shared_signals.receiver.ports import DisabledIdentities, SpentSetIds
from application.shared_signals.receiver.receiving import Verdict, spent_key
from domain.accounts.users import User
from domain.errors import DomainError, PermissionDenied
from domain.shared_signals.receiver.events import Effect
from domain.shared_signals.receiver.sets import (
    ACCESS_DENIED,
    INVALID_KEY,
    INVALID_REQUEST,
    Refused,
    checked_set,
)

log = logging.getLogger("firegate.ssf")

GOOGLE = "google"  # the spent SETs' source, and the path's name


@dataclass(frozen=True, kw_only=True, slots=True)
class GoogleRiscReceiver:
    providers: UpstreamProviders
    provider_id: str  # the Google upstream's id (SSF_GOOGLE_PROVIDER)
    configuration_url: str  # Google's RISC configuration (SSF_GOOGLE_RISC_CONFIGURATION_URL)
    documents: TransmitterDocuments
    spent: SpentSetIds
    identities: IdentityRepository
    disabled: DisabledIdentities
    effects: Effects

    def receive(self, token: str) -> Verdict:
        try:
            return self._receive(token)
        except Refused as refused:
            log.warning("ssf: a Google RISC SET refused: %s", refused.err)
            return Verdict.of(refused)

    def _receive(self, token: str) -> Verdict:
        provider = self.providers.get(self.provider_id)
        if provider is None:
            raise Refused(ACCESS_DENIED, "No Google upstream takes RISC events here.")
        try:
            config = self.documents.config(self.configuration_url, managed=False)
        except DomainError:
            raise Refused(INVALID_KEY, "Google's RISC configuration could not be read.") from None
        claims = self.documents.verified(token, config.jwks_uri)
        received = checked_set(claims, issuer=config.issuer, audiences=(provider.client_id,))
        targets: list[tuple[Effect, str, str]] = []
        for event in received.events:
            subject = event.subject
            if event.effect is Effect.NOTHING:
                continue
            linked = (
                self.identities.find_by_identity(provider.id, subject.sub)
                if subject is not None
                and subject.format == "iss_sub"
                and subject.iss.rstrip("/") == provider.issuer.rstrip("/")
                else None
            )
            if linked is None or subject is None:
                raise Refused(INVALID_REQUEST, "The event's subject is no linked identity.")
            targets.append((event.effect, subject.sub, linked.id))
        now = self.effects.clock.now()
        if not self.spent.spend(spent_key(GOOGLE, received.jti), received.remembered_until(now)):
            raise Refused(INVALID_REQUEST, "A SET with this jti was received before.")
        for effect, subject_id, user_id in targets:
            if effect is Effect.DISABLE:
                self.disabled.disable(provider.id, subject_id, user_id, now)
            self.effects.end_sessions(user_id, None)
        return Verdict()


@dataclass(frozen=True, kw_only=True, slots=True)
class DisabledGoogleIdentities:
    """The sign-in gate that refuses a sign-in through the Google upstream by an identity
    Google said is disabled."""

    provider_id: str
    identities: IdentityRepository
    disabled: DisabledIdentities

    def __call__(self, user: User, *, amr: tuple[str, ...], via: str | None) -> None:
        if via != self.provider_id:
            return
        for link in self.identities.list_for(user.id):
            if link.provider == via and self.disabled.disabled(link.provider, link.subject):
                raise PermissionDenied(
                    "Google says this Google account is disabled: sign in another way.",
                    code="identity_disabled",
                )
