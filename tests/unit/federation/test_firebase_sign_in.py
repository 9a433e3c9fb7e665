"""The Firebase sign-in use case on in-memory fakes, asserting on the resulting state."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from application.accounts.accounts import delete_account
from application.accounts.signups import Register
from application.federation.firebase import Firebase, FirebaseSignIn
from application.federation.linking import sanitize_username, username_candidates
from application.ports import Audit
from application.signin.authentication import Authenticate, Authentication
from application.signin.tokens import TokenPair
from domain.accounts.credentials import USERNAME_MAX
from domain.accounts.users import Role, User
from domain.errors import Conflict, PermissionDenied, Unauthenticated
from domain.federation.acting import firebase_resource
from tests.fakes.federation import FakeCustomTokens, FakeIdentityVerifier
from tests.fakes.signin import FakeActiveOrgs, FakePrincipals
from tests.support.linking import World as LinkingWorld

pytestmark = pytest.mark.unit
PASSWORD = "correct horse battery staple"

FIREBASE_RESOURCE = firebase_resource("http://localhost")


class World(LinkingWorld):
    """The linking world plus a Firebase verifier."""

    def __init__(self) -> None:
        super().__init__()
        self.verifier = FakeIdentityVerifier()

    def sign_in(self, token: str, user_agent: str = "app/1.0") -> TokenPair:
        firebase = Firebase(
            verifier=self.verifier,
            links=self.links,
            sign_in_step=self.step(),
            users=self.users,
            minter=FakeCustomTokens(),
            orgs=FakeActiveOrgs(self.store),
            agent_resource=FIREBASE_RESOURCE,
        )
        return firebase.sign_in(FirebaseSignIn(id_token=token, user_agent=user_agent))

    def user_of(self, pair: TokenPair) -> User:
        authentication = Authentication(
            tokens=self.tokens, principals=FakePrincipals(self.store), clock=self.clock
        )
        actor = authentication.authenticate(Authenticate(pair.access_token))
        return self.store.users[actor.user_id]

    def alice_token(self, **changes: object) -> str:
        values: dict[str, object] = {
            "email": "Alice@Example.com",
            "email_verified": True,
            "display_name": "Alice Liddell",
        }
        values.update(changes)
        return self.verifier.issue("uid-alice", **values)  # type: ignore[arg-type]


@pytest.fixture
def world() -> World:
    return World()


def test_first_sign_in_creates_a_linked_passwordless_account(world: World) -> None:
    pair = world.sign_in(world.alice_token())
    user = world.user_of(pair)
    assert user.shown_name == "Alice_Liddell"
    assert user.email is not None and user.email.value == "Alice@Example.com"
    assert user.email_verified  # as Firebase reported it
    # Firebase gives one whole name: kept whole, not as a given name
    assert (user.name, user.last_name, user.full_name) == (None, None, "Alice Liddell")
    assert user.password_hash is None and user.role is Role.USER
    assert user.id != "uid-alice"
    assert world.store.identities == {"firebase:uid-alice": user.id}
    (session,) = world.store.sessions.values()
    assert session.user_id == user.id and session.user_agent == "app/1.0"
    assert pair.token_type == "bearer" and pair.refresh_token.startswith(session.id + ".")


def test_next_sign_ins_reuse_the_account(world: World) -> None:
    first = world.user_of(world.sign_in(world.alice_token()))
    # Later tokens may carry another name or even no verified e-mail: the link decides.
    again = world.sign_in(world.alice_token(display_name="Someone Else", email_verified=False))
    assert world.user_of(again).id == first.id
    assert len(world.store.users) == 1 and len(world.store.sessions) == 2


def test_each_sign_in_keeps_the_verification_state_firebase_reports(world: World) -> None:
    """When the account's address is the Firebase one, its email_verified follows the
    token's claim on every sign-in, both ways (docs/reference/email.md)."""
    first = world.user_of(world.sign_in(world.alice_token()))
    assert first.email_verified is True
    unverified = world.user_of(world.sign_in(world.alice_token(email_verified=False)))
    assert unverified.email_verified is False
    verified = world.user_of(world.sign_in(world.alice_token(email="alice@EXAMPLE.com")))
    assert verified.email_verified is True
    world.sign_in(world.alice_token())
    assert world.store.users[first.id] is verified  # nothing to change: nothing written
    events = [e for e in world.audit.events if e.event is Audit.EMAIL_VERIFIED]
    assert [(e.user_id, e.reason) for e in events] == [(first.id, "firebase")]


