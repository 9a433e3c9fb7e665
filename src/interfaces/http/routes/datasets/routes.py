"""CSV datasets. Uploading needs the uploader or admin role; a dataset is visible to
its owner and to admins, and answers 404 to anyone else, like a missing one."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Blueprint, Response, stream_with_context

from application.datasets.use_cases import (
    DatasetForm,
    DatasetQuery,
    Datasets,
    DeleteDataset,
    ExportDataset,
    ImportDataset,
    RowQuery,
    ShowDataset,
)
from application.signin.authentication import Actor
from interfaces.http.auth import authenticated
from interfaces.http.openapi import doc, streamed
from interfaces.http.parsing import parse_query
from interfaces.http.responses import json_response, no_content
from interfaces.http.routes.datasets.schemas import (
    DatasetFields,
    DatasetListItem,
    DatasetOut,
    DatasetPage,
    DatasetUpload,
    RowPage,
)
from interfaces.http.schemas.common import PageQuery, Problem
from interfaces.http.uploads import content_disposition, read_upload
from interfaces.shared.services import services

bp = Blueprint("datasets", __name__, url_prefix="/datasets")
TAGS = ("datasets",)
UPLOAD_ERRORS = {400: Problem, 403: Problem, 413: Problem, 422: Problem}
EXPORT_BOM = "\ufeff"  # spreadsheets read a CSV as UTF-8 only with it


@bp.post("")
@doc(form=DatasetUpload, responses={201: DatasetOut, **UPLOAD_ERRORS}, auth=True, tags=TAGS)
@authenticated
def upload_dataset(actor: Actor) -> Response:
    """Upload a CSV file (multipart): stored, validated against the schema (or typed from
    the data), its rows kept; the answer holds the validation report."""

    def form() -> DatasetForm:
        fields, upload = read_upload(DatasetFields, text_parts=("schema",))
        return DatasetForm(fields.name, upload, fields.schema_text, fields.delimiter)

    dataset = services().of(Datasets).import_csv(ImportDataset(actor=actor, form=form))
    return json_response(DatasetOut.of(dataset), 201, {"Location": f"/datasets/{dataset.id}"})


@bp.get("")
@doc(
    query=PageQuery, responses={200: DatasetPage, 403: Problem, 422: Problem}, auth=True, tags=TAGS
)
@authenticated
def list_datasets(actor: Actor) -> Response:
    """The caller's datasets (an admin's: everyone's), paginated by id."""
    query = parse_query(PageQuery)
    page = services().of(Datasets).list(DatasetQuery(actor, query.limit, query.cursor))
    return json_response(
        DatasetPage(items=[DatasetListItem.of(d) for d in page.items], next_cursor=page.next_cursor)
    )


@bp.get("/<dataset_id>")
@doc(responses={200: DatasetOut, 403: Problem, 404: Problem}, auth=True, tags=TAGS)
@authenticated
def get_dataset(actor: Actor, dataset_id: str) -> Response:
    """A dataset with its validation report."""
    return json_response(
        DatasetOut.of(services().of(Datasets).show(ShowDataset(actor, dataset_id)))
    )


@bp.get("/<dataset_id>/rows")
@doc(
    query=PageQuery,
    responses={200: RowPage, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    auth=True,
    tags=TAGS,
)
@authenticated
def get_rows(actor: Actor, dataset_id: str) -> Response:
    """The stored rows in file order, paginated, each with its findings."""
    query = parse_query(PageQuery)
    return json_response(
        RowPage.of(
            services().of(Datasets).rows(RowQuery(actor, dataset_id, query.limit, query.cursor))
        )
    )


@bp.get("/<dataset_id>/export")
@streamed(
    doc(responses={200: None, 403: Problem, 404: Problem, 409: Problem}, auth=True, tags=TAGS)
)
@authenticated
def export_dataset(actor: Actor, dataset_id: str) -> Response:
    """The stored rows as a CSV download (UTF-8 with BOM, CRLF); cells a spreadsheet would
    run as formulas (starting with = + - @ tab CR) are prefixed with an apostrophe."""
    dataset, text = services().of(Datasets).export_csv(ExportDataset(actor, dataset_id))

    def body() -> Iterator[bytes]:
        yield EXPORT_BOM.encode()
        for piece in text:
            yield piece.encode("utf-8")

    response = Response(stream_with_context(body()), mimetype="text/csv")
    response.headers["Content-Disposition"] = content_disposition(_csv_name(dataset.filename))
    return response


def _csv_name(filename: str) -> str:
    stem = filename.rsplit(".", 1)[0] if "." in filename.strip(".") else filename
    return f"{stem}.csv"


@bp.delete("/<dataset_id>")
@doc(responses={204: None, 403: Problem, 404: Problem}, auth=True, tags=TAGS)
@authenticated
def delete_dataset(actor: Actor, dataset_id: str) -> Response:
    """Delete a dataset: its stored file, rows and record (owner or admin)."""
    services().of(Datasets).delete(DeleteDataset(actor, dataset_id))
    return no_content()
