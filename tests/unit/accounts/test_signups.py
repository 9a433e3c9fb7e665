"""Who may make an account (docs/security.md, "Who may sign up"): SIGNUP_MODE, the allowed
and blocked domains and the disposable ones, asked by every way an account is made, before
anything looks at whether one holds the address; 403 ``signup_not_allowed`` with its
``reason`` and a ``signup_refused`` audit event. The mode by who makes it (a person, an org,
the operators); the lists for all (docs/decisions/0495-one-door-for-every-new-account.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from application.accounts.signups import SignUp, Signups, SignUpWay
from application.federation.linking import ExternalSignIn
from application.ports import Audit
from bootstrap.accounts import AccountsAdapters
from domain.accounts.credentials import Email, Username
from domain.accounts.signups import (
    ALLOWED,
    Maker,
    SignupMode,
    SignupNotAllowed,
    SignupPolicy,
    covered,
    domains,
)
from domain.accounts.users import Role, User
from domain.ids import new_id
from infrastructure.accounts.disposable_domains import disposable_domains
from tests.fakes.events import RecordingAuditLog
from tests.support.api import PASSWORD, assert_problem, bearer, login
from tests.support.app import World
from tests.support.linking import World as LinkingWorld
from tests.support.linking import identity
from tests.support.pages import csrf
from tests.support.scim import USERS as SCIM_USERS
from tests.support.scim import directory, user_body, verified
from tests.support.sso_world import oidc_sso, signed_in

pytestmark = pytest.mark.unit

DISPOSABLE = frozenset({"mailinator.com"})
# A person's ways with an address; a guest's, which has none, is below.
WAYS = [way.value for way in SignUpWay if way.maker is Maker.PERSON and way is not SignUpWay.GUEST]


class Invited:
    def __init__(self, *addresses: str) -> None:
        self.addresses = {Email(a).normalized for a in addresses}
        self.asked: list[str] = []

    def invited(self, email: Email) -> bool:
        self.asked.append(email.normalized)
        return email.normalized in self.addresses


def rule(
    mode: str = "open",
    *,
    allow: tuple[str, ...] = (),
    block: tuple[str, ...] = (),
    disposable: bool = False,
    invited: Invited | None = None,
    audit: RecordingAuditLog | None = None,
) -> Signups:
    policy = SignupPolicy(
        SignupMode(mode), domains(allow), domains(block), DISPOSABLE if disposable else frozenset()
    )
    return Signups(policy=policy, audit=audit, invitations=invited or Invited())


def reason(
    signups: Signups, email: str | None, way: str = "register", *, vouched: bool = False
) -> str | None:
    try:
        signups.check(SignUp(way, email, vouched=vouched))
    except SignupNotAllowed as refused:
        return refused.reason.value
    return None


CASES = [
    # mode, allow, block, disposable, address, invited, expected
    ("open", (), (), False, "ann@example.com", False, None),
    ("open", (), (), False, None, False, None),
    ("closed", (), (), False, "ann@example.com", True, "closed"),
    ("closed", (), (), False, None, False, "closed"),
    ("invite_only", (), (), False, "ann@example.com", False, "invitation_required"),
    ("invite_only", (), (), False, "ann@example.com", True, None),
    ("invite_only", (), (), False, None, False, "invitation_required"),
    ("invite_only", (), ("example.com",), False, "ann@example.com", True, "domain_blocked"),
    ("open", ("corp.example",), (), False, "ann@corp.example", False, None),
    ("open", ("corp.example",), (), False, "ann@eu.corp.example", False, None),
    ("open", ("corp.example",), (), False, "ann@notcorp.example", False, "domain_not_allowed"),
    ("open", ("corp.example",), (), False, "ann@corp.example.evil", False, "domain_not_allowed"),
    ("open", ("corp.example",), (), False, None, False, "domain_not_allowed"),
    ("open", ("@Corp.Example.",), (), False, "ann@CORP.example", False, None),
    ("open", (), ("spam.example",), False, "ann@spam.example", False, "domain_blocked"),
    ("open", (), ("spam.example",), False, "ann@x.spam.example", False, "domain_blocked"),
    ("open", (), ("spam.example",), False, "ann@spam.example.org", False, None),
    ("open", ("spam.example",), ("bad.spam.example",), False, "a@bad.spam.example", False,
     "domain_blocked"),
    ("open", (), (), True, "ann@mailinator.com", False, "disposable_domain"),
    ("open", (), (), True, "ann@eu.mailinator.com", False, "disposable_domain"),
    ("open", (), (), False, "ann@mailinator.com", False, None),
    ("open", ("mailinator.com",), (), True, "ann@mailinator.com", False, "disposable_domain"),
    ("open", (), (), True, "ann@example.com", False, None),
    ("invite_only", (), (), True, "ann@mailinator.com", True, "disposable_domain"),
]  # fmt: skip


Case = tuple[str, tuple[str, ...], tuple[str, ...], bool, str | None, bool, str | None]


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("case", CASES)
def test_the_rule_by_mode_domains_disposable_and_way(way: str, case: Case) -> None:
    mode, allow, block, disposable, email, invited, expected = case
    audit = RecordingAuditLog()
    invitations = Invited(email) if invited and email else Invited()
    signups = rule(
        mode, allow=allow, block=block, disposable=disposable, invited=invitations, audit=audit
    )
    assert reason(signups, email, way) == expected
    refused = [(e.event, e.outcome, e.reason, e.via, e.user_id) for e in audit.events]
    if expected is None:
        assert refused == []
    else:
        assert refused == [(Audit.SIGNUP_REFUSED, "failure", expected, way, None)]


@pytest.mark.parametrize(
    ("mode", "allow", "block", "disposable", "expected"),
    [
        ("open", (), (), False, None),
        ("closed", (), (), False, "closed"),
        ("invite_only", (), (), False, "invitation_required"),
        ("open", ("corp.example",), (), False, None),
        ("open", (), ("example.com",), True, None),
    ],
)
def test_a_guest_meets_the_mode_and_no_list(
    mode: str, allow: tuple[str, ...], block: tuple[str, ...], disposable: bool, expected: str
) -> None:
    """docs/decisions/0557-a-guests-admission.md: the lists wait for the guest's address."""
    signups = rule(mode, allow=allow, block=block, disposable=disposable)
    assert reason(signups, None, SignUpWay.GUEST) == expected


