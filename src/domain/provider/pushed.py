"""Pushed authorization requests (RFC 9126): a client posts its authorization request to
``/oauth/par`` and sends the browser with only ``client_id`` and the ``request_uri`` it got.
The request is spent when the browser first brings it; the sign-in and consent that follow
go on with a ticket only that browser holds (docs/reference/oauth.md, "Pushed authorization
requests"; docs/decisions/0420-a-pushed-request-is-spent-on-arrival.md)."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from domain.errors import InvalidInput, Unreadable
from domain.provider.oauth import digest

REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:"
PUSHED_TTL = timedelta(seconds=60)  # from the push to the browser's arrival (``expires_in``)
RESUME_TTL = timedelta(minutes=10)  # from the arrival: the sign-in and the consent
MAX_PUSHED_CHARS = 16_000  # every name and value of one request together
# What the authorization endpoint's own steps may take out of a resumed request: a new
# sign-in answers ``prompt=login``, ``max_age`` and ``id_token_hint`` (interfaces/provider/
# pages.py, ``_sign_in_again``). Every other parameter stays as it was pushed.
MAY_DROP = frozenset({"max_age", "id_token_hint"})


class PushedRequestRefused(Unreadable):
    """The request_uri cannot be used: unknown, another client's, expired or used already
    (400: the authorization request cannot be read)."""

    code = "invalid_request_uri"


@dataclass(frozen=True)
class PushedRequest:
    """An authorization request as pushed, kept under the SHA-256 of its ``request_uri``'s
    random part. ``ticket_hash``: set once the browser brought it (spent); the ticket then
    resumes it in that browser until ``expires_at``."""

    key: str
    client_id: str
    params: tuple[tuple[str, str], ...]
    created_at: datetime
    expires_at: datetime
    ticket_hash: str | None = None

    @staticmethod
    def new(
        client_id: str, params: tuple[tuple[str, str], ...], now: datetime
    ) -> tuple[PushedRequest, str]:
        """A new pushed request and its ``request_uri`` (told to the client once)."""
        size = sum(len(name) + len(value) for name, value in params)
        if size > MAX_PUSHED_CHARS:
            raise InvalidInput(
                f"The pushed request is too long: at most {MAX_PUSHED_CHARS} characters.",
                code="invalid_request",
            )
        handle = secrets.token_urlsafe(32)
        request = PushedRequest(
            key=digest(handle),
            client_id=client_id,
            params=params,
            created_at=now,
            expires_at=now + PUSHED_TTL,
        )
        return request, REQUEST_URI_PREFIX + handle

    @property
    def spent(self) -> bool:
        return self.ticket_hash is not None

    def arrive(self, client_id: str, ticket: str, now: datetime) -> PushedRequest:
        """The browser brings the request: it is spent, and resumable with ``ticket`` for
        ``RESUME_TTL``. Refused if it is another client's, used already, or expired."""
        if client_id != self.client_id:
            raise PushedRequestRefused("The request_uri was not pushed by this client.")
        if self.spent:
            raise PushedRequestRefused("The request_uri was used already: push the request again.")
        if now >= self.expires_at:
            raise PushedRequestRefused("The request_uri has expired: push the request again.")
        return replace(self, ticket_hash=digest(ticket), expires_at=now + RESUME_TTL)

    def resume(self, ticket: str, now: datetime) -> tuple[tuple[str, str], ...]:
        """The pushed parameters, for the browser that brought the request (its ticket)."""
        if (
            self.ticket_hash is None
            or not hmac.compare_digest(self.ticket_hash, digest(ticket))
            or now >= self.expires_at
        ):
            raise PushedRequestRefused(
                "This authorization request has expired or is not this browser's: the app "
                "must start again."
            )
        return self.params


def request_key(request_uri: str) -> str | None:
    """The key a ``request_uri`` of ours is kept under; None if it is none of ours."""
    if not request_uri.startswith(REQUEST_URI_PREFIX):
        return None
    handle = request_uri[len(REQUEST_URI_PREFIX) :]
    if not 20 <= len(handle) <= 100:
        return None
    return digest(handle)


def unchanged(pushed: tuple[tuple[str, str], ...], seen: list[tuple[str, str]]) -> bool:
    """Whether a resumed request's parameters are the pushed ones: each as pushed, but those
    a new sign-in answers (``MAY_DROP``) may be gone, and ``prompt`` may have lost some of
    its values (``login``)."""
    kept = [(name, value) for name, value in pushed if name not in MAY_DROP and name != "prompt"]
    now = [(name, value) for name, value in seen if name not in MAY_DROP and name != "prompt"]
    if sorted(kept) != sorted(now):
        return False
    for name in MAY_DROP:
        shown = [value for key, value in seen if key == name]
        if shown and shown != [value for key, value in pushed if key == name]:
            return False
    prompts = [value for key, value in seen if key == "prompt"]
    if len(prompts) > 1:
        return False
    pushed_prompt = {word for key, value in pushed if key == "prompt" for word in value.split()}
    return all(set(value.split()) <= pushed_prompt for value in prompts)
