"""An org's own sender over HTTP on the fakes: who may set, read, check and delete it, the
address rule, the records to publish, the checks' answers, and the mails' From
(docs/reference/org-sender.md)."""

from __future__ import annotations

from collections import Counter

import pytest

from application.jobs import SWEEP
from application.org_brand.senders import OrgSenders
from application.orgs.members.members import AddMember
from application.orgs.services import OrgServices
from application.ports import Job
from bootstrap.org_brand import SENDER_SWEEP, OrgBrandAdapters
from bootstrap.orgs import OrgsAdapters
from tests.fakes.org_domains import FakeTxtRecords
from tests.support.api import assert_field_error, assert_problem, bearer, login, register
from tests.support.app import World, unit_adapters

pytestmark = pytest.mark.unit

INCLUDE = "_spf.firegate.example"
ADDRESS = "news@mail.acme.example"


class Org:
    """A world with MAIL_SPF_INCLUDE set, an org ``acme`` owned by alice with bob its admin
    and carol a member, acme.example verified."""

    def __init__(self, **settings: object) -> None:
        self.world = world = World(**{"mail_spf_include": INCLUDE, **settings})
        client = world.client
        self.people = {}
        for name in ("alice", "bob", "carol"):
            register(client, name)
            self.people[name] = bearer(login(client, name))
        made = client.post("/orgs", json={"slug": "acme", "name": "Acme"}, headers=self.alice)
        assert made.status_code == 201, made.get_json()
        self.org_id: str = made.get_json()["id"]
        members = world.services.of(OrgServices).members
        members.add_member(AddMember("acme", "bob", ("admin",)))
        members.add_member(AddMember("acme", "carol", ("member",)))
        self.verify_domain("acme.example")

    @property
    def alice(self) -> dict[str, str]:
        return self.people["alice"]

    @property
    def org_dns(self) -> FakeTxtRecords:
        txt = self.world.adapters.of(OrgsAdapters).txt
        assert isinstance(txt, FakeTxtRecords)
        return txt

    @property
    def dns(self) -> FakeTxtRecords:
        own: OrgBrandAdapters = unit_adapters(self.world.adapters, "org_brand")
        assert isinstance(own.sender_txt, FakeTxtRecords)
        return own.sender_txt

    def verify_domain(self, domain: str) -> None:
        client = self.world.client
        added = client.post("/orgs/acme/domains", json={"domain": domain}, headers=self.alice)
        record = added.get_json()["record"]
        self.org_dns.set_txt(record["name"], record["value"])
        verified = client.post(f"/orgs/acme/domains/{domain}/verify", headers=self.alice)
        assert verified.status_code == 200, verified.get_json()

    def publish(self, domain: str = "mail.acme.example", *, dmarc_at: str = "acme.example") -> None:
        self.dns.set_txt(domain, f"v=spf1 include:{INCLUDE} -all")
        self.dns.set_txt(f"firegate._domainkey.{domain}", "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3")
        self.dns.set_txt(f"_dmarc.{dmarc_at}", "v=DMARC1; p=quarantine")

    def audited(self) -> Counter[tuple[str, str | None, str | None]]:
        """The org's ``org.updated`` events of its sender (those of one instant come in any
        order): about whom, who acted (``cli``: the command line), ``via`` (``recheck``: the
        daily re-check)."""
        page = self.world.client.get("/orgs/acme/events?limit=100", headers=self.alice)
        assert page.status_code == 200, page.get_json()
        return Counter(
            (event["user_id"], event["actor_id"], event["via"])
            for event in page.get_json()["items"]
            if (event["type"], event["reason"]) == ("org.updated", "sender")
        )

    @property
    def alice_id(self) -> str:
        me = self.world.client.get("/user", headers=self.alice)
        found: str = me.get_json()["id"]
        return found


@pytest.fixture
def org() -> Org:
    return Org()


