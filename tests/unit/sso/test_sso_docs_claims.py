"""What the single sign-on docs say about OpenID connections is what the code does: the
issuer addresses the reference says are taken are the ones the check takes, and the
customers' guide does not call the test sign-in SAML's only (docs/reference/sso.md, "An
OpenID identity provider" and "Test sign-in")."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from domain.errors import FieldError
from domain.sso.connections import checked_url

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
REFERENCE = ROOT / "docs" / "reference" / "sso.md"
GUIDE = ROOT / "docs" / "sso-for-customers.md"
HTTP_HOSTS = re.compile(r"an `http` one whose host is exactly ((?:`[^`]+`(?:, | or )?)+)")


def section(text: str, title: str) -> str:
    start = text.index(f"### {title}\n")
    end = text.find("\n### ", start + 1)
    return text[start : end if end != -1 else len(text)]


def refused(url: str) -> bool:
    problems: list[FieldError] = []
    checked_url(url, "oidc.issuer", problems)
    return bool(problems)


def test_the_reference_names_exactly_the_http_issuers_that_are_taken() -> None:
    text = " ".join(
        section(REFERENCE.read_text(encoding="utf-8"), "An OpenID identity provider").split()
    )
    found = HTTP_HOSTS.search(text)
    assert found, "the reference says which http issuers are taken"
    hosts = re.findall(r"`([^`]+)`", found.group(1))
    assert hosts
    assert [host for host in hosts if refused(f"http://{host}:4000/oidc")] == []
    assert refused("http://idp.example.com/oidc")
    assert not refused("https://idp.example.com/oidc")
    assert "`https_required`" in text


def test_the_guide_offers_the_openid_test_sign_in_the_pages_have() -> None:
    guide = " ".join(GUIDE.read_text(encoding="utf-8").split())
    assert "SAML's only" not in guide
    openid = section(GUIDE.read_text(encoding="utf-8"), "The OpenID Connect alternative")
    assert "Test sign-in" in " ".join(openid.split())
    test = section(REFERENCE.read_text(encoding="utf-8"), "Test sign-in")
    assert "- **OpenID**:" in test
