from __future__ import annotations

import pytest

from domain.accounts.credentials import Email, Username, check_password_policy, fold
from domain.errors import InvalidInput

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("variant", ["Alice", "alice", "ALICE", "Ａｌｉｃｅ", "ａｌｉｃｅ"])
def test_username_variants_share_one_normalized_form(variant: str) -> None:
    assert Username(variant).normalized == "alice"


def test_username_keeps_display_form_but_nfkc() -> None:
    assert Username("Ａｌｉｃｅ").value == "Alice"
    assert Username("Alice").value == "Alice"


@pytest.mark.parametrize("name", ["bob", "a.b-c_d", "Zoë_1", "名前です", "x" * 32])
def test_valid_usernames(name: str) -> None:
    assert Username(name).value == name


@pytest.mark.parametrize(
    "name", ["ab", "x" * 33, "has space", "semi;colon", "a@b", "slash/", "emoji🙂", "tab\tx", ""]
)
def test_invalid_usernames(name: str) -> None:
    with pytest.raises(InvalidInput) as info:
        Username(name)
    assert info.value.errors[0].field == "username"


def test_german_sharp_s_folds_like_ss() -> None:
    assert Username("straße").normalized == Username("STRASSE").normalized


def test_email_unique_case_insensitively() -> None:
    assert Email("Alice@Example.COM").normalized == Email("alice@example.com").normalized
    assert Email("Alice@Example.COM").value == "Alice@Example.COM"


@pytest.mark.parametrize("address", ["no-at", "a@nodot", "@x.io", "a b@x.io", "a@x.io\n"])
def test_invalid_emails(address: str) -> None:
    with pytest.raises(InvalidInput):
        Email(address)


def test_fold_is_idempotent() -> None:
    for value in ["ﬁ", "Ｋ", "ǅ", "İstanbul"]:
        assert fold(fold(value)) == fold(value)


@pytest.mark.parametrize("password", ["short", "x" * 129])
def test_password_length_limits(password: str) -> None:
    with pytest.raises(InvalidInput) as info:
        check_password_policy(password)
    assert info.value.code == "invalid_password"


@pytest.mark.parametrize("password", ["password", "12345678", "Password1", "qwertyuiop"])
def test_common_passwords_refused(password: str) -> None:
    with pytest.raises(InvalidInput) as info:
        check_password_policy(password)
    assert info.value.code == "password_too_common"


@pytest.mark.parametrize(
    "password",
    ["correct horse battery staple", " leading and trailing ", "пароль-длинный-9", "x" * 128],
)
def test_any_unicode_password_accepted_as_given(password: str) -> None:
    check_password_policy(password)
