"""A guest becomes an account in one place only, ``GuestUpgrades.upgrade_guest``
(docs/guests.md, "Upgrading in place"; docs/decisions/0630-one-place-for-a-guests-upgrade.md):
who may sign up, the ``before_sign_up`` hook, then the ``before_sign_in`` hooks, all before its
one commit, so a refusal changes nothing.

What is enumerated, not listed by hand: the places that make a guest an account (every call of
a guest's ``upgraded`` or ``signed_up_with_identity``: one), the places that ask for an upgrade
(every ``UpgradeGuest`` made and every ``become_account`` called, each a known way with its
drivers), and the JSON API's routes whose body gives a way in (a username, an address, a
password, a phone number, an ID token), from the app's OpenAPI document: each is a way of
upgrading (driven here), refused to a guest (403 ``guest_upgrade_required``, driven here), or
not about the caller's own account. Each way is driven with a ``before_sign_in`` hook that
denies and with a sign-up rule that refuses: the guest stays a guest, with no username,
address, number, password, identity or passkey, and no session is made."""

from __future__ import annotations

import ast
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from scripts.units_contract import unit_names

from application.federation.connected import Connect
from application.federation.services import FederationServices
from application.hooks.admin import SetAuthHook
from application.hooks.services import HookServices
from application.ports import ExternalIdentity
from application.signin.authentication import Authenticate
from application.signin.services import SigninServices
from bootstrap.federation import FederationAdapters, configured_providers
from domain.errors import PermissionDenied
from tests.fakes.federation import FakeUpstreamProviders
from tests.support.api import PASSWORD, assert_problem
from tests.support.app import World
from tests.support.email_codes import code_in
from tests.support.guest_upgrades import (
    Guest,
    new_guest,
    receiver,
    refused_to_the_guest,
    sessions_of,
    still_a_guest,
)
from tests.support.oidc_idp import (
    CLIENT_ID,
    CLIENT_SECRET,
    OidcIdpForTests,
    oidc_idp,
    signed_id_token,
)
from tests.support.pages import csrf
from tests.support.passkey_authenticator import Passkey
from tests.support.saml_idp import KeyPair, key_pair
from tests.support.source_trees import trees_naming
from tests.support.sso_world import oidc_sso, saml_sso
from tests.support.taken_out import taken_out
from tests.support.webhooks import ADMIN

pytestmark = pytest.mark.unit

SRC = Path(__file__).resolve().parents[3] / "src"
SIGN_IN_HOOK = "http://127.0.0.1:9/before-sign-in"
SMS_HOOK = "http://127.0.0.1:9/sms"
DENY = {"decision": "deny", "message": "Not from this network."}
BLOCKED = "blocked.example"

# -- found in the code ----------------------------------------------------------------------


def _modules(names: set[str]) -> Iterator[tuple[str, ast.AST]]:
    """The modules of src/ that may name one of ``names``, by their path in it."""
    for path, tree in trees_naming(SRC, *names):
        yield path.relative_to(SRC).as_posix(), tree


def _functions(tree: ast.AST) -> Iterator[ast.FunctionDef]:
    """The module's functions and its classes' methods (a function nested in one is part of
    it)."""
    for node in getattr(tree, "body", []):
        if isinstance(node, ast.FunctionDef):
            yield node
        elif isinstance(node, ast.ClassDef):
            yield from _functions(node)


def _called(function: ast.FunctionDef, names: set[str]) -> bool:
    for node in ast.walk(function):
        if isinstance(node, ast.Call):
            callee = node.func
            name = getattr(callee, "id", None) or getattr(callee, "attr", None)
            if name in names:
                return True
    return False


def _places(names: set[str], *, skip: str = "") -> set[str]:
    """``module:function`` of every function of src/ that calls one of ``names``."""
    return {
        f"{module}:{function.name}"
        for module, tree in _modules(names)
        if module != skip
        for function in _functions(tree)
        if _called(function, names)
    }


ONE_PLACE = "application/accounts/guest/upgrades.py"


def test_a_guest_becomes_an_account_in_one_place_only() -> None:
    """Every call of a guest's upgrade in the domain (``upgraded``, and
    ``signed_up_with_identity`` which is one) is in the module of ``GuestUpgrades``, whose one
    use case is ``upgrade_guest``."""
    places = _places({"upgraded", "signed_up_with_identity"}, skip="domain/accounts/users.py")
    assert {place.split(":")[0] for place in places} == {ONE_PLACE}
    tree = ast.parse((SRC / ONE_PLACE).read_text())
    [upgrades] = [
        n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name == "GuestUpgrades"
    ]
    methods = {f.name for f in upgrades.body if isinstance(f, ast.FunctionDef)}
    assert {name for name in methods if not name.startswith("_")} == {"upgrade_guest"}
    assert {place.split(":")[1] for place in places} <= methods


