"""When an authorization request asks more of this browser's sign-in than it has: the class
it asks (``acr_values``, an ``acr`` claim, the ``min_acr`` of the API resource it names),
whether a new sign-in can reach it, and the way to the sign-in page, which then says which
app asks for what (docs/reference/acr.md, docs/pages.md, "Signing in to an app")."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from flask import Response, request

from application.clients.services import ClientServices
from application.provider.claims import SignInAge, SignInClass, StepUp
from application.provider.services import ProviderServices
from application.signin.authentication import Actor
from domain.clients.oauth import OAuthClient
from domain.errors import InvalidInput
from domain.provider.claims_request import asked_acr
from domain.signin.acr import AcrRequest
from interfaces.shared.services import services
from interfaces.web import browser
from interfaces.web.rendering import see_other

# Authlib is imported by the routes that use it, on the first request (routes.py)
if TYPE_CHECKING:
    from authlib.oauth2.rfc6749.errors import OAuth2Error


def app_name(client: OAuthClient) -> str:
    """What the pages call the app: a metadata document's client by the host its document
    was fetched from, the one thing about it this site checked
    (docs/agents-and-clis.md, "Agents with a client metadata document"); any other by its
    name."""
    verified_host = client.vouched_host()
    return verified_host or client.name


def asked_class() -> AcrRequest:
    """The class the request asks: ``acr_values`` or an ``acr`` claim asked, and no less
    than the ``min_acr`` of the API resource it names, whose tokens a weaker sign-in cannot
    have (docs/decisions/0611-a-resources-min-acr-asked-at-the-authorization-endpoint.md). A
    malformed ``claims`` parameter is Authlib's to refuse, and asks nothing here."""
    try:
        values, essential = asked_acr(request.args.get("claims"))
    except InvalidInput:
        return AcrRequest()
    asked = AcrRequest.of(request.args.get("acr_values"), values, essential=essential)
    catalogue = services().of(ClientServices).resources.resource_catalogue()
    resource = catalogue.find(request.args.get("resource"))
    return asked.at_least(resource.min_acr if resource is not None else None)


def step_up(actor: Actor, asked: AcrRequest) -> StepUp:
    """What the class asked needs of this browser's sign-in."""
    return services().of(ProviderServices).accounts.step_up(SignInClass(actor, asked))


# OpenID Connect Core Unmet Authentication Requirements 1.0 §3
UNMET_AUTHENTICATION_REQUIREMENTS = "unmet_authentication_requirements"


def unmet(grant: Any) -> OAuth2Error:
    from authlib.oauth2.rfc6749.errors import OAuth2Error  # noqa: PLC0415 - see above

    return OAuth2Error(
        error=UNMET_AUTHENTICATION_REQUIREMENTS,
        description="The account has no way to sign in that meets the acr asked.",
        redirect_uri=grant.redirect_uri,
        state=request.args.get("state"),
    )


def too_old(actor: Actor) -> bool:
    """``max_age``: the sign-in must be no older (a malformed one asks for a new sign-in)."""
    raw = request.args.get("max_age")
    if raw is None:
        return False
    if not raw.isdigit() or len(raw) > 10:
        return True
    return (
        services().of(ProviderServices).accounts.signed_in_too_long_ago(SignInAge(actor, int(raw)))
    )


def sign_in_again(
    prompts: list[str], stepping_up: browser.StepUpAsked | None = None, username: str = ""
) -> Response:
    """``prompt=login``, a ``max_age`` passed or a class asked above the sign-in's: this
    browser is asked to sign in anew, then comes back (without ``prompt=login`` or
    ``max_age``, which the new sign-in answered: ``max_age=0`` would ask again forever). Its
    session holds until the new sign-in succeeds, which replaces it: a link of any site must
    not sign a person out (docs/decisions/0227-sign-in-again-keeps-the-session.md).
    ``stepping_up``: the person is asked a stronger sign-in by the app, which the page says,
    their ``username`` filled in (docs/decisions/0610-the-step-up-page-names-the-app.md)."""
    args = request.args.to_dict(flat=False)
    args.pop("max_age", None)
    args.pop("id_token_hint", None)  # answered by the new sign-in, whoever it signs in
    kept = [p for p in prompts if p != "login"]
    if kept:
        args["prompt"] = [" ".join(kept)]
    else:
        args.pop("prompt", None)
    back = "/oauth/authorize?" + urlencode(args, doseq=True)
    query = {"next": back, "again": "1", **({"username": username} if username else {})}
    response = see_other("/sign-in?" + urlencode(query))
    if stepping_up is not None:
        browser.hold_step_up(response, back, stepping_up)
    return response
