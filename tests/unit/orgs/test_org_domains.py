"""An org's verified domains: the names, the TXT record, and the use cases on the fakes
(docs/reference/orgs.md, "Verified domains")."""

from __future__ import annotations

from dataclasses import replace

import pytest

from application.orgs.joining.domains import (
    DOMAINS_MAX,
    OrgDomainRequest,
    VerifiedDomains,
    VerifiedDomainsOf,
    org_for_domain,
)
from application.ports import Audit
from application.signin.authentication import Actor
from domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Unavailable
from domain.orgs.domains import (
    DomainStatus,
    OrgDomain,
    domain_name,
    new_verification_token,
    proves,
    record_value,
    txt_text,
)
from domain.orgs.orgs import Membership, Org, Slug
from tests.fakes.events import RecordingAuditLog
from tests.fakes.kernel import FakeClock, InMemoryStore
from tests.fakes.org_domains import FakeOrgDomains, FakeTxtRecords
from tests.fakes.orgs import FakeOrgRepository

pytestmark = pytest.mark.unit
ADMIN = ("admin",)


# The names


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("example.com", "example.com"),
        ("Example.COM", "example.com"),
        ("example.com.", "example.com"),
        ("  eng.example.com  ", "eng.example.com"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("BÜCHER.example", "xn--bcher-kva.example"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("straße.de", "xn--strae-oqa.de"),  # IDNA 2008: not strasse.de, as IDNA 2003 had it
        ("ｅｘａｍｐｌｅ.com", "example.com"),  # full-width letters fold
        ("a-b.example", "a-b.example"),
        ("x" * 63 + ".com", "x" * 63 + ".com"),
    ],
)
def test_a_domain_has_one_form(given: str, stored: str) -> None:
    assert domain_name(given) == stored


@pytest.mark.parametrize(
    "given",
    [
        "",
        "   ",
        "com",  # one label
        "localhost",
        "example..com",
        ".example.com",
        "example.com..",
        "*.example.com",
        "*",
        "1.2.3.4",
        "192.168.0.1.",
        "::1",
        "[2001:db8::1]",
        "2001:db8::1",
        "foo.123",  # a numeric top-level domain
        "x" * 64 + ".com",
        ".".join(["a" * 60] * 5),  # 304 octets
        "exa mple.com",
        "a_b.example.com",
        "-a.example.com",
        "a-.example.com",
        "ab--cd.example",
        "☃.net",
        "xn--zz.com",
        "example.com/path",
        "user@example.com",
        "https://example.com",
        None,
        42,
        ["example.com"],
    ],
)
def test_what_is_not_a_domain(given: object) -> None:
    with pytest.raises(InvalidInput) as refused:
        domain_name(given)
    assert refused.value.code == "invalid_domain"
    assert refused.value.errors[0].field == "domain"


def test_a_name_of_253_octets_is_a_domain_and_254_is_not() -> None:
    name = ".".join(["a" * 63] * 3 + ["b" * 61])
    assert len(name) == 253 and domain_name(name) == name
    with pytest.raises(InvalidInput):
        domain_name(name + "b")


# The record


def test_tokens_are_random_and_url_safe() -> None:
    tokens = {new_verification_token() for _ in range(100)}
    assert len(tokens) == 100
    assert all(len(t) >= 32 and t.replace("-", "").replace("_", "").isalnum() for t in tokens)


def test_the_record_and_its_names() -> None:
    domain = OrgDomain.create("o1", "Example.com", "u1", FakeClock().now())
    assert domain.domain == "example.com" and domain.status is DomainStatus.PENDING
    assert domain.record_name == "_firegate.example.com"
    assert domain.alternative_name == "example.com"
    assert domain.record_value == f"firegate-verification={domain.token}"
    assert domain.lookup_names == ("_firegate.example.com", "example.com")


def test_only_the_exact_record_proves() -> None:
    token = "tok_en-1"
    assert proves([record_value(token)], token)
    assert proves(["v=spf1 -all", "other-vendor=x", record_value(token)], token)
    for wrong in [
        record_value("other"),
        record_value(token) + " ",
        " " + record_value(token),
        record_value(token.upper()),
        "FIREGATE-VERIFICATION=" + token,
        "firegate-verification:" + token,
        token,
        record_value(token) + "x",
        "",
    ]:
        assert not proves([wrong], token), wrong
    assert not proves([], token)


