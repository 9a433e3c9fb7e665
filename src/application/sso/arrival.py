"""What every sign-in through an org's connection shares, SAML or OpenID (docs/reference/sso.md,
"Signing in"; docs/decisions/0389-who-a-connection-signs-in.md): the connection it goes
through, the person as the connection's mapping reads the IdP's answer, and which account
that person gets.

The account is found or made by the linking rules of every identity provider
(``application/federation/linking.py``), with one difference: an address on one of the org's
**verified** domains is proven by the connection, so a new person gets an account and a
membership with the roles their groups map to, and an account that proved it is linked (its
owner is told, as of every new way in) when the org holds it: no other way in, or a member
the org requires its single sign-on of. Any other such account is its holder's to connect:
they sign in to it first (``SignInToConnect``, as for any provider). An address on any other
domain proves nothing and joins no org.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from application.accounts.addresses import AddressRule
from application.accounts.profile_schema import ProfileSchemas
from application.accounts.signups import SignUpWay
from application.federation.guest import become_account
from application.federation.linking import ExternalSignIn, Links, SignInToConnect
from application.federation.upstream import Arrival, with_devices
from application.orgs.joining.domains import OrgDomains, org_for_domain
from application.orgs.members.attributes import check_org_writes_on
from application.orgs.members.grants import is_escalation, record_refused_grant
from application.orgs.ports import OrgRepository
from application.ports import Audit, AuditEvent, ExternalIdentity
from application.signin.authentication import Actor
from application.signin.factors.passkeys import PasskeyRepository
from application.signin.sign_in import SignIn
from application.sso.assertions import Asserted
from application.sso.ports import Connections
from domain.accounts.attributes import ORG_ADMIN
from domain.accounts.credentials import Email
from domain.accounts.guest.part import Guest
from domain.accounts.identities import linked_to
from domain.accounts.profile import PersonName
from domain.accounts.users import User
from domain.errors import Conflict, InvalidInput, MfaRequired, NotFound, PermissionDenied
from domain.federation.upstream import RESERVED_PREFIX
from domain.orgs.orgs import Membership, Org, OrgRole, RoleSource
from domain.orgs.roles import Granter
from domain.signin.devices import DevicePolicy
from domain.signin.mfa import SSO
from domain.sso.connections import (
    Connection,
    ConnectionKind,
    is_connection_id,
    no_such_connection,
)
from domain.ways_in import WayIn

log = logging.getLogger("firegate.sso")
_PROVIDER_PREFIX = RESERVED_PREFIX  # no upstream provider's id starts so


def identity_provider(connection_id: str) -> str:
    """The provider an SSO identity is linked under: the connection, whose subjects (SAML
    NameIDs, OpenID ``sub``) are its own (a provider's id has no colon: ``WayIn`` keys are
    ``provider:subject``)."""
    return f"{_PROVIDER_PREFIX}{connection_id}"


def connection_named_by(provider: str | None) -> str | None:
    """The connection an identity provider's name (``identity_provider``) stands for; None
    for any other provider."""
    if provider is None or not provider.startswith(_PROVIDER_PREFIX):
        return None
    connection_id = provider.removeprefix(_PROVIDER_PREFIX)
    return connection_id if is_connection_id(connection_id) else None


def opens_outside(org_id: str, provider: str, connections: Connections) -> bool:
    """Whether an identity linked under ``provider`` opens its account by something the org
    does not hold: Firebase's or an upstream provider's, or another org's connection (a
    connection removed since opens nothing)."""
    connection_id = connection_named_by(provider)
    if connection_id is None:
        return True
    connection = connections.get(connection_id)
    return connection is not None and connection.org_id != org_id


@dataclass(frozen=True, kw_only=True, slots=True)
class OutsideWayInOf:
    """``OutsideWayIn``, for the accounts an org manages (the orgs' port)."""

    connections: Connections

    def __call__(self, org_id: str, provider: str) -> bool:
        return opens_outside(org_id, provider, self.connections)


def connection_of(
    connection_id: str, connections: Connections, kind: ConnectionKind, *, active: bool
) -> Connection:
    """The connection of this id and kind (404 ``connection_not_found`` for none, one of the
    other kind, or, with ``active``, one not active: a draft or switched off signs nobody
    in)."""
    found = connections.get(connection_id) if is_connection_id(connection_id) else None
    if found is None or found.kind is not kind or (active and not found.active):
        raise no_such_connection()
    return found


def _address(text: str, org_id: str, addresses: AddressRule) -> str | None:
    """The asserted address when it is one by the rule every entry follows (a NameID may be
    an opaque id; a special-use name the org has not verified is not taken:
    docs/decisions/0463-one-address-rule.md)."""
    try:
        return addresses.new(text, org_id).value if text else None
    except InvalidInput:
        return None


def _on_verified_domain(email: str | None, org_id: str, domains: OrgDomains) -> bool:
    if email is None:
        return False
    return org_for_domain(email.rpartition("@")[2], domains=domains) == org_id


def _proven_holder(identity: ExternalIdentity, links: Links) -> User | None:
    """The account that proved the address the connection asserts, if one did."""
    if identity.email is None:
        return None
    email = Email(identity.email)
    holder = links.users.find_by_login(email.normalized)
    if holder is None or not holder.email_verified or holder.claimable_with(email):
        return None
    return holder


def _link_proven_account(identity: ExternalIdentity, holder: User, links: Links) -> User | None:
    """The SSO difference: an account whose proven address the connection asserts on a
    verified domain, and which the org may link unasked (``links_unasked``), is linked to the
    identity (and told, as of every new way in). The account the identity is linked to then,
    or None (the account changed meanwhile: the linking rules decide)."""
    now = links.clock.now()
    linked = links.identities.link_existing(
        holder.id,
        identity.provider,
        identity.subject,
        lambda current: linked_to(current, now) if current.email_verified else None,
        identity.email,
    )
    if linked is not None and linked.id == holder.id:
        links.audit.record(
            AuditEvent(
                Audit.IDENTITY_LINKED,
                user_id=holder.id,
                reason=identity.provider,
                added=WayIn.identity(identity.provider, identity.subject),
            )
        )
    return linked


def _made_account(signing_in: ExternalSignIn, links: Links) -> User | None:
    """A new account for a person on a verified domain whom no account holds (the org made
    it: its membership says so, docs/decisions/0414-accounts-the-orgs-sso-made.md); None
    when an account holds the address (the linking rules claim it or refuse)."""
    try:
        return links.create_linked_account(signing_in)
    except Conflict as taken:
        if taken.code != "email_taken":
            raise
    return None


def sso_given(person: Asserted) -> tuple[str, ...]:
    """The roles the connection's mapping gives ``person``: none when it gives only
    ``member``, which every member holds anyway."""
    return () if person.roles == (OrgRole.MEMBER.value,) else person.roles


def _join(
    user: User,
    org_id: str,
    roles: tuple[str, ...],
    granter: Granter,
    *,
    orgs: OrgRepository,
    links: Links,
    made: bool,
) -> Membership | None:
    """Just-in-time provisioning: a person signing in on a verified domain who is no member
    becomes one with the ``roles`` their groups map to (``made``: the org made their account
    just now, so it manages it); a member's roles from the mapping become these, what an
    admin or the directory gave stays (docs/decisions/0459-each-source-grants-its-own-roles.md).
    The roles are given with the rights of ``granter`` (whoever set the mapping): roles they
    may not give are refused and recorded, and the person signs in with the roles they had (a
    new member with none from the mapping; docs/decisions/
    0509-a-refused-grant-of-a-directory-or-a-connection.md). The membership as it was
    before, or None."""
    if user.disabled:
        return None  # a disabled account is refused its sign-in next
    membership = orgs.membership(org_id, user.id)
    if membership is not None and set(membership.sso_roles) == set(roles):
        return membership
    try:
        _give(user.id, org_id, roles, granter, membership, orgs=orgs, links=links, made=made)
    except PermissionDenied as denied:
        if not is_escalation(denied):
            raise
        record_refused_grant(org_id, user.id, roles, granter, via="sso", audit=links.audit)
        if membership is None:  # a member still, with no role from the mapping
            _give(user.id, org_id, (), granter, None, orgs=orgs, links=links, made=made)
    return membership


def _give(
    user_id: str,
    org_id: str,
    roles: tuple[str, ...],
    granter: Granter,
    membership: Membership | None,
    *,
    orgs: OrgRepository,
    links: Links,
    made: bool,
) -> None:
    """The person made a member with the mapping's ``roles``, or their roles from it
    replaced by these, with its event in the same commit; nothing when they joined or left
    meanwhile (the next sign-in maps them again)."""
    kind = Audit.ORG_MEMBER_ADDED if membership is None else Audit.ORG_MEMBER_ROLES_CHANGED
    event = AuditEvent(kind, user_id=user_id, org_id=org_id, reason="sso", via="sso")
    staged = links.audit.stage([event])
    now = links.clock.now()
    try:
        if membership is None:
            orgs.add_member(
                org_id,
                user_id,
                roles,
                now,
                staged,
                granter=granter,
                managed=made,
                source=RoleSource.SSO,
            )
        else:
            orgs.change_roles(
                org_id, user_id, roles, now, staged, granter=granter, source=RoleSource.SSO
            )
    except (Conflict, NotFound) as exc:
        if exc.code not in ("already_member", "member_not_found"):
            raise
        return
    links.audit.committed(staged)


def _named_by_its_idp(
    user: User, membership: Membership | None, person: Asserted, links: Links
) -> User:
    """An account the org made (its membership says so) takes the names its IdP gives at each
    sign-in, as an account its directory made takes the directory's (docs/reference/sso.md,
    "Attribute mapping"); an answer without a name, or a person's own account, changes
    nothing."""
    names = PersonName.of(person.given_name, person.family_name, person.full_name)
    if membership is None or not membership.managed or names.empty:
        return user
    if user.named(names, user.updated_at) is user:
        return user
    now = links.clock.now()
    return links.users.update(user.id, lambda current: current.named(names, now))


@dataclass(frozen=True)
class SsoPolicy:
    """What the sign-in step reads besides the connection: the device policy, and where a
    person goes when no flight (the state a browser keeps sealed between a sign-in's start and
    its return) names a page (an IdP-initiated sign-in)."""

    devices: DevicePolicy
    landing: str = "/account"


@dataclass(frozen=True)
class VouchedSignIn:
    """A person the connection's IdP vouches for, its answer checked: who (the subject,
    what the mapping read), from which browser, and where they go next ("": the landing).
    ``disproven``: the IdP itself says the address is not verified."""

    connection: Connection
    subject: str
    person: Asserted
    next: str
    user_agent: str = ""
    client_ip: str = ""
    device_token: str = ""
    disproven: bool = False
    # The account the browser was signed in to: when it is a guest, the guest becomes the
    # account the connection makes (docs/guests.md, "Upgrading in place"); "" for none.
    signed_in_as: str = ""


class TrialOutcome(StrEnum):
    """What a real sign-in with the same answer would do (docs/reference/sso.md, "Test
    sign-in")."""

    LINKED = "linked"  # the identity is linked to an account already: it signs in
    LINKS_ACCOUNT = "links_account"  # an account proved the address: linked, then signs in
    # an account proved the address and has other ways in: its holder is asked to sign in to
    # it to connect the identity, and nothing is linked until they do
    CONFIRMS_LINK = "confirms_link"
    NEW_ACCOUNT = "new_account"  # a new account (no password) is made
    UNPROVEN = "unproven"  # the address is on no verified domain of the org: proves nothing
    NO_ADDRESS = "no_address"  # the mapped address is not an address: nobody can be found


@dataclass(frozen=True)
class StartSso:
    """A sign-in through an org's connection, SAML or OpenID, begun at its start URL."""

    connection_id: str
    next: str  # where the person goes once signed in (a path of this site, checked by the page)
    trial_link: str = ""  # a setup link's token: a test sign-in, which makes nothing
    # An org admin's test sign-in from the connection's page, which makes nothing either:
    # the admin, and the org as the page's path names it
    # (docs/decisions/0469-the-admins-test-sign-in.md).
    tried_by: Actor | None = None
    org: str = ""
    # The account the browser is signed in to at the start (a guest becomes the account the
    # connection makes: docs/guests.md); "" for none.
    signed_in_as: str = ""


@dataclass(frozen=True)
class SignInPreview:
    """A test sign-in's answer as the connection reads it, and what signing in with it would
    do; nothing of it happened. Not SAML's alone: an OpenID connection's test sign-in has
    the same shape (``subject`` its ``sub``, ``attributes`` its claims)."""

    connection_id: str
    setup_token: str  # the setup link the test started from ("": an admin's, from the org page)
    subject: str  # the SAML NameID
    attributes: Mapping[str, Sequence[str]]
    person: Asserted
    email: str | None  # the mapped address, when it is one
    verified_domain: bool  # on one of the org's verified domains
    outcome: TrialOutcome
    joins: bool  # would become a member of the org (with ``person.roles``)
    next: str = ""  # where the page goes back to (the page the test started from)
    draft: bool = False  # the test ran on the connection's draft, not its live values


@dataclass(frozen=True, kw_only=True, slots=True)
class SsoArrivals:
    """The end every sign-in through a connection shares, SAML or OpenID: the person its IdP
    vouches for finds or gets their account, and joins the org (``arrive``); or, for a test
    sign-in, what that would do, with nothing made (``preview``).

    The org's memberships (``orgs``), verified ``domains`` and ``connections``; the
    linking rules' ports (``links``); the ``passkeys`` (a way in); the sign-in step and
    its ``policy``; the rule an asserted address follows (``addresses``); the profile
    attributes the mapping fills (``schemas``)."""

    orgs: OrgRepository
    domains: OrgDomains
    links: Links
    sign_in: SignIn
    policy: SsoPolicy
    connections: Connections
    passkeys: PasskeyRepository
    addresses: AddressRule
    schemas: ProfileSchemas

    def _another_way_in(self, holder: User, org_id: str) -> bool:
        """Whether the account opens by something the org does not hold: a password, a
        passkey, or an identity that is not one of the org's connections (a connection
        removed since opens nothing)."""
        if holder.password_hash is not None:
            return True
        if self.passkeys.list_for_user(holder.id, 1):
            return True
        return any(
            opens_outside(org_id, link.provider, self.connections)
            for link in self.links.identities.list_for(holder.id)
        )

    def _links_unasked(self, holder: User, org: Org) -> bool:
        """Whether the connection links the account that proved the address without its
        holder's own confirmation: only an account the org's single sign-on is the way into,
        one with no other way in, or a member the org holds to its single sign-on (who signs
        in no other way). Any other holder signs in to their account to connect it
        (docs/decisions/0449-a-connection-links-only-what-it-holds.md)."""
        if org.requires_sso_of(self.orgs.membership(org.id, holder.id)):
            return True
        return not self._another_way_in(holder, org.id)

    def arrive(self, vouched: VouchedSignIn) -> Arrival:
        """The person signed in (or asked for their second factor), a member of the org when
        their address is on its verified domains; 404 when the org is gone."""
        links, connection = self.links, vouched.connection
        org = self.orgs.get(connection.org_id)
        if org is None:
            raise no_such_connection()
        person = vouched.person
        email = _address(person.email, org.id, self.addresses)
        verified = not vouched.disproven and _on_verified_domain(email, org.id, self.domains)
        parts = " ".join(p for p in (person.given_name, person.family_name) if p)
        identity = ExternalIdentity(
            provider=identity_provider(connection.id),
            subject=vouched.subject,
            email=email,
            email_verified=verified,
            display_name=parts or person.full_name or None,
            given_name=person.given_name or None,
            family_name=person.family_name or None,
        )
        signing_in = ExternalSignIn(
            identity,
            SSO,
            f"{org.name} single sign-on",
            user_agent=vouched.user_agent,
            proves_only=True,
            signup_way=SignUpWay.SSO,
        )
        guest_id, said = self._guest(vouched.signed_in_as), None
        if guest_id:  # the guest becomes the account the connection makes, as a sign-up
            upgraded = become_account(links, guest_id, signing_in, org_id=org.id, vouched=verified)
            user, said, made = upgraded.user, upgraded.session_claims, verified
        else:
            user, made = self._found_or_made(signing_in, org, verified)
        if verified:
            granter = Granter.sso(connection.mapped_by)
            given = sso_given(person)
            joined = _join(user, org.id, given, granter, orgs=self.orgs, links=links, made=made)
            user = _named_by_its_idp(user, joined, person, links)
            user = self._attributes_from_idp(user, connection, person)
        device_aware = with_devices(
            self.sign_in, self.policy.devices, vouched.device_token, vouched.client_ip
        )
        target = vouched.next or self.policy.landing
        try:
            pair = links.sign_in_as(
                user,
                signing_in,
                device_aware,
                method=SSO,
                reason=connection.id,
                org_id=connection.org_id,
                hooks_said=said,
            )
        except MfaRequired as second_step:
            return Arrival(target, mfa=second_step)
        return Arrival(target, pair=pair)

    def _guest(self, signed_in_as: str) -> str:
        """The account the browser was signed in to when it is a live guest; "" otherwise (a
        person's account changes nothing: the connection signs in whom it vouches for)."""
        user = self.links.users.get(signed_in_as) if signed_in_as else None
        return (
            user.id
            if user is not None and user.part(Guest).is_guest and user.deleted_at is None
            else ""
        )

    def _found_or_made(
        self, signing_in: ExternalSignIn, org: Org, verified: bool
    ) -> tuple[User, bool]:
        """The account of the person the connection vouches for, and whether the org made it
        just now: linked, linked by its proven address, made, or as the linking rules say."""
        links, identity = self.links, signing_in.identity
        user = links.identities.find_by_identity(identity.provider, identity.subject)  # rule 1
        holder = _proven_holder(identity, links) if user is None and verified else None
        if holder is not None:
            if not self._links_unasked(holder, org):
                raise SignInToConnect(signing_in)  # its holder signs in to it, then connects
            user = _link_proven_account(identity, holder, links)
        if user is None:  # an account may be made: it passes the door every new one passes
            signing_in = links.admitted(signing_in, org.id, vouched=verified)
        made = user is None and verified
        if made:
            user = _made_account(signing_in, links)
            made = user is not None
        if user is None:
            user = links.unlinked_account(signing_in)
        return user, made

    def _attributes_from_idp(self, user: User, connection: Connection, person: Asserted) -> User:
        """A member signing in on the org's verified domain takes the profile attributes the
        mapping reads from the IdP's answer, written as ``org_admin`` (the IdP speaks for the
        org), at the first sign-in and at each one after (the IdP is their source). One
        refused (not in the schema, not ``org_admin``'s to write, not of its kind) is skipped
        and logged, never a failed sign-in; one the answer lacks stays as it is
        (docs/decisions/0488-sso-writes-profile-attributes-as-org-admin.md). None on an
        account the org does not manage, or on the mapping's setter's own
        (``check_org_writes_on``; docs/decisions/0510-org-written-attributes.md)."""
        if not person.attributes or user.disabled:
            return user
        try:
            check_org_writes_on(
                user,
                connection.org_id,
                connection.mapped_by,
                orgs=self.orgs,
                domains=self.domains,
            )
        except PermissionDenied as not_its:
            log.warning("sso connection %s: no attribute written (%s)", connection.id, not_its.code)
            return user
        schema = self.schemas.current()
        values, refused = schema.asserted(user.attributes, person.attributes, ORG_ADMIN)
        for each in refused:
            log.warning(
                "sso connection %s: %s skipped (%s): %s",
                connection.id,
                each.field,
                each.code,
                each.message,
            )
        changes: dict[str, object] = {
            name: values[name]
            for name in person.attributes
            if name in values and values[name] != user.attributes.get(name)
        }
        if not changes:
            return user
        now = self.links.clock.now()
        return self.links.users.update(
            user.id, lambda current: current.with_attributes(schema, changes, ORG_ADMIN, now)
        )

    def _trial_outcome(self, holder: User | None, org_id: str) -> TrialOutcome:
        if holder is None:
            return TrialOutcome.NEW_ACCOUNT
        org = self.orgs.get(org_id)
        if holder.email_verified and org is not None and not self._links_unasked(holder, org):
            return TrialOutcome.CONFIRMS_LINK
        return TrialOutcome.LINKS_ACCOUNT

    def preview(
        self,
        vouched: VouchedSignIn,
        attributes: Mapping[str, Sequence[str]],
        setup_token: str,
    ) -> SignInPreview:
        """What ``arrive`` would do for this person, read by the same rules, making nothing:
        no account, no membership, no link, no session (a test sign-in from a setup link or
        an admin's from the connection's page; ``vouched.connection`` as tried: drafted)."""
        connection, person = vouched.connection, vouched.person
        links = self.links
        email = _address(person.email, connection.org_id, self.addresses)
        verified = not vouched.disproven and _on_verified_domain(
            email, connection.org_id, self.domains
        )
        holder = links.identities.find_by_identity(
            identity_provider(connection.id), vouched.subject
        )
        if holder is not None:
            outcome = TrialOutcome.LINKED
        elif email is None:
            outcome = TrialOutcome.NO_ADDRESS
        elif not verified:
            outcome = TrialOutcome.UNPROVEN
        else:
            holder = links.users.find_by_login(Email(email).normalized)
            outcome = self._trial_outcome(holder, connection.org_id)
        joins = verified and (
            holder is None or self.orgs.membership(connection.org_id, holder.id) is None
        )
        return SignInPreview(
            connection_id=connection.id,
            setup_token=setup_token,
            subject=vouched.subject,
            attributes=attributes,
            person=person,
            email=email,
            verified_domain=verified,
            outcome=outcome,
            joins=joins,
            next=vouched.next or self.policy.landing,
            draft=connection.draft is not None,
        )