MAKERS = [
    # mode, way, vouched (an org's own verified domain), block, expected
    ("closed", "invitation", False, (), None),
    ("closed", "import", False, (), None),
    ("closed", "sso", True, (), "closed"),
    ("closed", "scim", True, (), "closed"),
    ("invite_only", "invitation", False, (), None),
    ("invite_only", "import", False, (), None),
    ("invite_only", "sso", True, (), None),
    ("invite_only", "scim", True, (), None),
    ("invite_only", "sso", False, (), "invitation_required"),
    ("invite_only", "scim", False, (), "invitation_required"),
    ("open", "sso", False, (), None),
    ("open", "invitation", False, ("example.com",), "domain_blocked"),
    ("open", "import", False, ("example.com",), "domain_blocked"),
    ("open", "scim", True, ("example.com",), "domain_blocked"),
    ("open", "sso", True, ("example.com",), "domain_blocked"),
]


@pytest.mark.parametrize("case", MAKERS)
def test_the_mode_by_who_makes_the_account_and_the_lists_for_all(
    case: tuple[str, str, bool, tuple[str, ...], str | None],
) -> None:
    mode, way, vouched, block, expected = case
    signups = rule(mode, block=block, invited=Invited("ann@example.com"))
    assert reason(signups, "ann@example.com", way, vouched=vouched) == expected


