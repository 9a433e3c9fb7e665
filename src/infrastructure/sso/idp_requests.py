"""requests' transport for an org's OpenID identity provider (docs/reference/sso.md, "Signing
in"; docs/decisions/0445-an-openid-connection-fetches-as-a-webhook-is-sent.md).

Authlib's client sends every request of a connection's sign-in (discovery, the keys, the
code's exchange, userinfo) through a session with this adapter mounted, and the adapter sends
each as a webhook is sent (docs/security.md, "Webhooks"), through the webhooks' pinned client:

- outside the local profile, only over https to a host whose every address is public, and
  to the very address checked (the host is never resolved again);
- no redirect followed;
- the webhooks' deadline on the whole of each exchange, and at most 256 KB of an answer.

What firegate refuses to call is its own decision, a domain error (409
``idp_address_refused``); an IdP that gives no whole answer in time is one of requests' own
errors, which the client answers as an IdP that cannot be reached (503).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

from application.events.webhooks.ports import PinnedClient
from application.outbound import (
    HOST_NOT_RESOLVED,
    NOT_HTTPS,
    REDIRECT,
    Answer,
    DocumentTooLarge,
    HostResolver,
    WebhookUnreachable,
    log_refusal,
    public_address_of,
)
from domain.errors import Conflict
from domain.sso.connections import idp_address_refused

ANSWER_MAX = 256 * 1024  # a discovery document or a JWK Set is a few KB
# The pinned client sets these itself; and it reads a body as it comes, so none is compressed.
NOT_FORWARDED = frozenset({"host", "accept-encoding"})


class PinnedIdpAdapter(BaseAdapter):
    """Each request through ``client`` under the webhooks' rules; ``local``: the local
    profile, whose IdPs run on this machine, checks no address (its IdPs may be http)."""

    def __init__(self, client: PinnedClient, resolver: HostResolver, *, local: bool) -> None:
        super().__init__()
        self._client, self._resolver, self._local = client, resolver, local

    def send(  # noqa: PLR0917 - requests' BaseAdapter.send signature
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float, float] | tuple[float, None] | None = None,
        verify: bool | str = True,
        cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """The answer to ``request``. ``timeout``, ``verify``, ``cert`` and ``proxies`` are not
        used: the deadline is the pinned client's, TLS is always checked, nothing goes
        through a proxy (an IdP's discovery document becomes Authlib's session settings, so
        it could otherwise set any of them)."""
        url, method = request.url or "", request.method or "GET"
        address = self._checked(url)
        try:
            answer = self._client.exchange(
                method,
                url,
                _body(request.body),
                _forwarded(request.headers),
                address=address,
                limit=ANSWER_MAX,
            )
        except (WebhookUnreachable, DocumentTooLarge) as error:
            log_refusal(f"an identity provider's answer to {method}", url, error.cause)
            raise requests.ConnectionError(error.cause, request=request) from None
        if 300 <= answer.status < 400:
            raise _refused(url, REDIRECT)
        return _response(request, answer)

    def close(self) -> None:
        """Nothing of its own: the pinned client keeps the connections."""

    def _checked(self, url: str) -> str | None:
        """The address to connect to (None: the host's own, in the local profile); the
        refusal when the URL may not be called, requests' ConnectionError when its host has
        no address."""
        if self._local:
            return None
        if urlsplit(url).scheme != "https":
            raise _refused(url, NOT_HTTPS)
        address, refused = public_address_of(url, self._resolver)
        if refused == HOST_NOT_RESOLVED:
            log_refusal("an identity provider's answer", url, refused)
            raise requests.ConnectionError(refused)
        if refused is not None:
            raise _refused(url, refused)
        return address


def _refused(url: str, reason: str) -> Conflict:
    log_refusal("an identity provider's answer", url, reason)
    return idp_address_refused()


def _body(body: bytes | str | None) -> bytes | None:
    return body.encode() if isinstance(body, str) else body


def _forwarded(headers: Mapping[str, str | bytes]) -> dict[str, str]:
    return {
        name: value.decode("latin-1") if isinstance(value, bytes) else value
        for name, value in headers.items()
        if name.lower() not in NOT_FORWARDED
    }


def _response(request: requests.PreparedRequest, answer: Answer) -> requests.Response:
    """``answer`` as requests' own adapter builds a response, its body read from memory."""
    response = requests.Response()
    response.status_code = answer.status
    response.reason = answer.reason
    response.headers = CaseInsensitiveDict(dict(answer.headers))
    response.encoding = get_encoding_from_headers(response.headers)
    response.raw = io.BytesIO(answer.body)
    response.url = request.url or ""
    response.request = request
    return response