# Every place that asks for a guest's upgrade (an ``UpgradeGuest`` made, or the providers'
# ``become_account`` called), by module and function, and the drivers below that walk it.
# The phone unit's texted code upgrades a guest too, while the unit is in this tree (it is
# taken out on a copy by scripts/remove_unit.py)
PHONE = "phone" in unit_names()
WAYS: dict[str, tuple[str, ...]] = {
    "interfaces/http/routes/signin/guest.py:upgrade_guest": ("password",),
    "application/signin/codes/flow.py:_upgrade": ("email_code", *(("phone_code",) * PHONE)),
    "application/signin/factors/passkeys.py:register": ("passkey",),
    # the providers' common step, which each of them below calls
    "application/federation/guest.py:become_account": (),
    "application/federation/upstream.py:_signed_in": ("upstream_browser", "upstream_native"),
    "application/federation/firebase.py:_upgrade": ("firebase",),
    "application/sso/arrival.py:arrive": ("sso_oidc", "sso_saml"),
}


def test_every_way_of_upgrading_is_known_and_driven() -> None:
    assert _places({"UpgradeGuest", "become_account"}) == set(WAYS)
    driven = {name for names in WAYS.values() for name in names}
    assert driven == set(DRIVERS)


# -- the drivers: each way, with a before_sign_in hook that denies or a sign-up rule ----------


def arm(guest: Guest) -> None:
    """The before_sign_in hook set to deny, and the guest's sessions noted: from here on,
    nothing of the guest may change."""
    world = guest.world
    world.services.of(HookServices).hooks.set(SetAuthHook(ADMIN, "before_sign_in", SIGN_IN_HOOK))
    receiver(world).answer = DENY
    receiver(world).asked.clear()
    guest.sessions = sessions_of(world, guest.id)


def asked_to_sign_in(world: World) -> list[dict[str, Any]]:
    return [json.loads(body) for url, body, *_ in receiver(world).asked if url == SIGN_IN_HOOK]


@dataclass
class Outcome:
    answer: Any
    guest: Guest
    page: bool = False  # a browser's way: the refusal is a page


Refusal = str  # "hook": before_sign_in denies; "rules": who may sign up refuses
RULES: dict[str, dict[str, object]] = {
    "address": {"signup_domains_block": [BLOCKED]},  # a way that takes an address
    "none": {"signup_mode": "closed"},  # a way without one: the mode refuses
}


def settings_for(refusal: Refusal, kind: str) -> dict[str, object]:
    return RULES[kind] if refusal == "rules" else {}


def address(refusal: Refusal, name: str) -> str:
    return f"{name}@{BLOCKED}" if refusal == "rules" else f"{name}@example.com"


def by_password(refusal: Refusal) -> Outcome:
    world = World(**settings_for(refusal, "address"))
    guest = new_guest(world)
    arm(guest)
    body = {"username": "ann", "email": address(refusal, "ann"), "password": PASSWORD}
    answer = world.client.post("/auth/guest/upgrade", json=body, headers=guest.auth)
    return Outcome(answer, guest)


def by_email_code(refusal: Refusal) -> Outcome:
    world = World(**settings_for(refusal, "address"))
    guest = new_guest(world)
    to = address(refusal, "ann")
    asked = world.client.post("/auth/email-code", json={"email": to}, headers=guest.auth)
    assert asked.status_code == 202, asked.get_json()
    world.deliver()
    code = code_in(world.mailer.to(to)[-1].text)
    arm(guest)
    body = {"flow_id": asked.get_json()["flow_id"], "code": code}
    return Outcome(world.client.post("/auth/email-code/verify", json=body), guest)


def texting(refusal: Refusal) -> World:
    world = World(phone_sign_in=True, **settings_for(refusal, "none"))
    world.services.of(HookServices).hooks.set(SetAuthHook(ADMIN, "send_sms", SMS_HOOK))
    return world


