"""SCIM's section of an organization's page (docs/pages.md, "Organizations";
docs/provisioning.md): the directory's tokens and the address it provisions at."""

from __future__ import annotations

from flask import Response
from flask_babel import lazy_gettext

from application.pagination import MAX_LIMIT
from application.scim.services import ScimServices
from application.scim.tokens import CreateScimToken, ListScimTokens, RevokeScimToken
from application.signin.authentication import Actor
from domain.orgs.roles import Permission
from interfaces.shared.services import services
from interfaces.web import translated
from interfaces.web.accounts.account import signed_in
from interfaces.web.browser import config
from interfaces.web.forms import field
from interfaces.web.orgs.org import OrgSection, done, org_form
from interfaces.web.rendering import bp


def _scim(actor: Actor, org: str) -> dict[str, object]:
    tokens = services().of(ScimServices).tokens.list(ListScimTokens(actor, org, MAX_LIMIT)).items
    return {"scim_tokens": tokens, "scim_url": config().public_url.rstrip("/") + "/scim/v2"}


SCIM = OrgSection(
    "scim", "orgs/org_scim.html", _scim, lazy_gettext("Provisioning"), Permission.MANAGE_ORG
)


@bp.post("/account/orgs/<org>/scim/tokens")
@signed_in
@org_form("scim-token", SCIM)
def create_scim_token(actor: Actor, org: str) -> Response:
    created = services().of(ScimServices).tokens.create(CreateScimToken(actor, org, field("name")))
    # Shown in this answer only: the page never shows the token again.
    html = translated.render(SCIM.template, form={}, created=created, **SCIM.shown(actor, org))
    return Response(html, headers={"Cache-Control": "no-store"})


@bp.post("/account/orgs/<org>/scim/tokens/<token_id>/revoke")
@signed_in
@org_form("scim-tokens", SCIM)
def revoke_scim_token(actor: Actor, org: str, token_id: str) -> Response:
    services().of(ScimServices).tokens.revoke(RevokeScimToken(actor, org, token_id))
    return done("scim-token-revoked", SCIM, org)
