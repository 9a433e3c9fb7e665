"""Federation: its adapters (Firebase's verifier and custom tokens, the upstream providers
and their client, with those the local profile configures), made from its settings, and its
service objects built over them: Firebase sign-in, upstream providers, connected accounts,
and the linking rules they share.

Each ``bind_*`` builds one object with its ports; what it needs of another capability is
named in its signature (docs/decisions/0042-wiring-per-feature.md). Firebase's adapters are
made with firebase-admin by their first use in a worker (bootstrap/cloud.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from application.accounts.accounts import AccountHooks, nothing_follows
from application.accounts.address_proof import FirstProof
from application.accounts.guest.upgrades import Upgraded, UpgradeGuest
from application.federation.connected import ConnectedAccounts
from application.federation.firebase import Firebase
from application.federation.linking import Links
from application.federation.providers import UpstreamProviders, WithConfigured
from application.federation.services import FederationServices
from application.federation.upstream import Upstream, UpstreamClient, UpstreamPolicy
from application.hooks.caller import HOOK_CALLERS, HookCalls
from application.ports import CustomTokenMinter, IdentityVerifier, OwnedData
from application.signin.sign_in import SignIn
from bootstrap.accounts import SHARED, AccountsAdapters, guest_upgrades
from bootstrap.cloud import FirebaseCustomTokensOnFirstUse, FirebaseIdentityVerifierOnFirstUse
from bootstrap.federation_cloud import UpstreamClientOnFirstUse
from bootstrap.platform import Platform
from bootstrap.signin import ENDED_GRANTS, first_proof, sign_in_step
from bootstrap.signin_adapters import SigninAdapters, secret_box
from bootstrap.signin_policies import SIGNIN_RULES, SigninPolicies, token_hook
from bootstrap.unit import Built, Footing, Kernel, Unit
from domain.accounts.outlasting import OUTLASTING_ROUTES, Outlasting
from domain.errors import InvalidInput
from domain.federation.acting import firebase_resource
from domain.federation.claims import SIGN_IN_ACR
from domain.federation.upstream import UpstreamProvider
from domain.signin.claims.sources import CLAIM_SOURCES
from domain.slots import Slot
from infrastructure.firestore.federation.upstream_providers import FirestoreUpstreamProviders
from infrastructure.outbound_http import Outbound
from infrastructure.settings import Settings
from infrastructure.settings.identity.federation import FederationSettings
from infrastructure.settings.identity.signin import SignInSettings
from interfaces.cli import CommandGroup, Commands

if TYPE_CHECKING:
    import click
    from flask import Blueprint

    from interfaces.web.parts import Pages


def configured_providers(settings: Settings, stored: UpstreamProviders) -> UpstreamProviders:
    """The stored providers, and in the local profile those UPSTREAM_PROVIDERS names, their
    secrets sealed as stored ones are (docs/reference/providers.md)."""
    if not settings.group(FederationSettings).upstream_providers:
        return stored
    box, now = secret_box(settings.group(SignInSettings)), datetime.now(UTC)
    configured = []
    for fields in settings.group(FederationSettings).upstream_providers:
        given = {name.replace("-", "_"): value for name, value in fields.items()}
        secret, unknown = given.get("client_secret", ""), set(given) - _PROVIDER_FIELDS
        if unknown:
            raise ValueError(f"UPSTREAM_PROVIDERS: unknown fields {sorted(unknown)}")
        try:
            provider = UpstreamProvider.configure(
                id=given.get("id", ""),
                client_id=given.get("client_id", ""),
                client_secret=secret,
                sealed_secret=box.seal(secret),
                now=now,
                **{k: v for k, v in given.items() if k not in _GIVEN_APART},
            )
        except InvalidInput as exc:
            problems = "; ".join(f"{e.field}: {e.message}" for e in exc.errors) or exc.detail
            raise ValueError(f"UPSTREAM_PROVIDERS, {given.get('id')!r}: {problems}") from None
        configured.append(provider)
    return WithConfigured(stored, tuple(configured))


_GIVEN_APART = frozenset({"id", "client_id", "client_secret"})


_PROVIDER_FIELDS = _GIVEN_APART | {"issuer", "name", "scope", "preset", "team_id", "key_id"}


def firebase_identity_verifier(settings: Settings) -> Callable[[], IdentityVerifier]:
    """How a worker makes Firebase's ID-token verifier, at its first use."""

    def make() -> IdentityVerifier:
        # A cloud client library: imported by the worker, never by gunicorn's master.
        from infrastructure.federation.firebase_identity import (  # noqa: PLC0415
            FirebaseIdentityVerifier,
        )

        return FirebaseIdentityVerifier(
            project=settings.service.google_cloud_project,
            clock_skew_seconds=settings.group(SignInSettings).jwt_leeway,
        )

    return make


