"""What the compatibility routes share: the routes of the systems firegate replaces, on the
native use cases (docs/migrating.md)."""

from __future__ import annotations

from interfaces.shared.limits import LimitedAs

TAGS = ("compatibility",)

_REGISTER = LimitedAs("POST", "/register", "accounts.register")
_LOGIN = LimitedAs("POST", "/login", "login.login")

# Each compatibility route that signs up, logs in or refreshes counts against the native
# route's per-address limit, with the same counters: two paths are not twice the budget.
SHARED_LIMITS: dict[tuple[str, str], LimitedAs] = {
    ("POST", "/users"): _REGISTER,
    ("POST", "/auth/login"): _LOGIN,
    ("POST", "/api/v1/auth/signup"): _REGISTER,
    ("POST", "/api/v1/auth/login"): _LOGIN,
    ("POST", "/api/v1/token/refresh"): LimitedAs("POST", "/auth/refresh", "sessions.refresh"),
}
