"""The signin capability's service objects: ``services().of(SigninServices)``
(docs/decisions/0526-services-by-capability.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from application.signin.authentication import Authentication
    from application.signin.codes.email import EmailCodes
    from application.signin.factors.passkeys import Passkeys
    from application.signin.factors.totp import TotpFactors
    from application.signin.login import Logins
    from application.signin.personal_tokens import PersonalTokens
    from application.signin.sessions import Sessions
    from application.signin.sign_in import SignIn


@dataclass(frozen=True, kw_only=True, slots=True)
class SigninServices:
    """Sign-in's service objects: who calls, logins, sessions, second factors, passkeys,
    personal tokens, codes."""

    authentication: Authentication  # the read of every request
    login: Logins  # password login, its second step, the password change
    sessions: Sessions
    totp: TotpFactors  # the second factor (docs/reference/mfa.md)
    passkeys: Passkeys
    personal_tokens: PersonalTokens  # tokens for scripts (docs/reference/tokens.md)
    email_codes: EmailCodes  # sign-in by a mailed code (docs/reference/email-code.md)
    # The step every sign-in ends with: a unit's way in ends with it too (the guests unit's
    # POST /auth/guest, application/guests/way_in.py).
    sign_in: SignIn