def firebase_custom_tokens(settings: Settings) -> Callable[[], CustomTokenMinter]:
    """How a worker makes Firebase's custom-token minter, at its first use."""

    def make() -> CustomTokenMinter:
        # A cloud client library: imported by the worker, never by gunicorn's master.
        from infrastructure.federation.firebase_identity import (  # noqa: PLC0415
            FirebaseCustomTokens,
        )

        return FirebaseCustomTokens(project=settings.service.google_cloud_project)

    return make


@dataclass(frozen=True)
class FederationAdapters:
    identity_verifier: IdentityVerifier  # Firebase's ID tokens
    custom_tokens: CustomTokenMinter  # Firebase's custom tokens
    upstream_providers: UpstreamProviders  # the providers people sign in with
    upstream_client: UpstreamClient


def build(footing: Footing) -> FederationAdapters:
    """Its adapters (``Unit.makes``) on ``footing``."""
    settings, client, platform = footing.settings, footing.client, footing.platform
    return FederationAdapters(
        identity_verifier=FirebaseIdentityVerifierOnFirstUse(firebase_identity_verifier(settings)),
        custom_tokens=FirebaseCustomTokensOnFirstUse(firebase_custom_tokens(settings)),
        upstream_providers=configured_providers(settings, FirestoreUpstreamProviders(client)),
        upstream_client=UpstreamClientOnFirstUse(upstream_client(platform.outbound)),
    )


def upstream_client(outbound: Outbound) -> Callable[[], UpstreamClient]:
    """Authlib's client of the upstream providers, made by its first sign-in with one,
    trusting the CA bundle of the platform's ``outbound`` client (SSL_CERT_FILE's where it
    is set): requests' transport, not the pinned client's, under the same trust."""

    def make() -> UpstreamClient:
        # Authlib and requests: imported by the worker's first use, never by gunicorn's
        # master (docs/decisions/0530-protocol-stacks-loaded-when-used.md).
        from infrastructure.federation.upstream_oidc import AuthlibUpstreamClient  # noqa: PLC0415

        return AuthlibUpstreamClient(ca_certs=outbound.ca_certs)

    return make


@dataclass(frozen=True)
class SignedIn:
    """The other capabilities' adapters and policies a linked sign-in (Firebase, an upstream
    provider, an org's connection) is built from: the accounts, sign-in's adapters and
    policies, the platform, and the provider's grants (ended with a takeover)."""

    accounts: AccountsAdapters
    signin: SigninAdapters
    rules: SigninPolicies
    platform: Platform
    grants: OwnedData
    upgrade: Callable[[UpgradeGuest], Upgraded]  # a guest's, in place (GuestUpgrades)
    hooks: HookCalls  # each capability's hook kinds' callers

    def step(self) -> SignIn:
        return sign_in_step(
            self.signin,
            self.rules,
            accounts=self.accounts,
            platform=self.platform,
            hooks=self.hooks,
        )

    def first_proof(self) -> FirstProof:
        """What a first proof of an address takes from the account's earlier holder."""
        return first_proof(self.accounts, self.signin, self.platform, grants=self.grants)

    def links(self, hooks: AccountHooks | None = None) -> Links:
        """The linking rules a provider's sign-in follows; ``hooks``: what follows a new
        account (``registered_with``: its verification mail, which rule 5 needs) and an
        address newly proven (``proven``: an org's auto_join)."""
        accounts, platform = self.accounts, self.platform
        return Links(
            identities=accounts.identities,
            users=accounts.users,
            factors=self.signin.factors,
            first_proof=self.first_proof(),
            clock=platform.clock,
            audit=platform.audit,
            registered=hooks.registered_with if hooks is not None else None,
            proven=hooks.proven if hooks is not None else nothing_follows,
            signups=self.rules.signups,
            upgrade=self.upgrade,
        )


def bind_connected(
    accounts: AccountsAdapters, *, signin: SigninAdapters, platform: Platform
) -> ConnectedAccounts:
    return ConnectedAccounts(
        identities=accounts.identities,
        passkeys=signin.passkeys,
        clock=platform.clock,
        audit=platform.audit,
    )


def bind_firebase(
    own: FederationAdapters, settings: Settings, *, signed_in: SignedIn, hooks: AccountHooks
) -> Firebase:
    return Firebase(
        verifier=own.identity_verifier,
        links=signed_in.links(hooks),
        sign_in_step=signed_in.step(),
        users=signed_in.accounts.users,
        minter=own.custom_tokens,
        orgs=signed_in.signin.active_orgs,
        agent_resource=firebase_resource(settings.service.public_url),
        claims=signed_in.rules.token_policy.claims,
        hook=token_hook(signed_in.hooks),
    )


def bind_upstream(
    own: FederationAdapters, settings: Settings, *, signed_in: SignedIn, hooks: AccountHooks
) -> Upstream:
    return Upstream(
        providers=own.upstream_providers,
        client=own.upstream_client,
        box=signed_in.signin.secret_box,
        policy=UpstreamPolicy(public_url=settings.service.public_url),
        devices=signed_in.rules.device_policy,
        clock=signed_in.platform.clock,
        links=signed_in.links(hooks),  # rule 5's verification mail
        sign_in=signed_in.step(),
    )


