"""Signing in through an org's SAML connection (docs/reference/sso.md, "Signing in";
docs/decisions/0389-who-a-connection-signs-in.md).

A browser starts at ``/sso/{connection}/saml``: it is sent to the IdP with a signed request
and keeps a sealed flight (the request's id, where to go next, and, for a test sign-in from
a connection's setup page, the setup link: then the answer is shown and nothing is made).
The IdP posts its answer to the ACS; the answer is checked (``checked_assertion``), the
person it names is found or made by the linking rules of every identity provider
(``application/federation/linking.py``), with one difference: an address on one of the
org's **verified** domains is proven by the connection, so an account that proved it is
linked (its owner is told, as of every new way in) and a new person gets an account and a
membership with the roles their groups map to. An address on any other domain proves
nothing and joins no org.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from application.federation.linking import ExternalSignIn, Links, linked_account, sign_in_external
from application.federation.upstream import with_devices
from application.orgs.domains import OrgDomains, org_for_domain
from application.orgs.ports import OrgRepository
from application.ports import Audit, AuditEvent, Clock, ExternalIdentity, SecretBox
from application.signin.sessions import SignIn
from application.signin.tokens import TokenPair
from application.sso.ports import Connections, SamlAssertion, SamlServiceProvider, SpentAssertions
from application.sso.saml import SamlAnswer, checked_assertion, saml_connection
from application.sso.setup import linked_connection
from domain.accounts.users import Email, User
from domain.errors import Conflict, DomainError, InvalidInput, MfaRequired, Unauthenticated
from domain.federation.identities import WayIn, linked_to
from domain.orgs.orgs import OrgRole
from domain.signin.devices import DevicePolicy
from domain.sso.connections import Connection, ConnectionKind, no_such_connection

FLIGHT_TTL = timedelta(minutes=10)
_FLIGHT = "sso-saml"
MAX_NAME = 200


def identity_provider(connection_id: str) -> str:
    """The provider an SSO identity is linked under: the connection, whose NameIDs are its
    own (a provider's id has no colon: ``WayIn`` keys are ``provider:subject``)."""
    return f"sso-{connection_id}"


@dataclass(frozen=True)
class StartSaml:
    connection_id: str
    next: str  # where the person goes once signed in (a path of this site, checked by the page)
    trial_link: str = ""  # a setup link's token: a test sign-in, which makes nothing


@dataclass(frozen=True)
class SamlDeparture:
    url: str  # the IdP, with the signed request
    flight: str  # sealed: the browser keeps it (a cookie) and brings it back


@dataclass(frozen=True)
class FinishSaml:
    connection_id: str
    response: str  # the SAMLResponse posted
    flight: str  # what the browser brought back ("" for none)
    user_agent: str = ""
    client_ip: str = ""
    device_token: str = ""


class TrialOutcome(StrEnum):
    """What a real sign-in with the same answer would do (docs/reference/sso.md, "Test
    sign-in")."""

    LINKED = "linked"  # the identity is linked to an account already: it signs in
    LINKS_ACCOUNT = "links_account"  # an account proved the address: linked, then signs in
    NEW_ACCOUNT = "new_account"  # a new account (no password) is made
    UNPROVEN = "unproven"  # the address is on no verified domain of the org: proves nothing
    NO_ADDRESS = "no_address"  # the mapped address is not an address: nobody can be found


@dataclass(frozen=True)
class TrialSignIn:
    """A test sign-in's answer as the connection reads it, and what signing in with it would
    do; nothing of it happened. Not SAML's alone: an OpenID connection's test sign-in has
    the same shape (``subject`` its ``sub``, ``attributes`` its claims)."""

    connection_id: str
    setup_token: str  # the setup link the test started from: the way back to its page
    subject: str  # the SAML NameID
    attributes: Mapping[str, tuple[str, ...]]
    person: Asserted
    email: str | None  # the mapped address, when it is one
    verified_domain: bool  # on one of the org's verified domains
    outcome: TrialOutcome
    joins: bool  # would become a member of the org (with ``person.roles``)


@dataclass(frozen=True)
class SamlArrival:
    next: str
    pair: TokenPair | None = None
    mfa: MfaRequired | None = None
    trial: TrialSignIn | None = None  # a test sign-in: shown, nobody signed in


@dataclass(frozen=True)
class SsoPolicy:
    """What the sign-in step reads besides the connection: the device policy, and where a
    person goes when the IdP started the sign-in (no flight names a page)."""

    devices: DevicePolicy
    landing: str = "/account"


def start_saml(
    cmd: StartSaml,
    *,
    connections: Connections,
    sp: SamlServiceProvider,
    box: SecretBox,
    clock: Clock,
) -> SamlDeparture:
    """To the active connection's IdP (404 ``connection_not_found`` otherwise); for a test
    sign-in, to the IdP of the complete SAML connection the setup link still opens (400
    ``invalid_token``, 409 ``connection_incomplete``), in any status."""
    if cmd.trial_link:
        connection = _trial_connection(cmd.trial_link, connections, clock.now())
    else:
        connection = saml_connection(cmd.connection_id, connections, active=True)
    login = sp.login(connection, relay_state="")
    flight = {
        "is": _FLIGHT,
        "connection": connection.id,
        "request": login.request_id,
        "next": cmd.next,
        "at": clock.now().isoformat(),
    }
    if cmd.trial_link:
        flight["trial"] = cmd.trial_link
    return SamlDeparture(login.url, box.seal(json.dumps(flight)))


def _trial_connection(link: str, connections: Connections, now: datetime) -> Connection:
    connection = linked_connection(link, connections, now)
    if connection.kind is not ConnectionKind.SAML:
        raise no_such_connection()
    if problems := connection.missing():
        raise Conflict(
            "Set up the identity provider before testing it: "
            + ", ".join(p.field for p in problems)
            + ".",
            code="connection_incomplete",
        )
    return connection


@dataclass(frozen=True)
class Flight:
    """What this browser's flight to a connection says: the request it started, where to go
    next, and the setup link of a test sign-in ("" for a sign-in)."""

    request_id: str | None = None
    next: str | None = None
    trial_link: str = ""


def _flight(cmd: FinishSaml, box: SecretBox, now: datetime) -> Flight:
    """This browser's flight to this connection, if it has a fresh one; an empty one
    otherwise: then only an IdP-initiated answer can be taken."""
    try:
        data = json.loads(box.open(cmd.flight)) if cmd.flight else None
    except (DomainError, ValueError):  # altered, foreign, or sealed by another key
        data = None
    if (
        not isinstance(data, dict)
        or data.get("is") != _FLIGHT
        or not hmac.compare_digest(str(data.get("connection", "")), cmd.connection_id)
    ):
        return Flight()
    try:
        started = datetime.fromisoformat(str(data["at"]))
    except (KeyError, ValueError):
        return Flight()
    if now - started > FLIGHT_TTL:
        return Flight()
    return Flight(
        str(data.get("request") or "") or None,
        str(data.get("next") or "") or None,
        str(data.get("trial") or ""),
    )


@dataclass(frozen=True)
class Asserted:
    """The person as the connection's mapping reads the assertion."""

    email: str
    given_name: str
    family_name: str
    roles: tuple[str, ...]  # the org roles their groups grant (member when none)


def _first(assertion: SamlAssertion, name: str) -> str:
    values = assertion.attributes.get(name, ())
    return values[0].strip()[:MAX_NAME] if values else ""


def asserted(connection: Connection, assertion: SamlAssertion) -> Asserted:
    """The mapping applied: the address from its attribute (else the NameID), the names, and
    the roles of every group the person is in that the mapping names."""
    mapping = connection.mapping
    email = _first(assertion, mapping.email) if mapping.email else assertion.name_id
    groups = assertion.attributes.get(mapping.groups, ()) if mapping.groups else ()
    roles: dict[str, None] = {}
    for group in groups:
        roles.update(dict.fromkeys(mapping.roles.get(group, ())))
    return Asserted(
        email=email.strip(),
        given_name=_first(assertion, mapping.given_name or "givenName"),
        family_name=_first(assertion, mapping.family_name or "sn"),
        roles=tuple(roles) or (OrgRole.MEMBER.value,),
    )


def _address(text: str) -> str | None:
    """The asserted address when it is one (a NameID may be an opaque id)."""
    try:
        return Email(text).value if text else None
    except InvalidInput:
        return None


def _on_verified_domain(email: str | None, org_id: str, domains: OrgDomains) -> bool:
    if email is None:
        return False
    return org_for_domain(email.rpartition("@")[2], domains=domains) == org_id


def _link_proven_account(identity: ExternalIdentity, links: Links) -> None:
    """The SSO difference: an account whose proven address the connection asserts on a
    verified domain is linked to the identity (and told, as of every new way in)."""
    if links.identities.find_by_identity(identity.provider, identity.subject) is not None:
        return
    if identity.email is None:
        return
    email = Email(identity.email)
    holder = links.users.find_by_login(email.normalized)
    if holder is None or not holder.email_verified or holder.claimable_with(email):
        return  # none, or unproven: the linking rules make or claim the account
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


def _join(
    user: User, org_id: str, roles: tuple[str, ...], *, orgs: OrgRepository, links: Links
) -> None:
    """Just-in-time provisioning: a person signing in on a verified domain who is no member
    becomes one with the roles their groups map to; a member keeps the roles they have."""
    if user.disabled or orgs.membership(org_id, user.id) is not None:
        return  # a disabled account is refused its sign-in next
    event = AuditEvent(Audit.ORG_MEMBER_ADDED, user_id=user.id, org_id=org_id, reason="sso")
    staged = links.audit.stage([event])
    try:
        orgs.add_member(org_id, user.id, roles, links.clock.now(), staged)
    except Conflict as exc:
        if exc.code != "already_member":
            raise
        return
    links.audit.committed(staged)


def finish_saml(
    cmd: FinishSaml,
    *,
    connections: Connections,
    sp: SamlServiceProvider,
    spent: SpentAssertions,
    box: SecretBox,
    orgs: OrgRepository,
    domains: OrgDomains,
    links: Links,
    sign_in: SignIn,
    policy: SsoPolicy,
) -> SamlArrival:
    """The person signed in (or asked for their second factor), a member of the org when
    their address is on its verified domains; Unauthenticated ``saml_*`` for an answer
    refused; 404 for a connection that is not active."""
    flight = _flight(cmd, box, links.clock.now())
    if flight.trial_link:
        return SamlArrival(
            flight.next or policy.landing,
            trial=_trial(
                cmd,
                flight,
                connections=connections,
                sp=sp,
                spent=spent,
                orgs=orgs,
                domains=domains,
                links=links,
            ),
        )
    connection, assertion = checked_assertion(
        SamlAnswer(cmd.connection_id, cmd.response, flight.request_id),
        connections=connections,
        sp=sp,
        spent=spent,
    )
    next_page = flight.next
    org = orgs.get(connection.org_id)
    if org is None:
        raise no_such_connection()
    if not assertion.name_id:
        raise Unauthenticated("The answer names nobody.", code="saml_invalid")
    person = asserted(connection, assertion)
    email = _address(person.email)
    verified = _on_verified_domain(email, org.id, domains)
    name = " ".join(p for p in (person.given_name, person.family_name) if p)
    identity = ExternalIdentity(
        provider=identity_provider(connection.id),
        subject=assertion.name_id,
        email=email,
        email_verified=verified,
        display_name=name or None,
    )
    via = f"{org.name} single sign-on"
    signing_in = ExternalSignIn(identity, "sso", via, user_agent=cmd.user_agent)
    if verified:
        _link_proven_account(identity, links)
        _join(linked_account(signing_in, links=links), org.id, person.roles, orgs=orgs, links=links)
    device_aware = with_devices(sign_in, policy.devices, cmd.device_token, cmd.client_ip)
    target = next_page or policy.landing
    try:
        pair = sign_in_external(signing_in, links=links, sign_in=device_aware)
    except MfaRequired as second_step:
        return SamlArrival(target, mfa=second_step)
    return SamlArrival(target, pair=pair)


def _trial(
    cmd: FinishSaml,
    flight: Flight,
    *,
    connections: Connections,
    sp: SamlServiceProvider,
    spent: SpentAssertions,
    orgs: OrgRepository,
    domains: OrgDomains,
    links: Links,
) -> TrialSignIn:
    """A test sign-in's answer, checked as any (and its assertion id spent), read through the
    connection's mapping, with what a sign-in would do; it makes nothing: no account, no
    membership, no link, no session. The setup link must still open the connection."""
    _trial_connection(flight.trial_link, connections, links.clock.now())
    connection, assertion = checked_assertion(
        SamlAnswer(cmd.connection_id, cmd.response, flight.request_id, trial=True),
        connections=connections,
        sp=sp,
        spent=spent,
    )
    if not assertion.name_id:
        raise Unauthenticated("The answer names nobody.", code="saml_invalid")
    person = asserted(connection, assertion)
    email = _address(person.email)
    verified = _on_verified_domain(email, connection.org_id, domains)
    holder = links.identities.find_by_identity(identity_provider(connection.id), assertion.name_id)
    if holder is not None:
        outcome = TrialOutcome.LINKED
    elif email is None:
        outcome = TrialOutcome.NO_ADDRESS
    elif not verified:
        outcome = TrialOutcome.UNPROVEN
    else:
        holder = links.users.find_by_login(Email(email).normalized)
        outcome = TrialOutcome.LINKS_ACCOUNT if holder is not None else TrialOutcome.NEW_ACCOUNT
    joins = verified and (holder is None or orgs.membership(connection.org_id, holder.id) is None)
    return TrialSignIn(
        connection_id=connection.id,
        setup_token=flight.trial_link,
        subject=assertion.name_id,
        attributes=assertion.attributes,
        person=person,
        email=email,
        verified_domain=verified,
        outcome=outcome,
        joins=joins,
    )


@dataclass(frozen=True)
class SamlSignInServices:
    start: Callable[[StartSaml], SamlDeparture]
    finish: Callable[[FinishSaml], SamlArrival]
