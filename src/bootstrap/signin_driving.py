"""Sign-in's part of the pages: its pages (``pages``, its record's), and its part of the
pages' configuration (``PAGES_CONFIGURED``, bootstrap/driving.py): the CSRF tokens' key,
derived from the signing secret, the passkeys' origins (WEBAUTHN_ORIGINS, then those the
units add as a request reads them) and whether /sign-in offers a mailed code
(PASSWORDLESS_EMAIL); and its routes that outlast a session (``OUTLASTING_ROUTES``)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from application.signin.services import SigninServices
from bootstrap.keys import derived_key
from domain.accounts.outlasting import OUTLASTING_ROUTES, Outlasting
from infrastructure.settings import Settings
from infrastructure.settings.identity.signin import SignInSettings
from interfaces.shared.services import services
from interfaces.web import PagesConfig

if TYPE_CHECKING:
    from interfaces.web.parts import Pages


def signin_pages(settings: Settings, config: PagesConfig) -> PagesConfig:
    """The pages' configuration with sign-in's settings."""
    own = settings.group(SignInSettings)
    return replace(
        config,
        key=derived_key(own, b"pages csrf"),
        # Where the pages offer passkeys: the configured origins, then those the units add
        # at run time (an org's own hosts), read from the list the ceremonies check
        passkey_origins=(*own.webauthn_origins, *own.webauthn_related_origins),
        added_passkey_origins=added_passkey_origins,
        email_code=own.passwordless_email,
    )


def added_passkey_origins() -> list[str]:
    """The origins the units add to the passkeys' now, as the ceremonies read them
    (``PasskeyOrigins.added``): an org's active sign-in hosts."""
    return services().of(SigninServices).passkeys.origins.added()


def pages() -> Pages:
    """Sign-in's pages: the signed-out pages (the sign-in page is its frame: the other
    providers' buttons and home-realm discovery), the account area's Sign-in and security
    and Devices sections, /admin's actions on an account,
    and the forms limited as the API's routes."""
    from interfaces.shared.limits import LimitedAs  # noqa: PLC0415 - loaded with the app
    from interfaces.web.accounts.account import ACCOUNT_SECTIONS  # noqa: PLC0415 - loaded with the app
    from interfaces.web.accounts.admin import ADMIN_ACTIONS  # noqa: PLC0415 - loaded with the app
    from interfaces.web.parts import At, Pages  # noqa: PLC0415 - loaded with the app
    from interfaces.web.signin import (  # noqa: F401, PLC0415 - loaded with the app
        admin,
        email_code,
        passkeys,
        security,
        signed_out,
    )

    return Pages(
        fills=(
            ACCOUNT_SECTIONS(At(20, security.SECURITY), At(30, security.DEVICES)),
            ADMIN_ACTIONS(admin.END_SESSIONS, admin.RESET_MFA),
        ),
        limited_as={
            ("POST", "/sign-in"): LimitedAs("POST", "/login", "login.login"),
            ("POST", "/sign-in/mfa"): LimitedAs("POST", "/login/mfa", "mfa.finish_login"),
            ("POST", "/sign-up"): LimitedAs("POST", "/register", "accounts.register"),
            ("POST", "/sign-in/email-code"): LimitedAs(
                "POST", "/auth/email-code", "email_code.request_code"
            ),
            ("POST", "/sign-in/email-code/verify"): LimitedAs(
                "POST", "/auth/email-code/verify", "email_code.verify_code"
            ),
            ("POST", "/sign-in/email"): LimitedAs(
                "POST", "/auth/email-code/verify", "email_code.verify_code"
            ),
            ("POST", "/sign-in/passkey/options"): LimitedAs(
                "POST", "/auth/passkeys/authentication/options", "passkeys.authentication_options"
            ),
            ("POST", "/sign-in/passkey"): LimitedAs(
                "POST", "/auth/passkeys/authentication", "passkeys.authenticate"
            ),
        },
        frames=(_sign_in_frame,),
    )


def _sign_in_frame(every: Pages) -> None:
    """The sign-in page's other providers and home-realm discovery, as the units give them."""
    from interfaces.web.signin import signed_out  # noqa: PLC0415 - loaded with the app

    signed_out.install_sign_in(
        upstreams=every.of(signed_out.UPSTREAMS),
        home_realm=signed_out.home_realm(every),
        links=every.of(signed_out.SIGN_IN_LINKS),
    )


# Its routes that make or change what outlasts a session (its API's and its pages' password,
# second factors and personal tokens), by kind: a session of support access is refused them (the
# accounts' ``OUTLASTING_ROUTES``).
OUTLASTING = OUTLASTING_ROUTES(
    (
        Outlasting.PASSWORD,
        (
            ("PUT", "/user/password"),
            ("POST", "/auth/guest/upgrade"),  # a guest's first password, username and address
            ("POST", "/account/password"),
        ),
    ),
    (
        Outlasting.FACTORS,
        (
            ("POST", "/auth/mfa/totp"),
            ("POST", "/auth/mfa/totp/confirm"),
            ("DELETE", "/auth/mfa/totp"),
            ("POST", "/auth/mfa/recovery-codes"),
            ("POST", "/auth/passkeys/registration/options"),
            ("POST", "/auth/passkeys/registration"),
            ("DELETE", "/auth/passkeys/<passkey_id:passkey_id>"),
            ("POST", "/account/totp"),
            ("POST", "/account/totp/confirm"),
            ("POST", "/account/totp/disable"),
            ("POST", "/account/totp/recovery-codes"),
            ("POST", "/account/passkeys/options"),
            ("POST", "/account/passkeys"),
            ("POST", "/account/passkeys/<passkey_id>/rename"),
            ("POST", "/account/passkeys/<passkey_id>/delete"),
            ("POST", "/sign-up/recovery-codes"),
        ),
    ),
    (
        Outlasting.PERSONAL_TOKENS,
        (("POST", "/auth/tokens"),),
    ),
)
