"""``clients create``, ``list`` and ``delete``: the apps that sign in with firegate, the
OpenID provider's clients; ``resources add``, ``list``, ``remove``, ``allow`` and
``disallow``: the API resources their tokens may be for, with their own scopes, and the
organizations whose own apps they allow."""

from __future__ import annotations

import json
from typing import Any

import click
from flask.cli import ScriptInfo, with_appcontext

from application.clients.api_resources import AddResource, AllowOrg, RemoveResource, ScopeText
from application.clients.clients import CreateClient, DeleteClient, OperatorOrgClient
from application.clients.services import ClientServices
from domain.clients.api_resources import ApiResource
from domain.clients.oauth import OPT_IN_GRANTS, SCOPES, OAuthClient
from domain.errors import DomainError, InvalidInput
from interfaces.cli import CLIENT_FLAGS, ClientFlag
from interfaces.cli.acting import fail
from interfaces.shared.acting import filled_here
from interfaces.shared.services import services


def _client_json(client: OAuthClient) -> dict[str, object]:
    return {
        "client_id": client.client_id,
        "name": client.name,
        "redirect_uris": list(client.redirect_uris),
        "confidential": client.confidential,
        "scopes": list(client.scopes),
        "post_logout_redirect_uris": list(client.post_logout_redirect_uris),
        "resources": list(client.resources),
        "grants": list(client.grants),
        **({"org_id": client.org_id, "members_only": client.members_only} if client.org_id else {}),
        "dpop_bound_access_tokens": client.dpop_bound_access_tokens,
        "pkce": "required" if client.pkce_required else "optional",
        "resource_scopes": list(client.resource_scopes),
        "require_pushed_authorization_requests": client.par_required,
        "agent": client.agent,
        "token_endpoint_auth_method": client.auth_method,
        **({"jwks_uri": client.jwks_uri} if client.jwks_uri else {}),
        "backchannel_logout_uri": client.backchannel_logout_uri,
        "backchannel_logout_session_required": client.backchannel_logout_session_required,
        "ios_apps": list(client.ios_apps),
        "android_apps": [
            {
                "package_name": app.package_name,
                "sha256_cert_fingerprint": app.sha256_cert_fingerprint,
            }
            for app in client.android_apps
        ],
        "created_at": client.created_at.isoformat(),
    }


def _flags(ctx: click.Context) -> tuple[ClientFlag, ...]:
    """The units' flags of ``clients create`` (``CLIENT_FLAGS``), of the app it runs on."""
    info = ctx.find_object(ScriptInfo)
    if info is None:
        return ()
    with info.load_app().app_context():
        return filled_here(CLIENT_FLAGS)


def _flag_key(flag: ClientFlag) -> str:
    return "unit_flag_" + flag.name.replace("-", "_")


class _CreateCommand(click.Command):
    """``clients create``, with the running units' flags after its own."""

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        flags = [
            click.Option([f"--{flag.name}", _flag_key(flag)], is_flag=True, help=flag.help)
            for flag in _flags(ctx)
        ]
        return [*super().get_params(ctx), *flags]


