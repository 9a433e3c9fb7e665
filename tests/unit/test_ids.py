"""The ids firegate makes: opaque, URL-safe, and safe to type after a command."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from domain.ids import is_id, new_id


def _drawn(*values: str) -> Iterator[str]:
    yield from values


@pytest.mark.parametrize("first", ["-AbCdEfGhIjKlMnOpQrStUv", "__reserved__"])
def test_an_id_that_would_read_as_an_option_or_is_reserved_is_drawn_again(
    monkeypatch: pytest.MonkeyPatch, first: str
) -> None:
    draws = _drawn(first, "AbCdEfGhIjKlMnOpQrStUv")
    monkeypatch.setattr(secrets, "token_urlsafe", lambda n: next(draws))
    assert new_id() == "AbCdEfGhIjKlMnOpQrStUv"


def test_a_made_id_is_an_id() -> None:
    made = [new_id() for _ in range(200)]
    assert all(is_id(value) and not value.startswith("-") for value in made)
    assert len(set(made)) == 200