def provider_ids(own: FederationAdapters) -> frozenset[str]:
    """The ids of the upstream providers configured now (an import keeps the links to them)."""
    return frozenset(provider.id for provider in own.upstream_providers.list_all())


def wire(
    own: FederationAdapters, settings: Settings, signed_in: SignedIn, *, hooks: AccountHooks
) -> FederationServices:
    """Federation's use cases; ``hooks``: what follows a new account and a proven address."""
    return FederationServices(
        firebase=bind_firebase(own, settings, signed_in=signed_in, hooks=hooks),
        identities=bind_connected(
            signed_in.accounts, signin=signed_in.signin, platform=signed_in.platform
        ),
        upstream=bind_upstream(own, settings, signed_in=signed_in, hooks=hooks),
    )


def api() -> Sequence[Blueprint]:
    """The federation unit's blueprints of the JSON API, in the order they are registered."""
    from interfaces.http.routes.federation import connected_accounts, firebase, upstream  # noqa: PLC0415 - loaded with the app

    return (firebase.bp, connected_accounts.bp, upstream.bp)


def _federation_commands() -> Sequence[click.Command]:
    from interfaces.cli import federation  # noqa: PLC0415 - when the command line asks

    return federation.COMMANDS


def limits(settings: Settings) -> dict[tuple[str, str], str]:
    """The per-address request limits of its JSON API routes (docs/security.md)."""
    firebase = settings.group(FederationSettings).rate_limit_firebase
    return {
        ("POST", "/auth/firebase"): firebase,
        ("POST", "/auth/firebase/custom-token"): firebase,  # a budget of its own
        # a native app's upstream ID token: the other exchange of a provider's token
        ("POST", "/auth/identities/<provider>/token"): firebase,
    }


def pages() -> Pages:
    """The federation's pages: the connected providers, and their buttons on the sign-in
    page."""
    from interfaces.web.federation import connected, upstream  # noqa: F401, PLC0415 - loaded with the app
    from interfaces.web.parts import Pages  # noqa: PLC0415 - loaded with the app
    from interfaces.web.signin.signed_out import UPSTREAMS  # noqa: PLC0415 - loaded with the app

    return Pages(fills=(UPSTREAMS(upstream.buttons),))


# The core unit: its blueprints and pages (its adapters, use cases: ``build``, ``wire`` above).
# What a sign-in is built from, made by federation's ``built``, offered the core's units
# built after it.
SIGNED_IN = Slot[SignedIn]("what a sign-in is built from")


def signed_in(kernel: Kernel) -> SignedIn:
    """What a linked sign-in is built from, on what the kernel offers and holds: the
    accounts' and sign-in's adapters, sign-in's rules, the provider's grants, the hooks'
    callers, and the one place a guest is upgraded in place."""
    accounts, shared = kernel.adapters_of(AccountsAdapters), kernel.offered(SHARED)
    return SignedIn(
        accounts,
        kernel.adapters_of(SigninAdapters),
        kernel.offered(SIGNIN_RULES),
        kernel.platform,
        grants=kernel.offered(ENDED_GRANTS),
        upgrade=guest_upgrades(accounts, shared).upgrade_guest,
        hooks=kernel.offered(HOOK_CALLERS),
    )


def built(own: FederationAdapters, kernel: Kernel) -> Built:
    """Federation's use cases (``wire``), on what a sign-in is built from (``signed_in``),
    which it offers the units built after it (``SIGNED_IN``)."""
    made, shared = signed_in(kernel), kernel.offered(SHARED)
    services = wire(own, kernel.settings, made, hooks=shared.hooks)
    return Built(services=(services,), offers=(SIGNED_IN(made),))


# Its routes that make or change what outlasts a session (another provider connected or
# disconnected), by kind: a session of support access is refused them (``OUTLASTING_ROUTES``,
# sign-in's).
_OUTLASTING = OUTLASTING_ROUTES(
    (
        Outlasting.IDENTITIES,
        (
            ("DELETE", "/auth/identities/<provider>"),
            ("POST", "/auth/firebase"),  # with a guest's bearer token: the guest's first identity
            ("POST", "/auth/identities/<provider>/token"),  # the same, from a native app
            ("POST", "/account/connect"),
            ("POST", "/account/identities/<provider>/disconnect"),
        ),
    ),
)


UNIT = Unit[FederationAdapters](
    name="federation",
    makes=build,
    build=built,
    limits=limits,
    optional=False,
    settings=(FederationSettings,),
    api=api,
    pages=pages,
    cli_groups=(
        CommandGroup(
            "providers", "Manage the providers people sign in with (docs/reference/providers.md)."
        ),
    ),
    cli=(Commands("providers", _federation_commands),),
    fills=(CLAIM_SOURCES(SIGN_IN_ACR), _OUTLASTING),
)
