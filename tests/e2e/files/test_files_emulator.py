"""Files on the emulators (Firestore + Cloud Storage), through the Flask app: the 401/404
rules and the download, the upload cap, an account's deletion removing its files (records and
objects), and a guest's files given to the account it is merged into, each object under the new
owner's key (moved here from tests/e2e/test_datasets_emulator.py and
tests/e2e/test_guest_merge_emulator.py)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from google.auth.credentials import AnonymousCredentials
from google.cloud.storage import Client as StorageClient

from bootstrap import Adapters, build_adapters, build_app
from bootstrap.accounts import AccountsAdapters
from tests.fakes.kernel import FakeJobQueue
from tests.fakes.mail import FakeMailer
from tests.support.api import bearer, login, register
from tests.support.app import swap
from tests.support.guest_merges import make_guest, merged, with_upgrade_route
from tests.support.settings import make_settings

pytestmark = pytest.mark.e2e

MAX_UPLOAD = 256 * 1024
FILE_BYTES = b"\x00guest's picture\xff" * 100


@pytest.fixture
def queue() -> FakeJobQueue:
    return FakeJobQueue()


@pytest.fixture
def adapters(firestore: Any, queue: FakeJobQueue) -> Adapters:
    settings = make_settings(max_upload_bytes=MAX_UPLOAD)
    return swap(
        build_adapters(settings, firestore=firestore),
        job_queue=queue.attach,
        webhook_queue=None,
        mailer=FakeMailer(),
    )


@pytest.fixture
def app(adapters: Adapters) -> Flask:
    return with_upgrade_route(build_app(make_settings(max_upload_bytes=MAX_UPLOAD), adapters))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def bucket(clean_emulators: Any) -> Any:
    client = StorageClient(
        project=clean_emulators.project,
        credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
    )
    return client.bucket(clean_emulators.storage_bucket)


def objects(bucket: Any) -> dict[str, bytes]:
    return {blob.name: blob.download_as_bytes() for blob in bucket.list_blobs()}


def records(firestore: Any) -> int:
    return len(list(firestore.collection("files").stream()))


def problem(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.get_json()["code"] == code


def account(app: Flask, client: FlaskClient, name: str, role: str = "user") -> dict[str, str]:
    register(client, name)
    if role != "user":
        result = app.test_cli_runner().invoke(args=["users", "set-role", name, role])
        assert result.exit_code == 0, result.output
    return bearer(login(client, name))


def post(client: FlaskClient, auth: dict[str, str], data: bytes, name: str = "a.bin") -> Any:
    return client.post("/files", headers=auth, data={"file": (io.BytesIO(data), name)})


def test_who_may_do_what(app: Flask, client: FlaskClient, firestore: Any, bucket: Any) -> None:
    user = account(app, client, "ursula")
    other = account(app, client, "otto", "uploader")
    admin = account(app, client, "adam", "admin")
    posted = post(client, user, b"\x00hi")
    assert posted.status_code == 201
    file_id = posted.get_json()["id"]
    problem(client.post("/files", data={"file": (io.BytesIO(b"x"), "x")}), 401, "missing_token")
    for method in (client.get, client.delete):
        problem(method(f"/files/{file_id}", headers=other), 404, "file_not_found")
        problem(method(f"/files/{file_id}", headers=admin), 404, "file_not_found")
        problem(method(f"/files/{file_id}", headers={}), 401, "missing_token")
    download = client.get(f"/files/{file_id}", headers=user)
    assert download.get_data() == b"\x00hi"
    assert download.headers["Content-Disposition"].startswith('attachment; filename="a.bin"')
    owner = client.get("/user", headers=user).get_json()["id"]
    assert objects(bucket)[f"files/{owner}/{file_id}"] == b"\x00hi"
    assert client.delete(f"/files/{file_id}", headers=user).status_code == 204
    assert records(firestore) == 0 and not objects(bucket)


def test_a_file_over_the_cap_is_413_and_leaves_nothing(
    app: Flask, client: FlaskClient, firestore: Any, bucket: Any
) -> None:
    uploader = account(app, client, "ulla", "uploader")
    problem(post(client, uploader, b"x" * 300_000, "b"), 413, "file_too_large")
    assert records(firestore) == 0 and not objects(bucket)


def test_deleting_the_account_removes_its_files(
    app: Flask, client: FlaskClient, firestore: Any, bucket: Any
) -> None:
    ulla = account(app, client, "ulla")
    kim = account(app, client, "kim")
    for name in ("a.txt", "b.txt"):
        assert post(client, ulla, b"x", name).status_code == 201
    kept = post(client, kim, b"k", "k.txt").get_json()["id"]
    assert records(firestore) == 3
    assert client.delete("/user", headers=ulla).status_code == 204
    assert records(firestore) == 1
    kim_id = client.get("/user", headers=kim).get_json()["id"]
    assert list(objects(bucket)) == [f"files/{kim_id}/{kept}"]


def test_a_merged_guests_files_go_to_the_owner_under_the_owners_key(
    app: Flask, client: FlaskClient, adapters: Adapters, queue: FakeJobQueue, bucket: Any
) -> None:
    guest_id, guest = make_guest(client, adapters.of(AccountsAdapters).users, "guest1")
    stored = post(client, guest, FILE_BYTES, "picture.bin")
    assert stored.status_code == 201, stored.get_json()
    file_id = stored.get_json()["id"]
    owner_id: str = register(client, "owner1")["id"]
    owner = bearer(login(client, "owner1"))
    queue.jobs.clear()  # the mails: not this test's
    assert set(objects(bucket)) == {f"files/{guest_id}/{file_id}"}
    merged(app, queue, guest_id, owner, owner_id)
    download = client.get(f"/files/{file_id}", headers=owner)
    assert download.status_code == 200 and download.get_data() == FILE_BYTES
    assert set(objects(bucket)) == {f"files/{owner_id}/{file_id}"}
