"""Linking external identities on the fakes: the accounts' world plus identity links and
passkeys, and the identities people arrive with."""

from __future__ import annotations

from application.accounts.accounts import AccountHooks
from application.accounts.address_proof import FirstProof
from application.accounts.addresses import AddressRule
from application.accounts.guest.upgrades import GuestUpgrades
from application.accounts.signups import ANYONE, Register, Signups
from application.federation.linking import ExternalSignIn, Links
from application.ports import Audit, ExternalIdentity
from application.signin.tokens import TokenPair
from bootstrap.accounts_rules import NO_DOMAINS
from domain.accounts.users import User
from infrastructure.accounts.email_syntax import EmailValidatorSyntax
from tests.fakes.federation import FakeIdentityRepository
from tests.fakes.provider import FakeOAuthGrants
from tests.fakes.signin import FakePasskeyRepository
from tests.support.api import PASSWORD
from tests.support.use_cases import World as AccountsWorld

ADDRESS = "ada@example.com"


def identity(
    subject: str = "gh-1",
    email: str | None = ADDRESS,
    *,
    verified: bool = True,
    provider: str = "github",
    name: str | None = "Ada Lovelace",
) -> ExternalIdentity:
    return ExternalIdentity(provider, subject, email, verified, name)


class World(AccountsWorld):
    """The accounts world plus identity links and passkeys: everything linking touches."""

    def __init__(self) -> None:
        super().__init__()
        self.identities = FakeIdentityRepository(self.store)
        self.passkeys = FakePasskeyRepository()
        self.grants = FakeOAuthGrants(self.store)
        self.registered: list[str] = []  # accounts whose verification mail went out
        self.proven: list[str] = []  # accounts whose address a sign-in newly proved

    @property
    def links(self) -> Links:
        return self.linking(mail=True)

    def linking(self, *, mail: bool, signups: Signups = ANYONE) -> Links:
        """The linking rules on this world's fakes; ``mail``: a verification mail can follow
        a new account (else none can: rule 5 makes no account); ``signups``: who may make
        their own account."""
        return Links(
            identities=self.identities,
            users=self.users,
            factors=self.factors,
            first_proof=FirstProof(
                passkeys=self.passkeys,
                factors=self.factors,
                identities=self.identities,
                grants=self.grants,
                audit=self.audit,
            ),
            clock=self.clock,
            audit=self.audit,
            registered=(
                (lambda user, provider: self.registered.append(f"{user.id} {provider}"))
                if mail
                else None
            ),
            proven=lambda user: self.proven.append(user.id),
            signups=signups,
            upgrade=self.upgrades(signups, mail=mail).upgrade_guest,
        )

    def upgrades(self, signups: Signups = ANYONE, *, mail: bool = True) -> GuestUpgrades:
        """The accounts' one place a guest becomes an account, on this world's fakes: what
        follows it noted as the linking's is (``registered``, ``proven``)."""

        def registered_with(user: User, provider: str) -> None:
            if mail:
                self.registered.append(f"{user.id} {provider}")

        return GuestUpgrades(
            users=self.users,
            identities=self.identities,
            hasher=self.hasher,
            clock=self.clock,
            audit=self.audit,
            hooks=AccountHooks(
                registered=lambda user: None,
                changed=lambda before, after: None,
                registered_with=registered_with,
                proven=lambda user: self.proven.append(user.id),
            ),
            addresses=AddressRule(syntax=EmailValidatorSyntax(), domains=NO_DOMAINS, local=False),
            passwords=self.passwords(),
            signups=signups,
        )

    def arrive(self, who: ExternalIdentity) -> TokenPair:
        signing_in = ExternalSignIn(who, "github", "GitHub", user_agent="cli/2")
        return self.links.sign_in_external(signing_in, self.step())

    def account_of(self, pair: TokenPair) -> User:
        (session,) = [
            s for s in self.store.sessions.values() if pair.refresh_token.startswith(s.id)
        ]
        return self.store.users[session.user_id]

    def squatter(self, *, proven: bool = False) -> User:
        """Somebody registered with the address (and, if ``proven``, proved it)."""
        user = self.account_cases().register(
            Register(username="mallory", email=ADDRESS, password=PASSWORD, client_ip="")
        )
        if proven:
            user = self.users.update(user.id, lambda u: u.with_email_verified(self.clock.now()))
        return user

    def reasons(self, event: Audit) -> list[tuple[str | None, str | None]]:
        return [(e.user_id, e.reason) for e in self.audit.events if e.event is event]
