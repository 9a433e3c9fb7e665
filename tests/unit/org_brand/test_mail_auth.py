"""The sender's records as read from TXT: SPF includes through include: and redirect=, within
RFC 7208's ten lookups; the DKIM key at the selector; the DMARC policy (domain/org_brand/
mail_auth.py, docs/reference/org-sender.md)."""

from __future__ import annotations

import itertools

import pytest

from domain.errors import Unavailable
from domain.org_brand.mail_auth import (
    alignment,
    dkim_problem,
    dmarc_names,
    dmarc_problem,
    spf_problem,
    tags,
)
from tests.fakes.org_domains import FakeTxtRecords

pytestmark = pytest.mark.unit

INCLUDE = "_spf.firegate.example"


def zone(**records: list[str]) -> FakeTxtRecords:
    txt = FakeTxtRecords()
    for name, values in records.items():
        txt.set_txt(name.replace("__", "."), *values)
    return txt


def spf(txt: FakeTxtRecords, domain: str = "acme.example") -> str | None:
    return spf_problem(domain, INCLUDE, txt.lookup)


def test_a_direct_include_passes_whatever_else_the_record_names() -> None:
    txt = FakeTxtRecords()
    txt.set_txt("acme.example", "google-site=x", f"v=spf1 mx ip4:192.0.2.1 include:{INCLUDE} -all")
    assert spf(txt) is None
    txt.set_txt("acme.example", f"V=SPF1 +include:{INCLUDE.upper()}. ~all")
    assert spf(txt) is None


def test_an_include_found_through_includes_and_a_redirect() -> None:
    txt = FakeTxtRecords()
    txt.set_txt("acme.example", "v=spf1 include:_spf.acme.example -all")
    txt.set_txt("_spf.acme.example", "v=spf1 redirect=_mail.acme.example")
    txt.set_txt("_mail.acme.example", f"v=spf1 a include:{INCLUDE} ~all")
    assert spf(txt) is None


def test_an_include_that_does_not_pass_or_comes_after_all_is_not_one() -> None:
    txt = FakeTxtRecords()
    for record in (
        f"v=spf1 -include:{INCLUDE} ~all",
        f"v=spf1 ?include:{INCLUDE} ~all",
        f"v=spf1 -all include:{INCLUDE}",
        "v=spf1 include:other.example ~all",
        f"v=spf1 ~all redirect={INCLUDE}",  # a redirect is not read beside "all"
    ):
        txt.set_txt("acme.example", record)
        txt.set_txt("other.example", "v=spf1 -all")
        assert spf(txt) is not None, record


def test_no_record_and_two_records_are_refused_with_words() -> None:
    txt = FakeTxtRecords()
    assert "no SPF record" in (spf(txt) or "")
    txt.set_txt("acme.example", f"v=spf1 include:{INCLUDE} ~all", "v=spf1 -all")
    assert "2 SPF records" in (spf(txt) or "")
    # v=spf10 is not an SPF record
    txt.set_txt("acme.example", f"v=spf10 include:{INCLUDE}")
    assert "no SPF record" in (spf(txt) or "")


def test_an_included_domain_with_two_records_is_an_error() -> None:
    txt = FakeTxtRecords()
    txt.set_txt("acme.example", "v=spf1 include:a.example ~all")
    txt.set_txt("a.example", f"v=spf1 include:{INCLUDE}", "v=spf1 -all")
    assert "a.example has 2 SPF records" in (spf(txt) or "")


def test_a_loop_of_includes_is_refused() -> None:
    txt = FakeTxtRecords()
    txt.set_txt("acme.example", "v=spf1 include:a.example ~all")
    txt.set_txt("a.example", "v=spf1 redirect=acme.example")
    assert "loop" in (spf(txt) or "")


def test_ten_lookups_pass_and_an_eleventh_is_refused() -> None:
    txt = FakeTxtRecords()
    # acme: 9 mechanisms that look up, then the include: ten in all
    txt.set_txt("acme.example", "v=spf1 " + "a " * 9 + f"include:{INCLUDE} ~all")
    assert spf(txt) is None
    txt.set_txt("acme.example", "v=spf1 " + "mx " * 10 + f"include:{INCLUDE} ~all")
    assert "more than 10 DNS lookups" in (spf(txt) or "")


def test_the_limit_counts_the_lookups_of_included_policies() -> None:
    txt = FakeTxtRecords()
    chain = [f"c{i}.example" for i in range(11)]
    txt.set_txt("acme.example", f"v=spf1 include:{chain[0]} ~all")
    for here, there in itertools.pairwise(chain):
        txt.set_txt(here, f"v=spf1 include:{there} ~all")
    txt.set_txt(chain[-1], f"v=spf1 include:{INCLUDE} ~all")
    assert "more than 10 DNS lookups" in (spf(txt) or "")
    txt.set_txt(chain[8], f"v=spf1 include:{INCLUDE} ~all")  # ten lookups to reach it
    assert spf(txt) is None


