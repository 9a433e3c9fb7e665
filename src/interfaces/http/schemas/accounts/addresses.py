"""An e-mail address a request gives, as every capability's schemas take it: the accounts'
address rule checks it (application/accounts/addresses.py)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from domain.accounts.credentials import EMAIL_MAX
from interfaces.http.schemas.common import email_format, email_format_not_null


def new_address(example: str, *, nullable: bool = False) -> Any:
    """An address given now: a string here, checked by the address rule every entry follows
    (422 ``invalid_email``, ``special_use_email``: docs/decisions/0463-one-address-rule.md)."""
    extra = email_format_not_null if nullable else email_format
    return Field(
        default=None if nullable else ...,
        min_length=1,
        max_length=EMAIL_MAX,
        examples=[example],
        json_schema_extra=extra,
    )
