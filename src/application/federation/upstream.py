"""Signing in with an upstream identity provider (Google, Microsoft, Apple, GitHub, GitLab or
any OpenID provider; docs/reference/providers.md): the round trip a browser makes through one
of the providers admins configure (application/federation/providers.py), or a native app's ID
token.

The protocol (discovery, state, nonce, PKCE, the code exchange, the ID token's checks) is the
``UpstreamClient``'s (Authlib's client, infrastructure/federation/upstream_oidc.py); what
this module holds is which provider, the flight a browser carries (bound to it, sealed), and
the identity it ends with, which the linking rules turn into an account
(application/federation/linking.py).
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from application.accounts.admin import require_admin
from application.federation.guest import become_account
from application.federation.linking import (
    ExternalSignIn,
    Links,
)
from application.federation.providers import (
    AddProvider,
    DeleteProvider,
    ProviderButton,
    ProviderList,
    UpstreamProviders,
    find_provider,
)
from application.ports import Clock, ExternalIdentity, SecretBox
from application.signin.authentication import Actor
from application.signin.sign_in import SignIn, SignInRequest
from application.signin.tokens import TokenPair
from domain.accounts.guest.part import Guest
from domain.errors import (
    DomainError,
    InvalidInput,
    MfaRequired,
    NotFound,
    Unauthenticated,
    Unavailable,
)
from domain.federation.upstream import OIDC, UpstreamProvider
from domain.signin.devices import DevicePolicy

log = logging.getLogger("firegate.upstream")
FLIGHT_TTL = timedelta(minutes=10)  # from leaving for the provider to coming back
_FLIGHT = "upstream-flight"  # what a sealed flight says it is: no other sealed text passes


# -- ports


@dataclass(frozen=True)
class Authorization:
    """Where a browser is sent, and what its return must match."""

    url: str
    state: str
    nonce: str
    code_verifier: str


@dataclass(frozen=True)
class UpstreamClaims:
    """What the provider says of the person, its ID token's signature and claims checked."""

    subject: str
    email: str | None
    email_verified: object  # as the provider sent it: True, "true", ...
    name: str | None
    preferred_username: str | None = None
    # Every claim of the ID token (and of userinfo, where read): an org's connection maps
    # its own (docs/reference/sso.md, "Attribute mapping").
    claims: Mapping[str, object] = field(default_factory=dict)


class UpstreamClient(Protocol):
    def authorization(
        self, provider: UpstreamProvider, secret: str, redirect_uri: str
    ) -> Authorization:
        """The provider's authorization URL with a new state, nonce and PKCE S256 challenge;
        Unavailable when its discovery document cannot be read."""
        ...

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
        """The code in ``answer`` exchanged (with the verifier), the ID token validated by the
        provider's JWKS (iss, aud, exp, the expected nonce), userinfo read when it lacks a
        claim of ``wanted``; Unauthenticated (upstream_refused) when any of it fails,
        Unavailable when the provider cannot be reached."""
        ...

    def id_token_claims(
        self, provider: UpstreamProvider, secret: str, id_token: str, nonce: str
    ) -> UpstreamClaims:
        """A native app's ID token validated as ``claims`` validates one; Unauthenticated."""
        ...

    def signing_keys(self, provider: UpstreamProvider, secret: str) -> list[dict[str, Any]]:
        """The provider's public keys (its JWK Set, at the ``jwks_uri`` its discovery
        names), as the ID tokens' check reads and keeps them; Unavailable when they cannot be
        read."""
        ...


# -- a browser's round trip


@dataclass(frozen=True)
class UpstreamPolicy:
    public_url: str  # the callback is {public_url}/sign-in/with/{id}/callback


@dataclass(frozen=True)
class StartUpstream:
    provider_id: str
    next: str  # where the person goes once signed in (a path of this site, checked by the page)
    # "Connect another" (docs/reference/identities.md): the signed-in account the identity is
    # to be linked to, not signed in with; empty for a sign-in.
    connect_for: str = ""


@dataclass(frozen=True)
class Departure:
    """A round trip starting: where the browser is sent, and the flight it carries there and
    back."""

    url: str  # the provider's authorization URL
    flight: str  # sealed: the browser keeps it (a cookie) and brings it back
    form_post: bool  # the provider posts its answer back (Apple): the cookie must go with it


