"""Signing in as an identity another provider vouches for: the linking rules every such way
of signing in follows (a Firebase ID token, an upstream OpenID provider; docs/contributing.md,
"Adding a way to sign in"). A provider's own module verifies what it is given, makes an
``ExternalIdentity`` of it and calls ``sign_in_external``.

- The account linked to the identity (provider, subject) signs in, whatever its address.
- Else a new account is made for it, only with an address the provider verified and no
  account holds. An unverified address makes and links nothing: it would let anyone
  reserve, or later take over, somebody else's address.
- An account that proved the address is never linked by the address alone: that is how
  accounts are taken over. One that never proved it is claimed by the first verified proof,
  without what its earlier holder set up
  (docs/decisions/0104-first-proof-of-address-wins.md, application/identity/address_proof.py).
- Then the second step: an account with a second factor on gets ``MfaRequired`` instead of
  tokens.

While the account's address is the identity's, its ``email_verified`` follows what the
provider reports (docs/reference/email.md).
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

from application.identity.accounts import UserRepository
from application.identity.address_proof import start_clean
from application.identity.mfa import MfaRepository, require_second_factor
from application.identity.sessions import SessionPorts, SignIn
from application.identity.tokens import TokenPair
from application.ports import Audit, AuditEvent, AuditLog, Clock, ExternalIdentity, OwnedData
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


@dataclass(frozen=True)
class Links:
    """What linking reads and writes: the links, the accounts, what a claim removes (the
    earlier holder's factors and passkeys), the clock and the audit log."""

    identities: IdentityRepository
    users: UserRepository
    factors: MfaRepository
    passkeys: OwnedData
    clock: Clock
    audit: AuditLog


@dataclass(frozen=True)
class ExternalSignIn:
    """A person an identity provider vouches for, signing in here."""

    identity: ExternalIdentity
    via: str  # the way of signing in, as the audit records and the session name it: "firebase"
    provider_name: str  # the provider as people know it, in messages: "Firebase"
    user_agent: str = ""


def sign_in_external(cmd: ExternalSignIn, *, links: Links, sign_in: SignIn) -> TokenPair:
    """A token pair for the account linked to the identity (found, made or claimed);
    MfaRequired instead when the account has a second factor on."""
    user = linked_account(cmd, links=links)
    if user.disabled:
        raise PermissionDenied("This account is disabled.", code="account_disabled")
    user = follow_verification(user, cmd, users=links.users, clock=links.clock, audit=links.audit)
    require_second_factor(
        user,
        login_key=user.username.normalized,
        first_factor=(FEDERATED,),
        device_id=None,
        ip=None,
        factors=links.factors,
        clock=links.clock,
        audit=links.audit,
    )
    return sign_in(user, amr=(FEDERATED,), user_agent=cmd.user_agent, reason=cmd.via)


def linked_account(cmd: ExternalSignIn, *, links: Links) -> User:
    """The account linked to the identity: the one linked already, else a new one for its
    verified address, else the unproven account holding that address, claimed. Conflict
    (email_taken) when an account proved the address; PermissionDenied (email_not_verified)
    when the provider has not verified it."""
    identity = cmd.identity
    user = links.identities.find_by_identity(identity.provider, identity.subject)
    if user is not None:
        return user
    try:
        return create_linked_account(cmd, identities=links.identities, clock=links.clock)
    except Conflict as taken:
        if taken.code != "email_taken":
            raise
        claimed = claim_unproven_account(cmd, links=links)
        if claimed is None:
            raise
        return claimed


def create_linked_account(
    cmd: ExternalSignIn, *, identities: IdentityRepository, clock: Clock
) -> User:
    """A new account linked to the identity, with its verified address, a username derived
    from its profile and no password (so password login never works for it). Conflict
    (email_taken) when an account holds the address: never a link to it here."""
    identity = cmd.identity
    # Only an address the provider has verified may claim a local e-mail; an unverified one
    # would let anyone reserve (or later take over) somebody else's address.
    if not identity.email or not identity.email_verified:
        raise PermissionDenied(
            f"The {cmd.provider_name} account needs a verified e-mail address before it can "
            "sign in here.",
            code="email_not_verified",
        )
    email = Email(identity.email)
    name = without_controls(identity.display_name or "").strip()[:NAME_MAX] or None
    now = clock.now()
    for username in username_candidates(identity.display_name, identity.email):
        # The address is as verified as the provider says it is (only verified ones get here).
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


def claim_unproven_account(cmd: ExternalSignIn, *, links: Links) -> User | None:
    """The account holding the identity's verified address, taken over and linked, when
    that account never proved the address: the first proof of an address wins the account
    (docs/decisions/0104-first-proof-of-address-wins.md). None (and nothing changed) when
    the holder has proven it, or is disabled: then the address stays its own."""
    identity = cmd.identity
    if not identity.email or not identity.email_verified:
        return None  # only a verified address is a proof
    email = Email(identity.email)
    holder = links.users.find_by_login(email.normalized)
    if holder is None or not holder.claimable_with(email):
        return None
    # Before the link, so that no crash leaves the earlier holder's factors on the account.
    passkeys, factors = links.passkeys, links.factors
    start_clean(holder.id, passkeys=passkeys, factors=factors, identities=links.identities)
    now = links.clock.now()
    linked = links.identities.link_existing(
        holder.id,
        identity.provider,
        identity.subject,
        lambda current: current.claimed(now) if current.claimable_with(email) else None,
    )
    if linked is not None and linked.id == holder.id:
        # Again, for what the holder's sessions (ended by the link's commit) added meanwhile;
        # the link just made stays.
        start_clean(holder.id, passkeys=passkeys, factors=factors, identities=None)
        links.audit.record(AuditEvent(Audit.ACCOUNT_CLAIMED, user_id=holder.id, reason=cmd.via))
    return linked


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


def follow_verification(
    user: User, cmd: ExternalSignIn, *, users: UserRepository, clock: Clock, audit: AuditLog
) -> User:
    """The account with the verification state the provider reports for its address;
    written only when it differs."""
    identity = cmd.identity
    if _reported_state(user, identity) is None:
        return user
    now = clock.now()

    def change(current: User) -> User:
        state = _reported_state(current, identity)
        return current if state is None else current.with_email_verified_as(state, now)

    updated = users.update(user.id, change)
    if updated.email_verified and not user.email_verified:
        audit.record(AuditEvent(Audit.EMAIL_VERIFIED, user_id=user.id, reason=cmd.via))
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


class LinkingPorts(SessionPorts, Protocol):
    """What a linked sign-in needs; each provider's ports extend it with its own verifier."""

    @property
    def identities(self) -> IdentityRepository: ...
    @property
    def factors(self) -> MfaRepository: ...
    @property
    def passkeys(self) -> OwnedData: ...


def links_of(ports: LinkingPorts) -> Links:
    """The ``Links`` a provider's ``bind`` hands its sign-in."""
    return Links(
        ports.identities, ports.users, ports.factors, ports.passkeys, ports.clock, ports.audit
    )
