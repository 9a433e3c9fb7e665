"""A phone number as typed, parsed and typed by ``phonenumbers`` (docs/reference/phone.md,
"The number"): E.164 out, impossible numbers ``invalid_phone_number``, numbers of a kind no
code should be texted to ``phone_number_type``."""

from __future__ import annotations

import pytest

from domain.errors import InvalidInput
from domain.phone.numbers import PhoneNumber
from infrastructure.phone.numbers import LibPhoneNumbers

pytestmark = pytest.mark.unit
NUMBERS = LibPhoneNumbers()


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("+33 6 12 34 56 78", PhoneNumber("+33612345678", "FR", 33)),  # mobile
        ("+33 1 42 68 53 00", PhoneNumber("+33142685300", "FR", 33)),  # fixed line
        ("+1 (650) 253-0000", PhoneNumber("+16502530000", "US", 1)),  # fixed line or mobile
        ("+44 56 1234 5678", PhoneNumber("+445612345678", "GB", 44)),  # VoIP
        ("+44 7000 123456", PhoneNumber("+447000123456", "GB", 44)),  # personal
        ("tel:+34-612-345-678", PhoneNumber("+34612345678", "ES", 34)),
        ("+٣٣٦١٢٣٤٥٦٧٨", PhoneNumber("+33612345678", "FR", 33)),  # Arabic-Indic digits
        ("+883 5100 0000 0000", PhoneNumber("+883510000000000", "", 883)),  # non-geographic
    ],
)
def test_a_number_of_a_persons_kind_comes_out_in_e164(typed: str, expected: PhoneNumber) -> None:
    assert NUMBERS.parse(typed) == expected


def test_a_number_without_its_calling_code_takes_the_region_given_or_the_default() -> None:
    assert NUMBERS.parse("06 12 34 56 78", region="fr").e164 == "+33612345678"
    french = LibPhoneNumbers(default_region="FR")
    assert french.parse("06 12 34 56 78").e164 == "+33612345678"
    assert french.parse("612 345 678", region="ES").e164 == "+34612345678"
    assert french.parse("+1 650 253 0000").e164 == "+16502530000"  # its own code wins


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "abc",
        "+12",
        "+33 1 23",  # too short for France
        "+33 6 12 34 56 78 9",  # too long
        "06 12 34 56 78",  # no "+" and no region
        "+1 650 253 0000 ext. 12",  # a text reaches no extension
        "+33 6 12 34 56 78" + " " * 60,  # longer than anyone types a number
    ],
)
def test_an_impossible_number_is_invalid(typed: str) -> None:
    with pytest.raises(InvalidInput) as info:
        NUMBERS.parse(typed)
    assert info.value.code == "invalid_phone_number"
    assert [e.field for e in info.value.errors] == ["phone_number"]


@pytest.mark.parametrize(
    "typed",
    [
        "+1 900 555 0123",  # premium rate
        "+44 909 879 0000",  # premium rate
        "+33 8 36 00 00 00",  # premium rate
        "+44 845 464 0000",  # shared cost
        "+1 800 555 0199",  # toll-free
        "+44 3000 000000",  # UAN
        "+882 1234 5678",  # possible, of no type the library knows
    ],
)
def test_a_number_no_code_should_be_texted_to_is_refused_by_its_type(typed: str) -> None:
    with pytest.raises(InvalidInput) as info:
        NUMBERS.parse(typed)
    assert info.value.code == "phone_number_type"
    assert [e.field for e in info.value.errors] == ["phone_number"]