@dataclass(frozen=True)
class Flight:
    """A browser's round trip to a provider in progress, which the browser carries sealed (a
    cookie): what the provider's answer must match, and where it leads."""

    provider_id: str
    authorization: Authorization
    next: str
    started_at: datetime
    connect_for: str = ""
    trial: str = ""  # an org connection's setup link: a test sign-in, which makes nothing
    # An org admin's test sign-in from the connection's page (makes nothing either): the
    # admin's account id and the org's id.
    trial_by: str = ""
    trial_org: str = ""


def _seal(flight: Flight, box: SecretBox) -> str:
    a = flight.authorization
    return box.seal(
        json.dumps(
            {
                "is": _FLIGHT,
                "provider": flight.provider_id,
                "state": a.state,
                "nonce": a.nonce,
                "verifier": a.code_verifier,
                "next": flight.next,
                "at": flight.started_at.isoformat(),
                "connect": flight.connect_for,
                "trial": flight.trial,
                "trial_by": flight.trial_by,
                "trial_org": flight.trial_org,
            }
        )
    )


def _refused(
    detail: str = "The sign-in with the provider did not complete; try again.",
) -> Unauthenticated:
    return Unauthenticated(detail, code="upstream_refused")


def _opened(sealed: str, box: SecretBox) -> Flight:
    """The flight the browser brought back; Unauthenticated if it brought none, or not one
    this service sealed."""
    try:
        data = json.loads(box.open(sealed)) if sealed else None
    except (DomainError, ValueError):  # altered, foreign or sealed by another key: no flight
        data = None
    if not isinstance(data, dict) or data.get("is") != _FLIGHT:
        raise _refused("This sign-in was not started in this browser, or it expired; try again.")
    return Flight(
        provider_id=str(data["provider"]),
        authorization=Authorization(
            "", str(data["state"]), str(data["nonce"]), str(data["verifier"])
        ),
        next=str(data["next"]),
        started_at=datetime.fromisoformat(str(data["at"])),
        connect_for=str(data.get("connect") or ""),
        trial=str(data.get("trial") or ""),
        trial_by=str(data.get("trial_by") or ""),
        trial_org=str(data.get("trial_org") or ""),
    )


def client_secret(provider: UpstreamProvider, box: SecretBox) -> str:
    """The provider's client secret; Unavailable in words of its own when the at-rest key
    cannot open it (MFA_ENCRYPTION_KEY changed since the provider was added: add it again)."""
    try:
        return box.open(provider.sealed_secret)
    except Unavailable:
        log.error(
            "provider %s: its client secret cannot be opened with MFA_ENCRYPTION_KEY; "
            "add the provider again, or for an org's connection (sso-{id}) give it its "
            "client_secret again (docs/operations.md)",
            provider.id,
        )
        raise Unavailable(
            f"Signing in with {provider.name} is not possible right now; try again later.",
            retry_after=60,
        ) from None


def depart(
    provider: UpstreamProvider,
    redirect_uri: str,
    next_page: str,
    *,
    client: UpstreamClient,
    box: SecretBox,
    clock: Callable[[], datetime],
    connect_for: str = "",
    trial: str = "",
    trial_by: tuple[str, str] = ("", ""),
) -> Departure:
    """A round trip to ``provider`` starting: its authorization URL (state, nonce, PKCE) and
    the flight sealed for the browser; every browser sign-in through an OpenID provider
    starts here (an upstream provider, an org's OpenID connection, and its test sign-in,
    ``trial`` naming the setup link it is bound to, or ``trial_by`` the admin and the org
    of an admin's test)."""
    authorization = client.authorization(provider, client_secret(provider, box), redirect_uri)
    flight = Flight(provider.id, authorization, next_page, clock(), connect_for, trial, *trial_by)
    return Departure(authorization.url, _seal(flight, box), provider.quirks.form_post)


def callback_url(provider: UpstreamProvider, policy: UpstreamPolicy) -> str:
    return policy.public_url.rstrip("/") + provider.callback_path()


@dataclass(frozen=True)
class FinishUpstream:
    provider_id: str
    answer: Mapping[str, str]  # the provider's answer: code and state, or an error
    flight: str  # what the browser brought back
    user_agent: str = ""
    client_ip: str = ""
    device_token: str = ""
    signed_in_as: str = ""  # the account this browser is signed in to, if any


@dataclass(frozen=True)
class Arrival:
    """How a round trip (an upstream provider's, or an org connection's) ends: signed in
    (``pair``), or asked for the account's second factor (``mfa``, the page's next step), or,
    for "Connect another", the identity to link to the account that started it
    (``connect``); ``next`` in each case."""

    next: str
    pair: TokenPair | None = None
    mfa: MfaRequired | None = None
    connect: ExternalIdentity | None = None


