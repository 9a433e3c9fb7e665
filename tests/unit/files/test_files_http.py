"""Files over HTTP on in-memory fakes: owner only, size cap, names, download headers."""

from __future__ import annotations

import hashlib
import io
import os
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from bootstrap import Adapters
from domain.files import media_type
from infrastructure.settings import Settings
from tests.fakes.storage import FakeFileStore
from tests.support.api import bearer, login, register
from tests.support.app import unit_adapters
from tests.support.settings import make_settings
from tests.unit.files.fakes import FakeFileRepository

pytestmark = pytest.mark.unit

MAX_UPLOAD = 100_000


@pytest.fixture
def app_settings() -> Settings:
    return make_settings(max_upload_bytes=MAX_UPLOAD)


@pytest.fixture
def fakes(adapters: Adapters) -> tuple[FakeFileRepository, FakeFileStore]:
    """The fakes behind ``fake_app``: the unit's repository, the platform's object store."""
    files = unit_adapters(adapters, "files")
    assert isinstance(files, FakeFileRepository)
    assert isinstance(adapters.platform.file_store, FakeFileStore)
    return files, adapters.platform.file_store


def token(client: FlaskClient, name: str) -> dict[str, str]:
    register(client, name)
    return bearer(login(client, name))


def post_file(
    client: FlaskClient, headers: dict[str, str], data: bytes, name: str, ctype: str | None = None
) -> Any:
    part: tuple[Any, ...] = (
        (io.BytesIO(data), name) if ctype is None else (io.BytesIO(data), name, ctype)
    )
    return client.post("/files", headers=headers, data={"file": part})


def test_upload_download_delete(client: FlaskClient) -> None:
    alice = token(client, "alice")
    data = os.urandom(70_000) + b"\x00\r\n=cmd"
    created = post_file(client, alice, data, "Résumé 2026 (final).pdf", "application/pdf")
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert created.headers["Location"] == f"/files/{body['id']}"
    assert set(body) == {"id", "filename", "content_type", "size", "sha256", "created_at"}
    assert body["filename"] == "Résumé 2026 (final).pdf"
    assert body["content_type"] == "application/pdf"
    assert body["size"] == len(data)
    assert body["sha256"] == hashlib.sha256(data).hexdigest()

    download = client.get(f"/files/{body['id']}", headers=alice)
    assert download.status_code == 200
    assert download.get_data() == data  # byte for byte
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Length"] == str(len(data))
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Disposition"] == (
        'attachment; filename="Resume 2026 (final).pdf"; '
        "filename*=UTF-8''R%C3%A9sum%C3%A9%202026%20%28final%29.pdf"
    )
    assert download.headers["ETag"] == f'"{body["sha256"]}"'

    assert client.delete(f"/files/{body['id']}", headers=alice).status_code == 204
    assert client.get(f"/files/{body['id']}", headers=alice).status_code == 404
    assert client.delete(f"/files/{body['id']}", headers=alice).status_code == 404


def test_owner_only(client: FlaskClient, fake_app: Flask) -> None:
    alice, bob = token(client, "alice"), token(client, "bob")
    file_id = post_file(client, alice, b"secret", "s.txt").get_json()["id"]
    for method in (client.get, client.delete):
        response = method(f"/files/{file_id}", headers=bob)
        assert response.status_code == 404 and response.get_json()["code"] == "file_not_found"
        assert method(f"/files/{file_id}", headers={}).status_code == 401
    result = fake_app.test_cli_runner().invoke(args=["users", "set-role", "bob", "admin"])
    assert result.exit_code == 0
    assert client.get(f"/files/{file_id}", headers=bob).status_code == 404  # owner only
    assert client.post("/files", data={"file": (io.BytesIO(b"x"), "x")}).status_code == 401
    assert client.get(f"/files/{file_id}", headers=alice).get_data() == b"secret"


def test_empty_file_and_defaults(client: FlaskClient) -> None:
    alice = token(client, "alice")
    created = post_file(client, alice, b"", "empty", "not a type")
    assert created.status_code == 201
    assert created.get_json()["size"] == 0
    assert created.get_json()["content_type"] == "application/octet-stream"
    assert client.get(f"/files/{created.get_json()['id']}", headers=alice).get_data() == b""


@pytest.mark.parametrize(
    ("size", "code"),
    [(MAX_UPLOAD + 1, "file_too_large"), (MAX_UPLOAD + 600 * 1024, "payload_too_large")],
)
def test_size_cap(client: FlaskClient, fakes: Any, size: int, code: str) -> None:
    alice = token(client, "alice")
    response = post_file(client, alice, b"x" * size, "big.bin")
    assert response.status_code == 413 and response.get_json()["code"] == code
    assert post_file(client, alice, b"x" * MAX_UPLOAD, "fits.bin").status_code == 201
    files, store = fakes
    assert [f.size for f in files.files.values()] == [MAX_UPLOAD]
    assert len(store.objects) == 1


@pytest.mark.parametrize(
    "encoded", ["a%2Fb.txt", "a%5Cb.txt", "..", "a%0Ab", "a%00b", "%E2%80%AEtxt.exe", "%20"]
)
def test_bad_file_names_are_422_and_store_nothing(
    client: FlaskClient, fakes: Any, encoded: str
) -> None:
    alice = token(client, "alice")
    raw = (
        b"--B\r\nContent-Disposition: form-data; name=\"file\"; filename*=UTF-8''"
        + encoded.encode()
        + b"\r\n\r\nabc\r\n--B--\r\n"
    )
    response = client.post(
        "/files", headers=alice, data=raw, content_type="multipart/form-data; boundary=B"
    )
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["code"] in ("invalid_filename", "missing")
    files, store = fakes
    assert not files.files and not store.objects


def test_no_other_fields(client: FlaskClient) -> None:
    alice = token(client, "alice")
    response = client.post(
        "/files", headers=alice, data={"file": (io.BytesIO(b"x"), "x"), "owner_id": "me"}
    )
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "owner_id"


def test_media_types() -> None:
    assert media_type("Text/CSV; charset=utf-8") == "text/csv"
    assert media_type("text/html\r\nX-Evil: 1") == "application/octet-stream"
    assert media_type(None) == "application/octet-stream"


def test_a_form_of_too_many_parts_says_so(client: FlaskClient, fakes: Any) -> None:
    alice = token(client, "alice")
    parts = b"".join(
        b'--B\r\nContent-Disposition: form-data; name="f%d"\r\n\r\nx\r\n' % i for i in range(10_000)
    )
    body = parts + b'--B\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n'
    body += b"a\n1\n\r\n--B--\r\n"
    response = client.post(
        "/files", headers=alice, data=body, content_type="multipart/form-data; boundary=B"
    )
    assert response.status_code == 413 and response.get_json()["code"] == "form_too_complex"
    assert response.get_json()["detail"].startswith("The form has more than 20 parts")
    files, store = fakes
    assert not files.files and not store.objects


def test_deleting_the_account_deletes_its_files(client: FlaskClient, fakes: Any) -> None:
    alice = token(client, "alice")
    assert post_file(client, alice, b"\x00\x01", "blob.bin").status_code == 201
    files, store = fakes
    assert len(files.files) == 1 and len(store.objects) == 1
    assert client.delete("/user", headers=alice).status_code == 204
    assert not files.files and not store.objects


def test_the_upload_form_refuses_other_fields(client: FlaskClient) -> None:
    # moved here from tests/unit/test_openapi_document.py
    document = client.get("/openapi.json").get_json()
    assert document["components"]["schemas"]["FileUpload"]["additionalProperties"] is False
