"""Accounts as an org's pages and API name them: by username and name, and by address to
those who manage the org's people (docs/decisions/0464-an-org-s-people-by-name.md). Read in
one batch, never one read an account."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from application.accounts.accounts import UserRepository


@dataclass(frozen=True)
class Person:
    user_id: str
    username: str | None = None  # None: an account deleted since (or never found)
    name: str | None = None
    last_name: str | None = None
    whole_name: str | None = None  # the given and family names, or the one a source gave
    email: str | None = None  # None: not shown to this reader, or the account has none


def people(users: UserRepository, user_ids: Iterable[str], *, addresses: bool) -> dict[str, Person]:
    """Each of ``user_ids`` as a ``Person`` (a deleted account by its id alone), with their
    address where ``addresses``."""
    wanted = list(dict.fromkeys(user_ids))
    found = users.get_many(wanted)
    named: dict[str, Person] = {}
    for user_id in wanted:
        user = found.get(user_id)
        if user is None or user.deleted_at is not None:
            named[user_id] = Person(user_id)
            continue
        named[user_id] = Person(
            user_id,
            username=user.username.value,
            name=user.name,
            last_name=user.last_name,
            whole_name=user.whole_name,
            email=user.email.value if addresses and user.email is not None else None,
        )
    return named