def test_every_way_is_made_by_a_person_an_org_or_the_operators() -> None:
    assert {way.maker for way in SignUpWay} == set(Maker)
    assert {way for way in SignUpWay if way.maker is Maker.ORG} == {SignUpWay.SSO, SignUpWay.SCIM}


def test_invitations_are_asked_only_where_sign_up_is_by_invitation() -> None:
    invited = Invited("ann@example.com")
    assert reason(rule("open", invited=invited), "ann@example.com") is None
    assert reason(rule("closed", invited=invited), "ann@example.com") == "closed"
    assert invited.asked == []
    assert reason(rule("invite_only", invited=invited), "Ann@Example.com") is None
    assert invited.asked == ["ann@example.com"]


def test_an_address_that_is_none_is_judged_as_no_address() -> None:
    assert reason(rule("open", allow=("example.com",)), "not an address") == "domain_not_allowed"
    assert reason(rule("open"), "not an address") is None


def test_subdomains_are_covered_by_their_parent_never_the_other_way() -> None:
    names = frozenset({"example.com"})
    assert covered("example.com", names) and covered("a.b.example.com", names)
    assert not covered("com", names) and not covered("badexample.com", names)


def test_international_domains_are_compared_in_their_ascii_form() -> None:
    signups = rule("open", block=("bücher.example",))
    assert reason(signups, "ann@BÜCHER.example") == "domain_blocked"
    assert reason(rule("open", block=("xn--bcher-kva.example",)), "ann@bücher.example") == (
        "domain_blocked"
    )


def test_the_disposable_list_is_the_packages() -> None:
    found = disposable_domains()
    assert len(found) > 1000
    assert {"mailinator.com", "guerrillamail.com"} <= found
    assert "gmail.com" not in found and "example.com" not in found


# -- every way a person makes their own account, through the app ------------------------------


def refusal(response: Any, expected: str) -> None:
    body = assert_problem(response, 403, "signup_not_allowed")
    assert body["reason"] == expected


def refused_ways(world: World) -> list[tuple[str | None, str | None]]:
    return [(e.via, e.reason) for e in world.audit.events if e.event is Audit.SIGNUP_REFUSED]


def planted(world: World, name: str, *, role: Role = Role.USER, email: str | None = None) -> User:
    """An account made as an admin or an import makes one, past the sign-up rule."""
    user = User.register(
        admitted=ALLOWED,
        id=new_id(),
        username=Username(name),
        email=Email(email or f"{name}@example.com"),
        password_hash=world.adapters.of(AccountsAdapters).hasher.hash(PASSWORD),
        now=datetime.now(UTC),
    )
    if role is not Role.USER:
        user = user.with_role(role, datetime.now(UTC))
    world.adapters.of(AccountsAdapters).users.add(user)
    return user


def body(name: str, email: str | None = None) -> dict[str, str]:
    return {"username": name, "email": email or f"{name}@example.com", "password": PASSWORD}


def test_register_in_closed_mode_answers_the_same_whether_or_not_the_address_has_an_account() -> (
    None
):
    world = World(signup_mode="closed")
    planted(world, "alice")
    taken = world.client.post("/register", json=body("alice2", "alice@example.com"))
    free = world.client.post("/register", json=body("bob"))
    same_name = world.client.post("/register", json=body("alice", "carol@example.com"))
    for response in (taken, free, same_name):
        refusal(response, "closed")
    assert taken.get_json() == free.get_json() == same_name.get_json()
    assert refused_ways(world) == [("register", "closed")] * 3


def test_a_blocked_domain_answers_the_same_whether_or_not_the_address_has_an_account() -> None:
    world = World(signup_domains_block=["spam.example"])
    planted(world, "alice", email="alice@spam.example")
    taken = world.client.post("/register", json=body("alice2", "alice@spam.example"))
    free = world.client.post("/register", json=body("bob", "bob@spam.example"))
    refusal(taken, "domain_blocked")
    refusal(free, "domain_blocked")
    assert taken.get_json() == free.get_json()
    assert world.client.post("/register", json=body("carol")).status_code == 201


