"""The JSON API's per-address request limits on its unauthenticated entry points
(docs/security.md): the rows it hands the app shell, which counts them
(interfaces/shared/limits.py)."""

from __future__ import annotations

from dataclasses import dataclass

from interfaces.shared.limits import Route


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

    def by_route(self) -> dict[Route, str]:
        return {
            ("POST", "/register"): self.register,
            ("POST", "/login"): self.login,
            ("POST", "/login/mfa"): self.login,  # a budget of its own, as large
            ("POST", "/auth/refresh"): self.refresh,
            ("POST", "/auth/firebase"): self.firebase,
            ("POST", "/auth/firebase/custom-token"): self.firebase,  # a budget of its own
            # a native app's upstream ID token: the other exchange of a provider's token
            ("POST", "/auth/identities/<provider>/token"): self.firebase,
            ("POST", "/auth/email/verify"): self.email_verify,
            ("POST", "/auth/password/forgot"): self.password_forgot,
            ("POST", "/auth/password/reset"): self.password_reset,
            ("POST", "/auth/passkeys/authentication/options"): self.passkeys,
            ("POST", "/auth/passkeys/authentication"): self.passkeys,
        }