def test_a_record_split_into_strings_is_joined() -> None:
    value = record_value("t" * 300)  # longer than one character-string may be
    parts = (value[:255].encode(), value[255:].encode())
    assert txt_text(parts) == value
    assert proves([txt_text(parts)], "t" * 300)
    assert txt_text((b"\xff\xfe",)) == "\ufffd\ufffd"  # not UTF-8: proves nothing


# The use cases


class World:
    """Orgs named by their ids ("o1", ...), whose member ``u-{id}`` is an admin, and the
    domains' use cases on the fakes."""

    def __init__(self) -> None:
        store = InMemoryStore()
        self.orgs = FakeOrgRepository(store)
        self.domains = FakeOrgDomains(store)
        self.txt = FakeTxtRecords()
        self.clock = FakeClock()
        self.audit = RecordingAuditLog()
        self.cases = VerifiedDomains(
            orgs=self.orgs,
            domains=self.domains,
            txt=self.txt,
            clock=self.clock,
            audit=self.audit,
        )

    def _request(self, org_id: str, roles: tuple[str, ...], name: str | None) -> OrgDomainRequest:
        """The request of a member of ``org_id`` (made, with the org, as needed) holding
        ``roles``: ``u-{org_id}`` for an admin."""
        now = self.clock.now()
        if self.orgs.get(org_id) is None:
            org = replace(Org.create(Slug(f"org-{org_id}"), org_id, now), id=org_id)
            self.orgs.add(org, Membership(org_id, f"owner-{org_id}", ("owner",), 1, now, now))
        user_id = f"u-{org_id}" if roles == ADMIN else f"u-{org_id}-{'-'.join(roles)}"
        self.orgs.members[org_id][user_id] = Membership(org_id, user_id, roles, 1, now, now)
        actor = Actor(user_id, user_id, "user", "s1", now)
        return OrgDomainRequest(actor, org_id, name)

    def add(self, org_id: str, name: str, roles: tuple[str, ...] = ADMIN) -> OrgDomain:
        return self.cases.add(self._request(org_id, roles, name))

    def verify(self, org_id: str, name: str, roles: tuple[str, ...] = ADMIN) -> OrgDomain:
        return self.cases.verify(self._request(org_id, roles, name))

    def delete(self, org_id: str, name: str, roles: tuple[str, ...] = ADMIN) -> None:
        self.cases.delete(self._request(org_id, roles, name))

    def listed(self, org_id: str, roles: tuple[str, ...] = ADMIN) -> list[OrgDomain]:
        return self.cases.list(self._request(org_id, roles, None))

    def publish(self, domain: OrgDomain, *, at_domain: bool = False) -> None:
        name = domain.alternative_name if at_domain else domain.record_name
        self.txt.publish(name, domain.record_value)

    def holder(self, name: str) -> str | None:
        return org_for_domain(name, domains=self.domains)


@pytest.fixture
def world() -> World:
    return World()


def test_adding_gives_the_record_to_publish(world: World) -> None:
    added = world.add("o1", "Example.com.")
    assert added.domain == "example.com" and added.status is DomainStatus.PENDING
    assert added.org_id == "o1" and added.created_by == "u-o1"
    assert world.listed("o1") == [added]
    assert world.holder("example.com") is None  # pending: nobody's yet


def test_an_org_adds_a_domain_once(world: World) -> None:
    world.add("o1", "example.com")
    with pytest.raises(Conflict) as refused:
        world.add("o1", "EXAMPLE.com")
    assert refused.value.code == "domain_exists"


def test_verified_by_the_record_at_the_challenge_name(world: World) -> None:
    added = world.add("o1", "example.com")
    world.publish(added)
    verified = world.verify("o1", "example.com")
    assert verified.status is DomainStatus.VERIFIED and verified.verified_at is not None
    assert world.listed("o1") == [verified]
    assert world.holder("example.com") == "o1"
    assert [(e.event, e.user_id, e.org_id) for e in world.audit.events] == [
        (Audit.ORG_DOMAIN_VERIFIED, "u-o1", "o1")
    ]


