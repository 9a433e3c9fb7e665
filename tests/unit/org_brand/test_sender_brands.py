"""The sender's part of a mail's brand: ``with_sender`` puts an org's verified sender on the
brand another filler answers (the brand's own, docs/org-brand.md), and ``brand_of`` answers
for an org with a sender and no brand (application/org_brand/senders.py)."""

from __future__ import annotations

import pytest

from application.mail.sending import brand_of, branded
from application.org_brand.senders import with_sender
from application.ports import Mail, MailBrand

pytestmark = pytest.mark.unit

BRANDS = {"org-1": MailBrand("Acme Rockets", logo_url="data:image/png;base64,AA", color="#123456")}
SENDERS = {"org-1": "news@acme.example", "org-2": "hi@beta.example"}


def test_a_brand_goes_from_the_orgs_verified_sender() -> None:
    composed = with_sender(BRANDS.get, SENDERS.get)
    assert composed("org-1") == MailBrand(
        "Acme Rockets",
        logo_url="data:image/png;base64,AA",
        color="#123456",
        sender="news@acme.example",
    )
    assert composed("org-2") is None  # no brand: the next filler answers (the sender's own)


def test_a_brand_without_a_verified_sender_goes_via_the_service() -> None:
    with_a_stale_one = {"org-1": MailBrand("Acme Rockets", sender="old@acme.example")}
    unverified: dict[str, str] = {}
    composed = with_sender(with_a_stale_one.get, unverified.get)
    found = composed("org-1")
    assert found is not None and found.sender is None
    mail = branded(Mail(to="a@example.com", subject="s", text="t", html="h"), found, "firegate")
    assert (mail.from_name, mail.from_address) == ("Acme Rockets via firegate", "")


def test_the_brand_filler_first_then_the_senders() -> None:
    senders_own = {"org-2": MailBrand("Beta", sender="hi@beta.example")}
    fillers = (with_sender(BRANDS.get, SENDERS.get), senders_own.get)
    first = brand_of(fillers, "org-1")
    assert first is not None and first.name == "Acme Rockets"
    second = brand_of(fillers, "org-2")
    assert second == MailBrand("Beta", sender="hi@beta.example")
    assert brand_of(fillers, "org-3") is None
