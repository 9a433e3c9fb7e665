"""A guest becomes an account with an identity another provider vouches for (docs/guests.md,
"Upgrading in place"): "Continue with", ``POST /auth/firebase`` and an org's single sign-on,
started while signed in as the guest, each end in ``become_account``.

The guest becomes the account a sign-up through that way makes, keeping its id and its
sessions: the identity's address (proven as the provider says) and a username derived from
its profile, the identity linked, ``guest`` ended. Every rule of a sign-up applies: the door
every new account passes (``Signups``: who may sign up, the challenge, the operator's
``before_sign_up`` hook, whose names and attributes the account takes), the address rules
of the linking (``application/federation/linking.py``), the verification mail of an address
the provider did not verify. An identity or an address that is another account's is
``AccountExists``: the guest is not that account, and nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from application.federation.linking import ExternalSignIn, Links, username_candidates
from application.ports import Audit, AuditEvent
from domain.accounts.guest_refusals import AccountExists, NotAGuest
from domain.accounts.signups import SignUpVerdict
from domain.accounts.users import Email, PersonName, User, Username, folds_onto_another
from domain.errors import Conflict, NotFound, PermissionDenied


def become_account(
    links: Links,
    guest_id: str,
    cmd: ExternalSignIn,
    *,
    org_id: str | None = None,
    vouched: bool = False,
) -> User:
    """The guest ``guest_id`` become the account ``cmd``'s identity signs up: ``org_id`` and
    ``vouched`` as the door is told of an org's connection (``Links.sign_up_of``). The
    account the identity is linked to already, when it is the guest's (a retry). 409
    ``account_exists`` when the identity or its address is another account's, 409
    ``not_a_guest`` when the account signed up meanwhile; the door's refusals (403
    ``signup_not_allowed``, ``signup_denied``, 401 ``challenge_required``) and 403
    ``email_not_verified`` as a sign-up through that way answers."""
    identity = cmd.identity
    linked = links.identities.find_by_identity(identity.provider, identity.subject)
    if linked is not None:
        if linked.id == guest_id:
            return linked
        raise AccountExists(guest_id=guest_id, owner_id=linked.id)
    guest = links.users.get(guest_id)
    if guest is None or guest.deleted_at is not None:
        raise NotFound("The account no longer exists.", code="user_not_found")
    if not guest.guest:
        raise NotAGuest()
    if identity.email and folds_onto_another(identity.email):
        cmd = replace(cmd, identity=replace(identity, email=None))  # names no account here
    # The door first: its answer is the same whether or not an account holds the address.
    cmd = links.admitted(cmd, org_id, vouched=vouched)
    email = _address(cmd, links)
    holder = links.users.find_by_login(email.normalized)
    if holder is not None and holder.id != guest_id:
        raise AccountExists(guest_id=guest_id, owner_id=holder.id)
    upgraded = _upgraded(links, guest_id, cmd, email)
    links.audit.record(
        AuditEvent(Audit.IDENTITY_LINKED, user_id=guest_id, reason=identity.provider)
    )
    if not upgraded.email_verified and links.registered is not None:
        links.registered(upgraded, cmd.provider_name)  # the verification mail
    if upgraded.email_verified:
        links.proven(upgraded)  # the address proven with the account (an org's auto_join)
    return upgraded


def _address(cmd: ExternalSignIn, links: Links) -> Email:
    """The address the account takes: the identity's, verified by the provider, or not where
    the way makes accounts with an unproven one (and its verification mail can follow)."""
    identity = cmd.identity
    unverified_accounts = cmd.unverified_accounts and links.registered is not None
    if not identity.email or not (identity.email_verified or unverified_accounts):
        raise PermissionDenied(
            f"The {cmd.provider_name} account needs a verified e-mail address before it "
            "can sign in here.",
            code="email_not_verified",
        )
    return Email(identity.email)


def _upgraded(links: Links, guest_id: str, cmd: ExternalSignIn, email: Email) -> User:
    """The guest's change, committed with its new claims and the link: a username derived
    as a new linked account's is, the next one where it is taken."""
    identity, verdict = cmd.identity, cmd.sign_up
    if verdict is None:
        raise ValueError("an upgrade passes the door first (``Links.admitted``)")
    names = PersonName.of(identity.given_name, identity.family_name, identity.display_name)
    verified = identity.email_verified
    now = links.clock.now()
    for username in username_candidates(identity.preferred_username, identity.email):
        change = _signing_up(
            username=username, email=email, verified=verified, names=names, verdict=verdict, now=now
        )
        try:
            upgraded = links.identities.upgrade_with_identity(
                guest_id, identity.provider, identity.subject, change, identity.email
            )
        except Conflict as taken:
            if taken.code == "username_taken":
                continue
            if taken.code != "email_taken":
                raise
            holder = links.users.find_by_login(email.normalized)
            raise AccountExists(
                guest_id=guest_id, owner_id=holder.id if holder is not None else ""
            ) from None
        if upgraded is None:
            raise NotAGuest()  # upgraded meanwhile (another way, another identity) or gone
        if upgraded.id != guest_id:  # the identity was linked meanwhile to another account
            raise AccountExists(guest_id=guest_id, owner_id=upgraded.id)
        return upgraded
    raise Conflict("No free username could be derived; try again.", code="username_unavailable")


def _signing_up(
    *,
    username: Username,
    email: Email,
    verified: bool,
    names: PersonName,
    verdict: SignUpVerdict,
    now: datetime,
) -> Callable[[User], User | None]:
    """The guest as a sign-up through the identity makes it; None (nothing written) for an
    account that is no guest by the time it is read."""

    def change(current: User) -> User | None:
        if not current.guest:
            return None
        return current.signed_up_with_identity(
            username=username,
            email=email,
            email_verified=verified,
            names=names,
            now=now,
            admitted=verdict,
        )

    return change