def test_another_address_in_the_token_leaves_the_state_alone(world: World) -> None:
    """An account whose address was changed here keeps its own verification: Firebase's
    claim is about another address."""
    first = world.user_of(world.sign_in(world.alice_token()))
    world.users.update(first.id, lambda u: u.edited({"email": "alice@example.org"}, u.updated_at))
    assert world.store.users[first.id].email_verified is False
    after = world.user_of(world.sign_in(world.alice_token()))  # verified Alice@Example.com
    assert after.email_verified is False
    world.users.update(first.id, lambda u: u.with_email_verified(u.updated_at))
    after = world.user_of(world.sign_in(world.alice_token(email_verified=False)))
    assert after.email_verified is True


@pytest.mark.parametrize(
    "changes",
    [{"email_verified": False}, {"email": None}, {"email": None, "email_verified": False}],
)
def test_first_sign_in_needs_a_verified_email(world: World, changes: dict[str, object]) -> None:
    with pytest.raises(PermissionDenied) as info:
        world.sign_in(world.alice_token(**changes))
    assert info.value.code == "email_not_verified"
    assert world.store.users == {} and world.store.identities == {}


def test_email_of_an_account_that_proved_it_is_a_conflict_not_a_link(world: World) -> None:
    registered = world.account_cases().register(
        Register(username="alice", email="alice@example.com", password=PASSWORD, client_ip="")
    )
    world.users.update(registered.id, lambda u: u.with_email_verified(world.clock.now()))
    with pytest.raises(Conflict) as info:
        world.sign_in(world.alice_token())
    assert info.value.code == "email_taken" and info.value.field == "email"
    assert "password" in info.value.detail
    assert list(world.store.users) == [registered.id]
    assert world.store.identities == {} and world.store.sessions == {}


def test_email_of_an_account_that_never_proved_it_is_claimed(world: World) -> None:
    """docs/decisions/0104-first-proof-of-address-wins.md"""
    squatted = world.account_cases().register(
        Register(username="mallory", email="alice@example.com", password=PASSWORD, client_ip="")
    )
    user = world.user_of(world.sign_in(world.alice_token()))
    assert user.id == squatted.id and user.shown_name == "mallory"
    assert user.email_verified and user.password_hash is None
    assert user.token_version == squatted.token_version + 1
    assert user.device_generation == squatted.device_generation + 1
    assert world.store.identities == {"firebase:uid-alice": squatted.id}
    assert [(e.event, e.reason) for e in world.audit.events][-2:] == [
        (Audit.ACCOUNT_CLAIMED, "firebase"),
        (Audit.LOGIN, "firebase"),
    ]


def test_username_collision_gets_a_suffix(world: World) -> None:
    world.account_cases().register(
        Register(
            username="alice_liddell", email="other@example.com", password=PASSWORD, client_ip=""
        )
    )
    user = world.user_of(world.sign_in(world.alice_token()))
    assert re.fullmatch(r"Alice_Liddell_\d{4}", user.shown_name)


def test_password_login_is_impossible_for_a_firebase_account(
    client: FlaskClient, identity_verifier: FakeIdentityVerifier
) -> None:
    token = identity_verifier.issue("uid-1", email="bob@example.com", display_name="Bob")
    exchanged = client.post("/auth/firebase", json={"id_token": token})
    assert exchanged.status_code == 200
    for login in ("Bob", "bob@example.com"):
        response = client.post("/login", json={"username": login, "password": PASSWORD})
        assert response.status_code == 401
        assert response.get_json()["code"] == "invalid_credentials"
    change = client.put(
        "/user/password",
        json={"current_password": PASSWORD, "new_password": "a brand new passphrase"},
        headers={"Authorization": f"Bearer {exchanged.get_json()['access_token']}"},
    )
    assert change.status_code == 403
    assert change.get_json()["code"] == "invalid_current_password"


def test_disabled_local_account_is_refused(world: World) -> None:
    user = world.user_of(world.sign_in(world.alice_token()))
    world.users.update(user.id, lambda u: u.with_disabled(True, world.clock.now()))
    with pytest.raises(PermissionDenied) as info:
        world.sign_in(world.alice_token())
    assert info.value.code == "account_disabled"
    assert len(world.store.sessions) == 1


