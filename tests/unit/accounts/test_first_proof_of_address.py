"""The first proof of an address wins the account, on the fakes: a password reset through the
mailed link and a verified Firebase sign-in take an account that never proved its address
away from whoever set it up (docs/decisions/0104-first-proof-of-address-wins.md)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from flask.testing import FlaskClient

from application.jobs import JobPush, encode_job
from application.mail.flows import MailsAfterChanges
from application.mail.password_reset import ResetPassword
from application.mail.services import MailServices
from application.ports import Audit
from application.services import Services
from domain.accounts.credentials import Email, Username
from domain.accounts.signups import ALLOWED
from domain.accounts.users import User
from domain.errors import Unavailable
from domain.mail.action_tokens import Purpose
from domain.signin.passkeys import Passkey
from tests.fakes.events import RecordingAuditLog
from tests.fakes.federation import FakeIdentityRepository, FakeIdentityVerifier
from tests.fakes.kernel import FakeClock, FakeJobQueue, InMemoryStore
from tests.fakes.mail import FakeActionTokenRepository, FakeMailer
from tests.fakes.signin import FakePasskeyRepository
from tests.support.api import PASSWORD, bearer
from tests.support.app import app_on, fake_adapters, swap
from tests.support.passkey_authenticator import add_passkey, passkey_sign_in
from tests.support.settings import make_settings

pytestmark = pytest.mark.unit
NEW = "the owner's new passphrase 7"
VICTIM = "victim@example.com"


class DyingSpend(FakeActionTokenRepository):
    """The process dies at the spend while ``dying`` is set; ``meanwhile`` runs just before
    the spend (what another request does between the reset's first steps and its spend)."""

    dying = False
    meanwhile: Callable[[], None] | None = None

    def spend(
        self, hashed: str, purpose: Purpose, change: Callable[[User], User], now: datetime
    ) -> User:
        if self.meanwhile is not None:
            self.meanwhile()
        if self.dying:
            raise Unavailable("the process died", retry_after=1)
        return super().spend(hashed, purpose, change, now)


class DyingLink(FakeIdentityRepository):
    """The process dies at the commit that links an identity to an existing account."""

    dying = False

    def link_existing(
        self,
        user_id: str,
        provider: str,
        subject: str,
        change: Callable[[User], User | None],
        email: str | None = None,
    ) -> User | None:
        if self.dying:
            raise Unavailable("the process died", retry_after=1)
        return super().link_existing(user_id, provider, subject, change, email)


class World:
    def __init__(self, **settings: object) -> None:
        self.settings = make_settings(**settings)
        self.store = InMemoryStore()
        self.queue = FakeJobQueue()
        self.mailer = FakeMailer()
        self.clock = FakeClock()
        self.audit = RecordingAuditLog()
        self.verifier = FakeIdentityVerifier()
        self.passkeys = FakePasskeyRepository()
        self.action_tokens = DyingSpend(self.store)
        self.identities = DyingLink(self.store)
        adapters = swap(
            fake_adapters(self.settings, self.store),
            identity_verifier=self.verifier,
            identities=self.identities,
            job_queue=self.queue.attach,
            mailer=self.mailer,
            audit=self.audit,
            clock=self.clock,
            passkeys=self.passkeys,
            action_tokens=self.action_tokens,
        )
        self.app = app_on(self.settings, adapters)
        self.services: Services = self.app.extensions["firegate"]

    def client(self, ip: str = "127.0.0.1") -> FlaskClient:
        """A person's own browser: its own cookies (the device token's among them)."""
        client = self.app.test_client()
        client.environ_base["REMOTE_ADDR"] = ip
        return client

    def deliver(self) -> None:
        while self.queue.jobs:
            jobs, self.queue.jobs = self.queue.jobs, []
            for job in jobs:
                data = base64.b64encode(encode_job(job)).decode()
                self.services.platform.jobs.receive_push(JobPush(data=data))

    def mailed_token(self, address: str, path: str) -> str:
        mail = [m for m in self.mailer.to(address) if path in m.text][-1]
        link = next(word for word in mail.text.split() if "token=" in word)
        return parse_qs(urlsplit(link).query)["token"][0]

    def reset_link(self, client: FlaskClient, address: str = VICTIM) -> str:
        forgot = client.post("/auth/password/forgot", json={"email": address})
        assert forgot.status_code == 202
        self.deliver()
        return self.mailed_token(address, "/reset-password")

    def reset(self, client: FlaskClient, address: str = VICTIM) -> None:
        body = {"token": self.reset_link(client, address), "new_password": NEW}
        done = client.post("/auth/password/reset", json=body)
        assert done.status_code == 204, done.get_json()

    def verify(self, client: FlaskClient, address: str) -> None:
        self.deliver()
        token = self.mailed_token(address, "/verify-email")
        verified = client.post("/auth/email/verify", json={"token": token})
        assert verified.status_code == 200, verified.get_json()

    def user(self, user_id: str) -> User:
        return self.store.users[user_id]

    def events(self, kind: Audit) -> list[tuple[str, str | None, str | None]]:
        return [(e.outcome, e.user_id, e.reason) for e in self.audit.events if e.event == kind]


@pytest.fixture
def world() -> World:
    return World()


def sign_up(client: FlaskClient, username: str, email: str = VICTIM) -> tuple[str, str]:
    """A new account with a password; its id and a fresh access token."""
    body = {"username": username, "email": email, "password": PASSWORD}
    made = client.post("/register", json=body)
    assert made.status_code == 201, made.get_json()
    return made.get_json()["id"], log_in(client, username)


def log_in(client: FlaskClient, login: str, password: str = PASSWORD) -> str:
    answer = client.post("/login", json={"username": login, "password": password})
    assert answer.status_code == 200, answer.get_json()
    token: str = answer.get_json()["access_token"]
    return token


def enrol_totp(world: World, client: FlaskClient, token: str) -> list[str]:
    started = client.post("/auth/mfa/totp", json={"password": PASSWORD}, headers=bearer(token))
    assert started.status_code == 200, started.get_json()
    code = pyotp.TOTP(started.get_json()["secret"]).at(world.clock.now())
    confirmed = client.post("/auth/mfa/totp/confirm", json={"code": code}, headers=bearer(token))
    assert confirmed.status_code == 200, confirmed.get_json()
    codes: list[str] = confirmed.get_json()["recovery_codes"]
    return codes


def firebase(world: World, client: FlaskClient, subject: str, email: str = VICTIM) -> Any:
    token = world.verifier.issue(subject, email=email, display_name="Vic")
    return client.post("/auth/firebase", json={"id_token": token})


# -- every reset: the passkeys go ---------------------------------------------------------


def test_the_squatters_passkey_no_longer_signs_in_after_the_victims_reset(world: World) -> None:
    mallory, victim = world.client(), world.client()
    account, token = sign_up(mallory, "mallory")
    key = add_passkey(mallory, token)
    assert passkey_sign_in(mallory, key).status_code == 200

    world.reset(victim)

    refused = passkey_sign_in(mallory, key)
    assert (refused.status_code, refused.get_json()["code"]) == (401, "unknown_passkey")
    assert world.passkeys.passkeys == {}
    assert world.user(account).email_verified is True
    log_in(victim, VICTIM, NEW)


def test_a_reset_of_a_proven_account_keeps_its_totp_but_removes_its_passkeys(
    world: World,
) -> None:
    owner = world.client()
    account, token = sign_up(owner, "olivia")
    world.verify(owner, VICTIM)  # the owner proved the address first
    key = add_passkey(owner, token)
    recovery_codes = enrol_totp(world, owner, token)
    world.deliver()
    assert len([m for m in world.mailer.to(VICTIM) if "/not-me?token=" in m.text]) == 2

    world.reset(owner)

    # The second factor the owner set up stays: the new password alone does not sign in.
    second_step = owner.post("/login", json={"username": "olivia", "password": NEW})
    assert (second_step.status_code, second_step.get_json()["code"]) == (401, "mfa_required")
    finished = owner.post(
        "/login/mfa",
        json={"mfa_token": second_step.get_json()["mfa_token"], "recovery_code": recovery_codes[0]},
    )
    assert finished.status_code == 200, finished.get_json()
    assert world.store.factors[account].active
    # The passkeys go with every reset.
    assert passkey_sign_in(owner, key).status_code == 401
    assert world.passkeys.passkeys == {}
    assert world.events(Audit.ACCOUNT_CLAIMED) == []


def test_the_reset_mail_says_what_the_reset_removes(world: World) -> None:
    client = world.client()
    sign_up(client, "mallory")
    sign_up(client, "olivia", "olivia@example.com")
    world.verify(client, "olivia@example.com")
    world.reset_link(client, VICTIM)
    world.reset_link(client, "olivia@example.com")
    [unproven] = [m for m in world.mailer.to(VICTIM) if "/reset-password" in m.text]
    [proven] = [m for m in world.mailer.to("olivia@example.com") if "/reset-password" in m.text]
    for mail in (unproven, proven):
        assert "removes the account's passkeys" in " ".join(mail.text.split())
        assert "removes the account's passkeys" in " ".join(mail.html.split())
    for part in (unproven.text, unproven.html):
        assert "also removes its two-step login" in " ".join(part.split())
    for part in (proven.text, proven.html):
        assert "two-step login" not in part


# -- a reset of an account that never proved its address: it starts clean -------------------


def test_the_squatters_totp_is_gone_after_the_victims_reset(world: World) -> None:
    mallory, victim = world.client(), world.client()
    account, token = sign_up(mallory, "mallory")
    enrol_totp(world, mallory, token)
    needs_code = mallory.post("/login", json={"username": "mallory", "password": PASSWORD})
    assert needs_code.get_json()["code"] == "mfa_required"

    world.reset(victim)

    # The victim signs in with the password alone: no second step of the squatter's.
    answer = victim.post("/login", json={"username": VICTIM, "password": NEW})
    assert answer.status_code == 200, answer.get_json()
    assert account not in world.store.factors
    me = victim.get("/user", headers=bearer(answer.get_json()["access_token"])).get_json()
    assert me["id"] == account and me["email_verified"] is True
    assert world.events(Audit.ACCOUNT_CLAIMED) == [("success", account, "password_reset")]


def test_a_reset_of_an_unproven_account_removes_its_firebase_links(world: World) -> None:
    mallory, victim = world.client(), world.client()
    # Mallory signs in with Firebase (her own address), then puts the victim's on the account.
    made = firebase(world, mallory, "uid-mallory", "mallory@example.com")
    assert made.status_code == 200, made.get_json()
    headers = bearer(made.get_json()["access_token"])
    moved = mallory.patch("/user", headers=headers, json={"email": VICTIM})
    assert moved.status_code == 200 and moved.get_json()["email_verified"] is False
    account = moved.get_json()["id"]

    world.reset(victim)

    assert world.store.identities == {}
    again = firebase(world, mallory, "uid-mallory", "mallory@example.com")
    assert again.status_code == 200  # a new account of her own, not the victim's
    other = mallory.get("/user", headers=bearer(again.get_json()["access_token"])).get_json()
    assert other["id"] != account


def test_a_reset_of_an_unproven_account_voids_its_device_tokens() -> None:
    world = World(login_failures_per_account=3)
    mallory, victim, attacker = world.client(), world.client(), world.client("198.51.100.7")
    sign_up(mallory, "mallory")  # her login left a device token in her browser

    world.reset(victim)
    log_in(victim, VICTIM, NEW)  # the victim's own device token, made after the reset
    for _ in range(3):  # the account-wide block: anybody can trip it
        attacker.post("/login", json={"username": VICTIM, "password": "wrong guess"})

    # Mallory's device token exempts her no more: she meets the account-wide block.
    blocked = mallory.post("/login", json={"username": VICTIM, "password": "another guess"})
    assert blocked.status_code == 429, blocked.get_json()
    # The victim's device still does.
    log_in(victim, VICTIM, NEW)


def test_a_reset_of_a_proven_account_keeps_its_device_tokens() -> None:
    world = World(login_failures_per_account=3)
    owner, attacker = world.client(), world.client("198.51.100.7")
    sign_up(owner, "olivia")  # a device token in the owner's browser
    world.verify(owner, VICTIM)

    world.reset(owner)
    for _ in range(3):
        attacker.post("/login", json={"username": VICTIM, "password": "wrong guess"})
    log_in(owner, VICTIM, NEW)


def test_a_reset_that_dies_at_its_spend_has_removed_the_factors_already(world: World) -> None:
    mallory, victim = world.client(), world.client()
    account, token = sign_up(mallory, "mallory")
    key = add_passkey(mallory, token)
    enrol_totp(world, mallory, token)
    link = world.reset_link(victim)

    world.action_tokens.dying = True
    died = victim.post("/auth/password/reset", json={"token": link, "new_password": NEW})
    assert died.status_code == 503
    # Whenever the process dies, the squatter's factors are gone before the owner's
    # password is set.
    assert world.passkeys.passkeys == {} and account not in world.store.factors
    assert passkey_sign_in(mallory, key).status_code == 401

    world.action_tokens.dying = False  # the link stays good: the reset is done again
    again = victim.post("/auth/password/reset", json={"token": link, "new_password": NEW})
    assert again.status_code == 204
    log_in(victim, VICTIM, NEW)


def test_what_the_squatter_adds_while_the_reset_runs_is_removed_too(world: World) -> None:
    mallory, victim = world.client(), world.client()
    account, _ = sign_up(mallory, "mallory")
    link = world.reset_link(victim)
    late = Passkey.create(
        user_id=account,
        credential_id=b"late",
        public_key=b"key",
        sign_count=0,
        name="late",
        now=world.clock.now(),
    )
    world.action_tokens.meanwhile = lambda: world.passkeys.add(late)
    world.services.of(MailServices).password_reset.reset_password(
        ResetPassword(token=link, new_password=NEW)
    )
    assert world.passkeys.passkeys == {}


# -- a verified Firebase sign-in takes an unproven account ---------------------------------


def test_the_victims_firebase_sign_in_takes_over_the_squatters_account(world: World) -> None:
    mallory, victim = world.client(), world.client()
    account, token = sign_up(mallory, "mallory")
    key = add_passkey(mallory, token)
    enrol_totp(world, mallory, token)

    answer = firebase(world, victim, "uid-victim")

    assert answer.status_code == 200, answer.get_json()  # no 409, and no second step
    me = victim.get("/user", headers=bearer(answer.get_json()["access_token"])).get_json()
    assert me["id"] == account and me["email_verified"] is True
    # The squatter's password, sessions, passkey and second factor are gone.
    stored = world.user(account)
    assert stored.password_hash is None
    wrong = mallory.post("/login", json={"username": "mallory", "password": PASSWORD})
    assert (wrong.status_code, wrong.get_json()["code"]) == (401, "invalid_credentials")
    assert mallory.get("/user", headers=bearer(token)).status_code == 401
    assert passkey_sign_in(mallory, key).status_code == 401
    assert world.passkeys.passkeys == {} and account not in world.store.factors
    assert world.store.identities == {"firebase:uid-victim": account}
    assert world.events(Audit.ACCOUNT_CLAIMED) == [("success", account, "firebase")]
    # Later sign-ins of the victim reach the same account.
    later = firebase(world, victim, "uid-victim").get_json()
    assert victim.get("/user", headers=bearer(later["access_token"])).get_json()["id"] == account


def test_a_takeover_removes_the_squatters_own_firebase_link(world: World) -> None:
    mallory, victim = world.client(), world.client()
    made = firebase(world, mallory, "uid-mallory", "mallory@example.com").get_json()
    moved = mallory.patch("/user", headers=bearer(made["access_token"]), json={"email": VICTIM})
    account = moved.get_json()["id"]

    assert firebase(world, victim, "uid-victim").status_code == 200
    assert world.store.identities == {"firebase:uid-victim": account}


def test_a_verified_account_still_answers_409(world: World) -> None:
    owner, other = world.client(), world.client()
    account, _ = sign_up(owner, "olivia")
    world.verify(owner, VICTIM)
    refused = firebase(world, other, "uid-other")
    assert (refused.status_code, refused.get_json()["code"]) == (409, "email_taken")
    assert world.store.identities == {}
    assert world.user(account).password_hash is not None
    log_in(owner, "olivia")


def test_a_disabled_unproven_account_is_not_taken(world: World) -> None:
    mallory, victim = world.client(), world.client()
    account, _ = sign_up(mallory, "mallory")
    world.store.users[account] = world.user(account).with_disabled(True, world.clock.now())
    refused = firebase(world, victim, "uid-victim")
    assert (refused.status_code, refused.get_json()["code"]) == (409, "email_taken")
    assert world.store.identities == {}


def test_a_takeover_that_dies_at_its_link_has_removed_the_factors_already(
    world: World,
) -> None:
    mallory, victim = world.client(), world.client()
    account, token = sign_up(mallory, "mallory")
    key = add_passkey(mallory, token)
    enrol_totp(world, mallory, token)

    world.identities.dying = True
    assert firebase(world, victim, "uid-victim").status_code == 503
    assert world.passkeys.passkeys == {} and account not in world.store.factors
    assert passkey_sign_in(mallory, key).status_code == 401

    world.identities.dying = False
    answer = firebase(world, victim, "uid-victim")
    assert answer.status_code == 200, answer.get_json()
    assert world.user(account).password_hash is None


# -- an account a non-verifying provider's sign-in made -------------------------------------


def squatted_by_github(world: World) -> User:
    """What rule 5 leaves when Mallory's GitHub account claims the victim's address
    unverified: an unproven account with no password, linked to her identity, with a passkey
    she added, and its verification mail (naming GitHub) on its way."""
    user = User.register(
        admitted=ALLOWED,
        id="squatted",
        username=Username("mallory"),
        email=Email(VICTIM),
        password_hash=None,
        now=world.clock.now(),
    )
    world.identities.add_with_identity(user, "github", "gh-mallory", VICTIM)
    world.passkeys.add(
        Passkey.create(
            user_id=user.id,
            credential_id=b"mallory's key",
            public_key=b"cose",
            sign_count=0,
            name="Mallory's phone",
            now=world.clock.now(),
        )
    )
    MailsAfterChanges(queue=world.queue, audit=world.audit).registered_with(user, "GitHub")
    return user


def test_a_non_verifying_providers_account_is_claimed_by_the_first_proof_by_mail(
    world: World,
) -> None:
    squatted = squatted_by_github(world)
    world.verify(world.client(), VICTIM)  # the victim, signed in nowhere
    (mail,) = [m for m in world.mailer.to(VICTIM) if "/verify-email" in m.text]
    assert "This account was made by signing in with GitHub." in " ".join(mail.text.split())
    claimed = world.user(squatted.id)
    assert claimed.email_verified and claimed.password_hash is None
    assert claimed.token_version > squatted.token_version  # every session ended
    assert world.store.identities == {} and world.passkeys.passkeys == {}
    assert ("success", squatted.id, "email_verification") in world.events(Audit.ACCOUNT_CLAIMED)


def test_a_plain_verification_takes_nothing(world: World) -> None:
    """An account made with a password, its address unproven, a provider connected: its
    verification proves the address and changes nothing else."""
    client = world.client()
    account, token = sign_up(client, "alice")
    world.identities.link_existing(account, "github", "gh-alice", lambda u: u, VICTIM)
    world.verify(client, VICTIM)
    user = world.user(account)
    assert user.email_verified and user.password_hash is not None
    assert world.store.identities == {"github:gh-alice": account}
    assert client.get("/user", headers=bearer(token)).status_code == 200
    assert world.events(Audit.ACCOUNT_CLAIMED) == []


@pytest.mark.parametrize(
    ("locale", "words"),
    [
        ("en", "This account was made by signing in with GitHub."),
        ("es", "Esta cuenta se creó iniciando sesión con GitHub."),
    ],
)
def test_the_verification_mail_names_the_provider_in_the_readers_language(
    locale: str, words: str
) -> None:
    from infrastructure.mail.render import JinjaMailRenderer
    from tests.support.catalogues import TRANSLATIONS

    context: dict[str, str] = {
        "product": "firegate",
        "public_url": "https://id.example.com",
        "support_email": "",
        "email": VICTIM,
        "address_verified": "",
        "locale": locale,
        "link": "https://id.example.com/verify-email?token=t",
        "expires_hours": "24",
        "provider": "GitHub",
    }
    mail = JinjaMailRenderer(translations=[str(TRANSLATIONS)]).render(
        "verify_email", VICTIM, context
    )
    assert words in " ".join(mail.text.split()) and words in " ".join(mail.html.split())
