"""The page a setup link opens, /sso/setup?token= (docs/reference/sso.md, "Setup links";
docs/pages.md, "Single sign-on setup"): the customer's IT admin, with no account, reads
firegate's side of the connection, configures their identity provider and the mapping of its
attributes, runs a test sign-in and activates the connection; for an active connection, what
it saves is a draft, tested and then applied or discarded
(docs/decisions/0461-sso-drafts-and-apply.md). The link is the credential:
each form carries it back; what the forms change goes through the connections' use cases."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import urlencode

from flask import Response, redirect, request

from application.sso.arrival import StartSso
from application.sso.services import SsoServices
from application.sso.setup import SETUP_PATH, SetupRequest, SetupView
from domain.errors import InvalidInput
from domain.sso.connections import Connection, ConnectionKind
from interfaces.shared.services import services
from interfaces.web import browser
from interfaces.web.federation.upstream import leave
from interfaces.web.forms import field, form_errors
from interfaces.web.rendering import bp, page

TEMPLATE = "sso/setup.html"
METADATA_MAX = 256 * 1024
EXPIRY_WARNING_DAYS = 30  # a certificate this close to its end is flagged (and its admins mailed)
# The page's inputs, by the API field a refusal names.
RENAMED = {
    "saml.metadata_xml": "metadata_xml",
    "saml.metadata_url": "metadata_url",
    "saml": "metadata_url",
    "saml.entity_id": "metadata_xml",
    "saml.sso_url": "metadata_xml",
    "saml.certificates": "metadata_xml",
    "oidc.issuer": "issuer",
    "oidc.client_id": "client_id",
    "oidc.client_secret": "client_secret",
    "oidc.ssf_configuration_url": "ssf_configuration_url",
    "mapping.email": "email",
    "mapping.given_name": "given_name",
    "mapping.family_name": "family_name",
    "mapping.groups": "groups",
    "mapping.roles": "roles",
}


def back_to(token: str) -> str:
    return SETUP_PATH + "?" + urlencode({"token": token})


def roles_text(roles: dict[str, tuple[str, ...]]) -> str:
    return "\n".join(f"{group} = {', '.join(granted)}" for group, granted in roles.items())


def _certificates(connection: Connection, now: datetime) -> list[dict[str, object]]:
    return [
        {
            "not_after": c.not_after,
            "days": (c.not_after - now).days,
            "soon": (c.not_after - now).days < EXPIRY_WARNING_DAYS,
        }
        for c in connection.saml.certificates
    ]


def shown(token: str, seen: SetupView | None = None) -> dict[str, object]:
    """What the page shows of the connection the link opens (400 ``invalid_token`` if none)."""
    seen = seen or services().of(SsoServices).setup.open(SetupRequest(token))
    connection = seen.connection.drafted()  # what is being set up: the draft, if any
    return {
        "token": token,
        "back": back_to(token),
        "org_name": seen.org_name,
        "connection": connection,
        "saml": connection.kind is ConnectionKind.SAML,
        "sp": seen.addresses,
        "roles_text": roles_text(dict(connection.mapping.roles)),
        "certificates": _certificates(connection, datetime.now(UTC)),
        "complete": not connection.missing(),
        "live": seen.connection.active,  # active: saving makes a draft, Apply swaps it in
        "drafted": seen.connection.draft is not None,
    }


def _token() -> str:
    return field("token", required=False)


@bp.get(SETUP_PATH)
def setup_page() -> Response:
    # A link that opens nothing is the error page (400): there is nothing to correct here.
    return page(TEMPLATE, 200, form={}, **shown(request.args.get("token", "")))


def _roles(text: str) -> dict[str, list[str]]:
    """The group → roles lines as typed: ``IT = admin, member``, one group a line."""
    roles: dict[str, list[str]] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        group, equals, granted = line.rpartition("=")
        if not equals or not group.strip():
            raise InvalidInput.field(
                "roles", "One group a line: the group, '=', its roles.", "invalid_role_lines"
            )
        roles[group.strip()] = [r for r in re.split(r"[\s,]+", granted) if r]
    return roles


def _changes(connection: Connection) -> dict[str, object]:
    """The form as the API's PATCH body: the IdP's section (only what was typed) and the
    whole mapping."""
    changes: dict[str, object] = {}
    if connection.kind is ConnectionKind.SAML:
        xml = request.form.get("metadata_xml", "")
        if len(xml) > METADATA_MAX:
            raise InvalidInput.field("metadata_xml", "Too long.", "string_too_long")
        url = field("metadata_url", required=False).strip()
        given = {"metadata_xml": xml} if xml.strip() else {}
        if url:
            given["metadata_url"] = url  # fetched now, once
        if given:
            changes["saml"] = given
    else:
        typed = {
            name: field(name, required=False).strip()
            for name in ("issuer", "client_id", "client_secret")
        }
        given = {name: value for name, value in typed.items() if value}
        if "ssf_configuration_url" in request.form:
            # Shown filled in, so sent as it stands: emptied, the transmitter is removed.
            given["ssf_configuration_url"] = field("ssf_configuration_url", required=False).strip()
        if given:
            changes["oidc"] = given
    changes["mapping"] = {
        "email": field("email", required=False).strip(),
        "given_name": field("given_name", required=False).strip(),
        "family_name": field("family_name", required=False).strip(),
        "groups": field("groups", required=False).strip(),
        "roles": _roles(request.form.get("roles", "")[:METADATA_MAX]),
        # The page does not show the attributes' mapping: it keeps the one the API set.
        "attributes": dict((connection.draft or connection).mapping.attributes),
    }
    return changes


@bp.post(SETUP_PATH)
@form_errors(TEMPLATE, form_id="idp", renamed=RENAMED, shown=lambda: shown(_token()))
def save_setup() -> Response:
    """The identity provider and the mapping saved; the page again, saying so."""
    token = _token()
    setup = services().of(SsoServices).setup
    connection = setup.open(SetupRequest(token)).connection
    seen = setup.set_up(SetupRequest(token, _changes(connection)))
    return page(TEMPLATE, 200, form={}, done="saved", **shown(token, seen))


@bp.post(SETUP_PATH + "/activate")
@form_errors(TEMPLATE, form_id="activate", shown=lambda: shown(_token()))
def activate_setup() -> Response:
    """Activated: the link is spent, so the answer is a page of its own."""
    seen = services().of(SsoServices).setup.set_up(SetupRequest(_token(), {"status": "active"}))
    return page("sso/setup_done.html", 200, org_name=seen.org_name, connection=seen.connection)


def _draft_done(done: str) -> Response:
    """The draft applied or discarded (``done``); the page again, saying so."""
    token = _token()
    setup = services().of(SsoServices).setup
    act = setup.apply if done == "applied" else setup.discard
    return page(TEMPLATE, 200, form={}, done=done, **shown(token, act(SetupRequest(token))))


@bp.post(SETUP_PATH + "/apply")
@form_errors(TEMPLATE, form_id="activate", shown=lambda: shown(_token()))
def apply_setup() -> Response:
    """The draft swapped in: sign-ins use it from then on."""
    return _draft_done("applied")


@bp.post(SETUP_PATH + "/discard")
@form_errors(TEMPLATE, form_id="activate", shown=lambda: shown(_token()))
def discard_setup() -> Response:
    """The draft dropped: the live values are shown again."""
    return _draft_done("discarded")


@bp.get(SETUP_PATH + "/test")
def test_setup() -> Response:
    """A test sign-in: to the IdP with a flight bound to this link; the ACS shows the answer.
    A link, not a form, as the start of a sign-in is: the pages' CSP allows a form to post
    to this site only, redirects included."""
    token = request.args.get("token", "")
    connection_id = token.partition(".")[0]
    if (
        services().of(SsoServices).setup.open(SetupRequest(token)).connection.kind
        is ConnectionKind.OIDC
    ):
        return leave(
            services()
            .of(SsoServices)
            .oidc_signin.start(StartSso(connection_id, back_to(token), trial_link=token))
        )
    departure = (
        services()
        .of(SsoServices)
        .saml_signin.start(StartSso(connection_id, back_to(token), trial_link=token))
    )
    response: Response = redirect(departure.url, 303)  # type: ignore[assignment]
    browser.hold_sso_flight(response, departure.flight)
    return response
