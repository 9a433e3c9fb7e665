"""Sample CSV uploads with known problems, shared by the unit and the emulator tests."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask.testing import FlaskClient

# The settings BAD_INPUTS assume (make_settings(**SAMPLE_LIMITS)).
SAMPLE_LIMITS: dict[str, int] = {
    "max_upload_bytes": 256 * 1024,
    "max_dataset_rows": 20,
    "max_dataset_columns": 6,
}


def upload(
    client: FlaskClient,
    headers: dict[str, str],
    data: bytes | str,
    *,
    filename: str = "people.csv",
    **fields: Any,
) -> Any:
    body = data.encode() if isinstance(data, str) else data
    form: dict[str, Any] = {"name": "People", **fields}
    form["file"] = (io.BytesIO(body), filename, "text/csv")
    return client.post("/datasets", headers=headers, data=form)


def problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = response.get_json(force=True)
    assert body["code"] == code, body
    return body


PEOPLE = (
    "id,name,email,age\n"
    "1,Alice,alice@example.com,30\n"
    "2,Bob,not-an-email,abc\n"
    "2,,bob@example.com,\n"
    "3,Carol,carol@example.com\n"
    '4,=HYPERLINK("http://x"),d@example.com,41,surplus\n'
    "1,Alice,alice@example.com,30\n"
)
SCHEMA = {
    "id": {"type": "integer", "required": True, "unique": True},
    "name": {"type": "string", "required": True},
    "email": {"type": "email"},
    "age": {"type": "integer"},
    "joined": {"type": "date"},
}
EXPECTED = [
    (None, "joined", "missing_column"),
    (2, "email", "type"),
    (2, "age", "type"),
    (3, "id", "duplicate"),
    (3, "name", "empty"),
    (4, "age", "missing_column"),
    (5, None, "unknown_column"),
    (6, "id", "duplicate"),
    (6, None, "duplicate"),
]


def big_field() -> str:
    return "a\n" + "x" * 131_073 + "\n"


# (file bytes, other form fields, expected status, expected problem code)
BadInput = tuple[bytes, dict[str, str], int, str]
BAD_INPUTS = [
    pytest.param((b"", {}, 422, "empty_file"), id="empty-file"),
    pytest.param((b"\n\r\n\n", {}, 422, "empty_file"), id="blank-lines"),
    pytest.param((b"a,b,c\n", {}, 422, "no_rows"), id="header-only"),
    pytest.param((b"a,b\n1,caf\xe9\n", {}, 422, "not_utf8"), id="latin-1"),
    pytest.param(("a,b\n1,2\n".encode("utf-16"), {}, 422, "not_utf8"), id="utf-16"),
    pytest.param((b"a,b\n1,\x00\n", {}, 422, "nul_byte"), id="nul"),
    pytest.param((b'a,b\n1,"open\n', {}, 422, "malformed_csv"), id="open-quote"),
    pytest.param((b"a,,c\n1,2,3\n", {}, 422, "invalid_header"), id="unnamed-column"),
    pytest.param((b"a,b,a\n1,2,3\n", {}, 422, "invalid_header"), id="repeated-column"),
    pytest.param((big_field().encode(), {}, 413, "field_too_large"), id="field-over-limit"),
    pytest.param((b"a,b,c,d,e,f,g\n1,2,3,4,5,6,7\n", {}, 413, "too_many_columns"), id="columns"),
    pytest.param((b"a\n" + b"1\n" * 21, {}, 413, "too_many_rows"), id="rows"),
    pytest.param((b"a\n" + b"1\n" * 140_000, {}, 413, "file_too_large"), id="bytes"),
    pytest.param((b"a\n" + b"1\n" * 400_000, {}, 413, "payload_too_large"), id="request-bytes"),
    pytest.param((b"a\n1\n", {"schema": "{not json"}, 422, "invalid_schema"), id="schema-json"),
    pytest.param((b"a\n1\n", {"schema": "NaN"}, 422, "invalid_schema"), id="schema-nan"),
    pytest.param(
        (b"a\n1\n", {"schema": '{"a": {"type": "int"}}'}, 422, "invalid_schema"), id="schema-type"
    ),
    pytest.param((b"a\n1\n", {"delimiter": ":"}, 422, "invalid_delimiter"), id="delimiter"),
    pytest.param((b"a\n1\n", {"name": " "}, 422, "invalid_name"), id="name"),
    pytest.param((b"a\n1\n", {"owner_id": "x"}, 422, "validation_failed"), id="unknown-field"),
    pytest.param((b"a\n1\n", {"filename": "../a.csv"}, 422, "invalid_filename"), id="path"),
]
