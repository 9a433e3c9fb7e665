"""Single sign-on's section of an organization's page (docs/pages.md, "Organizations";
docs/reference/sso.md): the connections, their setup links, and the org's sign-on policy;
each connection's own view (its identity provider's values, the mapping, the addresses to
give the IdP and the org's people), where it is renamed, allowed IdP-initiated sign-in,
tried by a test sign-in (docs/decisions/0469-the-admins-test-sign-in.md), or deleted once
confirmed."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from urllib.parse import quote

from cryptography import x509
from flask import Response, request
from flask_babel import lazy_gettext

from application.orgs.orgs import GetOrg, UpdateOrg
from application.orgs.services import OrgServices
from application.signin.authentication import Actor
from application.sso.arrival import StartSso
from application.sso.connections import ConnectionRequest
from application.sso.services import SsoServices
from application.sso.setup import MakeSetupLink
from domain.orgs.roles import Permission
from domain.sso.connections import Connection, ConnectionKind, IdpCertificate, SpAddresses
from interfaces.shared.services import services
from interfaces.web import browser, translated
from interfaces.web.accounts.account import signed_in
from interfaces.web.forms import field, form_errors
from interfaces.web.orgs.org import OrgSection, done, org_form
from interfaces.web.rendering import bp, page, see_other
from interfaces.web.sso.setup import roles_text


def _sso(actor: Actor, org: str) -> dict[str, object]:
    request_of = ConnectionRequest(actor, org)
    links = {
        seen.connection.id: seen.link for seen in services().of(SsoServices).setup.list(request_of)
    }
    return {
        "connections": services().of(SsoServices).connections.list(request_of),
        "setup_links": links,
    }


SSO = OrgSection(
    "sso", "orgs/org_sso.html", _sso, lazy_gettext("Single sign-on"), Permission.MANAGE_ORG
)


NEW_CONNECTION = {"new-saml": "saml", "new-oidc": "oidc"}


@bp.post("/account/orgs/<org>/sso/setup-links")
@signed_in
@org_form("setup-link", SSO)
def make_sso_setup_link(actor: Actor, org: str) -> Response:
    """A setup link for a connection or a new one, shown on this answer alone (only its
    hash is kept)."""
    chosen = field("connection")
    kind = NEW_CONNECTION.get(chosen)
    made = (
        services()
        .of(SsoServices)
        .setup.make(MakeSetupLink(actor, org, None if kind else chosen, kind))
    )
    html = translated.render(SSO.template, form={}, made=made, **SSO.shown(actor, org))
    return Response(html, status=201)


@bp.post("/account/orgs/<org>/sso/<connection_id>/status")
@signed_in
@org_form("connections", SSO)
def change_sso_connection_status(actor: Actor, org: str, connection_id: str) -> Response:
    """Activate (when complete) or switch off a connection."""
    status = field("status")
    changes = {"status": status}
    services().of(SsoServices).connections.update(
        ConnectionRequest(actor, org, connection_id, changes)
    )
    return done("connection-" + status, SSO, org)


@bp.post("/account/orgs/<org>/sso/policy")
@signed_in
@org_form("sso-policy", SSO)
def save_sso_policy(actor: Actor, org: str) -> Response:
    """As PATCH /orgs/{org} with ``require_sso`` and ``sso_break_glass``, for owners: the
    owner who saves keeps or gives up their own break-glass place; the others' stay."""
    current = services().of(OrgServices).orgs.get(GetOrg(actor, org)).org
    others = [user_id for user_id in current.sso_break_glass if user_id != actor.user_id]
    keep_me = request.form.get("break_glass") == "true"
    typed: dict[str, object] = {
        "require_sso": request.form.get("require_sso") == "true",
        "sso_break_glass": [*others, actor.user_id] if keep_me else others,
    }
    now: Mapping[str, object] = {
        "require_sso": current.require_sso,
        "sso_break_glass": list(current.sso_break_glass),
    }
    changes = tuple((name, value) for name, value in typed.items() if value != now[name])
    if changes:  # nothing to change: nothing sent, no event
        services().of(OrgServices).orgs.update(UpdateOrg(actor, org, changes))
    return done("sso-policy", SSO, current.slug.value)


# -- one connection


def certificate_subject(certificate: IdpCertificate) -> str:
    """Whom the IdP's certificate names, as RFC 4514 writes it ("" if it cannot be read)."""
    try:
        der = base64.b64decode(certificate.der, validate=True)
        return x509.load_der_x509_certificate(der).subject.rfc4514_string()
    except (ValueError, binascii.Error):
        return ""


def _sign_in_url(connection: Connection, sp: SpAddresses) -> str:
    """Where the org's people start a sign-in through the connection: /sso/{id}/saml or
    /sso/{id}/oidc (docs/reference/sso.md, "Signing in")."""
    if connection.kind is ConnectionKind.SAML:
        return sp.acs_url.removesuffix("/acs")
    return sp.redirect_uri.removesuffix("/callback")


