"""Signing in as an identity another provider vouches for: the rules every such way of signing
in follows (a Firebase ID token, an upstream OpenID provider; docs/reference/identities.md,
"Which account"). A provider's own module verifies what it is given, makes an
``ExternalIdentity`` of it and calls ``Links.sign_in_external``.

1. The account linked to the identity (provider, subject) signs in, whatever its address.
2. Else, with an address the provider verified and no account holds: a new account, linked.
3. Else an account holds the address and may not be linked by it (it proved the address, or
   the provider did not verify it): ``SignInToConnect``. Linking by address alone is how
   accounts are taken over; the person signs in to that account, then the identity is
   linked (``application/federation/connected.py``).
4. Else an account holds the verified address unproven: the first proof of an address wins,
   so it is claimed, without what its earlier holder set up
   (docs/decisions/0104-first-proof-of-address-wins.md, application/accounts/address_proof.py).
5. An unverified address nobody holds: a new account with the address unproven, and a
   verification mail; a way of signing in whose provider lets anyone claim any address
   (Firebase's e-mail sign-up) refuses it instead (docs/decisions/0280-linking-rules.md).

A disabled account is refused; then the second step: an account with a second factor on
gets ``MfaRequired`` instead of tokens. While the account's address is the identity's, its
``email_verified`` follows what the provider reports (docs/reference/email.md).
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace

from application.accounts.accounts import UserRepository, nothing_follows
from application.accounts.address_proof import FirstProof
from application.accounts.guest.upgrades import Upgraded, UpgradeGuest
from application.accounts.signups import ANYONE, SignUp, Signups, SignUpWay
from application.accounts.ways_in import IdentityRepository
from application.ports import Audit, AuditEvent, AuditLog, Clock, ExternalIdentity
from application.signin.mfa import MfaRepository, require_second_factor
from application.signin.sign_in import SignIn, SignInRequest
from application.signin.throttle import account_key
from application.signin.tokens import TokenPair
from domain.accounts.credentials import (
    USERNAME_MAX,
    USERNAME_MIN,
    Email,
    Username,
    folds_onto_another,
)
from domain.accounts.profile import PersonName
from domain.accounts.signups import SignUpVerdict
from domain.accounts.users import User
from domain.confusables import mixes_scripts
from domain.errors import Conflict, InvalidInput, PermissionDenied
from domain.ids import new_id
from domain.signin.mfa import FEDERATED


@dataclass(frozen=True)
class ExternalSignIn:
    """A person an identity provider vouches for, signing in here.

    ``unverified_accounts``: rule 5, an unverified address nobody holds makes an account
    (False: refused, 403 email_not_verified). ``taken_code``: the code of rule 3's 409."""

    identity: ExternalIdentity
    via: str  # the way of signing in, as the audit records it: "firebase", "upstream"
    provider_name: str  # the provider as people know it, in messages: "Firebase"
    user_agent: str = ""
    unverified_accounts: bool = True
    taken_code: str = "sign_in_to_link"
    # The provider's word proves an address but never unproves one: an org's connection says
    # nothing of an address off its verified domains (docs/reference/sso.md, "Which account")
    proves_only: bool = False
    signup_way: str = SignUpWay.UPSTREAM  # what a refused sign-up's event names
    # The door's word on a new account (``Signups``): with it the operator's hook's names and
    # attributes (docs/hooks.md, "before_sign_up"); None until asked, and then no account
    # is made (``create_linked_account``).
    sign_up: SignUpVerdict | None = None
    # The person's client address and challenge token, where a sign-up from it may be
    # challenged (POST /auth/firebase); "" for a browser's return from a provider.
    client_ip: str = ""
    challenge_token: str = ""


class SignInToConnect(Conflict):
    """Rule 3: an account holds the identity's address and is never linked by it. The person
    signs in to that account to connect the identity (``connected.hold_pending`` keeps it
    meanwhile); an API answers 409 with ``taken_code``."""

    def __init__(self, cmd: ExternalSignIn) -> None:
        super().__init__(
            "An account with this e-mail address exists: sign in to it with its password or "
            f"a passkey to connect your {cmd.provider_name} account.",
            code=cmd.taken_code,
            field="email",
        )
        self.identity = cmd.identity
        self.provider_name = cmd.provider_name