def test_an_owner_sets_a_sender_and_gets_the_records_to_publish(org: Org) -> None:
    client = org.world.client
    put = client.put("/orgs/acme/sender", json={"address": ADDRESS}, headers=org.alice)
    assert put.status_code == 202, put.get_json()
    body = put.get_json()
    assert (body["address"], body["domain"], body["status"]) == (
        ADDRESS,
        "mail.acme.example",
        "pending",
    )
    records = {r["check"]: r for r in body["records"]}
    assert records["spf"]["name"] == "mail.acme.example"
    assert f"include:{INCLUDE}" in records["spf"]["value"]
    assert records["dkim"]["name"] == "firegate._domainkey.mail.acme.example"
    assert records["dkim"]["value"].startswith("v=DKIM1;")
    # the organisational domain's DMARC policy, the one the org verified
    assert records["dmarc"]["name"] == "_dmarc.acme.example"
    assert client.get("/orgs/acme/sender", headers=org.alice).get_json() == body


def test_a_sender_is_on_a_verified_domain_and_a_valid_address(org: Org) -> None:
    client = org.world.client
    for address in ("news@other.example", "news@acme.example.evil", "news@xacme.example"):
        refused = client.put("/orgs/acme/sender", json={"address": address}, headers=org.alice)
        assert_field_error(refused, "address", "sender_domain_not_verified")
    for address in ("no-at-sign", "news@acme", "a b@acme.example"):
        refused = client.put("/orgs/acme/sender", json={"address": address}, headers=org.alice)
        assert refused.status_code == 422, refused.get_json()
    extra = client.put(
        "/orgs/acme/sender", json={"address": ADDRESS, "name": "x"}, headers=org.alice
    )
    assert extra.status_code == 422
    assert (
        client.put("/orgs/acme/sender", json={"address": 7}, headers=org.alice).status_code == 422
    )
    ok = client.put("/orgs/acme/sender", json={"address": "hi@ACME.example"}, headers=org.alice)
    assert ok.status_code == 202 and ok.get_json()["domain"] == "acme.example"


def test_only_owners_change_it_and_admins_read_it(org: Org) -> None:
    client = org.world.client
    bob, carol = org.people["bob"], org.people["carol"]
    body = {"address": ADDRESS}
    assert_problem(
        client.put("/orgs/acme/sender", json=body, headers=bob), 403, "org_permission_denied"
    )
    assert client.put("/orgs/acme/sender", json=body, headers=org.alice).status_code == 202
    assert client.get("/orgs/acme/sender", headers=bob).status_code == 200
    assert_problem(client.get("/orgs/acme/sender", headers=carol), 403, "org_permission_denied")
    assert_problem(
        client.post("/orgs/acme/sender/verify", headers=bob), 403, "org_permission_denied"
    )
    assert_problem(client.delete("/orgs/acme/sender", headers=bob), 403, "org_permission_denied")
    register(client, "dave")
    dave = bearer(login(client, "dave"))
    assert_problem(client.get("/orgs/acme/sender", headers=dave), 404, "org_not_found")
    assert client.get("/orgs/acme/sender").status_code == 401


def test_verify_names_what_is_missing_then_verifies(org: Org) -> None:
    client = org.world.client
    client.put("/orgs/acme/sender", json={"address": ADDRESS}, headers=org.alice)
    missing = client.post("/orgs/acme/sender/verify", headers=org.alice)
    problem = assert_problem(missing, 409, "sender_not_aligned")
    assert problem["missing"] == ["spf", "dkim", "dmarc"]
    assert set(problem["problems"]) == {"spf", "dkim", "dmarc"}
    assert client.get("/orgs/acme/sender", headers=org.alice).get_json()["missing"] == [
        "spf",
        "dkim",
        "dmarc",
    ]

    org.publish()
    org.dns.set_txt("firegate._domainkey.mail.acme.example", "v=DKIM1; k=rsa; p=")
    revoked = assert_problem(
        client.post("/orgs/acme/sender/verify", headers=org.alice), 409, "sender_not_aligned"
    )
    assert revoked["missing"] == ["dkim"]
    assert client.get("/orgs/acme/sender", headers=org.alice).get_json()["status"] == "pending"

    org.publish()
    verified = client.post("/orgs/acme/sender/verify", headers=org.alice)
    assert verified.status_code == 200, verified.get_json()
    body = verified.get_json()
    assert (body["status"], body["missing"]) == ("verified", [])
    assert body["verified_at"] is not None and body["checked_at"] is not None

    # the same address again keeps its state; another starts over
    again = client.put("/orgs/acme/sender", json={"address": ADDRESS}, headers=org.alice)
    assert again.get_json()["status"] == "verified"
    other = client.put("/orgs/acme/sender", json={"address": "hi@acme.example"}, headers=org.alice)
    assert other.get_json()["status"] == "pending"
    # on the org's log: set, verified, set again to another address (checks that found
    # nothing new and the same address again change nothing)
    alice = org.alice_id
    assert org.audited() == Counter({(alice, None, None): 3})


