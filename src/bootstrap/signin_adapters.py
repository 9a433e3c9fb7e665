"""Sign-in's adapters (sessions, the login throttle, access tokens, passkeys, second factors,
personal tokens, the e-mail codes' flows), each made from
its settings: ``SigninAdapters``, the record ``build`` makes, which bootstrap/signin.py binds
sign-in's use cases over."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from application.ports import OneTimePasswords, PasskeyCeremonies, SecretBox
from application.signin.authentication import Principals
from application.signin.codes.email import EmailCodeFlowStore
from application.signin.factors.passkeys import ChallengeRepository, PasskeyRepository
from application.signin.login import LoginLookup
from application.signin.mfa import MfaRepository
from application.signin.personal_tokens import PersonalTokenRepository
from application.signin.ports import ActiveOrgs, TokenIssuer
from application.signin.sessions import SessionRepository
from application.signin.throttle import LoginThrottle
from bootstrap.accounts import STAGED_WRITES
from bootstrap.unit import Footing
from domain.slots import Slot
from infrastructure.firestore.accounts.users import FirestoreUserRepository
from infrastructure.firestore.signin.codes import FirestoreEmailCodeFlows
from infrastructure.firestore.signin.login_failures import FirestoreLoginThrottle
from infrastructure.firestore.signin.login_lookup import FirestoreLoginLookup
from infrastructure.firestore.signin.mfa import FirestoreMfaRepository
from infrastructure.firestore.signin.passkeys import (
    FirestoreChallengeRepository,
    FirestorePasskeyRepository,
)
from infrastructure.firestore.signin.personal_tokens import FirestorePersonalTokens
from infrastructure.firestore.signin.principals import FirestorePrincipals, MembershipPart
from infrastructure.firestore.signin.sessions import FirestoreSessionRepository
from infrastructure.settings.identity.signin import SignInSettings
from infrastructure.signin.jwt_tokens import (
    PyJWTTokenIssuer,
    SigningKey,
    public_key_from_pem,
    signing_key_from_pem,
)
from infrastructure.signin.one_time_passwords import PyotpOneTimePasswords
from infrastructure.signin.secret_box import FernetSecretBox
from infrastructure.signin.webauthn_ceremonies import WebAuthnCeremonies

if TYPE_CHECKING:
    pass


def signing_key(signin: SignInSettings) -> SigningKey:
    if signin.jwt_private_key:
        return signing_key_from_pem(signin.jwt_private_key.get_secret_value().encode())
    if signin.jwt_secret is None:  # the settings validator guarantees one or the other
        raise ValueError("JWT_SECRET or JWT_PRIVATE_KEY is required")
    return SigningKey(algorithm="HS256", key=signin.jwt_secret.get_secret_value().encode())


def secret_box(signin: SignInSettings) -> SecretBox:
    if signin.mfa_encryption_key is None:  # the settings validator guarantees one
        raise ValueError("MFA_ENCRYPTION_KEY is required")
    return FernetSecretBox(signin.mfa_encryption_key.get_secret_value())


def token_issuer(signin: SignInSettings) -> PyJWTTokenIssuer:
    return PyJWTTokenIssuer(
        signing=signing_key(signin),
        issuer=signin.jwt_issuer,
        audience=signin.jwt_audience,
        ttl=timedelta(seconds=signin.access_token_ttl),
        leeway=signin.jwt_leeway,
        previous_public_key=(
            public_key_from_pem(signin.jwt_previous_public_key.encode())
            if signin.jwt_previous_public_key
            else None
        ),
    )


def passkey_ceremonies(signin: SignInSettings) -> PasskeyCeremonies:
    return WebAuthnCeremonies(rp_id=signin.webauthn_rp_id, rp_name=signin.webauthn_rp_name)


def one_time_passwords() -> OneTimePasswords:
    return PyotpOneTimePasswords()


@dataclass(frozen=True)
class SigninAdapters:
    sessions: SessionRepository
    login_lookup: LoginLookup
    throttle: LoginThrottle
    tokens: TokenIssuer
    passkeys: PasskeyRepository
    challenges: ChallengeRepository
    ceremonies: PasskeyCeremonies
    factors: MfaRepository
    otp: OneTimePasswords
    secret_box: SecretBox
    personal_tokens: PersonalTokenRepository
    # The account and the session (or personal token) each request reads, in one round trip
    principals: Principals
    email_codes: EmailCodeFlowStore
    # A session's active org, read for its tokens (docs/reference/orgs.md)
    active_orgs: ActiveOrgs


# The orgs' part of each request's read and their reads of a session's active org, prepared
# by the orgs (``Unit.prepares``).
MEMBERSHIP_PARTS = Slot[MembershipPart]("the orgs' part of each request's read")
ACTIVE_ORGS = Slot[ActiveOrgs]("a session's active org as stored")


def build(footing: Footing) -> SigninAdapters:
    """Its adapters (``Unit.makes``) on ``footing``: the orgs' part of each request's read
    (bootstrap/orgs.py) and events' part of a sign-in's commit (bootstrap/events.py), each
    prepared under its key."""
    settings, client = footing.settings, footing.client
    memberships, write_staged = footing.offered(MEMBERSHIP_PARTS), footing.offered(STAGED_WRITES)
    signin = settings.group(SignInSettings)
    return SigninAdapters(
        sessions=FirestoreSessionRepository(client, write_staged=write_staged),
        login_lookup=FirestoreLoginLookup(
            client, users=FirestoreUserRepository(client, write_staged=write_staged)
        ),
        throttle=FirestoreLoginThrottle(client),
        tokens=token_issuer(signin),
        passkeys=FirestorePasskeyRepository(client),
        challenges=FirestoreChallengeRepository(client),
        ceremonies=passkey_ceremonies(signin),
        factors=FirestoreMfaRepository(client),
        otp=one_time_passwords(),
        secret_box=secret_box(signin),
        personal_tokens=FirestorePersonalTokens(client),
        principals=FirestorePrincipals(client, orgs=memberships),
        email_codes=FirestoreEmailCodeFlows(client),
        active_orgs=footing.offered(ACTIVE_ORGS),
    )