def _reported_state(user: User, identity: ExternalIdentity) -> bool | None:
    """The provider's email_verified for the account's address when it differs from the
    account's; None when it is the same, or the provider speaks of another address."""
    if user.email is None or not identity.email:
        return None
    try:
        same = Email(identity.email).normalized == user.email.normalized
    except InvalidInput:
        return None
    if not same or user.email_verified == identity.email_verified:
        return None
    return identity.email_verified


@dataclass(frozen=True, kw_only=True, slots=True)
class Links:
    """The linking rules (this module's docstring) over what they read and write: which
    account an identity another provider vouches for signs in to (found, made or claimed),
    and that account signed in through the sign-in step it is handed.

    Its ports: the links, the accounts, what a claim removes (``first_proof``), the clock
    and the audit log; ``identities``, ``users``, ``clock`` and ``audit`` are read by an org
    connection's sign-in too
    (application/sso/arrival.py), which follows these rules with a difference of its own.
    ``registered``: what follows a new account made with the provider named (the mail flows'
    ``AccountHooks.registered_with``: the verification mail, naming it); None: no mail can
    follow, so rule 5 makes no account (it needs the verification mail). ``proven``: what
    follows an address a provider's sign-in newly proved (``AccountHooks.proven``: an org's
    auto_join), after the commit that proved it. ``signups``: who may make their own account,
    asked of every identity no account is linked to, before its address is looked up
    (docs/decisions/0481-who-may-sign-up.md); an org's connection, which makes its accounts
    itself, goes past it (``unlinked_account``). ``upgrade``: the accounts' one place a guest
    becomes an account (``GuestUpgrades.upgrade_guest``), which a guest's sign-in with an
    identity asks (application/federation/guest.py)."""

    identities: IdentityRepository
    users: UserRepository
    factors: MfaRepository
    first_proof: FirstProof
    clock: Clock
    audit: AuditLog
    registered: Callable[[User, str], None] | None = None
    proven: Callable[[User], None] = nothing_follows
    signups: Signups = ANYONE
    upgrade: Callable[[UpgradeGuest], Upgraded]

    def sign_in_external(self, cmd: ExternalSignIn, sign_in: SignIn) -> TokenPair:
        """A token pair for the account linked to the identity (found, made or claimed);
        MfaRequired instead when the account has a second factor on; SignInToConnect when an
        account holds its address and the person must sign in to it first."""
        return self.sign_in_as(self.linked_account(cmd), cmd, sign_in)

    def sign_in_as(
        self,
        user: User,
        cmd: ExternalSignIn,
        sign_in: SignIn,
        *,
        method: str | None = None,
        reason: str | None = None,
        org_id: str | None = None,
        hooks_said: Mapping[str, object] | None = None,
    ) -> TokenPair:
        """The account the rules found for the identity, signed in by ``sign_in``: refused
        when disabled, its verification state as the provider reports it, then its second
        factor or a session. ``method`` and ``reason``: what ``signin.succeeded`` calls the
        way in and names (by default the provider; docs/reference/events.md); ``org_id``:
        the org whose connection it came through (its audit log); ``hooks_said``: the
        ``before_sign_in`` hooks' claims where a guest's upgrade asked them already."""
        if user.disabled:
            raise PermissionDenied("This account is disabled.", code="account_disabled")
        user = self.follow_verification(user, cmd)
        provider = cmd.identity.provider
        require_second_factor(
            user,
            login_key=account_key(user),
            first_factor=(FEDERATED,),
            device_id=None,
            ip=None,
            factors=self.factors,
            clock=self.clock,
            audit=self.audit,
            via=provider,
            method=method,
            reason=reason if method else None,
            org_id=org_id,
        )
        # signin.succeeded names the provider (docs/reference/events.md).
        return sign_in(
            SignInRequest(
                user,
                (FEDERATED,),
                cmd.user_agent,
                reason=reason or provider,
                method=method,
                via=provider,
                org_id=org_id,
                hooks_said=hooks_said,
            )
        )

    def linked_account(self, cmd: ExternalSignIn) -> User:
        """The account of the identity by the five rules (the module's docstring).
        PermissionDenied (email_not_verified) without an address the rules can use."""
        identity = cmd.identity
        user = self.identities.find_by_identity(identity.provider, identity.subject)
        if user is not None:
            return user  # rule 1
        if identity.email and folds_onto_another(identity.email):
            # An address whose letters fold onto another's names no account here, and makes
            # none (docs/security.md, "One address, one account").
            cmd = replace(cmd, identity=replace(identity, email=None))
        # Rules 2 to 5 may make an account: the same refusal whether or not one holds the
        # address, so it is asked before they look.
        return self.unlinked_account(self.admitted(cmd))

    def sign_up_of(
        self, cmd: ExternalSignIn, org_id: str | None = None, *, vouched: bool = False
    ) -> SignUp:
        """What the door every new account passes, and the operator's hook, are told of a
        new account made by this sign-in (``vouched``: an org's, for an address on one of
        its verified domains)."""
        identity = cmd.identity
        return SignUp(
            cmd.signup_way,
            identity.email or None,
            username=identity.preferred_username,
            provider=identity.provider,
            org_id=org_id,
            ip=cmd.client_ip or None,
            user_agent=cmd.user_agent or None,
            vouched=vouched,
            challenge_token=cmd.challenge_token,
        )

    def admitted(
        self, cmd: ExternalSignIn, org_id: str | None = None, *, vouched: bool = False
    ) -> ExternalSignIn:
        """``cmd`` with the door's word on the account it may make: 403
        ``signup_not_allowed`` or ``signup_denied``, 401 ``challenge_required``, else the
        verdict the new account takes."""
        return replace(
            cmd, sign_up=self.signups.admit(self.sign_up_of(cmd, org_id, vouched=vouched))
        )

    def unlinked_account(self, cmd: ExternalSignIn) -> User:
        """The account of an identity no account is linked to yet: rules 2 to 5."""
        identity = cmd.identity
        unverified_accounts = cmd.unverified_accounts and self.registered is not None
        if not identity.email or not (identity.email_verified or unverified_accounts):
            raise PermissionDenied(
                f"The {cmd.provider_name} account needs a verified e-mail address before it "
                "can sign in here.",
                code="email_not_verified",
            )
        try:
            return self.create_linked_account(cmd)  # rules 2 and 5
        except Conflict as taken:
            if taken.code != "email_taken":
                raise
        claimed = self.claim_unproven_account(cmd)  # rule 4
        if claimed is None:
            raise SignInToConnect(cmd) from None  # rule 3
        return claimed

    def create_linked_account(self, cmd: ExternalSignIn) -> User:
        """A new account linked to the identity, with its address (proven as the provider
        says), a username derived from its profile and no password (so password login never
        works for it). Conflict (email_taken) when an account holds the address: never a
        link to it here."""
        identity, verdict = cmd.identity, cmd.sign_up
        if not identity.email:
            raise ValueError("a new linked account has the identity's address")
        if verdict is None:
            raise ValueError("a new linked account passes the door first (``admitted``)")
        email = Email(identity.email)
        names = PersonName.of(identity.given_name, identity.family_name, identity.display_name)
        now = self.clock.now()
        for username in username_candidates(identity.preferred_username, identity.email):
            user = User.register(
                id=new_id(),
                username=username,
                email=email,
                password_hash=None,
                now=now,
                admitted=verdict,
                name=names.given,
                last_name=names.family,
                full_name=names.full,
                email_verified=identity.email_verified,
            )
            try:
                linked = self.identities.add_with_identity(
                    user, identity.provider, identity.subject, identity.email
                )
            except Conflict as exc:
                if exc.code != "username_taken":
                    raise  # email_taken: rules 3 and 4 are the caller's
                continue
            if linked.id == user.id:  # not a concurrent sign-in's
                for event in (Audit.USER_CREATED, Audit.IDENTITY_LINKED):
                    self.audit.record(AuditEvent(event, user_id=user.id, reason=identity.provider))
                if not user.email_verified and self.registered is not None:
                    self.registered(user, cmd.provider_name)  # rule 5: the verification mail
                if user.email_verified:
                    self.proven(linked)  # rule 2: the address proven with the account
            return linked
        raise Conflict("No free username could be derived; try again.", code="username_unavailable")

    def claim_unproven_account(self, cmd: ExternalSignIn) -> User | None:
        """The account holding the identity's verified address, taken over and linked, when
        that account never proved the address: the first proof of an address wins the
        account (docs/decisions/0104-first-proof-of-address-wins.md). None (and nothing
        changed) when the holder has proven it, or is disabled, or the provider did not
        verify the address."""
        identity = cmd.identity
        if not identity.email or not identity.email_verified:
            return None  # only a verified address is a proof
        email = Email(identity.email)
        holder = self.users.find_by_login(email.normalized)
        if holder is None or not holder.claimable_with(email):
            return None
        # Before the link, so that no crash leaves the earlier holder's ways in on the account.
        self.first_proof.start_clean(holder.id)
        now = self.clock.now()
        linked = self.identities.link_existing(
            holder.id,
            identity.provider,
            identity.subject,
            lambda current: current.claimed(now) if current.claimable_with(email) else None,
            identity.email,
        )
        if linked is not None and linked.id == holder.id:
            # Again, for what the holder's sessions (ended by the link's commit) added
            # meanwhile; the link just made stays.
            self.first_proof.start_clean(holder.id, identities=False)
            self.audit.record(
                AuditEvent(Audit.IDENTITY_LINKED, user_id=holder.id, reason=identity.provider)
            )
            self.first_proof.claimed(holder.id, reason=cmd.via)
            self.proven(linked)  # the holder never proved it (``claimable_with``)
        return linked

    def follow_verification(self, user: User, cmd: ExternalSignIn) -> User:
        """The account with the verification state the provider reports for its address
        (only a proof, for a provider that ``proves_only``); written only when it differs;
        ``proven`` follows an address it proves."""
        identity = cmd.identity
        if _reported_state(user, identity) is None or (
            cmd.proves_only and not identity.email_verified
        ):
            return user
        now = self.clock.now()

        def change(current: User) -> User:
            state = _reported_state(current, identity)
            return current if state is None else current.with_email_verified_as(state, now)

        updated = self.users.update(user.id, change)
        if updated.email_verified and not user.email_verified:
            self.audit.record(AuditEvent(Audit.EMAIL_VERIFIED, user_id=user.id, reason=cmd.via))
            self.proven(updated)
        return updated


