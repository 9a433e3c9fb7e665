"""A phone number as firegate keeps it: E.164 (docs/sign-in-with-a-phone-number.md). Parsing and
classifying a number as typed is the ``PhoneNumbers`` port's (application/signin/ports.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PhoneNumber:
    e164: str  # the canonical form: "+" and digits
    country: str  # ISO 3166 region ("FR"); "" when unknown
    calling_code: int
