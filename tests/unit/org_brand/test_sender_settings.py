"""MAIL_SPF_INCLUDE and MAIL_DKIM_SELECTOR as a start reads them
(infrastructure/org_brand/settings.py, docs/configuration.md)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from infrastructure.org_brand.settings import OrgBrandSettings

pytestmark = pytest.mark.unit


def test_the_defaults_offer_no_sender() -> None:
    found = OrgBrandSettings()
    assert (found.mail_spf_include, found.mail_dkim_selector) == ("", "firegate")
    assert found.rate_limit_org_dns_checks == "10/minute,100/hour"


def test_an_include_is_a_domain_name_and_a_selector_one_label() -> None:
    found = OrgBrandSettings(mail_spf_include=" _SPF.Mail.example. ", mail_dkim_selector="S2026")
    assert (found.mail_spf_include, found.mail_dkim_selector) == ("_spf.mail.example", "s2026")
    for bad in ("mail", "a b.example", "-x.example", "x..example", "x.example/24"):
        with pytest.raises(ValidationError, match="MAIL_SPF_INCLUDE"):
            OrgBrandSettings(mail_spf_include=bad)
    for bad in ("", "a.b", "-x", "x_y"):
        with pytest.raises(ValidationError, match="MAIL_DKIM_SELECTOR"):
            OrgBrandSettings(mail_dkim_selector=bad)
    with pytest.raises(ValidationError):
        OrgBrandSettings(rate_limit_org_dns_checks="often")
