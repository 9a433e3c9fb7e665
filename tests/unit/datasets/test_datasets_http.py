"""Datasets over HTTP on in-memory fakes: roles, the report, rows, export, limits."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, replace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from application.datasets.csv_input import CsvLimits
from application.datasets.use_cases import DatasetForm, DatasetLimits, Datasets, ImportDataset
from application.signin.authentication import Actor
from application.uploads import Upload
from bootstrap import Adapters
from domain.datasets import DatasetRow, DatasetStatus
from domain.errors import Unavailable
from infrastructure.settings import Settings
from tests.fakes.kernel import FakeClock
from tests.fakes.storage import FakeFileStore
from tests.support.api import user_token
from tests.support.app import unit_adapters
from tests.support.dataset_samples import (
    BAD_INPUTS,
    EXPECTED,
    PEOPLE,
    SAMPLE_LIMITS,
    SCHEMA,
    problem,
    upload,
)
from tests.support.settings import make_settings
from tests.unit.datasets.fakes import FakeDatasetRepository

pytestmark = pytest.mark.unit


@pytest.fixture
def app_settings() -> Settings:
    return make_settings(**SAMPLE_LIMITS)


@dataclass
class Stored:
    datasets: FakeDatasetRepository
    store: FakeFileStore

    def empty(self) -> bool:
        return not (self.datasets.datasets or self.datasets.rows or self.store.objects)


@pytest.fixture
def stored(adapters: Adapters) -> Stored:
    """The fakes behind ``fake_app``: the unit's repository, the platform's object store."""
    datasets = unit_adapters(adapters, "datasets")
    assert isinstance(datasets, FakeDatasetRepository)
    assert isinstance(adapters.platform.file_store, FakeFileStore)
    return Stored(datasets, adapters.platform.file_store)


@pytest.fixture
def uploader(fake_app: Flask, client: FlaskClient) -> dict[str, str]:
    return user_token(fake_app, client, "ulla", "uploader")


def test_roles(fake_app: Flask, client: FlaskClient) -> None:
    anonymous = upload(client, {}, PEOPLE)
    problem(anonymous, 401, "missing_token")
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    user = user_token(fake_app, client, "ursula")
    problem(upload(client, user, PEOPLE), 403, "uploader_required")
    admin = user_token(fake_app, client, "adam", "admin")
    assert upload(client, admin, PEOPLE).status_code == 201
    uploader = user_token(fake_app, client, "ulla", "uploader")
    assert upload(client, uploader, PEOPLE).status_code == 201


def test_report_lists_exactly_the_known_problems(client: FlaskClient, uploader: Any) -> None:
    response = upload(client, uploader, PEOPLE, schema=json.dumps(SCHEMA))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert response.headers["Location"] == f"/datasets/{body['id']}"
    assert {k: body[k] for k in ("name", "filename", "row_count", "status", "delimiter")} == {
        "name": "People",
        "filename": "people.csv",
        "row_count": 6,
        "status": "ready",
        "delimiter": ",",
    }
    assert [(f["row"], f["column"], f["rule"]) for f in body["report"]["findings"]] == EXPECTED
    assert body["report"]["summary"] == {
        "empty": 1,
        "type": 2,
        "duplicate": 3,
        "missing_column": 2,
        "unknown_column": 1,
    }
    assert body["report"]["truncated"] is False
    assert [c["name"] for c in body["columns"]] == ["id", "name", "email", "age"]
    assert all(not c["inferred"] for c in body["columns"])
    same = client.get(f"/datasets/{body['id']}", headers=uploader).get_json()
    assert same == body


def test_schema_as_a_file_part(client: FlaskClient, uploader: Any) -> None:
    schema = (io.BytesIO(json.dumps(SCHEMA).encode()), "schema.json", "application/json")
    response = client.post(
        "/datasets",
        headers=uploader,
        data={"name": "P", "schema": schema, "file": (io.BytesIO(PEOPLE.encode()), "p.csv")},
    )
    assert response.status_code == 201, response.get_json()
    found = response.get_json()["report"]["findings"]
    assert [(f["row"], f["column"], f["rule"]) for f in found] == EXPECTED


def test_types_are_inferred_without_a_schema(client: FlaskClient, uploader: Any) -> None:
    data = (
        "n;when;ok;mail;note\n1;2024-01-01;yes;a@b.co;x\n2;2024-02-01;no;c@d.co;y\n"
        "3;soon;yes;e@f.co;\n"
    )
    body = upload(client, uploader, data).get_json()
    assert body["delimiter"] == ";"
    types = {c["name"]: (c["type"], c["inferred"]) for c in body["columns"]}
    assert types == {
        "n": ("integer", True),
        "when": ("string", True),  # 2 of 3 are dates: under 90 %
        "ok": ("boolean", True),
        "mail": ("email", True),
        "note": ("string", True),
    }
    assert body["report"]["findings"] == []


def test_rows_page_by_page(client: FlaskClient, uploader: Any) -> None:
    created = upload(client, uploader, PEOPLE, schema=json.dumps(SCHEMA)).get_json()
    rows, cursor = [], None
    while True:
        url = f"/datasets/{created['id']}/rows?limit=4" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=uploader).get_json()
        assert len(page["items"]) <= 4
        rows += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [r["row"] for r in rows] == [1, 2, 3, 4, 5, 6]
    assert rows[0] == {
        "row": 1,
        "values": {"id": "1", "name": "Alice", "email": "alice@example.com", "age": "30"},
        "extra": [],
        "findings": [],
    }
    assert rows[3]["values"] == {"id": "3", "name": "Carol", "email": "carol@example.com"}
    assert rows[4]["values"]["name"] == '=HYPERLINK("http://x")'  # stored as given
    assert rows[4]["extra"] == ["surplus"]
    assert [f["rule"] for f in rows[1]["findings"]] == ["type", "type"]
    bad = client.get(f"/datasets/{created['id']}/rows?cursor=nope", headers=uploader)
    problem(bad, 422, "invalid_cursor")


def test_export_neutralizes_formulas(client: FlaskClient, uploader: Any) -> None:
    data = "a,b\n=1+2,+33\n-5,@SUM(A1)\n\tx,plain\n"
    created = upload(client, uploader, data, filename="calc.txt").get_json()
    response = client.get(f"/datasets/{created['id']}/export", headers=uploader)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=\"calc.csv\"; filename*=UTF-8''calc.csv"
    )
    text = response.get_data().decode("utf-8")
    assert text == "\ufeffa,b\r\n'=1+2,'+33\r\n'-5,'@SUM(A1)\r\n'\tx,plain\r\n"
    rows = client.get(f"/datasets/{created['id']}/rows", headers=uploader).get_json()
    assert rows["items"][0]["values"] == {"a": "=1+2", "b": "+33"}  # JSON: as given


def test_visibility_and_deletion(
    fake_app: Flask, client: FlaskClient, uploader: Any, stored: Stored
) -> None:
    mine = upload(client, uploader, PEOPLE).get_json()
    other = user_token(fake_app, client, "otto", "uploader")
    theirs = upload(client, other, PEOPLE).get_json()
    admin = user_token(fake_app, client, "adam", "admin")
    for path in ("", "/rows", "/export"):
        url = f"/datasets/{mine['id']}{path}"
        problem(client.get(url, headers=other), 404, "dataset_not_found")
        assert client.get(url, headers=admin).status_code == 200
    problem(client.get("/datasets/no-such-id", headers=other), 404, "dataset_not_found")
    problem(client.get("/datasets/bad%2Fid", headers=other), 404, "not_found")
    problem(client.delete(f"/datasets/{mine['id']}", headers=other), 404, "dataset_not_found")
    assert [d["id"] for d in client.get("/datasets", headers=other).get_json()["items"]] == [
        theirs["id"]
    ]
    everyone = client.get("/datasets?limit=1", headers=admin).get_json()
    assert len(everyone["items"]) == 1 and everyone["next_cursor"]
    rest = client.get(f"/datasets?cursor={everyone['next_cursor']}", headers=admin).get_json()
    assert {d["id"] for d in everyone["items"] + rest["items"]} == {mine["id"], theirs["id"]}
    assert rest["items"][0]["summary"] == theirs["report"]["summary"]
    assert "report" not in rest["items"][0]
    problem(client.get("/datasets", headers={}), 401, "missing_token")

    assert client.delete(f"/datasets/{theirs['id']}", headers=admin).status_code == 204
    assert client.delete(f"/datasets/{mine['id']}", headers=uploader).status_code == 204
    problem(client.get(f"/datasets/{mine['id']}", headers=uploader), 404, "dataset_not_found")
    assert stored.empty()


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_input_is_a_4xx_and_stores_nothing(
    client: FlaskClient, uploader: Any, stored: Stored, case: tuple[Any, ...]
) -> None:
    data, given, status, code = case
    fields = dict(given)
    filename = fields.pop("filename", "data.csv")
    body = problem(upload(client, uploader, data, filename=filename, **fields), status, code)
    assert body["detail"]
    assert stored.empty()


def test_malformed_requests(client: FlaskClient, uploader: Any, stored: Stored) -> None:
    problem(
        client.post("/datasets", headers=uploader, json={"name": "x"}),
        400,
        "unsupported_media_type",
    )
    missing = client.post(
        "/datasets", headers=uploader, data={"name": "x"}, content_type="multipart/form-data"
    )
    assert problem(missing, 422, "missing")["errors"][0]["field"] == "file"
    twice = client.post(
        "/datasets",
        headers=uploader,
        data={"name": ["a", "b"], "file": (io.BytesIO(b"a\n1\n"), "a.csv")},
    )
    problem(twice, 400, "repeated_field")
    other_file = client.post(
        "/datasets",
        headers=uploader,
        data={
            "name": "a",
            "file": (io.BytesIO(b"a\n1\n"), "a.csv"),
            "more": (io.BytesIO(b""), "b"),
        },
    )
    problem(other_file, 422, "unknown_field")
    control = (
        b'--B\r\nContent-Disposition: form-data; name="name"\r\n\r\nx\r\n'
        b"--B\r\nContent-Disposition: form-data; name=\"file\"; filename*=UTF-8''a%0Ab.csv\r\n"
        b"\r\na\n1\n\r\n--B--\r\n"
    )
    response = client.post(
        "/datasets", headers=uploader, data=control, content_type="multipart/form-data; boundary=B"
    )
    problem(response, 422, "invalid_filename")
    assert stored.empty()


class FailingRows(FakeDatasetRepository):
    def add_rows(self, dataset_id: str, rows: Any) -> int:
        for count, row in enumerate(rows, 1):
            self.rows.setdefault(dataset_id, []).append(row)
            if count == 2:
                raise Unavailable("Firestore went away.")
        return 0


def test_a_failure_after_storing_removes_everything() -> None:
    datasets, store = FailingRows(), FakeFileStore()
    actor = Actor("u1", "ulla", "uploader", "s1", FakeClock().now())
    limits = DatasetLimits(1024, CsvLimits(max_rows=10, max_columns=5))
    upload = Upload(io.BytesIO(b"a\n1\n2\n3\n"), "x.csv", "text/csv")
    command = ImportDataset(actor, lambda: DatasetForm("x", upload))
    with pytest.raises(Unavailable):
        Datasets(datasets=datasets, store=store, clock=FakeClock(), limits=limits).import_csv(
            command
        )
    assert not datasets.datasets and not datasets.rows and not store.objects


def test_rows_of_an_interrupted_import_are_409(
    client: FlaskClient, uploader: Any, stored: Stored
) -> None:
    created = upload(client, uploader, PEOPLE).get_json()

    dataset = stored.datasets.datasets[created["id"]]
    stored.datasets.datasets[created["id"]] = replace(dataset, status=DatasetStatus.IMPORTING)
    problem(
        client.get(f"/datasets/{created['id']}/rows", headers=uploader), 409, "dataset_not_ready"
    )
    assert client.get(f"/datasets/{created['id']}", headers=uploader).get_json()["status"] == (
        "importing"
    )
    assert client.delete(f"/datasets/{created['id']}", headers=uploader).status_code == 204
    assert stored.empty()


def test_deleting_the_account_deletes_its_datasets(
    client: FlaskClient, uploader: Any, stored: Stored
) -> None:
    upload(client, uploader, PEOPLE)
    upload(client, uploader, PEOPLE)
    assert len(stored.datasets.datasets) == 2 and len(stored.store.objects) == 2
    assert client.delete("/user", headers=uploader).status_code == 204
    assert stored.empty()


def test_rows_are_stored_with_their_findings(
    stored: Stored, client: FlaskClient, uploader: Any
) -> None:
    created = upload(client, uploader, PEOPLE, schema=json.dumps(SCHEMA)).get_json()
    rows = stored.datasets.rows[created["id"]]
    assert isinstance(rows[0], DatasetRow)
    on_rows = [(f.row, f.column, f.rule.value) for row in rows for f in row.findings]
    assert on_rows == EXPECTED[1:]  # the file-level finding is in the report only
    key = f"datasets/{created['id']}/source.csv"
    assert stored.store.objects[key] == (PEOPLE.encode(), "text/csv")


def test_a_form_of_too_many_parts_says_so(
    client: FlaskClient, uploader: Any, stored: Stored
) -> None:
    parts = b"".join(
        b'--B\r\nContent-Disposition: form-data; name="f%d"\r\n\r\nx\r\n' % i for i in range(10_000)
    )
    body = parts + b'--B\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n'
    body += b"a\n1\n\r\n--B--\r\n"
    response = client.post(
        "/datasets", headers=uploader, data=body, content_type="multipart/form-data; boundary=B"
    )
    detail = problem(response, 413, "form_too_complex")["detail"]
    assert detail.startswith("The form has more than 20 parts")
    assert stored.empty()


def test_without_a_schema_an_empty_cell_of_a_mostly_filled_column_is_reported(
    client: FlaskClient, uploader: dict[str, str]
) -> None:
    names = ["Ann", "Ben", "Cid", "Dee", "Eve", "", "Gus", "Hal", "Ivy", "Jon", "Kim", "Lou"]
    # name: 11 of 12 cells filled (92 %); note: 10 of 12 (83 %), below the 90 % line
    notes = ["x", "", "x", "x", "x", "x", "x", "", "x", "x", "x", "x"]
    pairs = enumerate(zip(names, notes, strict=True), 1)
    lines = ["id,name,note", *(f"{i},{name},{note}" for i, (name, note) in pairs)]
    created = upload(client, uploader, "\n".join(lines) + "\n")
    assert created.status_code == 201, created.get_json()
    report = created.get_json()["report"]
    empty = [f for f in report["findings"] if f["rule"] == "empty"]
    assert [(f["row"], f["column"]) for f in empty] == [(6, "name")]
    assert report["summary"] == {"empty": 1}
    columns = {c["name"]: c for c in created.get_json()["columns"]}
    assert columns["name"]["required"] and columns["name"]["inferred"]
    assert not columns["note"]["required"]


def test_an_upload_the_role_refuses_is_refused_before_its_body_is_read(
    fake_app: Flask, client: FlaskClient, app_settings: Settings
) -> None:
    user = user_token(fake_app, client, "ursula")
    too_large = b"a\n" + b"1\n" * (app_settings.storage.max_upload_bytes // 2 + 1)
    problem(upload(client, user, too_large), 403, "uploader_required")
    problem(upload(client, user, b"", name="x" * 10_000), 403, "uploader_required")


def test_the_upload_form_refuses_other_fields(client: FlaskClient) -> None:
    # moved here from tests/unit/test_openapi_document.py
    document = client.get("/openapi.json").get_json()
    assert document["components"]["schemas"]["DatasetUpload"]["additionalProperties"] is False


def test_the_upload_forms_optional_fields_do_not_offer_null(client: FlaskClient) -> None:
    # A form field is sent or not; "null" would arrive as the text "null" (a 422). Moved here
    # from tests/unit/test_openapi_document.py.
    document = client.get("/openapi.json").get_json()
    properties = document["components"]["schemas"]["DatasetUpload"]["properties"]
    for name in ("schema", "delimiter"):
        field = properties[name]
        offered = [field, *field.get("anyOf", [])]
        assert all(f.get("type") != "null" for f in offered), name
        assert "default" not in field or field["default"] is not None