def test_a_bad_address_is_still_a_422_and_an_allowed_one_still_meets_its_409() -> None:
    world = World(signup_domains_allow=["example.com"])
    planted(world, "alice")
    bad = world.client.post("/register", json=body("bob", "not-an-address"))
    assert_problem(bad, 422, bad.get_json()["code"])
    taken = world.client.post("/register", json=body("bob", "alice@example.com"))
    assert_problem(taken, 409, "email_taken")


def test_disposable_addresses_are_refused_when_asked() -> None:
    world = World(signup_block_disposable=True)
    refusal(world.client.post("/register", json=body("bob", "bob@mailinator.com")),
            "disposable_domain")  # fmt: skip
    open_world = World()
    assert (
        open_world.client.post("/register", json=body("bob", "bob@mailinator.com")).status_code
        == 201
    )


def test_the_sign_up_page_shows_the_refusal() -> None:
    world = World(signup_mode="closed")
    planted(world, "alice")
    form = {"username": "alice2", "email": "alice@example.com", "password": PASSWORD}
    taken = world.client.post(
        "/sign-up", data={**form, "csrf_token": csrf(world.client, "/sign-up")}
    )
    form = {"username": "bob", "email": "bob@example.com", "password": PASSWORD}
    free = world.client.post(
        "/sign-up", data={**form, "csrf_token": csrf(world.client, "/sign-up")}
    )
    for response in (taken, free):
        assert response.status_code == 403
        assert "New accounts cannot be made with this address here." in response.get_data(
            as_text=True
        )
    assert refused_ways(world) == [("page", "closed")] * 2


def test_the_sign_up_page_speaks_spanish() -> None:
    world = World(signup_mode="closed")
    form = {"username": "bob", "email": "bob@example.com", "password": PASSWORD}
    headers = {"Accept-Language": "es"}
    token = csrf(world.client, "/sign-up")
    refused = world.client.post("/sign-up", data={**form, "csrf_token": token}, headers=headers)
    assert refused.status_code == 403
    assert "Aquí no se pueden crear cuentas nuevas con esta dirección." in refused.get_data(
        as_text=True
    )


def test_a_firebase_sign_in_that_would_make_an_account_is_refused_and_a_linked_one_is_not() -> None:
    world = World(signup_mode="closed")
    new = world.verifier.issue("uid-new", email="new@example.com")
    refusal(world.client.post("/auth/firebase", json={"id_token": new}), "closed")
    planted(world, "alice")  # an account holds the address: the same answer
    held = world.verifier.issue("uid-alice", email="alice@example.com")
    refused = world.client.post("/auth/firebase", json={"id_token": held})
    refusal(refused, "closed")
    assert refused_ways(world) == [("firebase", "closed")] * 2
    open_world = World()
    first = open_world.verifier.issue("uid-1", email="ann@example.com")
    assert open_world.client.post("/auth/firebase", json={"id_token": first}).status_code == 200


def test_an_identity_linked_before_sign_up_closed_still_signs_in() -> None:
    world = LinkingWorld()
    world.arrive(identity())  # linked while sign-up was open
    closed = world.linking(mail=True, signups=rule("closed"))
    pair = closed.sign_in_external(ExternalSignIn(identity(), "github", "GitHub"), world.step())
    assert world.account_of(pair).email == Email("ada@example.com")
    for newcomer in (identity("gh-2", "bo@example.com"), identity("gh-3", "ada@example.com")):
        with pytest.raises(SignupNotAllowed):  # new, or its address held: the same answer
            closed.sign_in_external(ExternalSignIn(newcomer, "github", "GitHub"), world.step())


# -- what an admin, an org or an import makes does not ask ------------------------------------


