"""An org that requires its single sign-on: its members on its verified domains sign in
through its connection only, but for the owners it names as break-glass
(docs/reference/sso.md, "Requiring single sign-on";
docs/decisions/0394-requiring-single-sign-on.md); and what it holds of their accounts
(``OrgHold``): they cannot leave its domains by a change of address, and an account it made
gets neither another address nor a password from the person.

``RequiredSso`` is the sign-in step's gate (``application.signin.sign_in.SignInGate``):
every way of signing in ends in that step, so the rule holds for a password, a passkey, a
second factor, another provider, a Firebase ID token alike. It runs once the person has
proven the account (a refusal tells nothing to whoever has not); sessions that exist go on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from application.orgs.joining.domains import OrgDomains, org_for_domain
from application.orgs.ports import OrgRepository
from application.sso.arrival import connection_named_by
from application.sso.discovery import signing_in_connection, start_path
from application.sso.ports import Connections
from domain.accounts.credentials import Email
from domain.accounts.users import User
from domain.errors import PermissionDenied, SsoRequired
from domain.signin.mfa import FEDERATED


@dataclass(frozen=True)
class RequiredSso:
    domains: OrgDomains
    orgs: OrgRepository
    connections: Connections
    public_url: str  # the start's address is answered whole
    any_sso: Callable[[], bool]  # whether any org has an active connection (remembered)

    def __call__(self, user: User, *, amr: tuple[str, ...], via: str | None) -> None:
        """403 ``sso_required`` (with the connection's start) for a member the org's policy
        holds to its single sign-on, signing in any other way. No read while no org has an
        active connection (the process remembers it) or for an account without an address;
        else one for an account whose address is on no org's verified domain."""
        # An address on the org's domain holds its member proven or not: a member who made
        # theirs unproven (a change of address) is held still.
        if user.email is None or not self.any_sso():
            return
        org_id = org_for_domain(user.email.value.rpartition("@")[2], domains=self.domains)
        org = self.orgs.get(org_id) if org_id is not None else None
        if org is None or not org.require_sso:
            return
        if not org.requires_sso_of(self.orgs.membership(org.id, user.id)):
            return
        used = connection_named_by(via) if FEDERATED in amr else None
        connection = self.connections.get(used) if used is not None else None
        if connection is not None and connection.org_id == org.id:
            return  # through the org's own connection
        start = signing_in_connection(org.id, connections=self.connections)
        if start is None:
            return  # none active: nowhere to send them, and nobody is locked out
        path = start_path(start)
        raise SsoRequired(org.name, start.id, self.public_url.rstrip("/") + path, path)


HELD_MAX = 1000  # the memberships of one account read (as GET /orgs can list them)


def _on_domains(email: Email | str | None, org_id: str, domains: OrgDomains) -> bool:
    if email is None:
        return False
    text = email.value if isinstance(email, Email) else email
    return org_for_domain(text.rpartition("@")[2], domains=domains) == org_id


@dataclass(frozen=True)
class OrgHold:
    """What the orgs that hold an account refuse the person (``AccountHold``;
    docs/decisions/0450-what-an-org-holds-of-an-account.md): an org that made the account
    (its SSO or its directory: a managed membership) decides its address, and while it
    requires its single sign-on, whether it has a password; an org that requires its single
    sign-on of a member on its verified domains keeps them there, whatever they change
    (otherwise a new address would let them sign in by password, still a member)."""

    orgs: OrgRepository
    domains: OrgDomains

    def address(self, user: User, email: Email) -> None:
        for org, membership in self.orgs.memberships_of(user.id, HELD_MAX):
            if membership.managed:
                raise PermissionDenied(
                    f"{org.name} manages this account: its address is changed by the "
                    "organization's directory.",
                    code="managed_by_org",
                )
            held = org.requires_sso_of(membership) and _on_domains(user.email, org.id, self.domains)
            if held and not _on_domains(email, org.id, self.domains):
                raise PermissionDenied(
                    f"{org.name} requires its single sign-on of you: your address stays on "
                    "its domains while you are a member.",
                    code="address_held_by_org",
                )

    def first_password(self, user: User) -> None:
        for org, membership in self.orgs.memberships_of(user.id, HELD_MAX):
            if membership.managed and org.requires_sso_of(membership):
                raise PermissionDenied(
                    f"{org.name} manages this account and signs you in with its identity "
                    "provider: it has no password.",
                    code="managed_by_org",
                )
