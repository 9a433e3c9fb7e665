"""Firebase both ways: sign in with a Firebase ID token, and a Firebase custom token for a
firegate account (the bridge, so Firebase client SDKs and security rules know the account).

Sign-in exchanges a verified ID token for a local session.

The Firebase account is linked to a local account by (provider, subject) only; the local
account is created on first use, with a username derived from the Firebase profile and no
password (so password login never works for it). An account that holds the verified address
without ever having proved it is taken over instead of refusing the address: the first proof
of an address wins the account (docs/decisions/0104-first-proof-of-address-wins.md). While
the account's address is the Firebase one, its ``email_verified`` follows what each token
reports (docs/reference/email.md).
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

from application.identity.accounts import GetUser, UserRepository, get_user
from application.identity.address_proof import start_clean
from application.identity.authentication import Actor
from application.identity.mfa import MfaRepository, require_second_factor
from application.identity.sessions import SessionPorts, SignIn, sign_in_step
from application.identity.tokens import TokenPair, TokenPolicies
from application.ports import (
    Audit,
    AuditEvent,
    AuditLog,
    Clock,
    CustomTokenMinter,
    ExternalIdentity,
    IdentityVerifier,
    OwnedData,
)
from domain.confusables import mixes_scripts
from domain.errors import Conflict, InvalidInput, PermissionDenied
from domain.ids import new_id
from domain.mfa import FEDERATED
from domain.text import without_controls
from domain.users import NAME_MAX, USERNAME_MAX, USERNAME_MIN, Email, User, Username


class IdentityRepository(Protocol):
    def find_by_identity(self, provider: str, subject: str) -> User | None:
        """The live user linked to this external identity; None if unlinked or deleted."""
        ...

    def add_with_identity(self, user: User, provider: str, subject: str) -> User:
        """Store a new user, its claims and its identity link in one atomic commit.

        Returns the user the identity is linked to afterwards: ``user``, or the one a
        concurrent request linked first. Conflict if the username or email is taken.
        """
        ...

    def link_existing(
        self, user_id: str, provider: str, subject: str, change: Callable[[User], User | None]
    ) -> User | None:
        """Apply a pure ``change`` (which keeps the names) to the live user and link the
        identity to it, in one atomic commit guarded by what ``change`` was built from.

        Returns the user the identity is linked to afterwards: the changed user, or the one
        a concurrent request linked first. None, and nothing written, if the user is gone
        or ``change`` refuses (None).
        """
        ...

    def delete_owned_by(self, user_id: str, batch_size: int) -> None:
        """Remove every identity link to the user (idempotent)."""
        ...


# One derived name, then random suffixes: 4 digits thrice, then 8 digits.
USERNAME_ATTEMPTS = 8
_FALLBACK_STEM = "user"
_PUNCTUATION = "_.-"
_REPEATED_UNDERSCORES = re.compile(r"_{2,}")


@dataclass(frozen=True)
class FirebaseSignIn:
    id_token: str
    user_agent: str = ""


def firebase_sign_in(
    cmd: FirebaseSignIn,
    *,
    verifier: IdentityVerifier,
    identities: IdentityRepository,
    users: UserRepository,
    sign_in: SignIn,
    clock: Clock,
    audit: AuditLog,
    factors: MfaRepository,
    passkeys: OwnedData,
) -> TokenPair:
    """A token pair; MfaRequired instead when the account has a second factor on."""
    identity = verifier.verify(cmd.id_token)
    user = identities.find_by_identity(identity.provider, identity.subject)
    if user is None:
        try:
            user = _create_linked_user(identity, identities=identities, clock=clock)
        except Conflict as taken:
            if taken.code != "email_taken":
                raise
            claimed = _claim_unproven_account(
                identity,
                users=users,
                identities=identities,
                passkeys=passkeys,
                factors=factors,
                clock=clock,
                audit=audit,
            )
            if claimed is None:
                raise
            user = claimed
    if user.disabled:
        raise PermissionDenied("This account is disabled.", code="account_disabled")
    user = _follow_verification(user, identity, users=users, clock=clock, audit=audit)
    require_second_factor(
        user,
        login_key=user.username.normalized,
        first_factor=(FEDERATED,),
        device_id=None,
        ip=None,
        factors=factors,
        clock=clock,
        audit=audit,
    )
    return sign_in(user, amr=(FEDERATED,), user_agent=cmd.user_agent, reason="firebase")


def _reported_state(user: User, identity: ExternalIdentity) -> bool | None:
    """Firebase's email_verified for the account's address when it differs from the
    account's; None when it is the same, or Firebase speaks of another address."""
    if user.email is None or not identity.email:
        return None
    try:
        same = Email(identity.email).normalized == user.email.normalized
    except InvalidInput:
        return None
    if not same or user.email_verified == identity.email_verified:
        return None
    return identity.email_verified


def _follow_verification(
    user: User, identity: ExternalIdentity, *, users: UserRepository, clock: Clock, audit: AuditLog
) -> User:
    """The account with the verification state Firebase reports for its address; written
    only when it differs."""
    if _reported_state(user, identity) is None:
        return user
    now = clock.now()

    def change(current: User) -> User:
        state = _reported_state(current, identity)
        return current if state is None else current.with_email_verified_as(state, now)

    updated = users.update(user.id, change)
    if updated.email_verified and not user.email_verified:
        audit.record(AuditEvent(Audit.EMAIL_VERIFIED, user_id=user.id, reason="firebase"))
    return updated


