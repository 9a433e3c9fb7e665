"""The mail capability's service objects: ``services().of(MailServices)``
(docs/decisions/0526-services-by-capability.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from application.mail.flows import EmailVerification
    from application.mail.invitations import AccountInvitations
    from application.mail.not_me import NotMeLinks
    from application.mail.password_reset import PasswordReset


@dataclass(frozen=True, kw_only=True, slots=True)
class MailServices:
    """The mail flows: an address's proof, recovery, an admin's invitations, "this wasn't me"."""

    verification: EmailVerification  # an address's proof by mail (docs/reference/email.md)
    password_reset: PasswordReset  # password recovery by mail
    invitations: AccountInvitations  # an admin's, by mail; orgs' apart
    not_me: NotMeLinks  # a notice's "this wasn't me" link (docs/pages.md, /not-me)