def test_verified_by_the_record_at_the_domain_itself(world: World) -> None:
    added = world.add("o1", "example.com")
    world.txt.publish("example.com", "v=spf1 -all")
    world.publish(added, at_domain=True)
    assert world.verify("o1", "example.com").verified
    assert world.txt.looked_up == ["_firegate.example.com", "example.com"]


def test_no_record_no_verification(world: World) -> None:
    added = world.add("o1", "example.com")
    world.txt.publish("_firegate.example.com", "firegate-verification=someone-elses")
    world.txt.publish("example.com", added.token)  # the token without its prefix
    with pytest.raises(Conflict) as refused:
        world.verify("o1", "example.com")
    assert refused.value.code == "domain_not_verified"
    assert added.record_value in refused.value.detail
    assert not world.listed("o1")[0].verified and world.holder("example.com") is None
    assert world.audit.events == []


def test_another_orgs_token_does_not_verify(world: World) -> None:
    theirs = world.add("o1", "example.com")
    world.add("o2", "example.com")
    world.publish(theirs)
    with pytest.raises(Conflict) as refused:
        world.verify("o2", "example.com")
    assert refused.value.code == "domain_not_verified"


def test_a_resolver_failure_is_503_unless_the_other_name_proves_it(world: World) -> None:
    added = world.add("o1", "example.com")
    world.txt.fail("_firegate.example.com")
    with pytest.raises(Unavailable):
        world.verify("o1", "example.com")
    world.publish(added, at_domain=True)
    assert world.verify("o1", "example.com").verified


def test_a_domain_pending_in_several_orgs_is_the_first_verifiers(world: World) -> None:
    first, second = world.add("o1", "example.com"), world.add("o2", "example.com")
    world.publish(first)
    world.publish(second)
    world.verify("o1", "example.com")
    with pytest.raises(Conflict) as refused:
        world.verify("o2", "example.com")
    assert refused.value.code == "domain_taken"
    assert world.holder("example.com") == "o1"
    with pytest.raises(Conflict) as refused:
        world.add("o3", "example.com")  # verified elsewhere: no use adding it
    assert refused.value.code == "domain_taken"


def test_verifying_again_answers_the_verified_domain(world: World) -> None:
    world.publish(world.add("o1", "example.com"))
    verified = world.verify("o1", "example.com")
    world.txt.records.clear()
    world.clock.advance(days=1)
    assert world.verify("o1", "Example.com") == verified
    assert len(world.audit.events) == 1


def test_deleting_releases_the_domain(world: World) -> None:
    world.publish(world.add("o1", "example.com"))
    world.verify("o1", "example.com")
    world.delete("o1", "EXAMPLE.COM.")
    assert world.listed("o1") == [] and world.holder("example.com") is None
    other = world.add("o2", "example.com")
    world.publish(other)
    assert world.verify("o2", "example.com").verified
    assert world.holder("example.com") == "o2"


def test_deleting_a_pending_domain_leaves_the_verifiers_claim(world: World) -> None:
    world.publish(world.add("o1", "example.com"))
    world.add("o2", "example.com")
    world.verify("o1", "example.com")
    world.delete("o2", "example.com")
    assert world.holder("example.com") == "o1"


@pytest.mark.parametrize("name", ["example.org", "not a domain", "*.example.com"])
def test_an_unknown_domain_is_404(world: World, name: str) -> None:
    world.add("o1", "example.com")
    world.add("o2", "example.org")
    for act in (world.verify, world.delete):
        with pytest.raises(NotFound) as refused:
            act("o1", name)
        assert refused.value.code == "domain_not_found"


@pytest.mark.parametrize("roles", [("member",), ("reader",), ()])
def test_only_admins_and_owners_manage_domains(world: World, roles: tuple[str, ...]) -> None:
    world.add("o1", "example.com", ("owner",))
    for act in (
        lambda: world.add("o1", "example.org", roles),
        lambda: world.listed("o1", roles),
        lambda: world.verify("o1", "example.com", roles),
        lambda: world.delete("o1", "example.com", roles),
    ):
        with pytest.raises(PermissionDenied) as refused:
            act()
        assert refused.value.code == "org_permission_denied"
    assert [d.domain for d in world.listed("o1")] == ["example.com"]


