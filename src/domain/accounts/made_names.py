"""Usernames made for an account that signed up without an address (a phone number's sign-up:
no digit of the number is shown), which its person did not choose: ``user_`` and four random
digits, else ``user_`` and twelve characters of a new id. While an account's username is such
a name, its profile invites the person to choose one (docs/pages.md, "The account area";
docs/decisions/0656-a-number-shown-as-people-write-it-and-a-name-to-choose.md)."""

from __future__ import annotations

import re
import secrets

from domain.ids import new_id

_STEM = "user"
_MADE = re.compile(r"user_(?:[0-9]{4}|[A-Za-z0-9_-]{12})")


def made_names(tries: int) -> list[str]:
    """``tries`` names to try in turn for an account without an address: random digits
    first, then (should all be taken) an id's characters."""
    digits = [f"{_STEM}_{secrets.randbelow(10**4):04d}" for _ in range(tries - 1)]
    return [*digits, f"{_STEM}_{new_id()[:12]}"]


def made_for_the_account(username: str) -> bool:
    """Whether ``username`` has the form of a name ``made_names`` makes."""
    return _MADE.fullmatch(username) is not None
