"""Random dog pictures from the Dog CEO API (``DOG_API_URL``), defensively.

The answer is untrusted input: the request has connect and read timeouts and an overall
deadline, follows no redirect at all, reads at most ``max_bytes``, and the picture URL it
names is stored only if it is ``https`` on an allow-listed host name (never an IP address,
never with credentials or an unusual port). The service never fetches the picture itself.
"""

from __future__ import annotations

import ipaddress
import json
import time
from collections.abc import Iterable
from urllib.parse import urlsplit

from application.dogs import PictureUnavailable

DEFAULT_API_URL = "https://dog.ceo/api/breeds/image/random"
DEFAULT_IMAGE_HOSTS = ("images.dog.ceo",)
MAX_URL_LENGTH = 2048


def is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def accept_picture_url(url: object, allowed_hosts: frozenset[str]) -> str:
    """``url`` if it is an https URL on an allowed host; PictureUnavailable otherwise."""
    if not isinstance(url, str) or not 0 < len(url) <= MAX_URL_LENGTH:
        raise PictureUnavailable("the picture URL is missing or too long")
    if not url.isascii() or any(ch <= " " or ch in "\\\x7f" for ch in url):
        raise PictureUnavailable("the picture URL has characters a URL may not have")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise PictureUnavailable("the picture URL cannot be parsed") from exc
    host = (parts.hostname or "").rstrip(".")
    if parts.scheme != "https":
        raise PictureUnavailable("the picture URL is not https")
    if parts.username is not None or parts.password is not None or port not in (None, 443):
        raise PictureUnavailable("the picture URL has credentials or an unusual port")
    if is_ip_literal(host) or host not in allowed_hosts:
        raise PictureUnavailable("the picture URL is not on an allowed host")
    return url


class DogCeoPictureSource:
    def __init__(
        self,
        api_url: str = DEFAULT_API_URL,
        *,
        allowed_hosts: Iterable[str] = DEFAULT_IMAGE_HOSTS,
        connect_timeout: float = 3.0,
        read_timeout: float = 5.0,
        deadline: float = 10.0,
        max_bytes: int = 64 * 1024,
        ca_certs: str | None = None,
    ) -> None:
        self._url = api_url
        # The CA bundle every outbound https call trusts (SSL_CERT_FILE's; requests' own
        # when None): the session reads nothing of the environment.
        self._verify: str | bool = ca_certs or True
        self._allowed = frozenset(host.strip().lower().rstrip(".") for host in allowed_hosts)
        self._timeout = (connect_timeout, read_timeout)
        self._deadline = deadline
        self._max_bytes = max_bytes

    def random_picture(self) -> str:
        body = self._get()
        try:
            answer = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise PictureUnavailable("the answer is not JSON") from exc
        if not isinstance(answer, dict) or answer.get("status") != "success":
            raise PictureUnavailable("the answer is not a successful Dog CEO answer")
        return accept_picture_url(answer.get("message"), self._allowed)

    def _get(self) -> bytes:
        # Imported by the first picture fetched: requests waits for the first request that
        # needs a picture (docs/decisions/0530-protocol-stacks-loaded-when-used.md).
        import requests  # noqa: PLC0415

        started = time.monotonic()
        try:
            with requests.Session() as session:
                session.trust_env = False  # no proxy or .netrc from the environment
                session.verify = self._verify
                with session.get(
                    self._url,
                    timeout=self._timeout,
                    allow_redirects=False,  # a redirect could lead anywhere
                    stream=True,
                    # No compression: what we count is what we parse (no zip bombs).
                    headers={"Accept": "application/json", "Accept-Encoding": "identity"},
                ) as response:
                    if response.status_code != 200:
                        raise PictureUnavailable(f"the API answered {response.status_code}")
                    declared = response.headers.get("Content-Length", "")
                    if declared.isdigit() and int(declared) > self._max_bytes:
                        raise PictureUnavailable("the answer is too large")
                    body = bytearray()
                    # read1: whatever has arrived (each wait bounded by the read timeout), so
                    # the deadline holds even against an answer that trickles in byte by byte.
                    while chunk := response.raw.read1(8192, decode_content=False):
                        body += chunk
                        if len(body) > self._max_bytes:
                            raise PictureUnavailable("the answer is too large")
                        if time.monotonic() - started > self._deadline:
                            raise PictureUnavailable("the answer is too slow")
                    return bytes(body)
        except requests.RequestException as exc:
            # The exception's text can hold the URL; only its type is passed on.
            raise PictureUnavailable(f"the API is unreachable ({type(exc).__name__})") from exc