def test_a_resolver_that_does_not_answer_is_not_a_finding() -> None:
    txt = FakeTxtRecords()
    txt.fail("acme.example")
    with pytest.raises(Unavailable):
        spf(txt)


def test_tags_are_read_as_rfc_6376_says() -> None:
    assert tags(" v = DKIM1 ;k=rsa;  p = MIGf MA0 ;") == {"v": "DKIM1", "k": "rsa", "p": "MIGf MA0"}
    assert tags("v=DMARC1; p=reject; p=none") == {"v": "DMARC1", "p": "reject"}
    with pytest.raises(ValueError, match="tag=value"):
        tags("v=DKIM1; garbage")


@pytest.mark.parametrize(
    ("records", "found"),
    [
        (["v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEB"], True),
        (["k=rsa; p=MIGfMA0G CSqG"], True),  # v= is optional; a key split by spaces
        (["v=DKIM1; k=rsa; p="], False),  # an empty p= is a revoked key
        (["v=DKIM1; k=rsa"], False),
        (["v=DKIM2; p=MIGf"], False),
        (["p"], False),
        ([], False),
        (["garbage", "v=DKIM1; p=MIGf"], True),
    ],
)
def test_a_dkim_key_has_a_non_empty_p(records: list[str], found: bool) -> None:
    assert (dkim_problem("firegate._domainkey.acme.example", records) is None) is found


def test_dmarc_is_the_domains_then_its_verified_parents() -> None:
    assert dmarc_names(
        "news.mail.acme.example", ["acme.example", "mail.acme.example", "x.example"]
    ) == (
        "_dmarc.news.mail.acme.example",
        "_dmarc.mail.acme.example",
        "_dmarc.acme.example",
    )
    txt = FakeTxtRecords()
    names = dmarc_names("news.acme.example", ["acme.example"])
    assert "no DMARC record" in (dmarc_problem(names, txt.lookup) or "")
    txt.set_txt("_dmarc.acme.example", "v=DMARC1; p=reject")
    assert dmarc_problem(names, txt.lookup) is None


@pytest.mark.parametrize(
    ("records", "found"),
    [
        (["v=DMARC1; p=none"], True),
        (["v=DMARC1;p=Quarantine; rua=mailto:d@acme.example"], True),
        (["v=DMARC1; rua=mailto:d@acme.example"], False),  # no policy
        (["v=DMARC1; p=maybe"], False),
        (["v=DMARC1; p=reject", "v=DMARC1; p=none"], False),  # two: none applies
        (["v=DMARC1; p"], False),
        (["v=spf1 -all"], False),
    ],
)
def test_a_dmarc_record_has_one_policy(records: list[str], found: bool) -> None:
    txt = FakeTxtRecords()
    txt.set_txt("_dmarc.acme.example", *records)
    assert (dmarc_problem(["_dmarc.acme.example"], txt.lookup) is None) is found


def test_a_subdomains_own_dmarc_record_is_read_before_its_parents() -> None:
    txt = FakeTxtRecords()
    txt.set_txt("_dmarc.news.acme.example", "v=DMARC1; p=bogus")
    txt.set_txt("_dmarc.acme.example", "v=DMARC1; p=reject")
    names = dmarc_names("news.acme.example", ["acme.example"])
    assert "p=none" in (dmarc_problem(names, txt.lookup) or "")


def test_alignment_names_every_check_missing_in_order() -> None:
    txt = FakeTxtRecords()
    found = alignment(
        "acme.example",
        spf_include=INCLUDE,
        dkim_selector="firegate",
        verified=["acme.example"],
        lookup=txt.lookup,
    )
    assert found.missing == ("spf", "dkim", "dmarc")
    assert not found.aligned
    txt.set_txt("acme.example", f"v=spf1 include:{INCLUDE} -all")
    txt.set_txt("firegate._domainkey.acme.example", "v=DKIM1; p=MIGf")
    found = alignment(
        "acme.example",
        spf_include=INCLUDE,
        dkim_selector="firegate",
        verified=["acme.example"],
        lookup=txt.lookup,
    )
    assert found.missing == ("dmarc",)
    txt.set_txt("_dmarc.acme.example", "v=DMARC1; p=none")
    found = alignment(
        "acme.example",
        spf_include=INCLUDE,
        dkim_selector="firegate",
        verified=["acme.example"],
        lookup=txt.lookup,
    )
    assert found.aligned
