"""A guest becomes an account with an identity another provider vouches for (docs/guests.md,
"Upgrading in place"): "Continue with", ``POST /auth/firebase`` and an org's single sign-on,
started while signed in as the guest, each end in ``become_account``.

The guest becomes the account a sign-up through that way makes, keeping its id and its
sessions: the identity's address (proven as the provider says) and a username derived from
its profile, the identity linked, ``guest`` ended. This module says what the way gives; the
accounts' one place a guest becomes an account (``GuestUpgrades.upgrade_guest``) asks every
rule of a sign-up (who may sign up, the challenge, the operator's ``before_sign_up`` hook,
whose names and attributes the account takes) and the ``before_sign_in`` hooks, then commits
the upgrade with the link. An identity or an address that is another account's is
``AccountExists``: the guest is not that account, and nothing changes.
"""

from __future__ import annotations

from dataclasses import replace

from application.accounts.guest.upgrades import (
    GuestIdentity,
    GuestSignIn,
    Upgraded,
    UpgradeGuest,
)
from application.federation.linking import ExternalSignIn, Links, username_candidates
from domain.accounts.credentials import Email, folds_onto_another
from domain.accounts.guest.part import Guest
from domain.accounts.guest.refusals import AccountExists, NotAGuest
from domain.accounts.profile import PersonName
from domain.errors import NotFound, PermissionDenied
from domain.signin.mfa import FEDERATED


def become_account(
    links: Links,
    guest_id: str,
    cmd: ExternalSignIn,
    *,
    org_id: str | None = None,
    vouched: bool = False,
) -> Upgraded:
    """The guest ``guest_id`` become the account ``cmd``'s identity signs up: ``org_id`` and
    ``vouched`` as the door is told of an org's connection (``Links.sign_up_of``). The
    account the identity is linked to already, when it is the guest's (a retry: no upgrade
    now, and the sign-in asks its hooks). 409 ``account_exists`` when the identity or its
    address is another account's, 409 ``not_a_guest`` when the account signed up
    meanwhile; the door's refusals (403 ``signup_not_allowed``, ``signup_denied``, 401
    ``challenge_required``), the ``before_sign_in`` hooks' 403, and 403
    ``email_not_verified`` as a sign-up through that way answers."""
    identity = cmd.identity
    linked = links.identities.find_by_identity(identity.provider, identity.subject)
    if linked is not None:
        if linked.id == guest_id:
            return Upgraded(linked, None)
        raise AccountExists(guest_id=guest_id, owner_id=linked.id)
    guest = links.users.get(guest_id)
    if guest is None or guest.deleted_at is not None:
        raise NotFound("The account no longer exists.", code="user_not_found")
    if not guest.part(Guest).is_guest:
        raise NotAGuest()
    if identity.email and folds_onto_another(identity.email):
        identity = replace(identity, email=None)  # names no account here
        cmd = replace(cmd, identity=identity)
    email = _address(cmd, links)
    names = PersonName.of(identity.given_name, identity.family_name, identity.display_name)
    return links.upgrade(
        UpgradeGuest(
            guest_id,
            cmd.signup_way,
            email=email,
            proven=identity.email_verified,
            client_ip=cmd.client_ip,
            challenge_token=cmd.challenge_token,
            sign_in=GuestSignIn(cmd.signup_way, (FEDERATED,), cmd.user_agent, org_id),
            identity=GuestIdentity(
                provider=identity.provider,
                subject=identity.subject,
                email=identity.email,
                provider_name=cmd.provider_name,
                usernames=tuple(username_candidates(identity.preferred_username, identity.email)),
                names=names,
                preferred_username=identity.preferred_username,
                vouched=vouched,
            ),
        )
    )


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