def test_an_org_has_at_most_so_many_domains(world: World) -> None:
    for i in range(DOMAINS_MAX):
        world.add("o1", f"d{i:03}.example")
    with pytest.raises(Conflict) as refused:
        world.add("o1", "one-more.example")
    assert refused.value.code == "too_many_domains"
    assert len(world.listed("o1")) == DOMAINS_MAX
    world.add("o2", "one-more.example")  # another org's count is its own


def test_the_list_is_the_orgs_own_by_name(world: World) -> None:
    world.add("o1", "b.example")
    world.add("o1", "a.example")
    world.add("o2", "c.example")
    assert [d.domain for d in world.listed("o1")] == ["a.example", "b.example"]


@pytest.mark.parametrize(
    "asked", ["example.com", "EXAMPLE.com", "example.com.", "xn--bcher-kva.example"]
)
def test_the_org_of_a_verified_domain_in_any_form(world: World, asked: str) -> None:
    for name in ("example.com", "bücher.example"):
        world.publish(world.add("o1", name))
        world.verify("o1", name)
    assert world.holder(asked) == "o1"


@pytest.mark.parametrize("asked", ["eng.example.com", "com", "not a domain", "", "1.2.3.4"])
def test_no_org_for_a_subdomain_or_a_non_domain(world: World, asked: str) -> None:
    world.publish(world.add("o1", "example.com"))
    world.verify("o1", "example.com")
    assert world.holder(asked) is None


def test_a_purge_removes_the_orgs_domains_and_claims(world: World) -> None:
    world.publish(world.add("o1", "example.com"))
    world.verify("o1", "example.com")
    world.add("o1", "example.org")
    world.add("o2", "example.org")
    world.domains.delete_owned_by_org("o1", batch_size=1)
    assert world.listed("o1") == [] and world.holder("example.com") is None
    assert [d.domain for d in world.listed("o2")] == ["example.org"]


# What the units read (``ORG_DOMAINS``)


def test_the_units_read_an_orgs_verified_domains_only_by_name(world: World) -> None:
    read = VerifiedDomainsOf(domains=world.domains)
    for name in ("b.example", "bücher.example", "a.example"):
        world.publish(world.add("o1", name))
        world.verify("o1", name)
    world.add("o1", "pending.example")  # added, never verified
    world.publish(world.add("o2", "other.example"))
    world.verify("o2", "other.example")
    assert read.verified("o1") == ("a.example", "b.example", "xn--bcher-kva.example")
    assert read.verified("o2") == ("other.example",)
    world.delete("o1", "b.example")
    assert read.verified("o1") == ("a.example", "xn--bcher-kva.example")


@pytest.mark.parametrize("org_id", ["o3", "", "a/b", "../o1", "x" * 65])
def test_the_units_read_no_domain_of_an_org_without_any(world: World, org_id: str) -> None:
    world.publish(world.add("o1", "example.com"))
    world.verify("o1", "example.com")
    assert VerifiedDomainsOf(domains=world.domains).verified(org_id) == ()


@pytest.mark.parametrize(
    ("asked", "holder"),
    [
        ("example.com", "o1"),
        ("EXAMPLE.com.", "o1"),
        ("bücher.example", "o1"),
        ("eng.example.com", None),  # a name under it is not the domain
        ("pending.example", None),  # added, not verified
        ("not a domain", None),
    ],
)
def test_the_units_read_which_org_verified_a_domain(
    world: World, asked: str, holder: str | None
) -> None:
    for name in ("example.com", "bücher.example"):
        world.publish(world.add("o1", name))
        world.verify("o1", name)
    world.add("o2", "pending.example")
    assert VerifiedDomainsOf(domains=world.domains).holder(asked) == holder


# The JSON API's answer


def test_the_answer_carries_the_record_to_publish(world: World) -> None:
    from interfaces.http.schemas.orgs.domains import OrgDomainOut

    added = world.add("o1", "Bücher.example")
    body = OrgDomainOut.of(added).model_dump(mode="json")
    assert body["domain"] == "xn--bcher-kva.example" and body["status"] == "pending"
    assert body["record"] == {
        "type": "TXT",
        "name": "_firegate.xn--bcher-kva.example",
        "value": f"firegate-verification={added.token}",
    }
    assert body["alternative_name"] == "xn--bcher-kva.example"
    assert body["verified_at"] is None
