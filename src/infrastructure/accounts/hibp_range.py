"""Have I Been Pwned's k-anonymity range API (``BREACHED_PASSWORDS_URL``): only the first 5
hex characters of the password's SHA-1 leave the process, the answer is padded
(``Add-Padding: true``) so its size says nothing of the prefix, and the suffixes are compared
here. A request has one second in all, and anything else than a well-formed answer in time is
BreachCheckFailed (docs/decisions/0478-breached-password-answers-kept-per-process.md).

Answers are kept per prefix for a day in this process, compactly: only the suffixes seen at
least the count asked, as sorted 18-byte records, and the whole cache within
``BREACHED_PASSWORDS_CACHE_BYTES``, the least recently used range out first
(docs/decisions/0500-breached-password-cache-compact-and-capped-by-bytes.md)."""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from application.accounts.breached import BreachCheckFailed

if TYPE_CHECKING:
    import requests

DEFAULT_URL = "https://api.pwnedpasswords.com"
PREFIX_LENGTH = 5
SUFFIX_LENGTH = 40 - PREFIX_LENGTH  # hex characters
RECORD = (SUFFIX_LENGTH + 1) // 2  # bytes: a suffix and a zero nibble after it
CACHE_SECONDS = 24 * 3600.0
CACHE_BYTES = 4 * 1024 * 1024  # ~250 real ranges (~900 suffixes, 16 kB each)
# What the process spends to keep one range beside its records (the key, the bytes object's
# header, the entry of the ordered dict): measured with tracemalloc, rounded up.
ENTRY_OVERHEAD = 400
MAX_BYTES = 1024 * 1024  # a padded range is ~40 kB


@dataclass(frozen=True, slots=True)
class KeptRange:
    fetched_at: float
    records: bytes  # sorted RECORD-byte suffixes

    @property
    def size(self) -> int:
        return len(self.records) + ENTRY_OVERHEAD


class HibpRangeBreaches:
    def __init__(
        self,
        base_url: str = DEFAULT_URL,
        *,
        deadline: float = 1.0,
        cache_seconds: float = CACHE_SECONDS,
        cache_bytes: int = CACHE_BYTES,
        monotonic: Callable[[], float] = time.monotonic,
        ca_certs: str | None = None,
    ) -> None:
        self._base = base_url.rstrip("/")
        # The CA bundle every outbound https call trusts (SSL_CERT_FILE's; requests' own
        # when None): the session reads nothing of the environment.
        self._verify: str | bool = ca_certs or True
        self._deadline = deadline
        self._ttl = cache_seconds
        self._cap = cache_bytes
        self._monotonic = monotonic
        # (prefix, times asked) -> the suffixes seen at least that many times, least
        # recently used first; ``_kept`` is the sum of their sizes, never above the cap.
        self._ranges: OrderedDict[tuple[str, int], KeptRange] = OrderedDict()
        self._kept = 0
        self._lock = threading.Lock()
        self._local = threading.local()  # a session per thread, made on its first check

    @property
    def kept_bytes(self) -> int:
        """What the kept ranges take, as counted against ``cache_bytes``."""
        return self._kept

    @property
    def kept_ranges(self) -> int:
        return len(self._ranges)

    def seen_at_least(self, password: str, times: int) -> bool:
        digest = hashlib.sha1(password.encode(), usedforsecurity=False).hexdigest().upper()
        prefix, suffix = digest[:PREFIX_LENGTH], digest[PREFIX_LENGTH:]
        return holds(self._records(prefix, times), record(suffix))

    def _records(self, prefix: str, times: int) -> bytes:
        key, now = (prefix, times), self._monotonic()
        with self._lock:
            kept = self._ranges.get(key)
            if kept is not None and now - kept.fetched_at < self._ttl:
                self._ranges.move_to_end(key)
                return kept.records
        records = compact_range(self._fetch(prefix), times)
        self._keep(key, KeptRange(now, records))
        return records

    def _keep(self, key: tuple[str, int], kept: KeptRange) -> None:
        with self._lock:
            old = self._ranges.pop(key, None)
            if old is not None:
                self._kept -= old.size
            if kept.size > self._cap:
                return  # larger than the whole cache: answered, not kept
            self._ranges[key] = kept
            self._kept += kept.size
            while self._kept > self._cap:
                _, evicted = self._ranges.popitem(last=False)
                self._kept -= evicted.size

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            # Imported by the first password screened: a deployment that screens none never
            # loads requests for it (docs/decisions/0530-protocol-stacks-loaded-when-used.md).
            import requests  # noqa: PLC0415

            session = requests.Session()
            session.trust_env = False  # no proxy or .netrc from the environment
            session.verify = self._verify
            self._local.session = session
        return session

    def _fetch(self, prefix: str) -> bytes:
        import requests  # noqa: PLC0415 - see _session

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


def record(suffix: str) -> bytes:
    """A suffix (35 hex characters) as its RECORD bytes; ValueError when it is not that."""
    packed = bytes.fromhex(suffix + "0")
    if len(packed) != RECORD:  # fromhex skips white space
        raise ValueError("not a suffix")
    return packed


def holds(records: bytes, wanted: bytes) -> bool:
    """Whether the sorted RECORD-byte ``records`` hold ``wanted`` (a binary search)."""
    low, high = 0, len(records) // RECORD
    while low < high:
        middle = (low + high) // 2
        found = records[middle * RECORD : (middle + 1) * RECORD]
        if found == wanted:
            return True
        if found < wanted:
            low = middle + 1
        else:
            high = middle
    return False


def compact_range(body: bytes, times: int) -> bytes:
    """The suffixes of a range answer (``SUFFIX:COUNT`` lines) seen at least ``times`` times,
    as sorted RECORD-byte records; padding lines (count 0) never count. BreachCheckFailed when
    it is not such an answer."""
    try:
        text = body.decode("ascii")
    except UnicodeDecodeError as exc:
        raise BreachCheckFailed("error", "the range API's answer is not text") from exc
    kept: list[bytes] = []
    for line in text.splitlines():
        suffix, colon, count = line.strip().partition(":")
        if not suffix and not colon:
            continue  # a blank line
        if not colon or len(suffix) != SUFFIX_LENGTH or not count.isdigit():
            raise BreachCheckFailed("error", "the range API's answer is not a range")
        try:
            suffix_bytes = record(suffix)
        except ValueError as exc:
            raise BreachCheckFailed("error", "the range API's answer is not a range") from exc
        if int(count) >= max(times, 1):
            kept.append(suffix_bytes)
    kept.sort()
    return b"".join(kept)
