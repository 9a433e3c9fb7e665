"""Acceptance on the emulators (Firestore + Cloud Storage), through the Flask app:
the exact findings of a file with known problems, rows page by page, the stored object equal
to the upload, the 401/403/404 rules, and bad input that leaves nothing behind (the files'
own: tests/e2e/files/test_files_emulator.py)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from typing import Any, cast

import pytest
from flask import Flask
from flask.testing import FlaskClient
from google.auth.credentials import AnonymousCredentials
from google.cloud.storage import Client as StorageClient

from bootstrap import build_adapters, build_app
from bootstrap.accounts import AccountsAdapters
from domain.accounts.guest.part import Guest
from domain.datasets import DatasetRow
from domain.errors import Unavailable
from infrastructure.firestore.datasets.repository import FirestoreDatasetRepository
from tests.fakes.kernel import FakeJobQueue
from tests.fakes.mail import FakeMailer
from tests.support.api import bearer, login, register
from tests.support.app import swap
from tests.support.dataset_samples import (
    BAD_INPUTS,
    EXPECTED,
    PEOPLE,
    SAMPLE_LIMITS,
    SCHEMA,
    BadInput,
    problem,
    upload,
)
from tests.support.guest_merges import merged, with_upgrade_route
from tests.support.settings import make_settings

pytestmark = pytest.mark.e2e


@pytest.fixture
def app(firestore: Any) -> Flask:
    settings = make_settings(**SAMPLE_LIMITS)  # the limits BAD_INPUTS assume
    return build_app(settings, build_adapters(settings, firestore=firestore))


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


def documents(firestore: Any) -> dict[str, int]:
    return {
        "datasets": len(list(firestore.collection("datasets").stream())),
        "chunks": len(list(firestore.collection_group("chunks").stream())),
    }


def nothing_stored(firestore: Any, bucket: Any) -> bool:
    return documents(firestore) == {"datasets": 0, "chunks": 0} and not objects(bucket)


def account(app: Flask, client: FlaskClient, name: str, role: str = "user") -> dict[str, str]:
    register(client, name)
    if role != "user":
        result = app.test_cli_runner().invoke(args=["users", "set-role", name, role])
        assert result.exit_code == 0, result.output
    return bearer(login(client, name))


def test_upload_report_rows_and_stored_object(
    app: Flask, client: FlaskClient, firestore: Any, bucket: Any
) -> None:
    uploader = account(app, client, "ulla", "uploader")
    response = upload(client, uploader, PEOPLE, schema=json.dumps(SCHEMA))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert [(f["row"], f["column"], f["rule"]) for f in body["report"]["findings"]] == EXPECTED
    assert body["row_count"] == 6 and body["status"] == "ready"
    assert body["sha256"] == hashlib.sha256(PEOPLE.encode()).hexdigest()
    assert client.get(f"/datasets/{body['id']}", headers=uploader).get_json() == body

    stored = objects(bucket)
    assert stored == {f"datasets/{body['id']}/source.csv": PEOPLE.encode()}

    seen, cursor = [], None
    while True:
        query = "?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(f"/datasets/{body['id']}/rows{query}", headers=uploader).get_json()
        assert len(page["items"]) <= 2
        seen += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert [r["row"] for r in seen] == [1, 2, 3, 4, 5, 6]
    lines = PEOPLE.splitlines()[1:]
    assert [",".join([*r["values"].values(), *r["extra"]]) for r in seen] == lines
    on_rows = [(f["row"], f["column"], f["rule"]) for r in seen for f in r["findings"]]
    assert on_rows == EXPECTED[1:]

    export = client.get(f"/datasets/{body['id']}/export", headers=uploader)
    assert export.status_code == 200
    assert "'=HYPERLINK(" in export.get_data(as_text=True)

    assert client.delete(f"/datasets/{body['id']}", headers=uploader).status_code == 204
    assert nothing_stored(firestore, bucket)


def test_a_bigger_file_round_trips(app: Flask, firestore: Any, bucket: Any) -> None:
    settings = make_settings()
    big = build_app(settings, build_adapters(settings, firestore=firestore))
    client = big.test_client()
    uploader = account(big, client, "ulla", "uploader")
    data = "id,text\n" + "".join(f"{n},row {n} ünïcode\n" for n in range(1, 1201))
    body = upload(client, uploader, data).get_json()
    assert body["row_count"] == 1200 and body["report"]["summary"] == {}
    assert documents(firestore)["chunks"] == 6
    page = client.get(f"/datasets/{body['id']}/rows?limit=100&cursor=", headers=uploader)
    items = page.get_json()["items"]
    assert [r["row"] for r in items] == list(range(1, 101))
    assert objects(bucket)[f"datasets/{body['id']}/source.csv"] == data.encode()


def test_who_may_do_what(app: Flask, client: FlaskClient, firestore: Any, bucket: Any) -> None:
    uploader = account(app, client, "ulla", "uploader")
    other = account(app, client, "otto", "uploader")
    user = account(app, client, "ursula")
    admin = account(app, client, "adam", "admin")
    problem(upload(client, {}, PEOPLE), 401, "missing_token")
    problem(upload(client, user, PEOPLE), 403, "uploader_required")
    created = upload(client, uploader, PEOPLE).get_json()
    for path in ("", "/rows", "/export"):
        url = f"/datasets/{created['id']}{path}"
        problem(client.get(url, headers={}), 401, "missing_token")
        problem(client.get(url, headers=other), 404, "dataset_not_found")
        problem(client.get(url, headers=user), 404, "dataset_not_found")
        assert client.get(url, headers=admin).status_code == 200
    assert client.get("/datasets", headers=other).get_json()["items"] == []
    assert len(client.get("/datasets", headers=admin).get_json()["items"]) == 1
    problem(client.delete(f"/datasets/{created['id']}", headers=other), 404, "dataset_not_found")
    problem(client.delete(f"/datasets/{created['id']}", headers={}), 401, "missing_token")

    assert client.delete(f"/datasets/{created['id']}", headers=admin).status_code == 204
    assert nothing_stored(firestore, bucket)


def test_every_bad_input_is_a_4xx_that_leaves_nothing(
    app: Flask, client: FlaskClient, firestore: Any, bucket: Any
) -> None:
    uploader = account(app, client, "ulla", "uploader")
    for case in BAD_INPUTS:
        data, given, status, code = cast(BadInput, case.values[0])
        fields = dict(given)
        filename = fields.pop("filename", "data.csv")
        response = upload(client, uploader, data, filename=filename, **fields)
        problem(response, status, code)
        assert nothing_stored(firestore, bucket), case.id


class FailingRows(FirestoreDatasetRepository):
    """Firestore goes away after a few hundred rows were written."""

    def add_rows(self, dataset_id: str, rows: Iterable[DatasetRow]) -> int:
        def failing() -> Iterator[DatasetRow]:
            for row in rows:
                if row.number == 450:
                    raise Unavailable("Firestore is unavailable.")
                yield row

        return super().add_rows(dataset_id, failing())


def test_a_failure_after_the_file_is_stored_leaves_no_half_dataset(
    firestore: Any, bucket: Any
) -> None:
    settings = make_settings()
    adapters = swap(build_adapters(settings, firestore=firestore), datasets=FailingRows(firestore))
    app = build_app(settings, adapters)
    client = app.test_client()
    uploader = account(app, client, "ulla", "uploader")
    data = "n\n" + "".join(f"{n}\n" for n in range(1, 1001))
    problem(upload(client, uploader, data), 503, "service_unavailable")
    assert nothing_stored(firestore, bucket)


def test_deleting_the_account_removes_its_datasets(
    app: Flask, client: FlaskClient, firestore: Any, bucket: Any
) -> None:
    uploader = account(app, client, "ulla", "uploader")
    keeper = account(app, client, "kim", "uploader")
    for _ in range(2):
        assert upload(client, uploader, PEOPLE).status_code == 201
    kept = upload(client, keeper, PEOPLE).get_json()
    assert documents(firestore) == {"datasets": 3, "chunks": 3}
    assert client.delete("/user", headers=uploader).status_code == 204
    assert documents(firestore) == {"datasets": 1, "chunks": 1}
    assert list(objects(bucket)) == [f"datasets/{kept['id']}/source.csv"]


def test_a_merged_guests_datasets_go_to_the_owner(firestore: Any, bucket: Any) -> None:
    settings = make_settings()
    queue = FakeJobQueue()
    adapters = swap(
        build_adapters(settings, firestore=firestore),
        job_queue=queue.attach,
        webhook_queue=None,
        mailer=FakeMailer(),
    )
    app = with_upgrade_route(build_app(settings, adapters))
    client = app.test_client()
    guest = account(app, client, "guest1", "uploader")
    guest_id: str = client.get("/user", headers=guest).get_json()["id"]
    created = upload(client, guest, PEOPLE).get_json()
    adapters.of(AccountsAdapters).users.update(
        guest_id, lambda user: user.with_part(Guest(is_guest=True))
    )
    owner_id: str = register(client, "owner1")["id"]
    owner = bearer(login(client, "owner1"))
    queue.jobs.clear()  # the mails: not this test's
    merged(app, queue, guest_id, owner, owner_id)
    shown = client.get(f"/datasets/{created['id']}", headers=owner)
    assert shown.status_code == 200, shown.get_json()
    assert [d["id"] for d in client.get("/datasets", headers=owner).get_json()["items"]] == [
        created["id"]
    ]
    rows = client.get(f"/datasets/{created['id']}/rows", headers=owner).get_json()["items"]
    assert len(rows) == 6
    assert list(objects(bucket)) == [f"datasets/{created['id']}/source.csv"]