def returned(
    sealed: str,
    provider_id: str,
    answer: Mapping[str, str],
    *,
    box: SecretBox,
    clock: Callable[[], datetime],
    signed_in_as: str = "",
) -> Flight:
    """This browser's flight to ``provider_id``, when the provider's ``answer`` is the one
    it waits for: fresh, the same state, a code and no error; for "Connect another", the
    browser still signed in to the account that started it. Unauthenticated
    (upstream_refused) otherwise."""
    flight = _opened(sealed, box)
    if flight.provider_id != provider_id:
        raise _refused()
    if flight.connect_for and not hmac.compare_digest(flight.connect_for, signed_in_as):
        raise _refused("Sign in to the account you were connecting to, then try again.")
    if clock() - flight.started_at > FLIGHT_TTL:
        raise _refused("This sign-in took too long; try again.")
    state = answer.get("state", "")
    if not hmac.compare_digest(state.encode(), flight.authorization.state.encode()):
        raise _refused()
    if answer.get("error") or not answer.get("code"):
        raise _refused()
    return flight


def identity_of(provider: UpstreamProvider, claims: UpstreamClaims) -> ExternalIdentity:
    """The person as the provider vouches for them: a new account's username comes from
    ``preferred_username`` (else the address), its names from ``given_name`` and
    ``family_name``, else ``name`` as the whole name."""
    return ExternalIdentity(
        provider=provider.id,
        subject=claims.subject,
        email=claims.email or None,
        email_verified=bool(claims.email) and provider.asserts_verified(claims.email_verified),
        display_name=claims.name or claims.preferred_username or None,
        preferred_username=claims.preferred_username or None,
        given_name=_text_claim(claims, "given_name"),
        family_name=_text_claim(claims, "family_name"),
    )


def _text_claim(claims: UpstreamClaims, name: str) -> str | None:
    value = claims.claims.get(name)
    return value if isinstance(value, str) else None


@dataclass(frozen=True, kw_only=True)
class _DeviceAwareSignIn(SignIn):
    """The sign-in step as a password's: the browser's device token read, a new device
    noticed (its mail), and a device token given back (docs/reference/providers.md)."""

    devices: DevicePolicy
    device_token: str = ""
    client_ip: str = ""

    def __call__(self, request: SignInRequest) -> TokenPair:
        now = self.clock.now()
        device = self.devices.verify(self.device_token, now)
        if device is not None and not device.of(request.user):
            device = None  # another account's: this one has not seen the device
        pair = super().__call__(
            replace(
                request,
                ip=request.ip or self.client_ip or None,
                knows_devices=True,
                device=device,
            )
        )
        return replace(pair, device_token=self.devices.issue(request.user, now, device))


def with_devices(sign_in: SignIn, devices: DevicePolicy, token: str, ip: str) -> SignIn:
    """The sign-in step aware of this browser's device (its token), as a password's is: every
    way of signing in from a browser (upstream providers, single sign-on) uses it."""
    # Every field of the step carried over, whatever it gains (its gate, its hooks).
    step = {part.name: getattr(sign_in, part.name) for part in fields(SignIn)}
    return _DeviceAwareSignIn(
        **step,
        devices=devices,
        device_token=token,
        client_ip=ip,
    )


# -- a native app's ID token


@dataclass(frozen=True)
class NativeSignIn:
    provider_id: str
    id_token: str
    nonce: str
    user_agent: str = ""
    client_ip: str = ""
    device_token: str = ""
    # The guest whose bearer token came with it: the identity becomes that guest's account
    # (docs/guests.md, "Upgrading in place"); "" for a sign-in.
    guest_id: str = ""


# -- the use cases


