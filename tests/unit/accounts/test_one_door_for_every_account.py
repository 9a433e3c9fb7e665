"""Every new account passes one door (``Signups``), whatever makes it: the place each way makes
its account is found in the code (every ``User.register`` and ``User.new_guest`` call, and
every guest's ``upgraded`` or ``signed_up_with_identity``, which make it an account in place),
each such place is a known way, and each way, driven through the service, is refused by a
sign-up rule
(docs/decisions/0495-one-door-for-every-new-account.md)."""

from __future__ import annotations

import ast
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from application.accounts.services import AccountServices
from application.accounts.signups import RegisterGuest, Signups, SignUpWay
from application.federation.linking import ExternalSignIn
from application.hooks.admin import SetAuthHook
from application.hooks.services import HookServices
from application.migration.importing import ImportFile, ImportUsers, Position
from application.migration.services import MigrationServices
from bootstrap.accounts import AccountsAdapters
from bootstrap.hooks import HooksAdapters
from domain.accounts.guest.part import Guest
from domain.accounts.signups import SignupNotAllowed, SignupPolicy, domains
from domain.accounts.users import Role
from tests.fakes.hooks import FakeHookClient
from tests.support.api import PASSWORD, assert_problem, bearer, login, register
from tests.support.app import World
from tests.support.email_codes import code_in
from tests.support.guest_accounts import GUEST_IP, new_guest
from tests.support.linking import World as LinkingWorld
from tests.support.linking import identity
from tests.support.pages import csrf
from tests.support.scim import USERS, directory, user_body, verified
from tests.support.source_trees import trees_naming
from tests.support.sso_world import oidc_sso, signed_in
from tests.support.webhooks import ADMIN

pytestmark = pytest.mark.unit

SRC = Path(__file__).resolve().parents[3] / "src"
BLOCKED = "blocked.example"
ADDRESS = f"ann@{BLOCKED}"

# Where each way makes its account: the modules whose ``User.register`` (for a guest,
# ``User.new_guest``) call makes it, or whose upgrade makes a guest that account in place
# (every upgrade, whatever its way: the guests' one place).
UPGRADES = "application/accounts/guest/upgrades.py"
FEDERATED = ("application/federation/linking.py", UPGRADES)
MADE_IN = {
    SignUpWay.REGISTER: ("application/accounts/accounts.py",),
    SignUpWay.PAGE: ("application/accounts/accounts.py",),
    SignUpWay.EMAIL_CODE: ("application/accounts/accounts.py", UPGRADES),
    SignUpWay.PHONE_CODE: ("application/accounts/accounts.py", UPGRADES),
    SignUpWay.UPSTREAM: FEDERATED,
    SignUpWay.FIREBASE: FEDERATED,
    SignUpWay.SSO: FEDERATED,
    SignUpWay.SCIM: ("application/scim/users.py",),
    SignUpWay.INVITATION: ("application/mail/invitations.py",),
    SignUpWay.IMPORT: ("application/migration/records.py",),
    SignUpWay.GUEST: ("application/accounts/accounts.py",),
    SignUpWay.GUEST_UPGRADE: (UPGRADES,),
}
DOMAIN = "domain/accounts/users.py"  # where the upgrades are defined, one on the other


def _calls(tree: ast.AST, attribute: str, owner: str) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == attribute
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == owner
    ]


def _upgrades(tree: ast.AST) -> list[ast.Call]:
    """Every call of a guest's ``upgraded`` or ``signed_up_with_identity``."""
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("upgraded", "signed_up_with_identity")
    ]


def _modules(*names: str) -> dict[str, ast.AST]:
    """The modules of src/ that may name one of ``names``, by their path in it."""
    return {str(path.relative_to(SRC)): tree for path, tree in trees_naming(SRC, *names)}


def test_every_place_that_makes_an_account_is_a_known_way_and_takes_the_doors_verdict() -> None:
    made_in: set[str] = set()
    for name, tree in _modules(
        "register", "new_guest", "upgraded", "signed_up_with_identity"
    ).items():
        made = [*_calls(tree, "register", "User"), *_calls(tree, "new_guest", "User")]
        for call in [*made, *(_upgrades(tree) if name != DOMAIN else [])]:
            made_in.add(name)
            keywords = {keyword.arg for keyword in call.keywords}
            assert "admitted" in keywords, f"{name}:{call.lineno} makes an account unadmitted"
    assert made_in == {module for modules in MADE_IN.values() for module in modules}, (
        "A new place makes accounts: give its way a SignUpWay, a line in MADE_IN and a driver "
        "in DRIVERS below"
    )
    assert set(MADE_IN) == set(SignUpWay)


