"""A guest becomes an account in place here, and nowhere else, whatever way it signs up by
(docs/guests.md, "Upgrading in place"; docs/decisions/0630-one-place-for-a-guests-upgrade.md):
a password (``POST /auth/guest/upgrade``), a passkey, a mailed or texted code, "Continue
with", ``POST /auth/firebase`` or an org's single sign-on.

``GuestUpgrades.upgrade_guest`` asks, in order: who may sign up, with the address the guest
takes (and the challenge of a client that signs up often); the input (a chosen username, a new
password's policy and the breached ones); the operator's ``before_sign_up`` hook; then the
``before_sign_in`` hooks, of the sign-in the upgrade is, with the account as it will be. Only
then one commit takes the guest's new claims (and links the identity another provider vouched
for) and ends ``guest``, keeping its id and its sessions; of upgrades of one guest raced, that
commit lets one through. A refusal at any step leaves the guest as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from application.accounts.accounts import AccountHooks, UserRepository, chosen_username
from application.accounts.addresses import AddressRule
from application.accounts.breached import PasswordScreen
from application.accounts.signups import ANYONE, SignUp, Signups, proven_usernames
from application.accounts.ways_in import IdentityRepository
from application.ports import Audit, AuditEvent, AuditLog, Clock, PasswordHasher
from domain.accounts.credentials import Email, Username, check_password_policy, login_key
from domain.accounts.guest.part import Guest
from domain.accounts.guest.refusals import AccountExists, NotAGuest
from domain.accounts.identities import PhoneNumber
from domain.accounts.profile import PersonName
from domain.accounts.signups import SignUpVerdict
from domain.accounts.users import User
from domain.errors import Conflict, DomainError, FieldError, InvalidInput, NotFound, checked

GUEST_UPGRADE = "guest_upgrade"  # what the before_sign_in hooks are told of a kept session


@dataclass(frozen=True)
class GuestSignIn:
    """The sign-in a guest's upgrade is, as the ``before_sign_in`` hooks are told it
    (docs/hooks.md, "before_sign_in"): ``method`` the way in, ``amr`` what it proved (none
    for a way that keeps the guest's session: a password or a passkey given), ``org_id``
    the org whose single sign-on it came through."""

    method: str = GUEST_UPGRADE
    amr: tuple[str, ...] = ()
    user_agent: str = ""
    org_id: str | None = None


@dataclass(frozen=True)
class GuestIdentity:
    """An identity another provider vouches for, which the guest signs up with: linked in
    the upgrade's own commit. ``email``: the address as the provider gave it;
    ``provider_name``: the provider as people know it (its verification mail names it);
    ``preferred_username``: the profile's, as the ``before_sign_up`` hook is told it;
    ``usernames``: the names the way made of the profile, tried in turn; ``names``: the
    person's, the account takes them; ``vouched``: an org's connection, for an address on
    one of its verified domains."""

    provider: str
    subject: str
    email: str | None
    provider_name: str
    usernames: tuple[Username, ...]
    names: PersonName
    preferred_username: str | None = None
    vouched: bool = False


@dataclass(frozen=True)
class UpgradeGuest:
    """A guest signing up in place (docs/guests.md, "Upgrading in place"): ``way`` as the
    ``before_sign_up`` hook is told it; ``email`` the address it takes (a text, checked here
    as every new one; an ``Email``, as the provider's is taken); ``username`` chosen (None:
    made from the address, or the identity's ``usernames``); ``password`` None for a way
    without one; ``proven``: the address was just proven (a mailed code, a provider that
    verified it); ``phone_number``: a number just proven by a texted code (E.164);
    ``client_ip`` and ``challenge_token`` as for a sign-up; ``sign_in``: what the
    ``before_sign_in`` hooks are told; ``identity``: the identity the upgrade links."""

    guest_id: str
    way: str
    email: str | Email | None = None
    username: str | None = None
    password: str | None = None
    proven: bool = False
    phone_number: str | None = None
    client_ip: str = ""
    challenge_token: str = ""
    sign_in: GuestSignIn = GuestSignIn()
    identity: GuestIdentity | None = None


@dataclass(frozen=True)
class Upgraded:
    """The guest become an account, and the claims the ``before_sign_in`` hooks gave the
    session a way in starts now (kept from their one call: they are not asked again); None
    where no upgrade was made now (a provider's retry finds its identity's account)."""

    user: User
    session_claims: Mapping[str, object] | None


class SignInCheck(Protocol):
    """The ``before_sign_in`` hooks' say on a sign-in before anything is stored (sign-in's,
    which sits above the accounts, answers through this)."""

    def __call__(self, user: User, sign_in: GuestSignIn, ip: str | None) -> Mapping[str, object]:
        """The claims of the session to be; a DomainError refuses the sign-in (403
        ``signin_denied``; ``signin_factor_unavailable`` for a factor it does not show)."""
        ...


def no_sign_in_check(user: User, sign_in: GuestSignIn, ip: str | None) -> Mapping[str, object]:
    """No ``before_sign_in`` hook (the tests of one room): every sign-in goes on."""
    return {}


def _no_free_name() -> Conflict:
    return Conflict("No free username could be made for this account.", code="username_taken")


@dataclass(frozen=True, kw_only=True, slots=True)
class GuestUpgrades:
    """``signups``: the door every new account passes; ``passwords``: a new one against
    breached passwords; ``addresses``: the rule an address given now follows; ``sign_in``:
    the ``before_sign_in`` hooks; ``hooks``: what follows (the verification mail of an
    unproven address, or an address's proof)."""

    users: UserRepository
    identities: IdentityRepository
    hasher: PasswordHasher
    clock: Clock
    audit: AuditLog
    hooks: AccountHooks
    addresses: AddressRule
    passwords: PasswordScreen
    signups: Signups = ANYONE
    sign_in: SignInCheck = no_sign_in_check

    def upgrade_guest(self, cmd: UpgradeGuest) -> Upgraded:
        """The one place a guest becomes an account (this module's docstring). 404
        ``user_not_found`` for a guest gone; 409 ``not_a_guest`` for an account that is none
        (any more: a racing upgrade won); 409 ``account_exists`` (``AccountExists``) when
        another account holds the address, the username, the number or the identity; the
        door's refusals (403 ``signup_not_allowed``, ``signup_denied``, 401
        ``challenge_required``), a field's 422, and the ``before_sign_in`` hooks' 403."""
        guest = self.users.get(cmd.guest_id)
        if guest is None or not guest.active:
            raise NotFound("The account no longer exists.", code="user_not_found")
        if not guest.part(Guest).is_guest:
            raise NotAGuest()
        refused: list[FieldError] = []
        email = self._address(cmd, refused)
        identity = cmd.identity
        sign_up = SignUp(
            cmd.way,
            email,
            username=cmd.username if identity is None else identity.preferred_username,
            provider=identity.provider if identity is not None else None,
            org_id=cmd.sign_in.org_id,
            ip=cmd.client_ip or None,
            user_agent=cmd.sign_in.user_agent or None,
            vouched=identity is not None and identity.vouched,
            challenge_token=cmd.challenge_token,
        )
        admitted = self.signups.check(sign_up) if not refused else None
        problems: list[FieldError] = []
        chosen = cmd.username
        username = (
            checked(lambda: self._chosen(chosen, guest.id), problems)
            if chosen is not None
            else None
        )
        problems += refused
        password = cmd.password
        if password is not None:
            checked(lambda: check_password_policy(password), problems)
        if admitted is None or problems or (chosen is not None and username is None):
            raise InvalidInput.of(problems)
        if password is not None:
            self.passwords.new_password(password)  # a request over the network
        verdict = self.signups.asked(admitted)  # the operator's hook, on input checked
        password_hash = self.hasher.hash(password) if password is not None else None
        changes = [
            self._change(cmd, name, email, password_hash, verdict)
            for name in self._names(cmd, username, email)
        ]
        if not changes:
            raise _no_free_name()
        # The before_sign_in hooks are asked of the account as it will be, before any write.
        claims = self.sign_in(changes[0][1](guest), cmd.sign_in, cmd.client_ip or None)
        for name, change in changes:
            try:
                user = self._commit(cmd, change)
            except Conflict as error:
                if error.code == "username_taken" and username is None:
                    continue  # a made name: the next one
                raise self._held(error, guest.id, email, name, cmd.phone_number) from error
            self._followed(cmd, user)
            return Upgraded(user, claims)
        raise _no_free_name()

    def _address(self, cmd: UpgradeGuest, refused: list[FieldError]) -> Email | None:
        """The address the guest takes: one given now follows the rule of every new one
        (its refusals said with the other fields'); a provider's is taken as it is."""
        given = cmd.email
        if given is None or isinstance(given, Email):
            return given
        rule = self.addresses
        return checked(lambda: rule.new(given, cmd.sign_in.org_id), refused)

    def _names(
        self, cmd: UpgradeGuest, username: Username | None, email: Email | None
    ) -> list[Username]:
        """The names tried in turn: the one chosen, else the identity's, else made from the
        address (or a number's random ones)."""
        if username is not None:
            return [username]
        if cmd.identity is not None:
            return list(cmd.identity.usernames)
        names = []
        for text in proven_usernames(email):
            try:
                names.append(Username.chosen(text))
            except InvalidInput:
                continue
        return names

    def _change(
        self,
        cmd: UpgradeGuest,
        name: Username,
        email: Email | None,
        password_hash: str | None,
        verdict: SignUpVerdict,
    ) -> tuple[Username, Callable[[User], User]]:
        """The guest's change under ``name``: a pure function of the guest read, which
        raises for an account that is no guest (any more)."""
        now, identity = self.clock.now(), cmd.identity

        def upgraded(user: User) -> User:
            if identity is not None and email is not None:
                return user.signed_up_with_identity(
                    username=name,
                    email=email,
                    email_verified=cmd.proven,
                    names=identity.names,
                    now=now,
                    admitted=verdict,
                )
            made = user.upgraded(
                username=name,
                email=email,
                password_hash=password_hash,
                now=now,
                admitted=verdict,
                email_verified=cmd.proven,
            )
            if cmd.phone_number is None:  # a number it had stays as it was
                return made
            return made.with_part(PhoneNumber.proven_as(cmd.phone_number))

        return name, upgraded

    def _commit(self, cmd: UpgradeGuest, change: Callable[[User], User]) -> User:
        """One commit: the change, its claims, and the identity's link where there is one."""
        identity = cmd.identity
        if identity is None:
            return self.users.update(cmd.guest_id, change)

        def guarded(user: User) -> User | None:
            return change(user) if user.part(Guest).is_guest else None  # None: nothing written

        linked = self.identities.upgrade_with_identity(
            cmd.guest_id, identity.provider, identity.subject, guarded, identity.email
        )
        if linked is None:
            raise NotAGuest()  # upgraded meanwhile (another way, another identity) or gone
        if linked.id != cmd.guest_id:  # the identity was linked meanwhile to another account
            raise AccountExists(guest_id=cmd.guest_id, owner_id=linked.id)
        return linked

    def _followed(self, cmd: UpgradeGuest, user: User) -> None:
        """What follows the commit: the identity's link recorded; the verification mail of an
        address not proven, or what follows an address's (or a number's) proof."""
        identity = cmd.identity
        if identity is not None:
            self.audit.record(
                AuditEvent(Audit.IDENTITY_LINKED, user_id=user.id, reason=identity.provider)
            )
            if not user.email_verified:
                self.hooks.registered_with(user, identity.provider_name)
            else:
                self.hooks.proven(user)
            return
        if cmd.proven or cmd.phone_number is not None:
            self.hooks.proven(user)
        else:
            self.hooks.registered(user)

    def _chosen(self, value: str, guest_id: str) -> Username:
        """A guest's chosen name: a name another account holds (or its look-alike) is
        ``AccountExists``, as its address would be."""
        try:
            return chosen_username(value, users=self.users)
        except Conflict as error:
            raise self._held(error, guest_id, None, Username(value), None) from error

    def _held(
        self,
        error: Conflict,
        guest_id: str,
        email: Email | None,
        username: Username,
        number: str | None,
    ) -> DomainError:
        """``AccountExists`` naming the account that holds the way in ``error`` says is
        taken; ``error`` itself when none holds it (any more)."""
        if isinstance(error, AccountExists | NotAGuest):
            return error
        owner: User | None = None
        if error.code == "email_taken" and email is not None:
            owner = self.users.find_by_login(login_key(email.value))
        elif error.code == "username_taken":
            owner = self.users.find_by_login(username.normalized)
        elif error.code == "phone_number_taken" and number is not None:
            owner = self.users.find_by_phone_number(number)
        if owner is None or owner.id == guest_id:
            return error
        return AccountExists(guest_id=guest_id, owner_id=owner.id)
