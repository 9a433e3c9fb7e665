"""Pushed authorization requests (RFC 9126): sealed into their ``request_uri`` at
``/oauth/par`` (nothing kept), spent when the browser brings them to ``/oauth/authorize``,
resumed by that browser while the person signs in and consents (docs/reference/oauth.md,
"Pushed authorization requests")."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from application.ports import Clock
from application.provider.ports import PushedRequests, RequestSeal
from domain.provider.pushed import (
    PUSHED_TTL,
    USED_ALREADY,
    Push,
    PushedRequestRefused,
    request_uri,
    sealed_part,
    spent_key,
)

UNKNOWN = "The request_uri is not one this server gave, or it has expired."


@dataclass(frozen=True)
class PushRequest:
    client_id: str  # the client authenticated
    params: tuple[tuple[str, str], ...]  # the authorization request, checked already


@dataclass(frozen=True)
class Pushed:
    request_uri: str
    expires_in: int


@dataclass(frozen=True)
class BringPushedRequest:
    """The browser brings a pushed request's ``request_uri`` to /oauth/authorize."""

    client_id: str  # the authorization request's
    request_uri: str


@dataclass(frozen=True)
class BroughtPushedRequest:
    """A pushed request the browser brought: its parameters, and what resumes it in that
    browser (``ResumePushed.resume``)."""

    params: tuple[tuple[str, str], ...]
    resume: str


@dataclass(frozen=True)
class ResumePushed:
    client_id: str  # the authorization request's
    resume: str  # ``BroughtPushedRequest.resume``


@dataclass(frozen=True, kw_only=True, slots=True)
class PushedAuthorizations:
    """Pushed authorization requests: sealed by ``seal`` into their ``request_uri``, and
    ``pushed`` keeps the ones spent, which their browser resumes."""

    pushed: PushedRequests
    seal: RequestSeal
    clock: Clock

    def push_request(self, cmd: PushRequest) -> Pushed:
        """The request sealed into its ``request_uri``; ``invalid_request`` if too long."""
        push = Push.new(cmd.client_id, cmd.params, self.clock.now())
        sealed = self.seal.seal(push.plaintext())
        return Pushed(request_uri(sealed), int(PUSHED_TTL.total_seconds()))

    def bring_pushed(self, cmd: BringPushedRequest) -> BroughtPushedRequest:
        """The browser brings a ``request_uri``: opened, and spent at once (of parallel
        arrivals one succeeds), and resumable by a ticket only this answer tells.
        ``PushedRequestRefused`` for an unknown, changed, expired or used one, or another
        client's."""
        sealed = sealed_part(cmd.request_uri)
        plaintext = self.seal.open(sealed) if sealed is not None else None
        push = Push.from_plaintext(plaintext) if plaintext is not None else None
        if push is None:
            raise PushedRequestRefused(UNKNOWN)
        ticket = secrets.token_urlsafe(24)
        arrived = push.arrive(cmd.client_id, ticket, self.clock.now())
        if not self.pushed.spend(arrived):
            raise PushedRequestRefused(USED_ALREADY)
        return BroughtPushedRequest(arrived.params, f"{push.id}.{ticket}")

    def resume_pushed(self, cmd: ResumePushed) -> tuple[tuple[str, str], ...]:
        """The parameters of a request this browser brought, for its sign-in and consent."""
        push_id, _, ticket = cmd.resume.partition(".")
        key = spent_key(push_id)
        found = self.pushed.get(key) if key is not None and ticket else None
        if found is None or found.client_id != cmd.client_id:
            raise PushedRequestRefused(UNKNOWN)
        return found.resume(ticket, self.clock.now())