def test_deleted_account_is_recreated_with_a_new_id(world: World) -> None:
    old = world.user_of(world.sign_in(world.alice_token()))
    delete_account(old.id, users=world.users, clock=world.clock)
    new = world.user_of(world.sign_in(world.alice_token()))
    assert new.id != old.id and new.shown_name == "Alice_Liddell"
    assert world.store.identities == {"firebase:uid-alice": new.id}


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("invalid_id_token", Unauthenticated("bad", code="invalid_id_token")),
        ("id_token_revoked", Unauthenticated("revoked", code="id_token_revoked")),
        ("firebase_user_disabled", PermissionDenied("off", code="firebase_user_disabled")),
    ],
)
def test_verifier_refusals_pass_through(
    world: World, code: str, error: Unauthenticated | PermissionDenied
) -> None:
    world.verifier.refuse("token", error)
    with pytest.raises(type(error)) as info:
        world.sign_in("token")
    assert info.value.code == code
    assert world.store.users == {} and world.store.sessions == {}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Alice Liddell", "Alice_Liddell"),
        ("  José  Núñez ", "José_Núñez"),
        ("Ａｌｉｃｅ", "Alice"),
        ("李小龍", "李小龍"),
        ("alice.liddell", "alice.liddell"),
        ("--__..bob!!", "bob"),
        ("a  +  b", "a_b"),
        ("😀😀", ""),
        ("", ""),
        (None, ""),
        ("x" * 50, "x" * USERNAME_MAX),
        ("a" * 31 + " b", "a" * 31),
    ],
)
def test_sanitize_username(text: str | None, expected: str) -> None:
    assert sanitize_username(text) == expected


def test_candidates_fall_back_to_email_then_user() -> None:
    names = [u.value for u in username_candidates("😀", "alice.l+news@example.com")]
    assert names[0] == "alice.l" and len(names) == 8
    assert all(re.fullmatch(r"alice\.l_\d{4}(\d{4})?", n) for n in names[1:])
    fallback = [u.value for u in username_candidates("ab", "x@example.com")]
    assert all(re.fullmatch(r"user_\d{4}(\d{4})?", n) for n in fallback)
    long = [u.value for u in username_candidates("y" * 40, None)]
    assert long[0] == "y" * 32 and all(len(n) <= USERNAME_MAX for n in long)


def test_http_exchange_on_fakes(
    client: FlaskClient, identity_verifier: FakeIdentityVerifier
) -> None:
    token = identity_verifier.issue("uid-1", email="bob@example.com", display_name="Bob")
    response = client.post("/auth/firebase", json={"id_token": token})
    assert response.status_code == 200, response.get_json()
    pair = response.get_json()
    assert set(pair) == {
        "access_token",
        "token_type",
        "expires_in",
        "refresh_token",
        "refresh_expires_in",
    }
    me = client.get("/user", headers={"Authorization": f"Bearer {pair['access_token']}"})
    assert me.get_json()["username"] == "Bob" and me.get_json()["email"] == "bob@example.com"
    whoami = client.get("/auth/whoami", headers={"Authorization": f"Bearer {pair['access_token']}"})
    assert whoami.get_json()["amr"] == ["fed"]
    unknown = client.post("/auth/firebase", json={"id_token": "nope"})
    assert unknown.status_code == 401 and unknown.get_json()["code"] == "invalid_id_token"
    assert unknown.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "body",
    [{}, {"id_token": ""}, {"id_token": 5}, {"id_token": "t", "role": "admin"}],
)
def test_http_exchange_validation(client: FlaskClient, body: dict[str, object]) -> None:
    response = client.post("/auth/firebase", json=body)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"


def test_http_exchange_is_documented(client: FlaskClient) -> None:
    operation = client.get("/openapi.json").get_json()["paths"]["/auth/firebase"]["post"]
    assert {"200", "401", "403", "409", "422"} <= set(operation["responses"])


def test_control_characters_of_a_firebase_display_name_are_dropped(world: World) -> None:
    user = world.user_of(world.sign_in(world.alice_token(display_name="Alice\x00 \x1b[1mL")))
    assert user.full_name == "Alice [1mL"


def test_a_mixed_script_display_name_is_not_a_username(world: World) -> None:
    # "Alice" with a Cyrillic A: the e-mail's local part gives the name instead.
    pair = world.sign_in(world.alice_token(display_name="\u0410lice Liddell"))
    assert world.user_of(pair).shown_name == "Alice"


def test_a_look_alike_of_a_taken_name_gets_a_suffix(world: World) -> None:
    world.register("alice", "someone@example.com")
    pair = world.sign_in(world.alice_token(display_name="al\u0131ce"))  # dotless i
    assert world.user_of(pair).shown_name.startswith("al\u0131ce_")
