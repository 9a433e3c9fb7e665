"""Auth hooks: their adapters (where hooks and their calls are kept, the host resolver, and
the pinned client that calls one: a sender of the platform's outbound client), and what is
built on them: the hooks each process keeps, the one caller every kind is asked through, the
hooks as the capabilities above ask them (``before_sign_up``, ``before_token``;
``send_mail`` is mail's, ``bootstrap/mail.py``), and the admins' use cases (docs/hooks.md).

What they need of another capability is named in their builders' signatures
(docs/decisions/0042-wiring-per-feature.md)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from application.accounts.accounts import ProfileSchemaSource
from application.hooks.admin import AuthHooks
from application.hooks.caller import HookCache, HookCaller
from application.hooks.hooked import (
    CredentialsClaimsHook,
    HookTexter,
    SignInCheckHook,
    TokenClaimsHook,
)
from application.hooks.ports import AuthHookStore, HookClient, HookPolicy
from application.hooks.services import HookServices
from application.hooks.sign_up import BeforeSignUp
from application.outbound import HostResolver
from application.ports import SecretBox
from bootstrap.platform import Platform
from bootstrap.unit import Unit
from domain.hooks.auth_hooks import MAX_TIMEOUT_MS
from infrastructure.firestore.hooks.auth_hooks import FirestoreAuthHooks
from infrastructure.outbound_http import SocketHostResolver
from infrastructure.settings import Settings
from interfaces.cli import CommandGroup, Commands

if TYPE_CHECKING:
    import click
    from flask import Blueprint
    from google.cloud.firestore import Client

    from interfaces.web.parts import Pages


@dataclass(frozen=True)
class HooksAdapters:
    auth_hooks: AuthHookStore
    host_resolver: HostResolver
    hook_client: HookClient  # each call cut at its hook's own deadline


def build(client: Client, *, platform: Platform) -> HooksAdapters:
    return HooksAdapters(
        auth_hooks=FirestoreAuthHooks(client),
        host_resolver=SocketHostResolver(),
        hook_client=platform.outbound.sender(MAX_TIMEOUT_MS / 1000),
    )


def hook_policy(settings: Settings) -> HookPolicy:
    """The webhooks' URL rules, and their endpoints' cache time for the hooks' copy (the hooks
    have no setting of their own: WEBHOOK_CACHE_TTL, of the events' group)."""
    return HookPolicy(
        local=settings.service.app_profile == "local",
        cache_ttl=settings.events.webhook_cache_ttl,
    )


def hook_cache(own: HooksAdapters, policy: HookPolicy, *, platform: Platform) -> HookCache:
    """The hooks as each process keeps them, shared by their callers and the admins' use
    cases (which drop it on a change)."""
    return HookCache(own.auth_hooks, platform.clock, policy.cache_ttl)


def hook_caller(
    own: HooksAdapters,
    policy: HookPolicy,
    *,
    cache: HookCache,
    box_key: SecretBox,
    platform: Platform,
) -> HookCaller:
    """``box_key``: what opens the hooks' signing secrets (sign-in's secret box)."""
    return HookCaller(
        cache=cache,
        store=own.auth_hooks,
        box=box_key,
        resolver=own.host_resolver,
        client=own.hook_client,
        clock=platform.clock,
        policy=policy,
        metrics=platform.metrics,
    )


@dataclass(frozen=True, kw_only=True)
class HookParts:
    """The hooks as every process asks them, made before the capabilities that ask them are
    bound (``bootstrap/loans.py``)."""

    policy: HookPolicy
    cache: HookCache
    caller: HookCaller
    box_key: SecretBox  # what opens and seals their signing secrets (sign-in's secret box)
    # The claims no answer may set: the token frame's and the units' claim sources'
    reserved: frozenset[str]


