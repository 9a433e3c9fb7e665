"""Stand-ins for the phone number parser and the SMS budget, until the real ones are bound
(``phonenumbers`` and the shared hourly budget, decision 0531): ``PlainPhoneNumbers``
takes "+" and 8 to 15 digits and tells no type or country; ``NoSmsBudget`` counts nothing and
refuses only when SMS_ENABLED is false. Both are replaced, not extended."""

from __future__ import annotations

import re

from domain.errors import InvalidInput, RateLimited
from domain.signin.phone_numbers import PhoneNumber

_E164 = re.compile(r"\+[1-9][0-9]{7,14}")
_SEPARATORS = str.maketrans("", "", " -.()")
SMS_BUDGET = "sms_budget"
_OFF_RETRY = 3600  # a switch an operator turns back on: no sooner than this is worth asking


class PlainPhoneNumbers:
    def parse(self, typed: str, *, region: str | None = None) -> PhoneNumber:
        number = typed.strip().translate(_SEPARATORS)
        if not _E164.fullmatch(number):
            raise InvalidInput.field(
                "phone_number",
                "Not a phone number: give it with its country code, as +33 6 12 34 56 78.",
                "invalid_phone_number",
            )
        return PhoneNumber(e164=number, country="", calling_code=0)


class NoSmsBudget:
    def __init__(self, *, enabled: bool) -> None:
        self._enabled = enabled

    def spend(self, number: PhoneNumber) -> None:
        if not self._enabled:
            raise RateLimited(
                "No text messages are sent here now.", retry_after=_OFF_RETRY, code=SMS_BUDGET
            )
