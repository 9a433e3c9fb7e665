"""The phone number of an account: a user part (docs/contributing.md, "User parts"), its
fields ``phone_number`` and ``phone_number_verified`` on ``users/{uid}``
(docs/reference/phone.md)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Self

from domain.errors import InvalidInput

# A phone number as stored: E.164, "+" and at most 15 digits (docs/reference/phone.md)
E164 = re.compile(r"\+[1-9][0-9]{1,14}")


def e164(number: str, field: str = "phone_number") -> str:
    """``number`` when it is in E.164; InvalidInput (``invalid_phone_number``) otherwise."""
    if not E164.fullmatch(number):
        raise InvalidInput.field(
            field, "A phone number in E.164: + and digits.", "invalid_phone_number"
        )
    return number


@dataclass(frozen=True)
class PhoneNumber:
    """A number in E.164, and whether a code texted there was entered: a proven number is
    one account's only, as an address is (its claim; docs/reference/phone.md)."""

    number: str | None = None
    verified: bool = False

    @classmethod
    def proven_as(cls, number: str) -> PhoneNumber:
        """``number`` (E.164), proven by a code texted there: the repository's commit takes
        its claim, or fails if another account holds it."""
        return cls(e164(number), verified=True)

    @property
    def proven(self) -> str | None:
        """The number the account holds as its own (its claim), if it has a proven one."""
        return self.number if self.verified else None

    @classmethod
    def read(cls, stored: Mapping[str, Any]) -> Self:
        return cls(stored.get("phone_number"), stored.get("phone_number_verified", False))

    def stored(self, user_id: str) -> dict[str, Any]:
        return {"phone_number": self.number, "phone_number_verified": self.verified}

    @classmethod
    def imported(cls, line: Mapping[str, Any]) -> Self:
        """A number as Firebase and ``users export`` keep it: E.164, taken as it is (its
        type is asked when a code is sent to it), proven unless ``phone_number_verified`` is
        false: it claims nothing until proven here
        (docs/decisions/0538-imported-phone-numbers-are-proven.md)."""
        number = line.get("phone_number")
        if number is None:
            return cls()
        if not isinstance(number, str):
            raise InvalidInput.field("phone_number", "Must be a string.", "string_type")
        return cls(e164(number), verified=line.get("phone_number_verified", True) is not False)

    def exported(self) -> dict[str, Any]:
        return {"phone_number": self.number, "phone_number_verified": self.verified}

    def shown(self) -> tuple[tuple[str, str], ...]:
        return ()
