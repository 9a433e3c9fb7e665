"""Home-realm discovery: which org's single sign-on an address belongs to, by its domain
alone (docs/reference/sso.md, "Home-realm discovery";
docs/decisions/0393-home-realm-discovery.md).

An address on a verified domain (``org_for_domain``: one read) of a live org with an active
connection is sent to that connection's start; any other address signs in as usual. Nothing
here reads an account: the answer is the same for every address of a domain, so it tells
which domains have single sign-on, never which addresses have accounts.

Whether any org has single sign-on at all decides what the sign-in page asks first; it is
one indexed read, remembered by the process for ``PRESENCE_TTL``, never a read per page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from application.orgs.joining.domains import OrgDomains, domain_or_none
from application.orgs.ports import OrgRepository
from application.ports import Clock
from application.remembered import Remembered
from application.sso.ports import Connections
from domain.orgs.orgs import Org
from domain.sso.connections import Connection

PRESENCE_TTL = timedelta(seconds=30)


@dataclass(frozen=True)
class SignInStart:
    """The connection an org's people sign in with, of its org, and its start: ``path`` on
    this site (``/sso/{id}/saml`` or ``/sso/{id}/oidc``), ``url`` under PUBLIC_URL."""

    org: Org
    connection: Connection
    path: str
    url: str


@dataclass(frozen=True)
class Discovered(SignInStart):
    """The start an address signs in at, found by its domain: ``domain`` the org's verified
    domain it was found by, exactly (its A-labels), so a person tells it from a look-alike
    another org verified."""

    domain: str


def start_path(connection: Connection) -> str:
    return f"/sso/{connection.id}/{connection.kind.value}"


def signing_in_connection(org_id: str, *, connections: Connections) -> Connection | None:
    """The connection the org's people sign in with: its oldest active one (an org that
    runs two, while it moves from one IdP to another, names the new one by switching the
    old one off)."""
    return next((c for c in connections.list_for(org_id) if c.active), None)


@dataclass(frozen=True, kw_only=True, slots=True)
class ConnectionReadiness:
    """Whether an org has an active connection (``SsoReadiness``): its owners may then
    require its single sign-on."""

    connections: Connections

    def __call__(self, org_id: str) -> bool:
        return signing_in_connection(org_id, connections=self.connections) is not None


@dataclass(frozen=True, kw_only=True, slots=True)
class HomeRealmDiscovery:
    """Which connection an address signs in with, and whether any org has single sign-on.

    An address's connection by the org's verified ``domains``; its start under
    ``public_url``."""

    domains: OrgDomains
    orgs: OrgRepository
    connections: Connections
    public_url: str
    presence: SsoPresence

    def discover(self, email: str) -> Discovered | None:
        """The connection an address on a verified domain signs in with; None for any other
        address (or text that is no address: the part after its last ``@`` names no
        domain)."""
        _, at, typed = email.strip().rpartition("@")
        domain = domain_or_none(typed) if at else None
        org_id = self.domains.holder(domain) if domain is not None else None
        if domain is None or org_id is None:
            return None
        start = self.of_org(org_id)
        if start is None:
            return None
        return Discovered(start.org, start.connection, start.path, start.url, domain)

    def of_org(self, org_id: str) -> SignInStart | None:
        """Where the org's people start signing in: its active connection's start, as an
        address on one of its verified domains is sent to (``discover``); None if it has no
        active connection or is deleted (or no such org). For another unit, through
        ``services().of(SsoServices).discovery``."""
        connection = signing_in_connection(org_id, connections=self.connections)
        org = self.orgs.get(org_id) if connection is not None else None
        if connection is None or org is None:  # none active, or the org is deleted
            return None
        path = start_path(connection)
        return SignInStart(org, connection, path, self.public_url.rstrip("/") + path)

    def any_sso(self) -> bool:
        """Whether any org has single sign-on (remembered by the process)."""
        return self.presence()


class SsoPresence:
    """Whether any org has an active connection, asked at most once per ``PRESENCE_TTL`` by
    this process: the sign-in page asks for the address first while one does. An org's
    first connection, or its last switched off, shows on the page within that time."""

    def __init__(
        self, connections: Connections, clock: Clock, ttl: timedelta = PRESENCE_TTL
    ) -> None:
        self.connections = connections
        self.clock = clock
        self.ttl = ttl
        self._known: Remembered[str, bool] = Remembered(1)

    def __call__(self) -> bool:
        now = self.clock.now().timestamp()
        known = self._known.get("any", now)
        if known is None:
            known = self.connections.any_active()
            self._known.put("any", known, now + self.ttl.total_seconds())
        return known

    def activated(self) -> None:
        """A connection was stored active by this process: it knows at once (another
        process within ``ttl``)."""
        now = self.clock.now().timestamp()
        self._known.put("any", True, now + self.ttl.total_seconds())
