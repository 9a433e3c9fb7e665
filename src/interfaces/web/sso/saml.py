"""SAML single sign-on's addresses (docs/reference/sso.md): the service provider's metadata
of a connection, which the customer's IT admin loads into their IdP; the start of a sign-in,
which sends the browser to the IdP holding a sealed flight; the ACS, where the IdP posts its
answer and the person is signed in (or asked for their second factor) and sent on."""

from __future__ import annotations

from flask import Response, after_this_request, redirect, request

from application.sso.arrival import SignInPreview, StartSso
from application.sso.services import SsoServices
from application.sso.signin.saml import FinishSaml
from interfaces.shared.limits import client_ip
from interfaces.shared.services import services
from interfaces.web import browser
from interfaces.web.federation.upstream import arrived
from interfaces.web.forms import safe_next
from interfaces.web.rendering import bp, page

SAML_RESPONSE_MAX = 512 * 1024  # an answer with a few certificates and attributes is ~20 KB

METADATA_TYPE = "application/samlmetadata+xml"


@bp.get("/sso/<connection_id>/saml/metadata")
def saml_metadata(connection_id: str) -> Response:
    """The metadata, for a SAML connection in any status (404 for none); public, as an
    entity ID's address is. Downloaded, it is named after the connection."""
    xml = services().of(SsoServices).saml.metadata(connection_id)
    response = Response(xml, mimetype=METADATA_TYPE)
    response.headers["Content-Disposition"] = (
        f'inline; filename="firegate-{connection_id}-metadata.xml"'
    )
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/sso/<connection_id>/saml")
def saml_start(connection_id: str) -> Response:
    """To the connection's IdP with a signed request; ``next``: where to go once signed in."""
    departure = (
        services()
        .of(SsoServices)
        .saml_signin.start(
            StartSso(
                connection_id,
                safe_next(request.args.get("next")),
                signed_in_as=browser.signed_in_id(),
            )
        )
    )
    response: Response = redirect(departure.url, 303)  # type: ignore[assignment]
    browser.hold_sso_flight(response, departure.flight)
    return response


@bp.post("/sso/<connection_id>/saml/acs")
def saml_acs(connection_id: str) -> Response:
    """The IdP's answer: signed in and on to ``next``, or to the second step."""
    after_this_request(browser.drop_sso_flight)  # one answer per flight, refused or not
    arrival = (
        services()
        .of(SsoServices)
        .saml_signin.finish(
            FinishSaml(
                connection_id,
                request.form.get("SAMLResponse", "")[:SAML_RESPONSE_MAX],
                browser.sso_flight(),
                user_agent=browser.user_agent(),
                client_ip=client_ip(),
                device_token=browser.device_token(),
                signed_in_as=browser.signed_in_id(),
            )
        )
    )
    if isinstance(arrival, SignInPreview):  # a test: shown, nothing made
        return page("sso/setup_test.html", 200, trial=arrival, back=arrival.next)
    return arrived(arrival)
