"""An address's syntax as email_validator checks it (no DNS), for the address rule
(``application/accounts/addresses.py``); where a special-use name is accepted is that rule's
(docs/decisions/0463-one-address-rule.md)."""

from __future__ import annotations

import email_validator
from email_validator import EmailNotValidError, validate_email

from domain.accounts.credentials import SPECIAL_USE_NAMES
from domain.errors import InvalidInput


def leave_special_use_names_to_the_rule() -> None:
    """Take firegate's special-use names off email_validator's list (a global of its public
    API, read on each call), so that no check by it — this adapter's, pydantic's ``EmailStr``
    in the SCIM models — refuses an address the rule accepts."""
    email_validator.SPECIAL_USE_DOMAIN_NAMES = [
        name for name in email_validator.SPECIAL_USE_DOMAIN_NAMES if name not in SPECIAL_USE_NAMES
    ]


class EmailValidatorSyntax:
    def __init__(self) -> None:
        leave_special_use_names_to_the_rule()

    def check(self, value: str) -> None:
        try:
            validate_email(value, check_deliverability=False)
        except EmailNotValidError:
            raise InvalidInput.field(
                "email", "Not a valid e-mail address.", "invalid_email"
            ) from None
