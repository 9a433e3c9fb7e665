"""Auth hooks: their adapters (where hooks and their calls are kept, the host resolver, and
the pinned client that calls one: a sender of the platform's outbound client), and what is
built on them: the hooks each process keeps, the one caller every kind is asked through, the
kinds the units lend (``HOOK_KINDS``) folded into ``HookKinds``, the ``HookCalls`` each
capability asks for its kind's caller (``caller_for``), the accounts' ``before_sign_up``, and
the admins' use cases (docs/hooks.md; docs/contributing.md, "Units").

What they need of another capability is named in their builders' signatures
(docs/decisions/0042-wiring-per-feature.md)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from application.accounts.accounts import ProfileSchemaSource
from application.hooks.admin import AuthHooks
from application.hooks.caller import HOOK_CALLERS, HookCache, HookCaller, HookCalls
from application.hooks.ports import AuthHookStore, HookClient, HookPolicy
from application.hooks.services import HookServices
from application.hooks.sign_up import BeforeSignUp
from application.outbound import HostResolver
from application.ports import SecretBox
from bootstrap.accounts import RESERVED_CLAIMS, SECRET_BOXES
from bootstrap.accounts_rules import SIGN_UP_HOOKS
from bootstrap.platform import Platform
from bootstrap.unit import EVERY_UNIT, Built, Footing, Kernel, Lent, Unit
from domain.hooks.auth_hooks import MAX_TIMEOUT_MS
from domain.hooks.kinds import BEFORE_SIGN_UP, HOOK_KINDS, HookKinds
from domain.slots import Filling, Slot, filled
from infrastructure.firestore.hooks.auth_hooks import FirestoreAuthHooks
from infrastructure.outbound_http import SocketHostResolver
from infrastructure.settings import Settings
from infrastructure.settings.identity.hooks import HookSettings
from interfaces.cli import CommandGroup, Commands
from interfaces.shared.limits import request_origin

if TYPE_CHECKING:
    import click
    from flask import Blueprint

    from interfaces.web.parts import Pages


@dataclass(frozen=True)
class HooksAdapters:
    auth_hooks: AuthHookStore
    host_resolver: HostResolver
    hook_client: HookClient  # each call cut at its hook's own deadline


def build(footing: Footing) -> HooksAdapters:
    """Its adapters (``Unit.makes``) on ``footing``."""
    client, platform = footing.client, footing.platform
    return HooksAdapters(
        auth_hooks=FirestoreAuthHooks(client),
        host_resolver=SocketHostResolver(),
        hook_client=platform.outbound.sender(MAX_TIMEOUT_MS / 1000),
    )


def hook_policy(settings: Settings) -> HookPolicy:
    """The webhooks' URL rules, and their endpoints' cache time for the hooks' copy
    (WEBHOOK_CACHE_TTL, of the hooks' group, which the events read too)."""
    return HookPolicy(
        local=settings.service.app_profile == "local",
        cache_ttl=settings.group(HookSettings).webhook_cache_ttl,
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
    bound (``lends``)."""

    policy: HookPolicy
    cache: HookCache
    caller: HookCaller
    box_key: SecretBox  # what opens and seals their signing secrets (sign-in's secret box)
    calls: HookCalls  # the kinds the units lend, as each capability asks for its own


def offers(parts: HookParts) -> Filling[HookCalls]:
    """What the hooks offer the units: the caller of a kind they lend (``HOOK_CALLERS``)."""
    return HOOK_CALLERS(parts.calls)


def parts(
    own: HooksAdapters,
    settings: Settings,
    *,
    box_key: SecretBox,
    platform: Platform,
    units: Iterable[Unit[Any]],
    reserved: frozenset[str],
) -> HookParts:
    """``units``: every unit the service runs, whose kinds (``HOOK_KINDS``) are folded here;
    ``reserved``: the claims no answer may set, the token frame's and the units' claim
    sources' (``ClaimSources.reserved``), which every kind's check is given."""
    policy = hook_policy(settings)
    cache = hook_cache(own, policy, platform=platform)
    caller = hook_caller(own, policy, cache=cache, box_key=box_key, platform=platform)
    kinds = HookKinds(filled(units, HOOK_KINDS), reserved=reserved)
    calls = HookCalls(kinds, caller)
    return HookParts(policy=policy, cache=cache, caller=caller, box_key=box_key, calls=calls)


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
            kinds=hooks.calls.kinds,
        )
    )


def auth_hooks(
    own: HooksAdapters,
    policy: HookPolicy,
    *,
    cache: HookCache,
    caller: HookCaller,
    box_key: SecretBox,
    platform: Platform,
    kinds: HookKinds,
) -> AuthHooks:
    """``box_key``: what seals the hooks' signing secrets (sign-in's secret box); ``caller``
    sends ``hooks test``'s samples; ``kinds``: those the units lend."""
    return AuthHooks(
        kinds=kinds,
        store=own.auth_hooks,
        cache=cache,
        caller=caller,
        box=box_key,
        clock=platform.clock,
        policy=policy,
    )


def before_sign_up(
    hooks: HookCalls, *, schemas: ProfileSchemaSource, origin: Callable[[], tuple[str, str]]
) -> BeforeSignUp:
    """The accounts' ``before_sign_up`` hook; ``schemas``: what its attributes are checked
    against; ``origin``: the request's client address and user agent."""
    return BeforeSignUp(caller=hooks.caller_for(BEFORE_SIGN_UP), schemas=schemas, origin=origin)


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

    return Pages(before_request=(auth_hooks.api_address,), frames=(_hooks_frame,))


def _hooks_frame(every: Pages) -> None:
    """The auth hooks' page says what each unit's kind is for, as its pages give it."""
    from interfaces.web.hooks import auth_hooks  # noqa: PLC0415 - loaded with the app

    auth_hooks.install_purposes(every.hook_purposes)


# The core unit: its blueprints and pages (its adapters, use cases: ``build``, ``wire`` above),
# and the kind of the accounts below it.
# The hooks' parts, made by their ``lends`` before the capabilities that ask them are bound,
# offered the units as they lend and are built.
HOOK_PARTS = Slot[HookParts]("the hooks' parts")


def lends(own: HooksAdapters, kernel: Kernel) -> Lent:
    """What the hooks offer the units that lend after them, and every unit then: their parts
    (``HOOK_PARTS``), of the kinds every unit lends, on what sign-in lent early (its secret
    box, the claims no answer may set), and the caller of a kind they lend
    (``HOOK_CALLERS``); and the accounts' before_sign_up hook (``SIGN_UP_HOOKS``)."""
    units = kernel.offered(EVERY_UNIT)
    made = parts(
        own,
        kernel.settings,
        box_key=kernel.last_filled(SECRET_BOXES),
        platform=kernel.platform,
        units=units,
        reserved=kernel.last_filled(RESERVED_CLAIMS),
    )

    # The accounts' before_sign_up hook, made on their profile schemas by their late step.
    def sign_up_hook(schemas: ProfileSchemaSource) -> BeforeSignUp:
        return before_sign_up(made.calls, schemas=schemas, origin=request_origin)

    return Lent(fills=(SIGN_UP_HOOKS(sign_up_hook),), offers=(HOOK_PARTS(made), offers(made)))


def built(own: HooksAdapters, kernel: Kernel) -> Built:
    """The admins' use cases of the hooks (``wire``), on the parts the kernel offers."""
    return Built(services=(wire(own, kernel.offered(HOOK_PARTS), platform=kernel.platform),))


UNIT = Unit[HooksAdapters](
    name="hooks",
    makes=build,
    lends=lends,
    build=built,
    optional=False,
    settings=(HookSettings,),
    fills=(HOOK_KINDS(BEFORE_SIGN_UP),),
    api=api,
    pages=pages,
    cli_groups=(CommandGroup("hooks", "Manage the auth hooks (docs/hooks.md)."),),
    cli=(Commands("hooks", _hooks_commands),),
)