def parts(
    own: HooksAdapters,
    settings: Settings,
    *,
    box_key: SecretBox,
    platform: Platform,
    reserved: frozenset[str],
) -> HookParts:
    policy = hook_policy(settings)
    cache = hook_cache(own, policy, platform=platform)
    caller = hook_caller(own, policy, cache=cache, box_key=box_key, platform=platform)
    return HookParts(policy=policy, cache=cache, caller=caller, box_key=box_key, reserved=reserved)


def wire(own: HooksAdapters, hooks: HookParts, *, platform: Platform) -> HookServices:
    """The admins' use cases of the hooks."""
    return HookServices(
        hooks=auth_hooks(
            own,
            hooks.policy,
            cache=hooks.cache,
            caller=hooks.caller,
            box_key=hooks.box_key,
            platform=platform,
            reserved=hooks.reserved,
        )
    )


def text_sender(caller: HookCaller) -> HookTexter:
    """The send_sms hook, as the phone codes send their texts (and ask whether one can go)."""
    return HookTexter(caller=caller)


def token_hook(hooks: HookParts) -> TokenClaimsHook:
    """The before_token hook, as sign-in, the provider and Firebase ask it."""
    return TokenClaimsHook(caller=hooks.caller, reserved=hooks.reserved)


def sign_in_hook(
    hooks: HookParts,
    *,
    origin: Callable[[], tuple[str, str]],
    client_of: Callable[[], str | None],
) -> SignInCheckHook:
    """The before_sign_in hooks, as every way of signing in asks them at its end;
    ``origin``: the request's client address and user agent; ``client_of``: the OpenID client
    a sign-in page signs in for."""
    return SignInCheckHook(
        caller=hooks.caller, origin=origin, client_of=client_of, reserved=hooks.reserved
    )


def credentials_hook(hooks: HookParts) -> CredentialsClaimsHook:
    """The credentials_exchange hook, as the provider asks it for tokens with no person."""
    return CredentialsClaimsHook(caller=hooks.caller, reserved=hooks.reserved)


def auth_hooks(
    own: HooksAdapters,
    policy: HookPolicy,
    *,
    cache: HookCache,
    caller: HookCaller,
    box_key: SecretBox,
    platform: Platform,
    reserved: frozenset[str],
) -> AuthHooks:
    """``box_key``: what seals the hooks' signing secrets (sign-in's secret box); ``caller``
    sends ``hooks test``'s samples, whose answers may set none of the ``reserved`` claims."""
    return AuthHooks(
        store=own.auth_hooks,
        cache=cache,
        caller=caller,
        box=box_key,
        clock=platform.clock,
        policy=policy,
        reserved=reserved,
    )


def before_sign_up(
    caller: HookCaller, *, schemas: ProfileSchemaSource, origin: Callable[[], tuple[str, str]]
) -> BeforeSignUp:
    """The accounts' ``before_sign_up`` hook; ``schemas``: what its attributes are checked
    against; ``origin``: the request's client address and user agent."""
    return BeforeSignUp(caller=caller, schemas=schemas, origin=origin)


def api() -> Sequence[Blueprint]:
    """The hooks unit's blueprints of the JSON API, in the order they are registered."""
    from interfaces.http.routes.hooks import auth_hooks  # noqa: PLC0415 - loaded with the app

    return (auth_hooks.bp,)


def _hooks_commands() -> Sequence[click.Command]:
    from interfaces.cli import hooks  # noqa: PLC0415 - when the command line asks

    return hooks.COMMANDS


def pages() -> Pages:
    """The auth hooks' page, and the API's address of it a browser is sent to it from."""
    from interfaces.web.hooks import auth_hooks  # noqa: PLC0415 - loaded with the app
    from interfaces.web.parts import Pages  # noqa: PLC0415 - loaded with the app

    return Pages(before_request=(auth_hooks.api_address,))


# The core unit: its blueprints and pages (its adapters, use cases: ``build``, ``wire`` above).
UNIT = Unit[None](
    name="hooks",
    optional=False,
    api=api,
    pages=pages,
    cli_groups=(CommandGroup("hooks", "Manage the auth hooks (docs/hooks.md)."),),
    cli=(Commands("hooks", _hooks_commands),),
)