def by_phone_code(refusal: Refusal) -> Outcome:
    world = texting(refusal)
    guest = new_guest(world)
    asked = world.client.post(
        "/auth/phone-code", json={"phone_number": "+33612345678"}, headers=guest.auth
    )
    assert asked.status_code == 202, asked.get_json()
    world.deliver()
    [sent] = [body for url, body, *_ in receiver(world).asked if url == SMS_HOOK]
    arm(guest)
    body = {"flow_id": asked.get_json()["flow_id"], "code": json.loads(sent)["code"]}
    return Outcome(world.client.post("/auth/phone-code/verify", json=body), guest)


def by_passkey(refusal: Refusal) -> Outcome:
    world = World(**settings_for(refusal, "none"))
    guest = new_guest(world)
    options = world.client.post("/auth/passkeys/registration/options", headers=guest.auth)
    assert options.status_code == 200, options.get_json()
    body = {**Passkey().register(options.get_json()), "username": "ann"}
    arm(guest)
    answer = world.client.post("/auth/passkeys/registration", json=body, headers=guest.auth)
    return Outcome(answer, guest)


def by_firebase(refusal: Refusal) -> Outcome:
    world = World(**settings_for(refusal, "address"))
    guest = new_guest(world)
    token = world.verifier.issue("uid-ann", email=address(refusal, "ann"))
    arm(guest)
    answer = world.client.post("/auth/firebase", json={"id_token": token}, headers=guest.auth)
    return Outcome(answer, guest)


@pytest.fixture(scope="module")
def idp() -> Iterator[OidcIdpForTests]:
    with oidc_idp() as found:
        yield found


IDP: list[OidcIdpForTests] = []  # the module's IdP, for the upstream drivers
KEYS: list[KeyPair] = []  # the module's SAML IdP's key


def upstream_world(refusal: Refusal) -> tuple[World, OidcIdpForTests]:
    [found] = IDP
    provider = {"id": "corp", "issuer": found.issuer, "client_id": CLIENT_ID}
    world = World(
        upstream_providers=[{**provider, "client_secret": CLIENT_SECRET}],
        **settings_for(refusal, "address"),
    )
    for configured in configured_providers(world.settings, FakeUpstreamProviders()).list_all():
        world.adapters.of(FederationAdapters).upstream_providers.add(configured)
    return world, found


def by_upstream_browser(refusal: Refusal) -> Outcome:
    world, found = upstream_world(refusal)
    guest = new_guest(world)
    browser = guest.browser()
    started = browser.get("/sign-in/with/corp?next=/account")
    assert started.status_code == 303, started.get_data(as_text=True)
    person = {"sub": "corp-ann", "email": address(refusal, "ann"), "email_verified": True}
    back = urlsplit(found.authorize(started.headers["Location"], person))
    arm(guest)
    return Outcome(browser.get(f"{back.path}?{back.query}"), guest, page=True)


def by_upstream_native(refusal: Refusal) -> Outcome:
    world, found = upstream_world(refusal)
    guest = new_guest(world)
    now = int(time.time())
    claims = {"iss": found.issuer, "aud": CLIENT_ID, "iat": now, "exp": now + 300}
    person = {"sub": "corp-ann", "email": address(refusal, "ann"), "email_verified": True}
    body = {"id_token": signed_id_token({**claims, **person, "nonce": "n-1"}), "nonce": "n-1"}
    arm(guest)
    answer = world.client.post("/auth/identities/corp/token", json=body, headers=guest.auth)
    return Outcome(answer, guest)


def by_sso_oidc(refusal: Refusal) -> Outcome:
    blocked = {"signup_domains_block": ["corp.example"]} if refusal == "rules" else {}
    with oidc_sso(**blocked) as sso:
        guest = new_guest(sso.world)
        browser = guest.browser()
        location = sso.start(browser)
        person = {"sub": "sub-ann", "email": "ann@corp.example", "given_name": "Ann"}
        arm(guest)
        return Outcome(sso.back(browser, sso.idp.authorize(location, person)), guest, page=True)


def by_sso_saml(refusal: Refusal) -> Outcome:
    blocked = {"signup_domains_block": ["corp.example"]} if refusal == "rules" else {}
    sso = saml_sso(KEYS[0], **blocked)
    guest = new_guest(sso.world)
    browser = guest.browser()
    start = browser.get(f"/sso/{sso.cid}/saml?next=/account")
    assert start.status_code == 303, start.get_data(as_text=True)
    request = sso.idp.request_of(start.headers["Location"])
    xml = sso.response(request.message.id, "ann@corp.example")
    browser.delete_cookie("firegate_session")  # the IdP's cross-site post brings none
    arm(guest)
    return Outcome(sso.post(browser, xml), guest, page=True)


