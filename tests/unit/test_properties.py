"""Properties (hypothesis) of the parsers that take whatever a client sends: usernames and
e-mail addresses and their claim document ids, access tokens, refresh tokens, pagination
cursors (CSV bytes: the datasets unit's, tests/unit/datasets/test_dataset_validation.py).
Each either yields a value or refuses with the domain error that maps to a 4xx; nothing else
may escape (it would be a 500)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import string
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import jwt
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from application.pagination import (
    decode_cursor,
    encode_cursor,
    parse_time_position,
    time_position,
)
from domain.accounts.credentials import Email, Username, fold
from domain.errors import DomainError, InvalidInput, Unauthenticated
from domain.ids import is_id, new_id
from infrastructure.firestore.client import MAX_ID_BYTES, claim_id
from infrastructure.signin.jwt_tokens import ACCESS_TOKEN_TYPE, PyJWTTokenIssuer, SigningKey
from tests.fakes.signin import FakeSessionRepository
from tests.support.use_cases import SessionWorld

pytestmark = pytest.mark.unit

SECRET = b"s" * 32
# Each property runs in well under a second; more examples than hypothesis's default.
NormalForm = Literal["NFC", "NFD", "NFKC", "NFKD"]
NORMAL_FORMS: tuple[NormalForm, ...] = ("NFC", "NFD", "NFKC", "NFKD")
MANY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def valid_document_id(value: str) -> bool:
    """Firestore's rules for a document id."""
    return (
        0 < len(value.encode("utf-8", "surrogatepass")) <= MAX_ID_BYTES
        and "/" not in value
        and value not in (".", "..")
        and re.fullmatch(r"__.*__", value, re.DOTALL) is None
    )


# -- usernames and e-mail addresses -----------------------------------------------------------

# Letters of several scripts, digits, the allowed punctuation, fullwidth and other
# compatibility forms, ligatures, combining marks, and things that must be refused.
name_chars = st.one_of(
    st.sampled_from(string.ascii_letters + string.digits + "_.-"),
    st.characters(categories=("L", "Nd", "Mn", "Mc", "Nl", "No", "Pd", "Pc", "Zs")),
    st.sampled_from("ＡＬｉｃｅ０９＿ｆﬁﬃßẞİıΣσςǅ\u0301\u0308ﷺ㌀Åǰ"),
)
name_text = st.text(name_chars, min_size=1, max_size=40)


def outcome(call: Callable[..., Any], *args: Any) -> tuple[Any, DomainError | None]:
    """``(value, None)``, or ``(None, error)`` when ``call`` refused with a domain error."""
    try:
        return call(*args), None
    except DomainError as error:
        return None, error


def username(text: str) -> Username | None:
    user, refused = outcome(Username, text)
    assert refused is None or refused.code == "invalid_username"
    return user  # type: ignore[no-any-return]


@MANY
@given(name_text)
@example("Ａｌｉｃｅ")
@example("ßßß")
@example("ﬃx_" * 10)
def test_username_normalization_is_idempotent(text: str) -> None:
    user = username(text)
    assume(user is not None)
    assert user is not None
    again = Username(user.value)  # what is stored, read back
    assert again.value == user.value
    assert again.normalized == user.normalized
    assert fold(user.normalized) == user.normalized
    assert unicodedata.is_normalized("NFKC", user.value)


@MANY
@given(name_text, st.sampled_from(NORMAL_FORMS))
def test_any_unicode_form_of_a_name_is_the_same_name(text: str, form: NormalForm) -> None:
    user = username(text)
    assume(user is not None)
    assert user is not None
    variant = Username(unicodedata.normalize(form, text))
    assert (variant.value, variant.normalized) == (user.value, user.normalized)


def fullwidth(ch: str) -> str:
    return chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch


@MANY
@given(
    st.text(string.ascii_letters + string.digits + "_.-", min_size=3, max_size=32),
    st.lists(st.sampled_from(["upper", "lower", "fullwidth", "keep"]), min_size=32, max_size=32),
)
@example("Alice", ["keep"] * 32)
def test_case_and_width_variants_are_one_name(text: str, changes: list[str]) -> None:
    """docs/reference/accounts.md: "Alice", "alice" and its fullwidth form are the same name."""
    edit: dict[str, Callable[[str], str]] = {
        "upper": str.upper,
        "lower": str.lower,
        "fullwidth": fullwidth,
        "keep": str,
    }
    variant = "".join(edit[change](ch) for ch, change in zip(text, changes, strict=False))
    lower = Username(text.lower()).normalized
    assert Username(variant).normalized == Username(text).normalized == lower


