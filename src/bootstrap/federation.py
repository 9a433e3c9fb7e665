"""Federation's adapters: Firebase's verifier and custom tokens, the upstream providers'
client, and the providers the local profile configures.

The adapters' modules import their SDKs, so each is imported where its adapter is made
(docs/decisions/0150-cold-start.md)."""

from __future__ import annotations

from application.federation.providers import UpstreamProviders, WithConfigured
from application.federation.upstream import UpstreamClient
from application.ports import CustomTokenMinter, IdentityVerifier
from bootstrap.signin import secret_box
from domain.errors import InvalidInput
from infrastructure.settings import Settings


def configured_providers(settings: Settings, stored: UpstreamProviders) -> UpstreamProviders:
    """The stored providers, and in the local profile those UPSTREAM_PROVIDERS names, their
    secrets sealed as stored ones are (docs/reference/providers.md)."""
    if not settings.federation.upstream_providers:
        return stored
    from datetime import UTC, datetime

    from domain.federation.upstream import UpstreamProvider

    box, now = secret_box(settings.signin), datetime.now(UTC)
    configured = []
    for fields in settings.federation.upstream_providers:
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


def upstream_client() -> UpstreamClient:
    from infrastructure.federation.upstream_oidc import AuthlibUpstreamClient

    return AuthlibUpstreamClient()


def firebase_identity_verifier(settings: Settings) -> IdentityVerifier:
    from infrastructure.federation.firebase_identity import FirebaseIdentityVerifier

    return FirebaseIdentityVerifier(
        project=settings.service.google_cloud_project, clock_skew_seconds=settings.signin.jwt_leeway
    )


def firebase_custom_tokens(settings: Settings) -> CustomTokenMinter:
    from infrastructure.federation.firebase_identity import FirebaseCustomTokens

    return FirebaseCustomTokens(project=settings.service.google_cloud_project)
