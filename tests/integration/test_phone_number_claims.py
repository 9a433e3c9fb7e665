"""A proven phone number is one account's only (docs/reference/phone.md, "One number, one
account"): thirty accounts given one number at once on Firestore get one winner and 29
``phone_number_taken``, and the claim names the winner."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest

from domain.accounts.credentials import Email, Username
from domain.accounts.identities import PhoneNumber
from domain.accounts.signups import ALLOWED
from domain.accounts.users import User
from domain.errors import Conflict
from domain.ids import new_id
from infrastructure.firestore.accounts.users import PHONE_NUMBERS, FirestoreUserRepository
from infrastructure.firestore.events.security_events import write_staged

pytestmark = pytest.mark.integration
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
NUMBER = "+447000123456"


def test_thirty_accounts_proving_one_number_at_once_leave_it_to_one(firestore: Any) -> None:
    users = FirestoreUserRepository(firestore, write_staged=write_staged)
    accounts = [
        User.register(
            admitted=ALLOWED,
            id=new_id(),
            username=Username(f"racer{n}"),
            email=Email(f"racer{n}@example.com"),
            password_hash="hash",
            now=NOW,
        )
        for n in range(30)
    ]
    for account in accounts:
        users.add(account)

    def prove(account: User) -> str:
        try:
            users.update(account.id, lambda u: u.with_part(PhoneNumber.proven_as(NUMBER), NOW))
        except Conflict as exc:
            return exc.code
        return "proven"

    with ThreadPoolExecutor(max_workers=30) as pool:
        outcomes = list(pool.map(prove, accounts))

    assert sorted(outcomes) == ["phone_number_taken"] * 29 + ["proven"]
    winner = accounts[outcomes.index("proven")]
    found = users.find_by_phone_number(NUMBER)
    assert found is not None and found.id == winner.id
    holders = [
        u for u in users.get_many([a.id for a in accounts]).values() if u.part(PhoneNumber).number
    ]
    assert [u.id for u in holders] == [winner.id]
    assert len(list(firestore.collection(PHONE_NUMBERS).stream())) == 1
