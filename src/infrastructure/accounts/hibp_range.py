"""Have I Been Pwned's k-anonymity range API (``BREACHED_PASSWORDS_URL``): only the first 5
hex characters of the password's SHA-1 leave the process, the answer is padded
(``Add-Padding: true``) so its size says nothing of the prefix, and the suffixes are compared
here. Answers are kept per prefix for a day in this process
(docs/decisions/0478-breached-password-cache-per-process.md); a request has one second in
all, and anything else than a well-formed answer in time is BreachCheckFailed."""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

import requests

from application.accounts.breached import BreachCheckFailed

DEFAULT_URL = "https://api.pwnedpasswords.com"
PREFIX_LENGTH = 5
CACHE_SECONDS = 24 * 3600.0
CACHE_PREFIXES = 4096  # about 30 kB each once the padding is dropped: ~120 MB at most
MAX_BYTES = 1024 * 1024  # a padded range is ~40 kB


class HibpRangeBreaches:
    def __init__(
        self,
        base_url: str = DEFAULT_URL,
        *,
        deadline: float = 1.0,
        cache_seconds: float = CACHE_SECONDS,
        cache_prefixes: int = CACHE_PREFIXES,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._deadline = deadline
        self._ttl = cache_seconds
        self._size = cache_prefixes
        self._monotonic = monotonic
        # prefix -> (when fetched, {suffix: count}) for the suffixes seen at least once
        self._ranges: OrderedDict[str, tuple[float, dict[str, int]]] = OrderedDict()
        self._lock = threading.Lock()
        self._local = threading.local()  # a session per thread, made on its first check

    def times_seen(self, password: str) -> int:
        digest = hashlib.sha1(password.encode(), usedforsecurity=False).hexdigest().upper()
        prefix, suffix = digest[:PREFIX_LENGTH], digest[PREFIX_LENGTH:]
        return self._range(prefix).get(suffix, 0)

    def _range(self, prefix: str) -> dict[str, int]:
        now = self._monotonic()
        with self._lock:
            kept = self._ranges.get(prefix)
            if kept is not None and now - kept[0] < self._ttl:
                self._ranges.move_to_end(prefix)
                return kept[1]
        counts = parse_range(self._fetch(prefix))
        with self._lock:
            self._ranges[prefix] = (now, counts)
            self._ranges.move_to_end(prefix)
            while len(self._ranges) > self._size:
                self._ranges.popitem(last=False)
        return counts

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.trust_env = False  # no proxy or .netrc from the environment
            self._local.session = session
        return session

    def _fetch(self, prefix: str) -> bytes:
        started = self._monotonic()
        try:
            with self._session().get(
                f"{self._base}/range/{prefix}",
                timeout=(self._deadline, self._deadline),
                allow_redirects=False,
                stream=True,
                headers={
                    "Add-Padding": "true",
                    "Accept": "text/plain",
                    "Accept-Encoding": "identity",
                    "User-Agent": "firegate",
                },
            ) as response:
                if response.status_code != 200:
                    raise BreachCheckFailed(
                        "error", f"the range API answered {response.status_code}"
                    )
                body = bytearray()
                # read1: whatever has arrived, so the deadline holds against a trickle too.
                while chunk := response.raw.read1(16384, decode_content=False):
                    body += chunk
                    if len(body) > MAX_BYTES:
                        raise BreachCheckFailed("error", "the range API's answer is too large")
                    if self._monotonic() - started > self._deadline:
                        raise BreachCheckFailed("timeout", "the range API is too slow")
                return bytes(body)
        except requests.Timeout as exc:
            raise BreachCheckFailed("timeout", "the range API is too slow") from exc
        except requests.RequestException as exc:
            # The exception's text holds the URL, and so the prefix: only its type is said.
            raise BreachCheckFailed(
                "error", f"the range API is unreachable ({type(exc).__name__})"
            ) from exc


def parse_range(body: bytes) -> dict[str, int]:
    """The suffixes of a range answer (``SUFFIX:COUNT`` lines) that were seen at least once:
    padding lines (count 0) are dropped. BreachCheckFailed when it is not such an answer."""
    counts: dict[str, int] = {}
    try:
        text = body.decode("ascii")
    except UnicodeDecodeError as exc:
        raise BreachCheckFailed("error", "the range API's answer is not text") from exc
    for line in text.splitlines():
        if not line.strip():
            continue
        suffix, colon, count = line.strip().partition(":")
        if not colon or len(suffix) != 40 - PREFIX_LENGTH or not count.isdigit():
            raise BreachCheckFailed("error", "the range API's answer is not a range")
        if int(count) > 0:
            counts[suffix.upper()] = int(count)
    return counts