def test_no_verdict_is_made_outside_the_door() -> None:
    """Only the door makes a verdict (its plain allowance, or the hook's answer, which only
    the door asks for): no other module names ``ALLOWED`` or builds a ``SignUpVerdict``."""
    door = {
        "domain/accounts/signups.py",
        "application/accounts/signups.py",
        "application/hooks/sign_up.py",  # the hook's answer, read
    }
    makers = []
    for name, tree in _modules("ALLOWED", "SignUpVerdict").items():
        if name in door:
            continue
        for node in ast.walk(tree):
            named = (
                isinstance(node, ast.Name)
                and node.id in ("ALLOWED", "SignUpVerdict")
                and _called(tree, node)
            )
            imported = isinstance(node, ast.ImportFrom) and any(
                alias.name == "ALLOWED" for alias in node.names
            )
            if named or imported:
                makers.append(f"{name}:{getattr(node, 'lineno', 0)}")
    assert makers == []


def _called(tree: ast.AST, name: ast.AST) -> bool:
    """Whether ``name`` is ALLOWED itself, or SignUpVerdict called (not a type annotation)."""
    if not isinstance(name, ast.Name):
        return False
    if name.id == "ALLOWED":
        return True
    return any(isinstance(node, ast.Call) and node.func is name for node in ast.walk(tree))


# -- each way, through the service: the block list refuses it ----------------------------------


def world() -> World:
    return World(signup_domains_block=[BLOCKED, "corp.example"])


def refused(answer: Any) -> None:
    body = assert_problem(answer, 403, "signup_not_allowed")
    assert body["reason"] == "domain_blocked"


def no_account(world: World, address: str = ADDRESS) -> bool:
    return world.adapters.of(AccountsAdapters).users.find_by_login(address) is None


def by_register() -> bool:
    w = world()
    body = {"username": "ann", "email": ADDRESS, "password": PASSWORD}
    refused(w.client.post("/register", json=body))
    refused(w.client.post("/api/v1/auth/signup", json={**body, "name": "Ann"}))
    return no_account(w)


def by_page() -> bool:
    w = world()
    form = {"username": "ann", "email": ADDRESS, "password": PASSWORD}
    answer = w.client.post("/sign-up", data={**form, "csrf_token": csrf(w.client, "/sign-up")})
    assert answer.status_code == 403
    return no_account(w)


def by_email_code() -> bool:
    w = world()
    asked = w.client.post("/auth/email-code", json={"email": ADDRESS})
    assert asked.status_code == 202  # the same answer for every address
    w.deliver()
    code = code_in(w.mailer.to(ADDRESS)[-1].text)
    flow = asked.get_json()["flow_id"]
    refused(w.client.post("/auth/email-code/verify", json={"flow_id": flow, "code": code}))
    return no_account(w)


def by_upstream() -> bool:
    w = LinkingWorld()
    blocking = Signups(policy=SignupPolicy(block=domains([BLOCKED])), audit=None)
    links = w.linking(mail=True, signups=blocking)
    with pytest.raises(SignupNotAllowed):
        links.linked_account(ExternalSignIn(identity("gh-9", ADDRESS), "github", "GitHub"))
    return w.users.find_by_login(ADDRESS) is None


def by_firebase() -> bool:
    w = world()
    token = w.verifier.issue("uid-ann", email=ADDRESS)
    refused(w.client.post("/auth/firebase", json={"id_token": token}))
    return no_account(w)


def by_sso() -> bool:
    with oidc_sso(signup_domains_block=["corp.example"]) as sso:
        browser = sso.world.app.test_client()
        sso.sign_in(browser, "ann@corp.example", ("Staff",))
        assert not signed_in(browser)
        return sso.user_of("ann@corp.example") is None


def by_scim() -> bool:
    w = world()
    acme = directory(w.client)
    verified(w, acme.org_id, "corp.example")
    made = w.client.post(USERS, json=user_body("ann@corp.example"), headers=acme.auth)
    assert made.status_code == 403, made.get_data(as_text=True)
    return no_account(w, "ann@corp.example")


def by_invitation() -> bool:
    w = world()
    root = register(w.client, "root")
    now = w.clock.now()
    w.adapters.of(AccountsAdapters).users.update(root["id"], lambda u: u.with_role(Role.ADMIN, now))
    admin = bearer(login(w.client, "root"))
    invite = {"username": "ann", "email": ADDRESS}
    refused(w.client.post("/users/invitations", json=invite, headers=admin))
    refused(w.client.post("/api/users", json={"name": "Ann", "email": ADDRESS}, headers=admin))
    return no_account(w)


