"""The sender's part of a mail's brand: the brand's filler (``BrandMails``) puts an org's
verified sender on its brand, and ``OrgSenders.brand_of`` answers after it for an org with a
sender and no brand (application/org_brand/mails.py, senders.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from application.mail.sending import brand_of, branded
from application.org_brand.mails import BrandMails
from application.ports import Mail, MailBrand
from domain.org_brand.brand import Brand, Logo

pytestmark = pytest.mark.unit

SENDERS = {"org-1": "news@acme.example", "org-2": "hi@beta.example"}


def _brands(found: Brand | None) -> BrandMails:
    return BrandMails(
        brands=lambda org_id: found if org_id == "org-1" else None,
        logo_url=lambda _brand: "https://id.example/orgs/org-1/brand/logo",
        senders=SENDERS.get,
    )


ACME = Brand(
    org_id="org-1",
    display_name="Acme Rockets",
    logo=Logo("image/png", b"\x89PNG\r\n\x1a\n"),
    color="#123456",
    updated_at=datetime(2026, 1, 1, tzinfo=UTC),
)


def test_a_brand_goes_from_the_orgs_verified_sender() -> None:
    composed = _brands(ACME)
    assert composed("org-1") == MailBrand(
        "Acme Rockets",
        logo_url="https://id.example/orgs/org-1/brand/logo",
        color="#123456",
        sender="news@acme.example",
    )
    assert composed("org-2") is None  # no brand: the next filler answers (the sender's own)


def test_a_brand_without_a_verified_sender_goes_via_the_service() -> None:
    composed = BrandMails(
        brands=lambda _org_id: ACME, logo_url=lambda _brand: "", senders=lambda _org_id: None
    )
    found = composed("org-1")
    assert found is not None and found.sender is None
    mail = branded(Mail(to="a@example.com", subject="s", text="t", html="h"), found, "firegate")
    assert (mail.from_name, mail.from_address) == ("Acme Rockets via firegate", "")


def test_the_brand_filler_first_then_the_senders() -> None:
    senders_own = {"org-2": MailBrand("Beta", sender="hi@beta.example")}
    fillers = (_brands(ACME), senders_own.get)
    first = brand_of(fillers, "org-1")
    assert first is not None and first.name == "Acme Rockets"
    second = brand_of(fillers, "org-2")
    assert second == MailBrand("Beta", sender="hi@beta.example")
    assert brand_of(fillers, "org-3") is None
