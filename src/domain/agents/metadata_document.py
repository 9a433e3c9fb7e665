"""A client whose ``client_id`` is the https URL of its metadata document
(draft-ietf-oauth-client-id-metadata-document; docs/agents-and-clis.md, "Agents with a client
metadata document"): which URLs are such ids, what the document must say, the client it
makes, and how long a fetched document is kept: the agents unit's
(docs/decisions/0771-a-unit-resolves-clients.md). Fetching it is
application/agents/documents.py's."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from urllib.parse import urlsplit

from domain.clients.client_keys import PRIVATE_KEY_JWT
from domain.clients.oauth import OAuthClient, check_client_name
from domain.clients.redirect_uris import MAX_URI_CHARS, disguised
from domain.errors import DomainError, Unauthenticated
from domain.public_urls import loopback_host

MAX_DOCUMENT_BYTES = 5 * 1024
FETCH_SECONDS = 3.0
# How long a fetched document is kept: its answer's Cache-Control max-age, within these
# bounds; an answer without one, and a refusal, for the shortest
# (docs/decisions/0545-client-metadata-documents-kept-per-process.md).
MIN_KEPT_SECONDS = 5 * 60
MAX_KEPT_SECONDS = 24 * 3600
# What such a client may ask for: about the person, nothing of their roles or phone
# (docs/decisions/0546-what-a-client-metadata-document-may-ask-for.md); the org they act in,
# whose agent policy then decides whether it may act there
# (docs/decisions/0622-an-orgs-policy-governs-document-agents.md).
DOCUMENT_SCOPES = ("openid", "profile", "email", "offline_access", "organization")
AUTH_METHODS = ("none", PRIVATE_KEY_JWT)
# A shared secret cannot be published: a document naming one is refused.
SECRET_FIELDS = ("client_secret", "client_secret_expires_at")


class DocumentRefused(Unauthenticated):
    """The client's metadata document could not be fetched, or says what may not be: the
    client is unknown (``invalid_client``)."""

    code = "client_document_refused"


def document_client_id(client_id: str) -> bool:
    """Whether ``client_id`` names a metadata document: an https URL with a host and a path
    beyond "/", without a fragment, a user or password, or a "." or ".." segment."""
    if not client_id.startswith("https://") or len(client_id) > MAX_URI_CHARS:
        return False
    if disguised(client_id) or any(ch.isspace() for ch in client_id) or "#" in client_id:
        return False
    try:
        parts = urlsplit(client_id)
        parts.port  # noqa: B018 - raises on a port that is no number
    except ValueError:
        return False
    if not parts.hostname or "@" in parts.netloc or parts.path in ("", "/"):
        return False
    return not any(segment in (".", "..") for segment in parts.path.split("/"))


def document_host(client_id: str) -> str:
    """The host the document was fetched from: what the consent page names first."""
    return (urlsplit(client_id).hostname or "").lower()


def _refused(message: str) -> DocumentRefused:
    return DocumentRefused(message)


def _redirect_uris(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(u, str) for u in value):
        raise _refused("The document's redirect_uris is a list of at least one URI.")
    for uri in value:
        try:
            parts = urlsplit(uri)
            host = parts.hostname or ""
        except ValueError:
            raise _refused(f"The document's redirect URI is not a URI: {uri[:100]}") from None
        https = parts.scheme == "https" and bool(host)
        loopback = parts.scheme == "http" and loopback_host(host)
        if not (https or loopback):
            raise _refused("The document's redirect URIs are https (http only on loopback).")
    return tuple(value)


def _scopes(value: object) -> tuple[str, ...]:
    """The document's ``scope`` narrows what it may ask for; it never widens it."""
    if value is None:
        return DOCUMENT_SCOPES
    if not isinstance(value, str):
        raise _refused("The document's scope is a string of scopes.")
    asked = value.split()
    found = tuple(scope for scope in DOCUMENT_SCOPES if scope in asked)
    return found or DOCUMENT_SCOPES


def client_of_document(url: str, document: object, now: datetime) -> OAuthClient:
    """The client the document at ``url`` describes; ``DocumentRefused`` when it says what
    may not be (docs/security.md, "Client metadata documents")."""
    if not isinstance(document, dict):
        raise _refused("The client metadata document is not a JSON object.")
    if document.get("client_id") != url:
        raise _refused("The document's client_id is not the URL it was fetched from.")
    if any(name in document for name in SECRET_FIELDS):
        raise _refused("A client metadata document holds no client_secret.")
    method = document.get("token_endpoint_auth_method", "none")
    if method not in AUTH_METHODS:
        raise _refused("The document's token_endpoint_auth_method is none or private_key_jwt.")
    jwks, jwks_uri = document.get("jwks"), document.get("jwks_uri")
    if method == PRIVATE_KEY_JWT:
        if jwks is None and jwks_uri is None:
            raise _refused("A private_key_jwt document names its jwks_uri or jwks.")
        if jwks_uri is not None and (
            not isinstance(jwks_uri, str) or document_host(jwks_uri) != document_host(url)
        ):
            raise _refused("The document's jwks_uri is on the document's own host.")
    else:
        jwks, jwks_uri = None, None  # a public client: no keys are read
    name = document.get("client_name", document_host(url))
    if not isinstance(name, str):
        raise _refused("The document's client_name is a string.")
    try:
        client = OAuthClient.new(
            client_id=url,
            name=check_client_name(name),
            redirect_uris=_redirect_uris(document.get("redirect_uris")),
            secret=None,
            scopes=_scopes(document.get("scope")),
            now=now,
            jwks=jwks,
            jwks_uri=jwks_uri,
        )
    except DocumentRefused:
        raise
    except DomainError as error:
        raise _refused(f"The client metadata document is not usable: {error.detail}") from None
    return replace(client, metadata_document=True)


def kept_seconds(cache_control: str | None) -> int:
    """How long a fetched document is kept: its ``max-age``, within 5 minutes and 24 hours;
    without one (``no-store`` too), 5 minutes."""
    for directive in (cache_control or "").lower().split(","):
        name, _, value = directive.strip().partition("=")
        if name == "max-age" and value.strip().strip('"').isdigit():
            seconds = int(value.strip().strip('"'))
            return max(MIN_KEPT_SECONDS, min(MAX_KEPT_SECONDS, seconds))
    return MIN_KEPT_SECONDS