@MANY
@given(name_text, name_text)
def test_different_keys_never_share_a_claim(first: str, second: str) -> None:
    a, b = username(first), username(second)
    assume(a is not None and b is not None)
    assert a is not None and b is not None
    same_claim = claim_id(a.normalized) == claim_id(b.normalized)
    assert same_claim == (a.normalized == b.normalized)


@MANY
@given(name_text)
def test_every_accepted_username_has_a_valid_claim_id(text: str) -> None:
    user = username(text)
    assume(user is not None)
    assert user is not None
    assert valid_document_id(claim_id(user.normalized))


local_part = st.text(
    st.one_of(
        st.sampled_from(string.ascii_letters + string.digits + "!#$%&'*+-/=?^_`{|}~."),
        st.sampled_from("ﷺ㌀ßİΣÅ/%_"),
        st.characters(categories=("L", "N", "S")),
    ),
    min_size=1,
    max_size=64,
)


@MANY
@given(st.one_of(st.emails(), st.builds("{}@{}".format, local_part, st.emails())))
@example("ﷺ" * 64 + "@x.co")  # folds to 1,157 characters, 2,117 bytes
@example("__x__@example.com")
@example("a/b%2F@example.com")
def test_every_accepted_email_has_a_valid_claim_id(address: str) -> None:
    email, refused = outcome(Email, address)
    assert refused is None or refused.code == "invalid_email"
    assume(email is not None)
    assert Email(email.value).normalized == email.normalized
    assert fold(email.normalized) == email.normalized
    assert valid_document_id(claim_id(email.normalized))


def unescape(claim: str) -> str:
    """The inverse of claim_id for ids that are not hashes."""
    if claim.startswith("%5F"):
        claim = "_" + claim[3:]
    return claim.replace("%2E", ".").replace("%2F", "/").replace("%25", "%")


@MANY
@given(st.text(min_size=1, max_size=60))
@example(".")
@example("..")
@example("__")
@example("__.__")
@example("%2F")
@example("%5F_x__")
@example("%H" + "0" * 64)
def test_claim_id_is_a_valid_id_for_any_key_and_can_be_undone(key: str) -> None:
    claim = claim_id(key)
    assert valid_document_id(claim)
    assert not claim.startswith("%H")  # short keys are escaped, never hashed
    assert unescape(claim) == key


@MANY
@given(st.text(min_size=1, max_size=3), st.integers(min_value=300, max_value=2000))
def test_over_long_keys_are_hashed_to_valid_distinct_ids(unit: str, repeat: int) -> None:
    key = unit * repeat
    claim = claim_id(key)
    assert valid_document_id(claim)
    if len(key.encode("utf-8", "surrogatepass")) > MAX_ID_BYTES:  # escaping only lengthens
        assert claim.startswith("%H")
        assert claim != claim_id(key + "x") and claim != claim_id(unit * (repeat + 1))


@MANY
@given(st.text(min_size=1, max_size=40), st.text(min_size=1, max_size=40))
@example("/", "%2F")
@example("__a__", "%5F_a__")
@example(".", "%2E")
@example("%", "%25")
def test_claim_id_is_injective(first: str, second: str) -> None:
    assert (claim_id(first) == claim_id(second)) == (first == second)


# -- access tokens ------------------------------------------------------------------------


def issuer(leeway: int = 10) -> PyJWTTokenIssuer:
    return PyJWTTokenIssuer(
        signing=SigningKey("HS256", SECRET),
        issuer="iss",
        audience="aud",
        ttl=timedelta(minutes=15),
        leeway=leeway,
    )


TOKENS = issuer()


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)
headers = st.fixed_dictionaries(
    {},
    optional={
        "typ": st.one_of(st.just(ACCESS_TOKEN_TYPE), json_values),
        "alg": st.one_of(st.sampled_from(["HS256", "none", "RS256", "ES256"]), json_values),
        "kid": json_values,
        "crit": json_values,
    },
)
payloads = st.fixed_dictionaries(
    {},
    optional=dict.fromkeys(
        ("iss", "aud", "sub", "user_id", "role", "sid", "jti", "iat", "nbf", "exp"), json_values
    ),
)
segment = st.one_of(
    st.text(max_size=40),
    st.binary(max_size=40).map(b64),
    json_values.map(lambda value: b64(json.dumps(value).encode())),
)
garbage_tokens = st.one_of(
    st.text(max_size=300),
    st.binary(max_size=300).map(lambda data: data.decode("latin-1")),
    st.lists(segment, min_size=1, max_size=5).map(".".join),
    st.tuples(headers, payloads, st.binary(max_size=40)).map(
        lambda parts: ".".join(
            [b64(json.dumps(parts[0]).encode()), b64(json.dumps(parts[1]).encode()), b64(parts[2])]
        )
    ),
)


