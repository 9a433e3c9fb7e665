"""The JSON API's request limits on its entry points (docs/security.md): the rows it hands
the app shell, which counts them (interfaces/shared/limits.py), and whom a request of the
routes that authenticate a client counts against: a refresh against the session its token
proves, a signed-in request against its account; anything else against its address."""

from __future__ import annotations

from dataclasses import dataclass

from flask import request

from application.json_text import UnreadableJson, read_json
from application.signin.sessions import Refresh
from interfaces.shared.limits import Identify, Route
from interfaces.shared.services import services


def _bearer() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _json_body() -> object:
    """The body as the route will read it (depth bounded: Python's own parser recurses), or
    None for a body that is no JSON the route would take: the route then refuses it."""
    if not request.is_json:
        return None
    try:
        return read_json(request.get_data(cache=True).decode("utf-8"))
    except (UnreadableJson, UnicodeDecodeError):
        return None


def refreshed_session() -> str | None:
    """The session a refresh token proves by its tag (no read): a BFF refreshing for many
    people from one address counts each of their sessions apart. The token as the native
    route takes it, or as the compatibility route does (the body in any casing, or the
    bearer credential)."""
    body = _json_body()
    found = body.get("refresh_token", body.get("refreshToken")) if isinstance(body, dict) else None
    token = found if isinstance(found, str) else _bearer()
    session = services().signin.sessions.refreshing(Refresh(token)) if token else None
    return f"session:{session}" if session is not None else None


def signed_in_account() -> str | None:
    """The account of a session's access token, by its signature (no read)."""
    token = _bearer()
    account = services().signin.authentication.account_of(token) if token else None
    return f"account:{account}" if account is not None else None


# The limited routes whose requests count against whom they authenticate.
LIMITED_BY: dict[Route, Identify] = {
    ("POST", "/auth/refresh"): refreshed_session,
    ("POST", "/auth/firebase/custom-token"): signed_in_account,
    ("POST", "/auth/org"): signed_in_account,
}


@dataclass(frozen=True)
class ApiLimits:
    """Limit strings per route ("10/minute,100/hour"; empty: no limit); the defaults are
    the settings' (docs/configuration.md)."""

    register: str
    login: str
    refresh: str
    firebase: str
    email_verify: str
    password_forgot: str
    password_reset: str
    passkeys: str
    email_code: str
    phone_code: str

    def by_route(self) -> dict[Route, str]:
        return {
            ("POST", "/register"): self.register,
            ("POST", "/auth/guest"): self.register,  # a guest's is a sign-up too
            ("POST", "/auth/guest/upgrade"): self.register,  # and its upgrade in place
            ("POST", "/login"): self.login,
            ("POST", "/login/mfa"): self.login,  # a budget of its own, as large
            # which domains sign in with an org's single sign-on, asked domain after domain
            ("GET", "/sso/discover"): self.login,
            ("POST", "/auth/refresh"): self.refresh,
            ("POST", "/auth/org"): self.refresh,  # mints an access token as a refresh does
            ("POST", "/auth/firebase"): self.firebase,
            ("POST", "/auth/firebase/custom-token"): self.firebase,  # a budget of its own
            # a native app's upstream ID token: the other exchange of a provider's token
            ("POST", "/auth/identities/<provider>/token"): self.firebase,
            ("POST", "/auth/email/verify"): self.email_verify,
            # an org invitation's token, spent as a mail's is; an invitation sends a mail
            ("POST", "/orgs/invitations/accept"): self.email_verify,
            ("POST", "/orgs/<org>/invitations"): self.password_forgot,
            ("POST", "/auth/password/forgot"): self.password_forgot,
            # a code by mail: a budget of its own per client; its check as a login
            ("POST", "/auth/email-code"): self.email_code,
            ("POST", "/auth/email-code/verify"): self.login,
            # a code by text: a budget of its own per client, apart from a mailed one's
            ("POST", "/auth/phone-code"): self.phone_code,
            ("POST", "/auth/phone-code/verify"): self.login,
            ("POST", "/user/phone/verify"): self.login,  # an account's new number's code
            ("POST", "/auth/password/reset"): self.password_reset,
            ("POST", "/auth/passkeys/authentication/options"): self.passkeys,
            ("POST", "/auth/passkeys/authentication"): self.passkeys,
        }