def test_a_resolver_that_does_not_answer_is_a_503_and_changes_nothing(org: Org) -> None:
    client = org.world.client
    client.put("/orgs/acme/sender", json={"address": ADDRESS}, headers=org.alice)
    org.dns.fail("mail.acme.example")
    assert_problem(
        client.post("/orgs/acme/sender/verify", headers=org.alice), 503, "service_unavailable"
    )
    assert client.get("/orgs/acme/sender", headers=org.alice).get_json()["checked_at"] is None


def test_delete_then_none(org: Org) -> None:
    client = org.world.client
    assert_problem(client.delete("/orgs/acme/sender", headers=org.alice), 404, "sender_not_found")
    assert_problem(client.get("/orgs/acme/sender", headers=org.alice), 404, "sender_not_found")
    assert_problem(
        client.post("/orgs/acme/sender/verify", headers=org.alice), 404, "sender_not_found"
    )
    client.put("/orgs/acme/sender", json={"address": ADDRESS}, headers=org.alice)
    assert org.audited() == Counter({(org.alice_id, None, None): 1})
    assert client.delete("/orgs/acme/sender", headers=org.alice).status_code == 204
    assert_problem(client.get("/orgs/acme/sender", headers=org.alice), 404, "sender_not_found")
    assert org.audited() == Counter({(org.alice_id, None, None): 2})  # set, removed


def test_without_an_spf_include_no_org_has_a_sender() -> None:
    org = Org(mail_spf_include="")
    client = org.world.client
    for response in (
        client.put("/orgs/acme/sender", json={"address": ADDRESS}, headers=org.alice),
        client.get("/orgs/acme/sender", headers=org.alice),
        client.post("/orgs/acme/sender/verify", headers=org.alice),
        client.delete("/orgs/acme/sender", headers=org.alice),
    ):
        assert_problem(response, 409, "sender_not_offered")


def invite(org: Org, address: str) -> tuple[str, str]:
    """The From (name, address) of the invitation mailed to ``address``."""
    client = org.world.client
    body = {"email": address, "roles": ["member"]}
    assert client.post("/orgs/acme/invitations", json=body, headers=org.alice).status_code == 201
    org.world.deliver()
    (mail,) = org.world.mailer.to(address)
    return mail.from_name, mail.from_address


def test_an_orgs_mail_goes_from_its_sender_once_verified(org: Org) -> None:
    assert invite(org, "zed@example.com") == ("", "")  # no sender: the service's own mail
    client = org.world.client
    client.put("/orgs/acme/sender", json={"address": ADDRESS}, headers=org.alice)
    assert invite(org, "yan@example.com") == ("Acme via firegate", "")
    org.publish()
    assert client.post("/orgs/acme/sender/verify", headers=org.alice).status_code == 200
    assert invite(org, "xia@example.com") == ("Acme", ADDRESS)


def test_the_daily_recheck_turns_a_lapsed_sender_back_to_the_operators_address(org: Org) -> None:
    client, world = org.world.client, org.world
    client.put("/orgs/acme/sender", json={"address": ADDRESS}, headers=org.alice)
    org.publish()
    assert client.post("/orgs/acme/sender/verify", headers=org.alice).status_code == 200
    senders = world.services.of(OrgSenders)
    assert senders.verified_sender(org.org_id) == ADDRESS
    org.dns.remove("mail.acme.example")  # the SPF policy is gone

    assert senders.sweep() == 0  # checked less than a day ago: not yet
    world.clock.advance(hours=25)
    world.queue.enqueue(Job(SWEEP, SENDER_SWEEP))  # as a scheduler pushes it
    world.deliver()
    after = client.get("/orgs/acme/sender", headers=org.alice).get_json()
    assert (after["status"], after["missing"]) == ("failed", ["spf"])
    assert senders.verified_sender(org.org_id) is None
    assert invite(org, "wu@example.com") == ("Acme via firegate", "")

    org.publish()
    world.clock.advance(hours=25)
    assert senders.sweep() == 1  # a failed one is checked again, and verified again
    assert client.get("/orgs/acme/sender", headers=org.alice).get_json()["status"] == "verified"
    assert invite(org, "vi@example.com") == ("Acme", ADDRESS)
    # set and verified by alice; failed, then verified again, by the re-check (about alice,
    # who set it: no person acted)
    alice = org.alice_id
    assert org.audited() == Counter({(alice, None, None): 2, (alice, None, "recheck"): 2})


