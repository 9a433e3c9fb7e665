"""Phone numbers parsed and typed by ``phonenumbers``, Google's libphonenumber in Python
(docs/reference/phone.md; docs/decisions/0533-phone-numbers-and-their-sms-budget.md).

A number that cannot be one (unparseable, too short or too long for its country) is
``invalid_phone_number``; a possible number whose type is not one that reaches a person's
phone (premium-rate, shared-cost, toll-free, UAN, pager, voicemail, or a type the library's
metadata does not know) is ``phone_number_type``. The library (0.2 s to import) is imported
with the first number parsed: a service without phone sign-in never imports it
(docs/decisions/0530-protocol-stacks-loaded-when-used.md).
"""

from __future__ import annotations

from domain.errors import InvalidInput
from domain.phone.numbers import PhoneNumber

INVALID_PHONE_NUMBER, PHONE_NUMBER_TYPE = "invalid_phone_number", "phone_number_type"
FIELD = "phone_number"
TYPED_MAX = 64  # what a person types for a number: digits, spaces, dashes, parentheses
# The types a text reaches a person at (phonenumbers.PhoneNumberType's names)
PERSONAL_TYPES = frozenset(
    {"MOBILE", "FIXED_LINE_OR_MOBILE", "FIXED_LINE", "VOIP", "PERSONAL_NUMBER"}
)
_NON_GEOGRAPHIC = "001"  # the library's region of +800, +882, +883, ...


def _invalid() -> InvalidInput:
    return InvalidInput.field(
        FIELD,
        "Not a phone number: give it in full, with + and the country's calling code.",
        INVALID_PHONE_NUMBER,
    )


class LibPhoneNumbers:
    """``default_region``: the country of a number typed without ``+`` (PHONE_DEFAULT_REGION;
    "" for none: such a number is refused)."""

    def __init__(self, *, default_region: str = "") -> None:
        self._default_region = default_region.upper()

    def parse(self, typed: str, *, region: str | None = None) -> PhoneNumber:
        import phonenumbers as lib  # noqa: PLC0415 - with the first number (decision 0530)

        if len(typed) > TYPED_MAX:
            raise _invalid()
        try:
            number = lib.parse(typed, (region or self._default_region).upper() or None)
        except lib.NumberParseException:
            raise _invalid() from None
        if number.extension or not lib.is_possible_number(number):
            raise _invalid()  # a text reaches no extension
        kind = lib.PhoneNumberType.to_string(lib.number_type(number))
        if kind not in PERSONAL_TYPES:
            raise InvalidInput.field(
                FIELD,
                "This kind of number cannot be sent a code: give a mobile or landline number.",
                PHONE_NUMBER_TYPE,
            )
        country = lib.region_code_for_number(number) or ""
        return PhoneNumber(
            e164=lib.format_number(number, lib.PhoneNumberFormat.E164),
            country="" if country == _NON_GEOGRAPHIC else country,
            calling_code=number.country_code or 0,  # always set on a parsed number
        )

    def international(self, e164: str) -> str:
        import phonenumbers as lib  # noqa: PLC0415 - with the first number (decision 0530)

        try:
            number = lib.parse(e164, None)
        except lib.NumberParseException:
            return e164
        return lib.format_number(number, lib.PhoneNumberFormat.INTERNATIONAL)