def by_import() -> bool:
    w = world()
    records: list[tuple[Position, Any]] = [
        (("line", 1), {"id": "u1", "username": "ann", "email": ADDRESS}),
    ]
    summary = w.services.of(MigrationServices).users.import_users(
        ImportFile(ImportUsers("jsonl"), records)
    )
    assert (summary.imported, summary.failed) == (0, 1)
    assert "signup_not_allowed" in json.dumps(summary.errors)
    return no_account(w)


def by_guest() -> bool:
    """A guest has no address for the lists to refuse: the mode does. The door the guests
    unit's POST /auth/guest passes (its 403 over HTTP: tests/unit/guests/)."""
    w = World(signup_mode="closed")
    with pytest.raises(SignupNotAllowed) as refusal:
        w.services.of(AccountServices).accounts.register_guest(RegisterGuest(client_ip=GUEST_IP))
    assert refusal.value.reason == "closed"
    return not w.store.users


def by_guest_upgrade() -> bool:
    """The address a guest takes passes the lists; the guest stays one."""
    w = World(signup_domains_block=[BLOCKED])
    token = new_guest(w.client).access_token
    body = {"username": "ann", "email": ADDRESS, "password": PASSWORD}
    refused(w.client.post("/auth/guest/upgrade", json=body, headers=bearer(token)))
    return no_account(w) and all(user.part(Guest).is_guest for user in w.store.users.values())


DRIVERS: dict[SignUpWay, Callable[[], bool]] = {
    SignUpWay.REGISTER: by_register,
    SignUpWay.PAGE: by_page,
    SignUpWay.EMAIL_CODE: by_email_code,
    SignUpWay.UPSTREAM: by_upstream,
    SignUpWay.FIREBASE: by_firebase,
    SignUpWay.SSO: by_sso,
    SignUpWay.SCIM: by_scim,
    SignUpWay.INVITATION: by_invitation,
    SignUpWay.IMPORT: by_import,
    SignUpWay.GUEST: by_guest,
    SignUpWay.GUEST_UPGRADE: by_guest_upgrade,
}


# The ways a unit's tests drive, the unit's own routes making the account: a texted code's
# sign-up (the phone unit's; gone with it)
DRIVEN_BY_A_UNIT = {SignUpWay.PHONE_CODE: "tests/unit/phone/test_phone_sign_up_door.py"}


def test_every_way_has_a_driver() -> None:
    assert set(DRIVERS) | set(DRIVEN_BY_A_UNIT) == set(SignUpWay)
    assert not set(DRIVERS) & set(DRIVEN_BY_A_UNIT)


@pytest.mark.parametrize("way", list(DRIVERS))
def test_every_way_is_refused_by_the_lists_and_makes_no_account(way: SignUpWay) -> None:
    assert DRIVERS[way]()


def test_an_address_changed_to_a_blocked_domain_is_refused() -> None:
    w = world()
    register(w.client, "dana")
    dana = bearer(login(w.client, "dana"))
    for method in (w.client.patch, w.client.put):
        answer = method("/user", json={"email": f"dana@{BLOCKED}"}, headers=dana)
        assert_problem(answer, 422, "email_not_allowed")
    assert w.client.get("/user", headers=dana).get_json()["email"] == "dana@example.com"


def test_the_hook_is_asked_only_of_a_sign_up_whose_input_is_valid() -> None:
    w = World()
    w.services.of(HookServices).hooks.set(
        SetAuthHook(ADMIN, "before_sign_up", "http://127.0.0.1:9/hook")
    )
    client = w.adapters.of(HooksAdapters).hook_client
    assert isinstance(client, FakeHookClient)
    client.answer = {"decision": "allow"}
    short = {"username": "ann", "email": "ann@example.com", "password": "short"}
    assert w.client.post("/register", json=short).status_code == 422
    bad_name = {"username": "a", "email": "ann@example.com", "password": PASSWORD}
    assert w.client.post("/register", json=bad_name).status_code == 422
    common = {"username": "ann", "email": "ann@example.com", "password": "password1"}
    assert w.client.post("/register", json=common).status_code == 422
    assert client.asked == []
    good = {"username": "ann", "email": "ann@example.com", "password": PASSWORD}
    assert w.client.post("/register", json=good).status_code == 201
    assert len(client.asked) == 1