@click.command("create", cls=_CreateCommand)
@with_appcontext
@click.option("--name", required=True, help="The app's name, shown on the consent page.")
@click.option("--redirect-uri", "redirect_uris", multiple=True, required=True)
@click.option("--post-logout-redirect-uri", "logout_uris", multiple=True)
@click.option("--confidential", is_flag=True, help="A server-side app that keeps a secret.")
@click.option("--scope", "scopes", multiple=True, type=click.Choice(SCOPES))
@click.option(
    "--resource",
    "resources",
    multiple=True,
    help="A resource (RFC 8707) its tokens may be for; without any: every resource.",
)
@click.option(
    "--grant",
    "grants",
    multiple=True,
    type=click.Choice(tuple(OPT_IN_GRANTS)),
    help="A grant it may use beyond the default ones: device_code (RFC 8628), "
    "token_exchange (RFC 8693, confidential clients).",
)
@click.option(
    "--dpop-required",
    "dpop_required",
    is_flag=True,
    help="Its tokens are always DPoP-bound (RFC 9449): a token request without a proof, or "
    "a proof without the server's nonce, is refused.",
)
@click.option(
    "--pkce",
    type=click.Choice(("required", "optional")),
    default="required",
    show_default=True,
    help="Whether each authorization request needs PKCE (S256). 'optional' only for a "
    "confidential client (RFC 9700 §2.1.1), e.g. the OpenID conformance suite's.",
)
@click.option(
    "--resource-scope",
    "resource_scopes",
    multiple=True,
    help="A registered API resource's scope it may ask for, at that resource ('resources add').",
)
@click.option(
    "--require-par",
    "require_par",
    is_flag=True,
    help="Its authorization requests must be pushed to /oauth/par first (RFC 9126): one "
    "sent in the browser's URL is refused.",
)
@click.option(
    "--agent",
    is_flag=True,
    help="An agent: its access tokens may be the actor_token of a token exchange, and it "
    "is named in the act chain of the tokens made for the person it acts for.",
)
@click.option(
    "--jwks",
    help="Its public keys, a JWK Set as JSON: it authenticates with private_key_jwt "
    "(RFC 7523) instead of a secret, and gets none.",
)
@click.option(
    "--jwks-uri",
    "jwks_uri",
    help="Where it publishes its public keys (https), for private_key_jwt instead of --jwks.",
)
@click.option(
    "--backchannel-logout-uri",
    help="Where a logout token is posted when a session the app holds a grant of ends "
    "(OpenID Connect Back-Channel Logout 1.0).",
)
@click.option(
    "--backchannel-logout-session-required",
    "session_required",
    is_flag=True,
    help="Each logout token names the session (sid).",
)
@click.option(
    "--org",
    help="The organization (id or slug) the app belongs to: an org's app, whose --grant "
    "the operator allows; its resources only those that allow the org ('resources allow').",
)
@click.option(
    "--open-to-all",
    is_flag=True,
    help="With --org: anyone with an account may sign in to the app, not only the org's "
    "members (the default).",
)
@click.option(
    "--ios-app",
    "ios_apps",
    multiple=True,
    help="An iOS app of the client, as TEAMID.bundle.id (its App ID): the association file "
    "names it for its links and passwords, and its passkeys count (repeatable).",
)
@click.option(
    "--android-app",
    "android_apps",
    multiple=True,
    help="An Android app of the client, as package:SHA256-fingerprint (its signing "
    "certificate's, hex with or without colons): assetlinks.json names it, and its "
    "passkeys count (repeatable).",
)
def create_client(  # click passes each option by its name
    *,
    name: str,
    redirect_uris: tuple[str, ...],
    logout_uris: tuple[str, ...],
    confidential: bool,
    scopes: tuple[str, ...],
    resources: tuple[str, ...],
    grants: tuple[str, ...],
    dpop_required: bool,
    pkce: str,
    resource_scopes: tuple[str, ...],
    require_par: bool,
    agent: bool,
    jwks: str | None,
    jwks_uri: str | None,
    backchannel_logout_uri: str | None,
    session_required: bool,
    org: str | None,
    open_to_all: bool,
    ios_apps: tuple[str, ...],
    android_apps: tuple[str, ...],
    **flags: Any,  # the units' (``CLIENT_FLAGS``)
) -> None:
    """Register an app; prints it as one line of JSON, with its client_secret (shown once)."""
    client = CreateClient(
        name,
        redirect_uris,
        confidential,
        scopes,
        logout_uris,
        resources=resources,
        grants=grants,
        dpop_bound_access_tokens=dpop_required,
        pkce_required=pkce == "required",
        resource_scopes=resource_scopes,
        par_required=require_par,
        agent=agent,
        jwks=jwks,
        jwks_uri=jwks_uri,
        backchannel_logout_uri=backchannel_logout_uri,
        backchannel_logout_session_required=session_required,
        operator_made=True,
        members_only=not open_to_all,
        ios_apps=ios_apps,
        android_apps=android_apps,
    )
    registry = services().of(ClientServices).clients
    try:
        if org is not None:
            created = registry.create_operator_org_client(OperatorOrgClient(org, client))
        else:
            created = registry.create_client(client)
    except DomainError as exc:
        fail(exc)
    else:
        out = _client_json(created.client)
        if created.client_secret is not None:
            out["client_secret"] = created.client_secret
        try:
            for flag in filled_here(CLIENT_FLAGS):
                if flags.get(_flag_key(flag)):
                    out.update(flag.made(created.client.client_id))
        except DomainError as exc:
            click.echo(json.dumps(out))
            fail(exc)
        click.echo(json.dumps(out))


@click.command("list")
@with_appcontext
def list_clients() -> None:
    """Every registered app, as a JSON array (never a secret)."""
    click.echo(
        json.dumps([_client_json(c) for c in services().of(ClientServices).clients.list_clients()])
    )


