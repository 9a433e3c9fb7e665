"""Signing in through an org's SAML connection (docs/reference/sso.md, "Signing in";
docs/decisions/0389-who-a-connection-signs-in.md).

A browser starts at ``/sso/{connection}/saml``: it is sent to the IdP with a signed request
and keeps a sealed flight (the request's id, where to go next). The IdP posts its answer to
the ACS; the answer is checked (``checked_assertion``), and the person it names gets the
account every connection's sign-in gives (``application/sso/arrival.py``).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from application.federation.upstream import Arrival
from application.ports import Clock, SecretBox
from application.sso.arrival import Arriving, Defaults, SsoAccounts, arrive, asserted
from application.sso.ports import Connections, SamlServiceProvider, SpentAssertions
from application.sso.saml import SamlAnswer, checked_assertion, saml_connection
from domain.errors import DomainError, Unauthenticated

FLIGHT_TTL = timedelta(minutes=10)
_FLIGHT = "sso-saml"
# A SAML IdP's names: the NameID is the address unless the mapping names an attribute.
SAML_DEFAULTS = Defaults(email="", given_name="givenName", family_name="sn")


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


def finish_saml(
    cmd: FinishSaml,
    *,
    connections: Connections,
    sp: SamlServiceProvider,
    spent: SpentAssertions,
    box: SecretBox,
    accounts: SsoAccounts,
) -> Arrival:
    """The person signed in (or asked for their second factor), a member of the org when
    their address is on its verified domains; Unauthenticated ``saml_*`` for an answer
    refused; 404 for a connection that is not active."""
    request_id, next_page = _flight(cmd, box, accounts.links.clock.now())
    connection, assertion = checked_assertion(
        SamlAnswer(cmd.connection_id, cmd.response, request_id),
        connections=connections,
        sp=sp,
        spent=spent,
    )
    if not assertion.name_id:
        raise Unauthenticated("The answer names nobody.", code="saml_invalid")
    person = asserted(connection.mapping, assertion.attributes, SAML_DEFAULTS, assertion.name_id)
    arriving = Arriving(
        connection,
        assertion.name_id,
        person,
        next_page or "",
        user_agent=cmd.user_agent,
        client_ip=cmd.client_ip,
        device_token=cmd.device_token,
    )
    return arrive(arriving, accounts=accounts)


@dataclass(frozen=True)
class SamlSignInServices:
    start: Callable[[StartSaml], SamlDeparture]
    finish: Callable[[FinishSaml], Arrival]
