"""The upstream providers' protocol on Authlib's OAuth 2 / OpenID Connect client
(docs/decisions/0270-upstream-sign-in-on-authlib.md): discovery, the authorization URL with
state, nonce and PKCE S256, the code exchange, the ID token validated against the provider's
JWKS (signature, iss, aud, exp, nonce), userinfo for the claims it lacks, and each preset's
quirks (docs/reference/providers.md). No protocol step is written here by hand.

Its requests go out through requests' own transport, or through the one it is given: an org's
OpenID connections send each as a webhook is sent (infrastructure/sso/idp_requests.py,
docs/decisions/0445-an-openid-connection-fetches-as-a-webhook-is-sent.md)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Collection, Mapping
from functools import partial
from typing import Any

import requests
from authlib.integrations.base_client import BaseApp, OAuth2Mixin, OAuthError, OpenIDMixin
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey
from requests.adapters import BaseAdapter

from application.federation.upstream import Authorization, UpstreamClaims
from application.remembered import Remembered
from domain.errors import Unauthenticated, Unavailable
from domain.federation.upstream import GITHUB, UpstreamProvider

log = logging.getLogger("firegate.upstream")

TIMEOUT = 10.0  # seconds for each request to a provider
KEPT_FOR = 3600.0  # a provider's discovery document and keys are read again after an hour
LEEWAY = 60  # seconds of clock difference allowed on an ID token's exp and iat
APPLE_SECRET_TTL = 300  # Apple's client secret (a JWT) lives for one exchange


class _App(OAuth2Mixin, OpenIDMixin, BaseApp):  # type: ignore[misc]
    """Authlib's client app (what its Flask integration registers), without a framework:
    the flight it would keep in a Flask session is kept by the caller."""

    client_cls = OAuth2Session


def _refused(reason: str, provider: UpstreamProvider) -> Unauthenticated:
    log.info("sign-in with %s refused: %s", provider.id, reason)
    return Unauthenticated(
        "The sign-in with the provider did not complete; try again.", code="upstream_refused"
    )


def _unreachable(provider: UpstreamProvider, exc: Exception) -> Unavailable:
    log.warning("provider %s could not be reached: %s", provider.id, type(exc).__name__)
    return Unavailable(f"{provider.name} cannot be reached right now; try again.", retry_after=30)


def _session_through(transport: BaseAdapter, **kwargs: Any) -> OAuth2Session:
    """Authlib's session, every request of it through ``transport`` and nothing of it from
    the environment (proxies, a CA bundle, .netrc), whatever the keys Authlib hands it say
    (a discovery document's among them)."""
    session = OAuth2Session(**kwargs)
    session.trust_env = False
    session.mount("https://", transport)
    session.mount("http://", transport)
    return session


class _TrustingSession(OAuth2Session):  # type: ignore[misc]
    """Authlib's session over requests' own transport, trusting the CA bundle it is given
    (SSL_CERT_FILE, docs/configuration.md) rather than certifi's, whatever the environment's
    REQUESTS_CA_BUNDLE says: one setting names what outbound https trusts."""

    def merge_environment_settings(
        self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> dict[str, Any]:
        found: dict[str, Any] = super().merge_environment_settings(
            url, proxies, stream, verify, cert
        )
        found["verify"] = self.verify
        return found


def _session_trusting(ca_certs: str, **kwargs: Any) -> OAuth2Session:
    session = _TrustingSession(**kwargs)
    session.verify = ca_certs
    return session


class AuthlibUpstreamClient:
    """``transport``: where every request goes (requests' own by default); ``timeout``: each
    request's, for requests' own transport; ``ca_certs``: the CA bundle requests' own
    transport trusts (certifi's when None)."""

    def __init__(
        self,
        *,
        timeout: float = TIMEOUT,
        transport: BaseAdapter | None = None,
        ca_certs: str | None = None,
    ) -> None:
        self._timeout = timeout
        self._transport = transport
        self._ca_certs = ca_certs
        self._apps: Remembered[tuple[str, ...], _App] = Remembered(64)

    def _app(self, provider: UpstreamProvider, secret: str) -> _App:
        key = (
            provider.id,
            provider.issuer,
            provider.client_id,
            provider.sealed_secret,
            provider.scope,
            provider.preset,
        )
        now = time.monotonic()
        app = self._apps.get(key, now)
        if app is None:
            app = self._new_app(provider, secret)
            self._apps.put(key, app, now + KEPT_FOR)
        return app

    def _new_app(self, provider: UpstreamProvider, secret: str) -> _App:
        app = self._configured_app(provider, secret)
        if self._transport is not None:
            app.client_cls = partial(_session_through, self._transport)
        elif self._ca_certs is not None:
            app.client_cls = partial(_session_trusting, self._ca_certs)
        return app

    def _configured_app(self, provider: UpstreamProvider, secret: str) -> _App:
        quirks = provider.quirks
        client_kwargs: dict[str, Any] = {
            "scope": provider.scope,
            "code_challenge_method": "S256",
            "default_timeout": self._timeout,
        }
        if quirks.jwt_client_secret:  # Apple: the secret goes in the body, made per exchange
            client_kwargs["token_endpoint_auth_method"] = "client_secret_post"
        if quirks.protocol == GITHUB:
            base = provider.issuer
            api = "https://api.github.com/" if base == "https://github.com" else base + "/api/v3/"
            return _App(
                None,
                name=provider.id,
                client_id=provider.client_id,
                client_secret=secret,
                authorize_url=base + "/login/oauth/authorize",
                access_token_url=base + "/login/oauth/access_token",
                api_base_url=api,
                client_kwargs=client_kwargs,
            )
        return _App(
            None,
            name=provider.id,
            client_id=provider.client_id,
            client_secret=secret,
            server_metadata_url=provider.discovery_url,
            authorize_params={"response_mode": "form_post"} if quirks.form_post else None,
            client_kwargs=client_kwargs,
        )

    # -- the port

    def authorization(
        self, provider: UpstreamProvider, secret: str, redirect_uri: str
    ) -> Authorization:
        try:
            app = self._app(provider, secret)
            extra: dict[str, str] = {}
            if provider.optional_scope:
                extra["scope"] = _scope(provider, app.load_server_metadata())
            made = app.create_authorization_url(redirect_uri, **extra)
        except (requests.RequestException, RuntimeError, ValueError) as exc:
            raise _unreachable(provider, exc) from None
        if not made.get("code_verifier") or not made.get("state"):
            # Authlib gives the client a discovery document's keys: one that turns PKCE off
            # (code_challenge_method null) is the IdP's, and its sign-in is not made
            raise _refused("the discovery document turns PKCE off", provider)
        return Authorization(
            url=made["url"],
            state=made["state"],
            nonce=made.get("nonce", ""),
            code_verifier=made["code_verifier"],
        )

    def claims(
        self,
        provider: UpstreamProvider,
        secret: str,
        redirect_uri: str,
        answer: Mapping[str, str],
        expected: Authorization,
        *,
        wanted: Collection[str] = ("email",),
    ) -> UpstreamClaims:
        app = self._app(provider, secret)
        extra: dict[str, str] = {}
        if provider.quirks.jwt_client_secret:
            extra["client_secret"] = _apple_client_secret(provider, secret)
        try:
            token = app.fetch_access_token(
                redirect_uri,
                code=answer["code"],
                code_verifier=expected.code_verifier,
                **extra,
            )
            if provider.quirks.protocol == GITHUB:
                return _github_claims(app, token)
            if "id_token" not in token:
                raise _refused("no ID token in the token response", provider)
            claims = self._validated(app, provider, token, expected.nonce)
            lacking = any(not claims.get(name) for name in wanted)
            if lacking and app.load_server_metadata().get("userinfo_endpoint"):
                # Some providers put the address only in userinfo (docs/reference/providers.md);
                # the ID token's own claims stand.
                info = app.userinfo(token=token)
                if info.get("sub") == claims["sub"]:
                    for name, value in info.items():
                        if claims.get(name) in (None, ""):
                            claims[name] = value
        except requests.RequestException as exc:
            raise _unreachable(provider, exc) from None
        except (OAuthError, JoseError, KeyError, ValueError, TypeError) as exc:
            raise _refused(f"{type(exc).__name__}: {exc}", provider) from None
        return _claims_of(claims, _apple_name(answer) if provider.quirks.form_post else None)

    def id_token_claims(
        self, provider: UpstreamProvider, secret: str, id_token: str, nonce: str
    ) -> UpstreamClaims:
        app = self._app(provider, secret)
        try:
            claims = self._validated(app, provider, {"id_token": id_token}, nonce)
        except requests.RequestException as exc:
            raise _unreachable(provider, exc) from None
        except (JoseError, KeyError, ValueError, TypeError) as exc:
            raise _refused(f"{type(exc).__name__}: {exc}", provider) from None
        return _claims_of(claims, None)

    def signing_keys(self, provider: UpstreamProvider, secret: str) -> list[dict[str, Any]]:
        app = self._app(provider, secret)
        try:
            found = app.fetch_jwk_set()  # kept with the app's discovery document
        except (requests.RequestException, RuntimeError, ValueError) as exc:
            raise _unreachable(provider, exc) from None
        keys = found.get("keys") if isinstance(found, dict) else None
        return (
            [dict(key) for key in keys if isinstance(key, dict)] if isinstance(keys, list) else []
        )

    def _validated(
        self, app: _App, provider: UpstreamProvider, token: Mapping[str, Any], nonce: str
    ) -> dict[str, Any]:
        """The ID token's claims, checked by Authlib against the provider's JWKS: the
        signature, ``iss`` (Microsoft's per tenant), ``aud`` (this client), ``exp``, ``iat``,
        ``azp`` and the ``nonce`` this flight sent."""
        if not nonce:
            raise _refused("no nonce to check the ID token against", provider)
        issuer = app.load_server_metadata().get("issuer", "")
        iss: dict[str, Any] = {"essential": True}
        if provider.quirks.issuer_template:
            iss["validate"] = lambda claims, value: (
                value == issuer.replace("{tenantid}", str(claims.get("tid", "")))
            )
        else:
            iss["value"] = issuer
        options = {"iss": iss, "aud": {"essential": True, "value": provider.client_id}}
        claims = app.parse_id_token(
            dict(token), nonce, claims_options=options, claims_cls=CodeIDToken, leeway=LEEWAY
        )
        if claims is None or not claims.get("sub"):
            raise _refused("an ID token without a subject", provider)
        return dict(claims)


def _scope(provider: UpstreamProvider, metadata: Mapping[str, Any]) -> str:
    """The provider's scope, with each optional one its discovery document lists."""
    listed = metadata.get("scopes_supported")
    supported = set(listed) if isinstance(listed, list) else set()
    optional = [s for s in provider.optional_scope.split() if s in supported]
    return " ".join([*provider.scope.split(), *optional])


def _claims_of(claims: Mapping[str, Any], name: str | None) -> UpstreamClaims:
    email = claims.get("email")
    return UpstreamClaims(
        subject=str(claims["sub"]),
        email=email if isinstance(email, str) and email else None,
        email_verified=claims.get("email_verified"),
        name=name or _text(claims.get("name")),
        preferred_username=_text(claims.get("preferred_username")),
        claims=dict(claims),
    )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _github_claims(app: _App, token: Mapping[str, Any]) -> UpstreamClaims:
    """GitHub gives no ID token: the account from its user API, the address from its e-mails
    API, the primary one, verified as GitHub says (docs/reference/providers.md)."""
    user = app.get("user", token=dict(token))
    user.raise_for_status()
    profile = user.json()
    emails = app.get("user/emails", token=dict(token))
    emails.raise_for_status()
    primary = next((e for e in emails.json() if isinstance(e, dict) and e.get("primary")), {})
    return UpstreamClaims(
        subject=str(profile["id"]),
        email=_text(primary.get("email")),
        email_verified=primary.get("verified") is True,
        name=_text(profile.get("name")),
        preferred_username=_text(profile.get("login")),
    )


def _apple_client_secret(provider: UpstreamProvider, key_pem: str) -> str:
    """Apple's client secret: a JWT signed (ES256) with the team's key, for this client."""
    now = int(time.time())
    claims = {
        "iss": provider.team_id,
        "iat": now,
        "exp": now + APPLE_SECRET_TTL,
        "aud": "https://appleid.apple.com",
        "sub": provider.client_id,
    }
    header = {"alg": "ES256", "kid": provider.key_id}
    return jwt.encode(header, claims, ECKey.import_key(key_pem))


def _apple_name(answer: Mapping[str, str]) -> str | None:
    """Apple sends the person's name once, in the form it posts back (``user``, JSON), on
    the first sign-in only."""
    try:
        user = json.loads(answer.get("user", "") or "{}")
        name = user.get("name") or {}
        full = " ".join(
            part for part in (name.get("firstName"), name.get("lastName")) if isinstance(part, str)
        )
    except (ValueError, AttributeError):
        return None
    return full.strip() or None
