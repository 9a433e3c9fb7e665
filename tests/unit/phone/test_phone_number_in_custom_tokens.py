"""A Firebase custom token's ``phone_number`` (the phone unit's claim source): a proven number
only (docs/decisions/0539-the-custom-tokens-phone-number-and-firebases-own.md), on the
custom-token route's fakes (tests/unit/federation/test_firebase_custom_token.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient

from domain.accounts.identities import PhoneNumber
from domain.signin.acr import PWD
from tests.fakes.kernel import InMemoryStore
from tests.support.api import bearer
from tests.support.custom_tokens import (
    PATH,
    adapters,
    custom_tokens,
    payload,
    signed_in,
)

pytestmark = pytest.mark.unit
__all__ = ["adapters", "custom_tokens"]  # the fixtures: the route's fake token minter


def test_a_proven_number_is_the_tokens_phone_number_an_unproven_one_is_not(
    client: FlaskClient, store: InMemoryStore
) -> None:
    user_id, token = signed_in(client)
    now = datetime.now(UTC)
    number = "+33612345678"
    store.users[user_id] = store.users[user_id].with_part(PhoneNumber.proven_as(number), now)
    store.phone_numbers[number] = user_id
    claims = payload(client.post(PATH, headers=bearer(token)).get_json()["custom_token"])
    assert claims["claims"] == {
        "role": "user",
        "token_version": 0,
        "sign_in_acr": PWD,
        "phone_number": number,
    }
    # A number not proven yet is no one's: the token says nothing of it
    store.users[user_id] = store.users[user_id].with_part(PhoneNumber(number, verified=False))
    del store.phone_numbers[number]
    claims = payload(client.post(PATH, headers=bearer(token)).get_json()["custom_token"])
    assert claims["claims"] == {"role": "user", "token_version": 0, "sign_in_acr": PWD}
