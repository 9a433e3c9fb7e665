"""Pushed authorization requests (RFC 9126): kept at ``/oauth/par``, spent when the browser
brings them to ``/oauth/authorize``, resumed by that browser while the person signs in and
consents (docs/reference/oauth.md, "Pushed authorization requests")."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from application.ports import Clock
from application.provider.ports import PushedRequests
from domain.provider.pushed import (
    PUSHED_TTL,
    REQUEST_URI_PREFIX,
    PushedRequest,
    PushedRequestRefused,
    request_key,
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


def push_request(cmd: PushRequest, *, pushed: PushedRequests, clock: Clock) -> Pushed:
    request, request_uri = PushedRequest.new(cmd.client_id, cmd.params, clock.now())
    pushed.add(request)
    return Pushed(request_uri, int(PUSHED_TTL.total_seconds()))


@dataclass(frozen=True)
class BringPushed:
    client_id: str  # the authorization request's
    request_uri: str


@dataclass(frozen=True)
class Resumable:
    """A pushed request the browser brought: its parameters, and what resumes it in that
    browser (``ResumePushed.resume``)."""

    params: tuple[tuple[str, str], ...]
    resume: str


def bring_pushed(cmd: BringPushed, *, pushed: PushedRequests, clock: Clock) -> Resumable:
    """The browser brings a ``request_uri``: spent at once (of parallel arrivals one
    succeeds), and resumable by a ticket only this answer tells. ``PushedRequestRefused``
    for an unknown, expired or used one, or another client's."""
    key = request_key(cmd.request_uri)
    if key is None:
        raise PushedRequestRefused(UNKNOWN)
    ticket, now = secrets.token_urlsafe(24), clock.now()
    arrived = pushed.change(key, lambda request: request.arrive(cmd.client_id, ticket, now))
    if arrived is None:
        raise PushedRequestRefused(UNKNOWN)
    handle = cmd.request_uri[len(REQUEST_URI_PREFIX) :]
    return Resumable(arrived.params, f"{handle}.{ticket}")


@dataclass(frozen=True)
class ResumePushed:
    client_id: str  # the authorization request's
    resume: str  # ``Resumable.resume``


def resume_pushed(
    cmd: ResumePushed, *, pushed: PushedRequests, clock: Clock
) -> tuple[tuple[str, str], ...]:
    """The parameters of a request this browser brought, for its sign-in and consent."""
    handle, _, ticket = cmd.resume.partition(".")
    key = request_key(REQUEST_URI_PREFIX + handle)
    found = pushed.get(key) if key is not None and ticket else None
    if found is None or found.client_id != cmd.client_id:
        raise PushedRequestRefused(UNKNOWN)
    return found.resume(ticket, clock.now())