def _claim_unproven_account(
    identity: ExternalIdentity,
    *,
    users: UserRepository,
    identities: IdentityRepository,
    passkeys: OwnedData,
    factors: OwnedData,
    clock: Clock,
    audit: AuditLog,
) -> User | None:
    """The account holding the identity's verified address, taken over and linked, when
    that account never proved the address: the first proof of an address wins the account
    (docs/decisions/0104-first-proof-of-address-wins.md). None (and nothing changed) when
    the holder has proven it, or is disabled: then the address stays its own."""
    email = Email(identity.email or "")  # verified: _create_linked_user refuses any other
    holder = users.find_by_login(email.normalized)
    if holder is None or not holder.claimable_with(email):
        return None
    # Before the link, so that no crash leaves the earlier holder's factors on the account.
    start_clean(holder.id, passkeys=passkeys, factors=factors, identities=identities)
    now = clock.now()
    linked = identities.link_existing(
        holder.id,
        identity.provider,
        identity.subject,
        lambda current: current.claimed(now) if current.claimable_with(email) else None,
    )
    if linked is not None and linked.id == holder.id:
        # Again, for what the holder's sessions (ended by the link's commit) added meanwhile;
        # the link just made stays.
        start_clean(holder.id, passkeys=passkeys, factors=factors, identities=None)
        audit.record(AuditEvent(Audit.ACCOUNT_CLAIMED, user_id=holder.id, reason="firebase"))
    return linked


def _create_linked_user(
    identity: ExternalIdentity, *, identities: IdentityRepository, clock: Clock
) -> User:
    # Only an address the provider has verified may claim a local e-mail; an unverified one
    # would let anyone reserve (or later take over) somebody else's address.
    if not identity.email or not identity.email_verified:
        raise PermissionDenied(
            "The Firebase account needs a verified e-mail address before it can sign in here.",
            code="email_not_verified",
        )
    email = Email(identity.email)
    name = without_controls(identity.display_name or "").strip()[:NAME_MAX] or None
    now = clock.now()
    for username in username_candidates(identity.display_name, identity.email):
        # The address is as verified as Firebase says it is (only verified ones get here).
        user = User.register(
            id=new_id(),
            username=username,
            email=email,
            password_hash=None,
            now=now,
            name=name,
            email_verified=identity.email_verified,
        )
        try:
            return identities.add_with_identity(user, identity.provider, identity.subject)
        except Conflict as exc:
            if exc.code == "email_taken":
                # Never a link to an account that proved the address: that is how accounts
                # are taken over. (One that never proved it is claimed by the caller.)
                raise Conflict(
                    "This e-mail address belongs to another account; sign in with its password.",
                    code="email_taken",
                    field="email",
                ) from None
            if exc.code != "username_taken":
                raise
    raise Conflict("No free username could be derived; try again.", code="username_unavailable")


@dataclass(frozen=True)
class CustomToken:
    actor: Actor


def firebase_custom_token(
    cmd: CustomToken, *, users: UserRepository, minter: CustomTokenMinter
) -> str:
    """A Firebase custom token for the caller: its uid is the firegate user id, its developer
    claims the stored ``role`` and ``token_version``, which security rules compare with the
    account's to end the Firebase session with every firegate one (docs/reference/firebase.md)."""
    user = get_user(GetUser(cmd.actor), users=users)
    return minter.mint(user.id, {"role": user.role.value, "token_version": user.token_version})


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
    display_name: str | None, email: str | None, attempts: int = USERNAME_ATTEMPTS
) -> Iterator[Username]:
    """The derived name, then the same with a random numeric suffix; valid usernames only."""
    stem = next(
        (
            base
            for base in (sanitize_username(display_name), sanitize_username(_local_part(email)))
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


# -- wiring (docs/decisions/0042-wiring-per-feature.md) -------------------------------------


class FirebasePorts(SessionPorts, Protocol):
    @property
    def identity_verifier(self) -> IdentityVerifier: ...
    @property
    def identities(self) -> IdentityRepository: ...
    @property
    def factors(self) -> MfaRepository: ...
    @property
    def passkeys(self) -> OwnedData: ...
    @property
    def custom_tokens(self) -> CustomTokenMinter: ...


@dataclass(frozen=True)
class FirebaseServices:
    sign_in: Callable[[FirebaseSignIn], TokenPair]
    custom_token: Callable[[CustomToken], str]


def bind(ports: FirebasePorts, policies: TokenPolicies) -> FirebaseServices:
    p = ports
    return FirebaseServices(
        sign_in=lambda cmd: firebase_sign_in(
            cmd,
            verifier=p.identity_verifier,
            identities=p.identities,
            users=p.users,
            sign_in=sign_in_step(p, policies),
            clock=p.clock,
            audit=p.audit,
            factors=p.factors,
            passkeys=p.passkeys,
        ),
        custom_token=lambda cmd: firebase_custom_token(cmd, users=p.users, minter=p.custom_tokens),
    )