def test_a_pending_sender_is_not_rechecked_and_a_dns_outage_changes_nothing(org: Org) -> None:
    client, world = org.world.client, org.world
    client.put("/orgs/acme/sender", json={"address": ADDRESS}, headers=org.alice)
    world.clock.advance(days=2)
    senders = world.services.of(OrgSenders)
    assert senders.sweep() == 0
    org.publish()
    client.post("/orgs/acme/sender/verify", headers=org.alice)
    world.clock.advance(days=2)
    org.dns.fail("mail.acme.example")
    senders.sweep()
    assert client.get("/orgs/acme/sender", headers=org.alice).get_json()["status"] == "verified"
    assert org.audited() == Counter({(org.alice_id, None, None): 2})  # no re-check's


def test_a_purged_orgs_sender_is_deleted(org: Org) -> None:
    client, world = org.world.client, org.world
    client.put("/orgs/acme/sender", json={"address": ADDRESS}, headers=org.alice)
    own: OrgBrandAdapters = unit_adapters(world.adapters, "org_brand")
    assert own.senders.get(org.org_id) is not None
    assert client.delete("/orgs/acme", headers=org.alice).status_code == 204
    world.deliver()
    assert own.senders.get(org.org_id) is None


def test_the_verify_route_is_limited_per_address() -> None:
    org = Org(rate_limit_org_dns_checks="2/minute")
    client = org.world.client
    client.put("/orgs/acme/sender", json={"address": ADDRESS}, headers=org.alice)
    for _ in range(2):
        assert client.post("/orgs/acme/sender/verify", headers=org.alice).status_code == 409
    assert client.post("/orgs/acme/sender/verify", headers=org.alice).status_code == 429


def test_the_operator_shows_verifies_and_rechecks_a_sender() -> None:
    org = Org()
    runner = org.world.app.test_cli_runner()
    none = runner.invoke(args=["orgs", "sender", "show", "acme"])
    assert none.exit_code == 1 and "no sender of its own" in none.output
    org.world.client.put("/orgs/acme/sender", json={"address": ADDRESS}, headers=org.alice)

    shown = runner.invoke(args=["orgs", "sender", "show", org.org_id])
    assert shown.exit_code == 0, shown.output
    assert shown.output.splitlines()[0] == f"{ADDRESS}\tpending"
    assert "dkim\tTXT\tfiregate._domainkey.mail.acme.example" in shown.output

    missing = runner.invoke(args=["orgs", "sender", "verify", "acme"])
    assert missing.exit_code == 1
    assert "missing: spf, dkim, dmarc" in missing.output

    org.publish()
    verified = runner.invoke(args=["orgs", "sender", "verify", "acme"])
    assert verified.exit_code == 0, verified.output
    assert verified.output.splitlines()[0] == f"{ADDRESS}\tverified"

    org.dns.remove("mail.acme.example")
    org.world.clock.advance(days=1)
    rechecked = runner.invoke(args=["orgs", "sender", "recheck"])
    assert rechecked.output == "1 sender(s) checked\n"
    after = runner.invoke(args=["orgs", "sender", "show", "acme"])
    assert after.output.splitlines()[:2] == [f"{ADDRESS}\tfailed", "missing: spf"]
    # set by alice; verified on the command line (about alice, who set it); failed by the
    # re-check the command ran
    alice = org.alice_id
    assert org.audited() == Counter(
        [(alice, None, None), (alice, "cli", None), (alice, None, "recheck")]
    )
    unknown = runner.invoke(args=["orgs", "sender", "show", "nope"])
    assert unknown.exit_code == 1
