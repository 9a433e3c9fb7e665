"""The ports the phone unit calls out through: a phone number's parsing and its texts'
budget (docs/reference/phone.md)."""

from __future__ import annotations

from typing import Protocol

from domain.phone.numbers import PhoneNumber


class PhoneNumbers(Protocol):
    """Parses and classifies a number as typed (docs/reference/phone.md)."""

    def parse(self, typed: str, *, region: str | None = None) -> PhoneNumber:
        """The number ``typed`` (in ``region``'s national form when it has no ``+``);
        InvalidInput ``invalid_phone_number`` or ``phone_number_type``."""
        ...

    def international(self, e164: str) -> str:
        """The number as people write it, in its international format (``+33 6 12 34 56 78``);
        ``e164`` as it is where it cannot be read."""
        ...


class SmsBudget(Protocol):
    """What an SMS may cost: spends one from the number's prefix's hourly budget."""

    def crowded(self, number: PhoneNumber) -> bool:
        """Whether ``number``'s prefix has sent half its budget this hour, as this process
        last counted it (no read): its requests then ask for a challenge."""
        ...

    def spend(self, number: PhoneNumber, *, held: bool) -> None:
        """One text to ``number`` (``held``: an account has it); RateLimited ``sms_budget``
        (with its retry_after) when over the budget, past the share left to numbers without
        an account, or when SMS_ENABLED is false; records firegate_sms_refused_total."""
        ...
