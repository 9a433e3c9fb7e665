"""Adapters made on first use, by whichever thread needs one first: their SDKs
(firebase-admin, webauthn, Cloud Storage, smtplib and the e-mail package) stay out of a cold
start (docs/decisions/0150-cold-start.md), and so do the provider's keys (loading an RSA key
is checked for about 25 ms; a development key is made then) and the pushed requests' seal
(``cryptography``'s ciphers, about 25 ms to import). Each class fits its port as the
adapter does, so mypy checks every call through it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar

from application.ports import (
    Assertion,
    CustomTokenMinter,
    ExternalIdentity,
    FileStore,
    IdentityVerifier,
    Mail,
    Mailer,
    NewCredential,
    PasskeyCeremonies,
)

if TYPE_CHECKING:  # their modules are imported with the adapters that stand for them
    from application.federation.upstream import (  # noqa: F401 - a base class names it
        Authorization,
        UpstreamClaims,
        UpstreamClient,
    )
    from application.provider.ports import (  # noqa: F401 - a base class names them
        ProviderTokens,
        RequestSeal,
    )
    from domain.federation.upstream import UpstreamProvider

T = TypeVar("T")


class _Lazy[T]:
    def __init__(self, make: Callable[[], T]) -> None:
        self._make = make
        self._lock = threading.Lock()
        self._made: T | None = None

    def adapter(self) -> T:
        made = self._made
        if made is None:
            with self._lock:
                if self._made is None:
                    self._made = self._make()
                made = self._made
        return made


class LazyIdentityVerifier(_Lazy[IdentityVerifier]):
    def verify(self, id_token: str) -> ExternalIdentity:
        return self.adapter().verify(id_token)


class LazyCustomTokens(_Lazy[CustomTokenMinter]):
    def mint(self, uid: str, claims: Mapping[str, str | int | list[str]]) -> str:
        return self.adapter().mint(uid, claims)


class LazyFileStore(_Lazy[FileStore]):
    def save(self, key: str, data: BinaryIO, *, size: int, content_type: str) -> None:
        self.adapter().save(key, data, size=size, content_type=content_type)

    def open(self, key: str) -> Iterator[bytes]:
        return self.adapter().open(key)

    def delete(self, key: str) -> None:
        self.adapter().delete(key)

    def delete_prefix(self, prefix: str) -> int:
        return self.adapter().delete_prefix(prefix)


class LazyMailer(_Lazy[Mailer]):
    def send(self, mail: Mail) -> None:
        self.adapter().send(mail)


class LazyCeremonies(_Lazy[PasskeyCeremonies]):
    def registration_options(
        self,
        *,
        challenge: bytes,
        user_handle: bytes,
        user_name: str,
        display_name: str,
        exclude: Sequence[bytes],
    ) -> dict[str, object]:
        return self.adapter().registration_options(
            challenge=challenge,
            user_handle=user_handle,
            user_name=user_name,
            display_name=display_name,
            exclude=exclude,
        )

    def authentication_options(self, *, challenge: bytes) -> dict[str, object]:
        return self.adapter().authentication_options(challenge=challenge)

    def challenge_of(self, credential: Mapping[str, object]) -> bytes:
        return self.adapter().challenge_of(credential)

    def credential_id_of(self, credential: Mapping[str, object]) -> bytes:
        return self.adapter().credential_id_of(credential)

    def verify_registration(
        self, credential: Mapping[str, object], *, challenge: bytes
    ) -> NewCredential:
        return self.adapter().verify_registration(credential, challenge=challenge)

    def verify_authentication(
        self, credential: Mapping[str, object], *, challenge: bytes, public_key: bytes
    ) -> Assertion:
        return self.adapter().verify_authentication(
            credential, challenge=challenge, public_key=public_key
        )


class LazyUpstreamClient(_Lazy["UpstreamClient"]):
    def authorization(
        self, provider: UpstreamProvider, secret: str, redirect_uri: str
    ) -> Authorization:
        return self.adapter().authorization(provider, secret, redirect_uri)

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
        return self.adapter().claims(
            provider, secret, redirect_uri, answer, expected, wanted=wanted
        )

    def id_token_claims(
        self, provider: UpstreamProvider, secret: str, id_token: str, nonce: str
    ) -> UpstreamClaims:
        return self.adapter().id_token_claims(provider, secret, id_token, nonce)


class LazyProviderTokens(_Lazy["ProviderTokens"]):
    @property
    def access_alg(self) -> str:
        return self.adapter().access_alg

    @property
    def id_token_alg(self) -> str:
        return self.adapter().id_token_alg

    def public_jwks(self) -> list[dict[str, Any]]:
        return self.adapter().public_jwks()

    def sign_access(self, claims: dict[str, Any]) -> str:
        return self.adapter().sign_access(claims)

    def sign_id_token(self, claims: dict[str, Any]) -> str:
        return self.adapter().sign_id_token(claims)

    def sign_logout_token(self, claims: dict[str, Any]) -> str:
        return self.adapter().sign_logout_token(claims)

    def verify_access(self, token: str) -> dict[str, Any] | None:
        return self.adapter().verify_access(token)


class LazyRequestSeal(_Lazy["RequestSeal"]):
    def seal(self, plaintext: bytes) -> str:
        return self.adapter().seal(plaintext)

    def open(self, sealed: str) -> bytes | None:
        return self.adapter().open(sealed)