@click.command("delete")
@with_appcontext
@click.argument("client_id")
def delete_client(client_id: str) -> None:
    """Remove the app: its tokens stop working at once."""
    try:
        services().of(ClientServices).clients.delete_client(DeleteClient(client_id))
    except DomainError as exc:
        fail(exc)
    else:
        click.echo(json.dumps({"deleted": client_id}))


COMMANDS = (create_client, list_clients, delete_client)  # of ``clients``


def resource_json(resource: ApiResource) -> dict[str, object]:
    return {
        "uri": resource.uri,
        "scopes": resource.fields(),
        "orgs": list(resource.orgs),
        "created_at": resource.created_at.isoformat(),
        **({"issuer": resource.issuer} if resource.issuer is not None else {}),
        **({"min_acr": resource.min_acr} if resource.min_acr is not None else {}),
    }


def _scope_texts(
    scopes: tuple[str, ...],
    described: tuple[tuple[str, str], ...],
    described_es: tuple[tuple[str, str], ...],
) -> tuple[ScopeText, ...]:
    english, spanish = dict(described), dict(described_es)
    stray = [name for name in (*english, *spanish) if name not in scopes]
    if stray:
        raise InvalidInput.field(
            "description", f"'{stray[0]}' is described but not a --scope.", "invalid_scope"
        )
    return tuple(ScopeText(name, english.get(name, ""), spanish.get(name)) for name in scopes)


@click.command("add")
@with_appcontext
@click.argument("uri")
@click.option("--scope", "scopes", multiple=True, required=True, help="A scope of the API.")
@click.option(
    "--description",
    "described",
    multiple=True,
    type=(str, str),
    metavar="SCOPE TEXT",
    help="What the scope lets an app do, shown on the consent page (every scope has one).",
)
@click.option(
    "--description-es",
    "described_es",
    multiple=True,
    type=(str, str),
    metavar="SCOPE TEXT",
    help="The same in Spanish (else the English one is shown).",
)
@click.option(
    "--issuer",
    default=None,
    help="The issuer of the authorization server that serves the API, where that is not "
    "firegate: the audience of the ID-JAGs minted for it.",
)
@click.option(
    "--min-acr",
    default=None,
    help="The weakest sign-in a person's token for it needs: urn:firegate:acr:pwd, "
    "urn:firegate:acr:mfa or urn:firegate:acr:phr (docs/reference/acr.md).",
)
def add_resource(  # noqa: PLR0917 - click passes each option by its name
    uri: str,
    scopes: tuple[str, ...],
    described: tuple[tuple[str, str], ...],
    described_es: tuple[tuple[str, str], ...],
    issuer: str | None,
    min_acr: str | None,
) -> None:
    """Register an API resource (its URI: the RFC 8707 resource and its tokens' aud)."""
    try:
        texts = _scope_texts(scopes, described, described_es)
        added = (
            services()
            .of(ClientServices)
            .resources.add_resource(AddResource(uri, texts, issuer=issuer, min_acr=min_acr))
        )
    except DomainError as exc:
        fail(exc)
    else:
        click.echo(json.dumps(resource_json(added)))


@click.command("list")
@with_appcontext
def list_resources() -> None:
    """Every registered API resource, as a JSON array."""
    click.echo(
        json.dumps(
            [resource_json(r) for r in services().of(ClientServices).resources.list_resources()]
        )
    )


@click.command("remove")
@with_appcontext
@click.argument("uri")
def remove_resource(uri: str) -> None:
    """Remove an API resource: no new token carries its scopes."""
    try:
        services().of(ClientServices).resources.remove_resource(RemoveResource(uri))
    except DomainError as exc:
        fail(exc)
    else:
        click.echo(json.dumps({"removed": uri}))


def _allow(uri: str, org: str, allowed: bool) -> None:
    try:
        changed = services().of(ClientServices).resources.allow_org(AllowOrg(uri, org, allowed))
    except DomainError as exc:
        fail(exc)
    else:
        click.echo(json.dumps(resource_json(changed)))


@click.command("allow")
@with_appcontext
@click.argument("uri")
@click.argument("org")
def allow_org(uri: str, org: str) -> None:
    """Let the organization ORG's own apps (id or slug) have tokens for the API resource
    URI and be allowed its scopes."""
    _allow(uri, org, True)


@click.command("disallow")
@with_appcontext
@click.argument("uri")
@click.argument("org")
def disallow_org(uri: str, org: str) -> None:
    """End what ``resources allow`` let ORG's apps have of URI: their next token requests
    for it are refused."""
    _allow(uri, org, False)


RESOURCE_COMMANDS = (add_resource, list_resources, remove_resource, allow_org, disallow_org)