def _connection(actor: Actor, org: str, connection_id: str) -> dict[str, object]:
    """The section with one connection's view (404 ``connection_not_found`` for none of the
    org's); never its client secret."""
    shown = SSO.shown(actor, org)
    connection = (
        services().of(SsoServices).connections.get(ConnectionRequest(actor, org, connection_id))
    )
    sp = services().of(SsoServices).connections.addresses(connection.id)
    certificates = [
        {"subject": certificate_subject(c), "not_after": c.not_after, "fingerprint": c.fingerprint}
        for c in connection.saml.certificates
    ]
    return {
        **shown,
        "detail": connection,
        "sp": sp,
        "sign_in_url": _sign_in_url(connection, sp),
        "certificates": certificates,
        "roles_text": roles_text(dict(connection.mapping.roles)),
        # Test sign-in runs on the draft, if one is saved (as the setup link's does)
        "testable": not connection.drafted().missing(),
    }


def _connection_page(actor: Actor, org: str, connection_id: str, **more: object) -> Response:
    shown = _connection(actor, org, connection_id)
    return Response(translated.render(SSO.template, form={}, **shown, **more))


def _connection_done(what: str, org: str, connection_id: str) -> Response:
    return see_other(f"{SSO.path(quote(org))}/{quote(connection_id)}?done={what}")


@bp.get("/account/orgs/<org>/sso/<connection_id>")
@signed_in
def sso_connection(actor: Actor, org: str, connection_id: str) -> Response:
    """One connection: its IdP's values, the mapping, firegate's addresses, its forms."""
    return _connection_page(actor, org, connection_id)


@bp.post("/account/orgs/<org>/sso/<connection_id>/name")
@signed_in
@form_errors(SSO.template, form_id="connection-name", shown=_connection)
def rename_sso_connection(actor: Actor, org: str, connection_id: str) -> Response:
    """As PATCH /orgs/{org}/connections/{id} with ``name`` (admins)."""
    changes = {"name": field("name")}
    services().of(SsoServices).connections.update(
        ConnectionRequest(actor, org, connection_id, changes)
    )
    return _connection_done("connection-renamed", org, connection_id)


@bp.post("/account/orgs/<org>/sso/<connection_id>/idp-initiated")
@signed_in
@form_errors(SSO.template, form_id="idp-initiated", shown=_connection)
def allow_idp_initiated(actor: Actor, org: str, connection_id: str) -> Response:
    """As PATCH with ``saml.allow_idp_initiated`` (owners: it is the IdP's side): whether a
    sign-in begun at the IdP (an Okta or Entra tile) is accepted."""
    allow = request.form.get("allow_idp_initiated") == "true"
    changes = {"saml": {"allow_idp_initiated": allow}}
    services().of(SsoServices).connections.update(
        ConnectionRequest(actor, org, connection_id, changes)
    )
    return _connection_done("idp-initiated-" + ("on" if allow else "off"), org, connection_id)


@bp.get("/account/orgs/<org>/sso/<connection_id>/delete")
@signed_in
def confirm_sso_connection_deletion(actor: Actor, org: str, connection_id: str) -> Response:
    """The question before a connection is deleted: nobody signs in with it any more."""
    return _connection_page(actor, org, connection_id, deleting=True)


@bp.post("/account/orgs/<org>/sso/<connection_id>/delete")
@signed_in
@form_errors(SSO.template, form_id="connection-delete", shown=_connection)
def delete_sso_connection(actor: Actor, org: str, connection_id: str) -> Response:
    """As DELETE /orgs/{org}/connections/{id} (admins)."""
    services().of(SsoServices).connections.delete(ConnectionRequest(actor, org, connection_id))
    return done("connection-deleted", SSO, org)


@bp.post("/account/orgs/<org>/sso/<connection_id>/test")
@signed_in
@form_errors(SSO.template, form_id="connection-test", shown=_connection)
def test_sso_connection(actor: Actor, org: str, connection_id: str) -> Response:
    """An admin's test sign-in: to the IdP with a flight bound to the admin and the org; the
    answer is shown, nothing made (docs/reference/sso.md, "Test sign-in"). A page that goes
    on by itself, not a redirect: the pages' CSP (``form-action 'self'``) holds for the
    redirects a form's submission follows, and the IdP is another site."""
    connection = (
        services().of(SsoServices).connections.get(ConnectionRequest(actor, org, connection_id))
    )
    view = f"{SSO.path(quote(org))}/{quote(connection_id)}"
    start = StartSso(connection.id, view, tried_by=actor, org=org)
    if connection.kind is ConnectionKind.OIDC:
        departure = services().of(SsoServices).oidc_signin.start(start)
        response = _on_to_the_idp(departure.url)
        browser.hold_flight(response, departure.flight, form_post=departure.form_post)
    else:
        saml = services().of(SsoServices).saml_signin.start(start)
        response = _on_to_the_idp(saml.url)
        browser.hold_sso_flight(response, saml.flight)
    return response


def _on_to_the_idp(url: str) -> Response:
    response = page("sso/test_continue.html", 200, start=url)
    response.headers["Refresh"] = f"0; url={url}"
    return response
