"""maildev's REST API, as the e2e tests read the mail the service sent (real SMTP)."""

from __future__ import annotations

import os
import re
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

LINK = re.compile(r"https?://\S+?[?&]token=[A-Za-z0-9_-]+")


def maildev_url() -> str:
    return os.environ.get("MAILDEV_URL", "http://127.0.0.1:1080")


def messages() -> list[dict[str, Any]]:
    response = requests.get(f"{maildev_url()}/api/email", timeout=5)
    response.raise_for_status()
    found: list[dict[str, Any]] = response.json()
    return found


def to(address: str) -> list[dict[str, Any]]:
    return [m for m in messages() if any(r["address"] == address for r in m["to"])]


def wait_for(address: str, count: int = 1, timeout: float = 30.0) -> list[dict[str, Any]]:
    """The first ``count`` messages to ``address``, once they have arrived."""
    deadline = time.monotonic() + timeout
    while True:
        found = to(address)
        if len(found) >= count:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{count} mail(s) to {address} expected, {len(found)} arrived")
        time.sleep(0.1)


def link_in(message: dict[str, Any]) -> str:
    match = LINK.search(message["text"])
    assert match is not None, message["text"]
    return match.group(0)


def token_in(message: dict[str, Any]) -> str:
    return parse_qs(urlsplit(link_in(message)).query)["token"][0]
