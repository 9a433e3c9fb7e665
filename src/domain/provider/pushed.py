"""Pushed authorization requests (RFC 9126): a client posts its authorization request to
``/oauth/par`` and sends the browser with only ``client_id`` and the ``request_uri`` it got.
Nothing is kept at the push: the ``request_uri`` carries the request itself, sealed. It is
spent when the browser first brings it, and the sign-in and consent that follow go on with a
ticket only that browser holds (docs/reference/oauth.md, "Pushed authorization requests";
docs/decisions/0420-a-pushed-request-is-spent-on-arrival.md,
docs/decisions/0438-the-request-uri-carries-the-request-sealed.md)."""

from __future__ import annotations

import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from domain.clients.oauth import digest
from domain.errors import InvalidInput, Unreadable

REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:"
PUSHED_TTL = timedelta(seconds=60)  # from the push to the browser's arrival (``expires_in``)
RESUME_TTL = timedelta(minutes=10)  # from the arrival: the sign-in and the consent
# The longest ``request_uri`` given (the request sealed in it): it travels in the browser's
# URL, and the arrival is answered with the request itself in the URL, both under the 8,190
# characters of a request line gunicorn takes (gunicorn.conf.py).
MAX_REQUEST_URI_CHARS = 4_096
# What the authorization endpoint's own steps may take out of a resumed request: a new
# sign-in answers ``prompt=login``, ``max_age`` and ``id_token_hint`` (interfaces/provider/
# sign_in_again.py). Every other parameter stays as it was pushed.
MAY_DROP = frozenset({"max_age", "id_token_hint"})
TOO_LONG = (
    f"The pushed request is too long: its request_uri would pass {MAX_REQUEST_URI_CHARS} "
    "characters."
)


class PushedRequestRefused(Unreadable):
    """The request_uri cannot be used: unknown, another client's, expired or used already
    (400: the authorization request cannot be read)."""

    code = "invalid_request_uri"


USED_ALREADY = "The request_uri was used already: push the request again."


@dataclass(frozen=True)
class Push:
    """An authorization request as pushed: what its ``request_uri`` carries, sealed (nothing
    is kept until the browser brings it). ``id``: random; its SHA-256 keys the request once
    it is spent."""

    id: str
    client_id: str
    params: tuple[tuple[str, str], ...]
    expires_at: datetime

    @staticmethod
    def new(client_id: str, params: tuple[tuple[str, str], ...], now: datetime) -> Push:
        if sum(len(name) + len(value) for name, value in params) > MAX_REQUEST_URI_CHARS:
            raise InvalidInput(TOO_LONG, code="invalid_request")  # before sealing it
        return Push(secrets.token_urlsafe(16), client_id, params, now + PUSHED_TTL)

    def plaintext(self) -> bytes:
        """What is sealed: compact JSON, the expiry in milliseconds."""
        expires = round(self.expires_at.timestamp() * 1000)
        parts = [self.id, self.client_id, expires, [list(pair) for pair in self.params]]
        return json.dumps(parts, ensure_ascii=False, separators=(",", ":")).encode()

    @staticmethod
    def from_plaintext(plaintext: bytes) -> Push | None:
        """The push ``plaintext`` holds; None if it is not one (a former format)."""
        try:
            push_id, client_id, expires, params = json.loads(plaintext)
            return Push(
                str(push_id),
                str(client_id),
                tuple((str(name), str(value)) for name, value in params),
                datetime.fromtimestamp(expires / 1000, UTC),
            )
        except (ValueError, TypeError, OverflowError, OSError):
            return None

    def arrive(self, client_id: str, ticket: str, now: datetime) -> PushedRequest:
        """The browser brings the request: the request to keep, spent, and resumable with
        ``ticket`` for ``RESUME_TTL``. Refused if it is another client's or expired (whether
        it was used already is the store's create-if-absent)."""
        if client_id != self.client_id:
            raise PushedRequestRefused("The request_uri was not pushed by this client.")
        if now >= self.expires_at:
            raise PushedRequestRefused("The request_uri has expired: push the request again.")
        return PushedRequest(
            key=digest(self.id),
            client_id=self.client_id,
            params=self.params,
            created_at=now,
            expires_at=now + RESUME_TTL,
            ticket_hash=digest(ticket),
        )


def request_uri(sealed: str) -> str:
    """The ``request_uri`` of a sealed push; ``invalid_request`` if it would be too long."""
    found = REQUEST_URI_PREFIX + sealed
    if len(found) > MAX_REQUEST_URI_CHARS:
        raise InvalidInput(TOO_LONG, code="invalid_request")
    return found


def sealed_part(request_uri: str) -> str | None:
    """What a ``request_uri`` of ours seals; None if it is none of ours."""
    if not request_uri.startswith(REQUEST_URI_PREFIX):
        return None
    sealed = request_uri[len(REQUEST_URI_PREFIX) :]
    return sealed if 0 < len(sealed) <= MAX_REQUEST_URI_CHARS else None


@dataclass(frozen=True)
class PushedRequest:
    """A pushed request the browser brought (spent), kept under the SHA-256 of its push's
    ``id``: its ticket resumes it in that browser until ``expires_at``."""

    key: str
    client_id: str
    params: tuple[tuple[str, str], ...]
    created_at: datetime  # the arrival
    expires_at: datetime
    ticket_hash: str

    def resume(self, ticket: str, now: datetime) -> tuple[tuple[str, str], ...]:
        """The pushed parameters, for the browser that brought the request (its ticket)."""
        if not hmac.compare_digest(self.ticket_hash, digest(ticket)) or now >= self.expires_at:
            raise PushedRequestRefused(
                "This authorization request has expired or is not this browser's: the app "
                "must start again."
            )
        return self.params


def spent_key(push_id: str) -> str | None:
    """The key a spent push is kept under, from its ``id`` (which a resuming URL carries);
    None if that cannot be one."""
    return digest(push_id) if 16 <= len(push_id) <= 100 else None


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