DRIVERS: dict[str, Callable[[Refusal], Outcome]] = {
    "password": by_password,
    "email_code": by_email_code,
    **({"phone_code": by_phone_code} if PHONE else {}),
    "passkey": by_passkey,
    "firebase": by_firebase,
    "upstream_browser": by_upstream_browser,
    "upstream_native": by_upstream_native,
    "sso_oidc": by_sso_oidc,
    "sso_saml": by_sso_saml,
}

# What the before_sign_in hook is told of each way's upgrade (docs/hooks.md, "before_sign_in")
TOLD = {
    "password": ("guest_upgrade", []),
    "email_code": ("email_code", ["email"]),
    "phone_code": ("phone_code", ["sms"]),
    "passkey": ("guest_upgrade", []),
    "firebase": ("firebase", ["fed"]),
    "upstream_browser": ("upstream", ["fed"]),
    "upstream_native": ("upstream", ["fed"]),
    "sso_oidc": ("sso", ["fed"]),
    "sso_saml": ("sso", ["fed"]),
}


@pytest.fixture(scope="module")
def providers(idp: OidcIdpForTests) -> Iterator[None]:
    IDP[:] = [idp]
    KEYS[:] = [key_pair()]
    yield
    IDP.clear()
    KEYS.clear()


def unchanged(outcome: Outcome) -> None:
    still_a_guest(outcome.guest)


@pytest.mark.usefixtures("providers")
@pytest.mark.parametrize("way", sorted(DRIVERS))
def test_a_before_sign_in_hook_that_denies_leaves_the_guest_as_it_was(way: str) -> None:
    outcome = DRIVERS[way]("hook")
    if outcome.page:
        assert outcome.answer.status_code == 403, outcome.answer.get_data(as_text=True)
        assert "Not from this network." in outcome.answer.get_data(as_text=True)
    else:
        denied = assert_problem(outcome.answer, 403, "signin_denied")
        assert denied["detail"] == "Not from this network."
    unchanged(outcome)
    [told] = asked_to_sign_in(outcome.guest.world)
    assert (told["method"], told["amr"]) == TOLD[way]
    assert told["user"]["id"] == outcome.guest.id and told["user"]["username"] is not None


@pytest.mark.usefixtures("providers")
@pytest.mark.parametrize("way", sorted(DRIVERS))
def test_a_sign_up_rule_that_refuses_leaves_the_guest_as_it_was_and_no_hook_is_asked(
    way: str,
) -> None:
    outcome = DRIVERS[way]("rules")
    if outcome.page:
        assert outcome.answer.status_code == 403, outcome.answer.get_data(as_text=True)
    else:
        assert_problem(outcome.answer, 403, "signup_not_allowed")
    unchanged(outcome)
    assert asked_to_sign_in(outcome.guest.world) == []


# -- the routes whose body gives a way in, from the API's own document -----------------------

WAY_IN_FIELDS = {"username", "email", "password", "new_password", "phone_number", "id_token"}

# Routes by which the signed-in guest upgrades itself: driven above.
UPGRADES = {
    "POST /auth/guest/upgrade",
    "POST /auth/email-code",
    "POST /auth/phone-code",
    "POST /auth/passkeys/registration",
    "POST /auth/firebase",
    "POST /auth/identities/{provider}/token",
}
# Routes that change the caller's own ways in: refused to a guest (below).
REFUSED = {
    "PUT /user",
    "PATCH /user",
    "PUT /user/password",
    "PUT /api/users/{user_id}",
    "PATCH /api/users/{user_id}",
}
# Routes that never give the caller's own account a way in: a sign-up or a sign-in of its own,
# a reset by mail, the current password asked again, or someone else's account (an admin's,
# an org's invitations).
NOT_THE_CALLERS = {
    "POST /register",
    "POST /users",
    "POST /api/v1/auth/signup",
    "POST /login",
    "POST /auth/login",
    "POST /api/v1/auth/login",
    "POST /auth/password/forgot",
    "POST /auth/password/reset",
    "POST /auth/mfa/totp",
    "DELETE /auth/mfa/totp",
    "POST /auth/mfa/recovery-codes",
    "POST /users/invitations",
    "POST /api/users",
    "POST /orgs/{org}/invitations",
}


def _fields(schema: dict[str, Any], schemas: dict[str, Any]) -> set[str]:
    if "$ref" in schema:
        return _fields(schemas[schema["$ref"].rsplit("/", 1)[1]], schemas)
    found = set(schema.get("properties", {}))
    for key in ("allOf", "anyOf", "oneOf"):
        for part in schema.get(key, []):
            found |= _fields(part, schemas)
    return found