def test_invite_only_lets_an_org_invitation_sign_up_and_nobody_else() -> None:
    world = World(signup_mode="invite_only")
    planted(world, "olga")
    olga = bearer(login(world.client, "olga"))
    assert (
        world.client.post("/orgs", json={"slug": "acme", "name": "Acme"}, headers=olga).status_code
        == 201
    )
    invite = {"email": "ivy@example.com", "roles": ["member"]}
    assert world.client.post("/orgs/acme/invitations", json=invite, headers=olga).status_code == 201
    world.deliver()
    refusal(world.client.post("/register", json=body("bob")), "invitation_required")
    assert world.client.post("/register", json=body("ivy")).status_code == 201
    ivy = bearer(login(world.client, "ivy"))
    token = world.token("ivy@example.com", "/orgs/join")
    joined = world.client.post("/orgs/invitations/accept", json={"token": token}, headers=ivy)
    assert joined.status_code == 200, joined.get_json()
    # The invitation spent, the address signs up no more.
    refusal(
        world.client.post("/register", json=body("ivy2", "ivy@example.com")), "invitation_required"
    )


def test_an_expired_org_invitation_lets_nobody_sign_up() -> None:
    world = World(signup_mode="invite_only", org_invitation_ttl=3600)
    planted(world, "olga")
    olga = bearer(login(world.client, "olga"))
    world.client.post("/orgs", json={"slug": "acme", "name": "Acme"}, headers=olga)
    invite = {"email": "ivy@example.com", "roles": ["member"]}
    assert world.client.post("/orgs/acme/invitations", json=invite, headers=olga).status_code == 201
    world.clock.advance(seconds=3601)
    refusal(world.client.post("/register", json=body("ivy")), "invitation_required")


def test_an_orgs_single_sign_on_makes_accounts_on_its_verified_domain_in_the_lists() -> None:
    with oidc_sso(signup_domains_allow=["example.com", "corp.example"]) as sso:
        browser = sso.world.app.test_client()
        sso.sign_in(browser, "ann@corp.example", ("Staff",))
        assert signed_in(browser)
        made = sso.user_of("ann@corp.example")
        assert made is not None and sso.member_roles(made.id) == ("member",)
        assert refused_ways(sso.world) == []


def test_an_orgs_single_sign_on_makes_no_account_off_the_lists() -> None:
    with oidc_sso(signup_domains_allow=["example.com"]) as sso:
        browser = sso.world.app.test_client()
        refused = sso.sign_in(browser, "ann@corp.example", ("Staff",))
        assert not signed_in(browser), refused
        assert sso.user_of("ann@corp.example") is None
        assert refused_ways(sso.world) == [("sso", "domain_not_allowed")]


def test_an_orgs_directory_makes_accounts_on_its_verified_domain_in_the_lists() -> None:
    world = World(signup_domains_allow=["example.com", "corp.example"], signup_mode="invite_only")
    planted(world, "alice")
    acme = directory(world.client, signed_up=False)  # alice@example.com
    verified(world, acme.org_id, "corp.example")
    made = world.client.post(SCIM_USERS, json=user_body("ann@corp.example"), headers=acme.auth)
    assert made.status_code == 201, made.get_data(as_text=True)
    # Off its verified domains the org vouches for nobody: no account where sign-up is by
    # invitation, nor in closed mode whatever the domain.
    elsewhere = world.client.post(SCIM_USERS, json=user_body("bo@example.com"), headers=acme.auth)
    assert elsewhere.status_code == 403, elsewhere.get_data(as_text=True)
    assert refused_ways(world) == [("scim", "invitation_required")]


def test_an_orgs_directory_makes_no_account_where_sign_up_is_closed() -> None:
    world = World(signup_mode="closed")
    planted(world, "alice")
    acme = directory(world.client, signed_up=False)
    verified(world, acme.org_id, "corp.example")
    made = world.client.post(SCIM_USERS, json=user_body("ann@corp.example"), headers=acme.auth)
    assert made.status_code == 403, made.get_data(as_text=True)
    assert refused_ways(world) == [("scim", "closed")]