def refused(token: Any) -> str:
    claims, error = outcome(TOKENS.verify_access, token)
    assert claims is None and isinstance(error, Unauthenticated), f"accepted: {token!r}"
    return error.code


@MANY
@given(garbage_tokens)
@example("")
@example("..")
@example(b64(b'{"typ":"at+jwt","kid":[]}') + ".e30.")
@example(b64(b'{"typ":"at+jwt","alg":"none"}') + ".e30.")
def test_a_token_we_did_not_sign_is_refused_with_a_401_code(token: str) -> None:
    assert refused(token) in ("invalid_token", "token_expired")


@MANY
@given(st.binary(max_size=300), st.sampled_from(["latin-1", "utf-8"]))
def test_any_bytes_as_a_header_carries_them_are_refused(data: bytes, charset: str) -> None:
    # The port takes str: bytes arrive decoded (WSGI: latin-1; lone surrogates from UTF-8).
    token = data.decode(charset, "surrogateescape")
    assert refused(token) in ("invalid_token", "token_expired")


@MANY
@given(headers, payloads)
@example({"typ": ACCESS_TOKEN_TYPE}, {"exp": 10**20})
@example({"typ": ACCESS_TOKEN_TYPE}, {"exp": 1e300, "nbf": -1e300})
def test_signed_tokens_with_any_claims_are_valid_or_refused(
    header: dict[str, Any], payload: dict[str, Any]
) -> None:
    """Even our own key over claims of every type and size: an answer, never a crash."""
    signed = b64(json.dumps({"alg": "HS256", **header}).encode()) + "."
    signed += b64(json.dumps(payload).encode())
    token = signed + "." + b64(hmac.new(SECRET, signed.encode(), hashlib.sha256).digest())
    claims, error = outcome(TOKENS.verify_access, token)
    if error is not None:
        assert isinstance(error, Unauthenticated)
        assert error.code in ("invalid_token", "token_expired")
    else:
        assert claims.user_id == payload["sub"] == payload["user_id"]


numbers = st.one_of(
    st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=5)
)


@MANY
@given(numbers, numbers, numbers)
@example(10**20, 0, 0)  # datetime.fromtimestamp: OverflowError
@example(253402300800, 0, 0)  # the year 10000: ValueError
@example(1e300, -1e300, 0)
def test_signed_tokens_with_any_times_are_valid_or_refused(exp: Any, nbf: Any, iat: Any) -> None:
    payload = {"iss": "iss", "aud": "aud", "sub": "u", "user_id": "u", "role": "user"}
    payload |= {"sid": "s", "jti": "j", "exp": exp, "nbf": nbf, "iat": iat}
    token = jwt.api_jws.PyJWS().encode(
        json.dumps(payload).encode(), SECRET, algorithm="HS256", headers={"typ": "at+jwt"}
    )
    claims, error = outcome(TOKENS.verify_access, token)
    if error is not None:
        assert isinstance(error, Unauthenticated)
        assert error.code in ("invalid_token", "token_expired")
    else:
        assert claims.expires_at.year < 10_000


ids = st.text(min_size=1, max_size=40)


@MANY
@given(ids, st.sampled_from(["user", "uploader", "admin"]), ids)
def test_round_trip(user_id: str, role: str, session_id: str) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    issued = TOKENS.issue_access(user_id=user_id, role=role, session_id=session_id, now=now)
    claims = TOKENS.verify_access(issued.token)
    assert (claims.user_id, claims.role, claims.session_id) == (user_id, role, session_id)
    assert claims.expires_at == issued.expires_at == now + timedelta(minutes=15)
    header = jwt.get_unverified_header(issued.token)
    assert header["typ"] == ACCESS_TOKEN_TYPE and header["alg"] == "HS256"


def test_a_round_trip_token_with_a_byte_changed_is_refused() -> None:
    now = datetime.now(UTC)
    token = TOKENS.issue_access(user_id="u", role="user", session_id="s", now=now).token
    for index in range(len(token)):
        for replacement in "A_.":
            changed = token[:index] + replacement + token[index + 1 :]
            if changed != token:
                with pytest.raises(Unauthenticated):
                    TOKENS.verify_access(changed)


# -- refresh tokens -----------------------------------------------------------------------