def routes_giving_a_way_in() -> set[str]:
    world = World(guest_accounts=True, phone_sign_in=True)
    document = world.client.get("/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    found = set()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            fields = set().union(*(_fields(c.get("schema", {}), schemas) for c in content.values()))
            if fields & WAY_IN_FIELDS:
                found.add(f"{method.upper()} {path}")
    return found


def test_every_route_that_gives_a_way_in_is_an_upgrade_refused_or_not_the_callers() -> None:
    assert UPGRADES.isdisjoint(REFUSED) and REFUSED.isdisjoint(NOT_THE_CALLERS)
    # a unit scripts/remove_unit.py took out of this copy serves none of its routes
    gone = {f"{method} {path}" for method, path in taken_out().routes}
    assert routes_giving_a_way_in() == (UPGRADES | REFUSED | NOT_THE_CALLERS) - gone


def changes_of(guest: Guest) -> dict[str, Callable[[], Any]]:
    """Each refused route, called by the guest as a person would call it."""
    client, auth, me = guest.world.client, guest.auth, guest.id
    name = {"username": "sneaky"}
    both = {"username": "sneaky", "email": "sneaky@example.com"}
    return {
        "PUT /user": lambda: client.put("/user", json=both, headers=auth),
        "PATCH /user": lambda: client.patch("/user", json=name, headers=auth),
        "PUT /user/password": lambda: client.put(
            "/user/password", json={"new_password": PASSWORD}, headers=auth
        ),
        "PUT /api/users/{user_id}": lambda: client.put(
            f"/api/users/{me}", json={"name": "Sneaky", "email": "s@example.com"}, headers=auth
        ),
        "PATCH /api/users/{user_id}": lambda: client.patch(
            f"/api/users/{me}", json={"email": "s@example.com"}, headers=auth
        ),
    }


@pytest.mark.parametrize("route", sorted(REFUSED))
def test_a_route_that_changes_ones_own_way_in_is_refused_to_a_guest(route: str) -> None:
    world = World(guest_accounts=True)
    guest = new_guest(world)
    guest.sessions = sessions_of(world, guest.id)
    refused_to_the_guest(changes_of(guest)[route]())
    unchanged(Outcome(None, guest))


def test_every_refused_route_is_driven() -> None:
    world = World(guest_accounts=True)
    assert set(changes_of(new_guest(world))) == REFUSED


@pytest.mark.parametrize(
    "body",
    [{"email": "ann@example.com"}, {"username": "ann", "name": "Ann"}],
    ids=["address", "username"],
)
def test_patch_user_refuses_each_way_in_and_lets_a_guest_change_its_names(
    body: dict[str, str],
) -> None:
    world = World(guest_accounts=True)
    guest = new_guest(world)
    guest.sessions = sessions_of(world, guest.id)
    refused_to_the_guest(world.client.patch("/user", json=body, headers=guest.auth))
    unchanged(Outcome(None, guest))
    named = world.client.patch("/user", json={"name": "Ann"}, headers=guest.auth)
    assert named.status_code == 200 and named.get_json()["name"] == "Ann"


def test_the_pages_refuse_a_guest_a_password_with_words_that_say_how_to_sign_up() -> None:
    world = World(guest_accounts=True)
    guest = new_guest(world)
    guest.sessions = sessions_of(world, guest.id)
    browser = guest.browser()
    form = {"new_password": PASSWORD, "csrf_token": csrf(browser, "/account/security")}
    answer = browser.post("/account/password", data=form)
    assert answer.status_code == 403, answer.get_data(as_text=True)
    assert "sign up" in answer.get_data(as_text=True).lower()
    unchanged(Outcome(None, guest))


def test_connecting_another_providers_identity_is_refused_to_a_guest() -> None:
    """ "Connect another" (the security page's round trip, or a pending link's connection)
    links nothing to a guest: signing in with the provider as the guest is its upgrade."""
    world = World(guest_accounts=True)
    guest = new_guest(world)
    guest.sessions = sessions_of(world, guest.id)
    actor = world.services.of(SigninServices).authentication.authenticate(
        Authenticate(guest.access_token)
    )
    github = ExternalIdentity("github", "gh-1", "ann@example.com", True, "Ann")
    with pytest.raises(PermissionDenied) as refused:
        world.services.of(FederationServices).identities.connect(Connect(actor, github))
    assert refused.value.code == "guest_upgrade_required"
    unchanged(Outcome(None, guest))