class Upstream:
    """The upstream providers: the ones admins configure (added, listed, deleted; the
    sign-in pages' buttons), and signing in with one, by a browser's round trip or a native
    app's ID token."""

    def __init__(
        self,
        *,
        providers: UpstreamProviders,
        client: UpstreamClient,
        box: SecretBox,
        policy: UpstreamPolicy,
        devices: DevicePolicy,
        clock: Clock,
        links: Links,
        sign_in: SignIn,
    ) -> None:
        self._providers, self._client, self._box = providers, client, box
        self._policy, self._devices, self._clock = policy, devices, clock
        self._links, self._sign_in = links, sign_in
        self._listed = ProviderList(providers, clock.now)

    # -- the providers admins manage

    def add(self, cmd: AddProvider) -> UpstreamProvider:
        require_admin(cmd.actor)
        provider = UpstreamProvider.configure(
            id=cmd.id,
            client_id=cmd.client_id,
            client_secret=cmd.client_secret,
            sealed_secret="",
            now=self._clock.now(),
            issuer=cmd.issuer,
            name=cmd.name,
            scope=cmd.scope,
            preset=cmd.preset,
            team_id=cmd.team_id,
            key_id=cmd.key_id,
        )
        provider = replace(provider, sealed_secret=self._box.seal(cmd.client_secret))
        self._providers.add(provider)
        self._listed.forget()
        return provider

    def list(self, actor: Actor) -> list[UpstreamProvider]:
        require_admin(actor)
        return self._providers.list_all()

    def delete(self, cmd: DeleteProvider) -> None:
        require_admin(cmd.actor)
        if not self._providers.delete(cmd.id):
            raise NotFound("No such provider.", code="provider_not_found")
        self._listed.forget()

    def buttons(self) -> tuple[ProviderButton, ...]:
        """What the sign-in pages show: the providers, kept a few seconds by each process."""
        return self._listed.buttons()

    # -- signing in with one

    def start(self, cmd: StartUpstream) -> Departure:
        provider = find_provider(cmd.provider_id, self._providers)
        return depart(
            provider,
            callback_url(provider, self._policy),
            cmd.next,
            client=self._client,
            box=self._box,
            clock=self._clock.now,
            connect_for=cmd.connect_for,
        )

    def finish(self, cmd: FinishUpstream) -> Arrival:
        """The person signed in, or asked for the account's second factor, or the identity
        to connect (``Arrival``); Unauthenticated (upstream_refused) when the answer is not
        the one this browser's flight expects, or a connection's browser is no longer signed
        in to the account that started it."""
        box = self._box
        flight = returned(
            cmd.flight,
            cmd.provider_id,
            cmd.answer,
            box=box,
            clock=self._clock.now,
            signed_in_as=cmd.signed_in_as,
        )
        provider = find_provider(cmd.provider_id, self._providers)
        claims = self._client.claims(
            provider,
            client_secret(provider, box),
            callback_url(provider, self._policy),
            cmd.answer,
            flight.authorization,
        )
        if flight.connect_for:
            return Arrival(flight.next, connect=identity_of(provider, claims))
        device_aware = with_devices(self._sign_in, self._devices, cmd.device_token, cmd.client_ip)
        guest_id = self._guest(cmd.signed_in_as)
        try:
            pair = self._signed_in(provider, claims, cmd.user_agent, device_aware, guest_id)
        except MfaRequired as second_step:
            return Arrival(flight.next, mfa=second_step)
        return Arrival(flight.next, pair=pair)

    def native(self, cmd: NativeSignIn) -> TokenPair:
        """The token response of /login for an ID token the app got from the provider's own
        SDK (its ``aud`` the provider's client id); MfaRequired as /login's."""
        provider = find_provider(cmd.provider_id, self._providers)
        if provider.quirks.protocol != OIDC:
            raise InvalidInput.field(
                "id_token", f"{provider.name} gives no ID tokens.", "id_tokens_unsupported"
            )
        if not cmd.id_token or not cmd.nonce:
            raise _refused()
        secret = client_secret(provider, self._box)
        claims = self._client.id_token_claims(provider, secret, cmd.id_token, cmd.nonce)
        device_aware = with_devices(self._sign_in, self._devices, cmd.device_token, cmd.client_ip)
        return self._signed_in(provider, claims, cmd.user_agent, device_aware, cmd.guest_id)

    def _guest(self, signed_in_as: str) -> str:
        """The account a browser is signed in to when it is a guest, which the round trip
        upgrades; "" for none or a person's (who signs in with the identity as anyone)."""
        user = self._links.users.get(signed_in_as) if signed_in_as else None
        return (
            user.id
            if user is not None and user.part(Guest).is_guest and user.deleted_at is None
            else ""
        )

    def _signed_in(
        self,
        provider: UpstreamProvider,
        claims: UpstreamClaims,
        user_agent: str,
        sign_in: SignIn,
        guest_id: str = "",
    ) -> TokenPair:
        """Signed in with the identity; with ``guest_id``, the guest become its account first
        (``become_account``), then signed in as the account a sign-up makes."""
        identity = identity_of(provider, claims)
        signing_in = ExternalSignIn(identity, provider.id, provider.name, user_agent=user_agent)
        if guest_id:
            upgraded = become_account(self._links, guest_id, signing_in)
            return self._links.sign_in_as(
                upgraded.user, signing_in, sign_in, hooks_said=upgraded.session_claims
            )
        return self._links.sign_in_external(signing_in, sign_in)