class FirestoreLikeSessions(FakeSessionRepository):
    """The fake, refusing ids Firestore refuses (InvalidArgument there: a 500 here)."""

    def get(self, session_id: str) -> Any:
        assert valid_document_id(session_id), f"Firestore refuses the id {session_id!r}"
        return super().get(session_id)

    def read(self, session_id: str) -> Any:
        assert valid_document_id(session_id), f"Firestore refuses the id {session_id!r}"
        return super().read(session_id)

    def read_with_account(self, session_id: str, user_id: str) -> Any:
        for each in (session_id, user_id):
            assert valid_document_id(each), f"Firestore refuses the id {each!r}"
        return super().read_with_account(session_id, user_id)

    def update(self, session_id: str, change: Any, *, read: Any = None) -> Any:
        assert valid_document_id(session_id), f"Firestore refuses the id {session_id!r}"
        return super().update(session_id, change, read=read)


def session_world() -> SessionWorld:
    world = SessionWorld()
    world.sessions = FirestoreLikeSessions(world.store)
    world.register("alice")
    return world


WORLD = session_world()
REFRESH = WORLD.login().refresh_token
refresh_shaped = st.builds(
    "{}.{}".format,
    st.text(string.ascii_letters + string.digits + "-_", min_size=8, max_size=64),
    st.text(string.ascii_letters + string.digits + "-_", min_size=32, max_size=128),
)


@MANY
@given(st.one_of(st.text(max_size=300), refresh_shaped, refresh_shaped.map(lambda t: t + "\n")))
@example("__main__." + "a" * 43)
@example("__abcdef__." + "a" * 43)
@example(REFRESH + "\n")
@example(REFRESH + " ")
@example("\n" + REFRESH)
def test_a_refresh_token_we_did_not_issue_is_refused(token: str) -> None:
    assume(token != REFRESH)
    with pytest.raises(Unauthenticated) as error:
        WORLD.refresh(token)
    assert error.value.code == "invalid_refresh_token"


def test_the_refresh_tokens_we_issue_are_accepted() -> None:
    world = session_world()
    pair = world.login()
    seen = {pair.refresh_token}
    for _ in range(20):
        pair = world.refresh(pair.refresh_token)
        assert pair.refresh_token not in seen, "every refresh hands out a new refresh token"
        seen.add(pair.refresh_token)
    actor = world.authenticate(pair.access_token)
    assert actor.user_id == next(iter(world.store.users))


# -- pagination cursors -------------------------------------------------------------------


def deep(depth: int) -> str:
    return base64.urlsafe_b64encode(b"[" * depth + b"]" * depth).decode()


@MANY
@given(st.one_of(st.text(max_size=600), st.binary(max_size=400).map(b64)))
@example(deep(100_000))  # json.loads: RecursionError
@example(b64(b'{"after": "x"}'))
@example(b64(b'{"after": 1}'))
@example(b64(b'"after"'))
@example(b64(b'{"after": "' + b"x" * 300 + b'"}'))
@example("\udcff")
def test_a_cursor_is_a_position_or_invalid_cursor(cursor: str) -> None:
    position, error = outcome(decode_cursor, cursor)
    if error is not None:
        assert isinstance(error, InvalidInput) and error.code == "invalid_cursor"
    else:
        assert position is None or 0 < len(position) <= 256


@MANY
@given(st.text(min_size=1, max_size=256))
def test_cursor_round_trip(position: str) -> None:
    assert decode_cursor(encode_cursor(position)) == position


@MANY
@given(st.text(max_size=100))
@example("99999999999999999999." + "a" * 22)
@example("-99999999999999999999.x")
@example("1.__x__")
def test_a_time_position_is_parsed_or_invalid_cursor(position: str) -> None:
    parsed, error = outcome(parse_time_position, position)
    if error is not None:
        assert isinstance(error, InvalidInput) and error.code == "invalid_cursor"
    else:
        at, item_id = parsed
        assert at.tzinfo is not None and is_id(item_id) and valid_document_id(item_id)


@MANY
@given(st.datetimes(timezones=st.just(UTC)), st.builds(new_id))
def test_time_position_round_trip(at: datetime, item_id: str) -> None:
    assert parse_time_position(time_position(at, item_id)) == (at, item_id)


@MANY
@given(st.text(string.ascii_letters + string.digits + "-_", min_size=1, max_size=64))
@example("__main__")
@example("____")
def test_every_id_we_accept_is_a_valid_document_id(value: str) -> None:
    assert not is_id(value) or valid_document_id(value)


def test_new_ids_are_valid_and_never_reserved(monkeypatch: pytest.MonkeyPatch) -> None:
    drawn = iter(["__" + "x" * 18 + "__", "abc"])
    monkeypatch.setattr(secrets, "token_urlsafe", lambda _: next(drawn))
    assert new_id() == "abc"
