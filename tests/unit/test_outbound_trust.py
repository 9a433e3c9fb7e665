"""Every outbound https client to an address firegate is given trusts the one CA bundle
setting, SSL_CERT_FILE (docs/configuration.md, "Service"): the pinned client is made in one
place, with it; the upstream providers' client gets it, or goes through the pinned one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

SRC = Path(__file__).resolve().parents[2] / "src"


def constructions(name: str) -> dict[str, list[str]]:
    """Each module of src/ that makes a ``name``, with the call's first line."""
    found: dict[str, list[str]] = {}
    for path in SRC.rglob("*.py"):
        for line in path.read_text().splitlines():
            if re.search(rf"\b{name}\(", line) and not line.lstrip().startswith(("class ", "#")):
                found.setdefault(str(path.relative_to(SRC)), []).append(line.strip())
    return found


def test_the_pinned_client_is_made_in_one_place_with_the_bundle() -> None:
    assert constructions("PinnedWebhookSender") == {
        "bootstrap/platform.py": [
            "return PinnedWebhookSender(timeout=timeout, ca_certs=settings.service.ssl_cert_file)"
        ]
    }


def test_the_upstream_client_trusts_the_bundle_or_goes_through_the_pinned_one() -> None:
    made = constructions("AuthlibUpstreamClient")
    lines = [line for each in made.values() for line in each]
    assert lines and all(
        "ca_certs=settings.service.ssl_cert_file" in line or "transport=" in line for line in lines
    )
