"""Signing in through an org's SAML connection (docs/reference/sso.md, "Signing in";
docs/decisions/0389-who-a-connection-signs-in.md).

A browser starts at ``/sso/{connection}/saml``: it is sent to the IdP with a signed request
and keeps a sealed flight (the request's id, where to go next). The IdP posts its answer to
the ACS; the answer is checked (``checked_assertion``), the person it names is found or made
by the linking rules of every identity provider (``application/federation/linking.py``),
with one difference: an address on one of the org's **verified** domains is proven by the
connection, so an account that proved it is linked (its owner is told, as of every new way
in) and a new person gets an account and a membership with the roles their groups map to.
An address on any other domain proves nothing and joins no org.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from application.federation.linking import ExternalSignIn, Links, linked_account, sign_in_external
from application.federation.upstream import with_devices
from application.orgs.domains import OrgDomains, org_for_domain
from application.orgs.ports import OrgRepository
from application.ports import Audit, AuditEvent, Clock, ExternalIdentity, SecretBox
from application.signin.sessions import SignIn
from application.signin.tokens import TokenPair
from application.sso.ports import Connections, SamlAssertion, SamlServiceProvider, SpentAssertions
from application.sso.saml import SamlAnswer, checked_assertion, saml_connection
from domain.accounts.users import Email, User
from domain.errors import Conflict, DomainError, InvalidInput, MfaRequired, Unauthenticated
from domain.federation.identities import WayIn, linked_to
from domain.orgs.orgs import OrgRole
from domain.signin.devices import DevicePolicy
from domain.sso.connections import Connection, is_connection_id, no_such_connection

FLIGHT_TTL = timedelta(minutes=10)
_FLIGHT = "sso-saml"
MAX_NAME = 200
_PROVIDER_PREFIX = "sso-"


def identity_provider(connection_id: str) -> str:
    """The provider an SSO identity is linked under: the connection, whose NameIDs are its
    own (a provider's id has no colon: ``WayIn`` keys are ``provider:subject``)."""
    return f"{_PROVIDER_PREFIX}{connection_id}"


def connection_of(provider: str | None) -> str | None:
    """The connection an identity provider's name (``identity_provider``) stands for; None
    for any other provider."""
    if provider is None or not provider.startswith(_PROVIDER_PREFIX):
        return None
    connection_id = provider.removeprefix(_PROVIDER_PREFIX)
    return connection_id if is_connection_id(connection_id) else None


@dataclass(frozen=True)
class StartSaml:
    connection_id: str
    next: str  # where the person goes once signed in (a path of this site, checked by the page)


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


@dataclass(frozen=True)
class SamlArrival:
    next: str
    pair: TokenPair | None = None
    mfa: MfaRequired | None = None


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
    """To the active connection's IdP (404 ``connection_not_found`` otherwise)."""
    connection = saml_connection(cmd.connection_id, connections, active=True)
    login = sp.login(connection, relay_state="")
    sealed = box.seal(
        json.dumps(
            {
                "is": _FLIGHT,
                "connection": connection.id,
                "request": login.request_id,
                "next": cmd.next,
                "at": clock.now().isoformat(),
            }
        )
    )
    return SamlDeparture(login.url, sealed)


def _flight(cmd: FinishSaml, box: SecretBox, now: datetime) -> tuple[str | None, str | None]:
    """(the request id, next) of this browser's flight to this connection, if it has a fresh
    one; (None, None) otherwise: then only an IdP-initiated answer can be taken."""
    try:
        data = json.loads(box.open(cmd.flight)) if cmd.flight else None
    except (DomainError, ValueError):  # altered, foreign, or sealed by another key
        data = None
    if (
        not isinstance(data, dict)
        or data.get("is") != _FLIGHT
        or not hmac.compare_digest(str(data.get("connection", "")), cmd.connection_id)
    ):
        return None, None
    try:
        started = datetime.fromisoformat(str(data["at"]))
    except (KeyError, ValueError):
        return None, None
    if now - started > FLIGHT_TTL:
        return None, None
    return str(data.get("request") or "") or None, str(data.get("next") or "") or None


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
    request_id, next_page = _flight(cmd, box, links.clock.now())
    connection, assertion = checked_assertion(
        SamlAnswer(cmd.connection_id, cmd.response, request_id),
        connections=connections,
        sp=sp,
        spent=spent,
    )
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


@dataclass(frozen=True)
class SamlSignInServices:
    start: Callable[[StartSaml], SamlDeparture]
    finish: Callable[[FinishSaml], SamlArrival]
