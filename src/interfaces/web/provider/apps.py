"""Apps and tokens, a section of the account area (docs/pages.md, "The account area"): the
apps signed in with the account, which it may revoke, and its personal access tokens. The
web adapter's composition hands it to the area (interfaces/web/accounts/account.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Response

from application.pagination import MAX_LIMIT
from application.provider.apps import ListApps, RevokeApp
from application.provider.services import ProviderServices
from application.signin.authentication import Actor
from application.signin.personal_tokens import CreateToken, ListTokens, RevokeToken
from application.signin.services import SigninServices
from domain.errors import InvalidInput
from interfaces.shared.services import services
from interfaces.web.accounts.account import (
    Section,
    account_form,
    done,
    header,
    section_page,
    signed_in,
)
from interfaces.web.forms import field, fields
from interfaces.web.rendering import bp


def _apps(actor: Actor) -> dict[str, object]:
    tokens = services().of(SigninServices).personal_tokens.list(ListTokens(actor, MAX_LIMIT)).items
    return {
        **header(actor),
        "apps": services().of(ProviderServices).apps.list_apps(ListApps(actor)),
        "tokens": tokens,
        "now": datetime.now(UTC),
    }


APPS = Section("/account/apps", "accounts/account_apps.html", _apps)


@bp.post("/account/apps/revoke")
@signed_in
@account_form("apps", APPS)
def revoke_app(actor: Actor) -> Response:
    services().of(ProviderServices).apps.revoke_app(RevokeApp(actor, field("client_id")))
    return done("app", APPS)


@bp.post("/account/tokens")
@signed_in
@account_form("token-create", APPS, renamed={"scopes": "scope"})
def create_token(actor: Actor) -> Response:
    name, scope = fields("name", "scope")
    expires_in = field("expires_in")
    if not expires_in.isdigit():
        raise InvalidInput.field("expires_in", "Choose when it expires.", "invalid_expires_in")
    scopes = ("read", "write") if scope == "write" else (scope,)
    created = (
        services()
        .of(SigninServices)
        .personal_tokens.create(CreateToken(actor, name, scopes, int(expires_in)))
    )
    # Shown in this answer only: the page never shows the token again.
    return section_page(actor, APPS, created=created)


@bp.post("/account/tokens/revoke")
@signed_in
@account_form("token-revoke", APPS)
def revoke_token(actor: Actor) -> Response:
    services().of(SigninServices).personal_tokens.revoke(RevokeToken(actor, field("token_id")))
    return done("token-revoked", APPS)