# -- usernames for new accounts ----------------------------------------------------------------

# One derived name, then random suffixes: 4 digits thrice, then 8 digits.
USERNAME_ATTEMPTS = 8
_FALLBACK_STEM = "user"
_PUNCTUATION = "_.-"
_REPEATED_UNDERSCORES = re.compile(r"_{2,}")


def _allowed(ch: str) -> bool:
    # The same characters Username accepts (which still validates every candidate).
    category = unicodedata.category(ch)
    return category.startswith("L") or category == "Nd" or ch in _PUNCTUATION


def sanitize_username(text: str | None) -> str:
    """``text`` reduced to the username alphabet: others become '_', ends trimmed, cut to size."""
    if not text:
        return ""
    mapped = "".join(ch if _allowed(ch) else "_" for ch in unicodedata.normalize("NFKC", text))
    squeezed = _REPEATED_UNDERSCORES.sub("_", mapped).strip(_PUNCTUATION)
    return squeezed[:USERNAME_MAX].rstrip(_PUNCTUATION)


def _local_part(email: str | None) -> str:
    if not email or "@" not in email:
        return ""
    return email.rpartition("@")[0].split("+", 1)[0]  # no sub-address ("alice+news")


def username_candidates(
    preferred_username: str | None, email: str | None, attempts: int = USERNAME_ATTEMPTS
) -> Iterator[Username]:
    """The name derived from ``preferred_username``, else from the address's local part;
    then the same with a random numeric suffix; valid usernames only."""
    stem = next(
        (
            base
            for base in (
                sanitize_username(preferred_username),
                sanitize_username(_local_part(email)),
            )
            if len(base) >= USERNAME_MIN and not mixes_scripts(base)
        ),
        "",
    )
    texts = [stem] if stem else []
    stem = stem or _FALLBACK_STEM
    for attempt in range(attempts - len(texts)):
        digits = 4 if attempt < 3 else 8
        suffix = f"{secrets.randbelow(10**digits):0{digits}d}"
        head = stem[: USERNAME_MAX - digits - 1].rstrip(_PUNCTUATION) or _FALLBACK_STEM
        texts.append(f"{head}_{suffix}")
    for text in texts:
        try:
            yield Username.chosen(text)
        except InvalidInput:  # defensive: the mapping above should never produce one
            continue
