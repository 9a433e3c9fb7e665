"""``users import`` and ``users export``: the files of a move, read and written as streams
(docs/migrating.md). A ``firebase auth:export`` file is one JSON document, parsed
incrementally with ijson; firegate's own files are JSON Lines."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from typing import IO, Any, Literal

import click
import ijson
from email_validator import EmailNotValidError, validate_email
from flask.cli import with_appcontext

from application.migration.importing import ImportSummary, ImportUsers, Position
from domain.errors import DomainError, InvalidInput
from domain.password_hashes import FirebaseScrypt
from interfaces.shared.services import services

PROGRESS_EVERY = 10_000  # records between two lines of progress


def _unreadable(detail: str) -> InvalidInput:
    return InvalidInput(detail, code="invalid_json")


def firebase_records(stream: IO[bytes]) -> Iterator[tuple[Position, Any]]:
    """The users of ``{"users": [...]}``, one at a time, whatever the file's size."""
    index = 0
    try:
        for index, user in enumerate(ijson.items(stream, "users.item", use_float=True)):
            yield ("index", index), user
    except ijson.JSONError as error:  # the rest of the document cannot be read
        yield ("index", index + 1), _unreadable(f"Not JSON past here: {error}")


def jsonl_records(stream: IO[bytes]) -> Iterator[tuple[Position, Any]]:
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            yield ("line", number), json.loads(line)
        except ValueError:
            yield ("line", number), _unreadable("Not a JSON object.")


def check_address(value: str) -> None:
    """The check a sign-up's address gets at the JSON API (its syntax, no DNS)."""
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        raise InvalidInput.field("email", "Not a valid e-mail address.", "invalid_email") from None


def _progress(summary: ImportSummary) -> None:
    if summary.done % PROGRESS_EVERY < 250:  # about once per PROGRESS_EVERY (by batches)
        click.echo(
            f"{summary.done} read: {summary.imported} imported, {summary.updated} updated, "
            f"{summary.skipped} skipped, {summary.failed} failed",
            err=True,
        )


@click.command("import")
@with_appcontext
@click.argument("file", type=click.File("rb"))
@click.option("--format", "file_format", required=True, type=click.Choice(["firebase", "jsonl"]))
@click.option("--dry-run", is_flag=True, help="Check every record; write nothing.")
@click.option("--update", is_flag=True, help="Update the users whose id exists.")
@click.option("--hash-key", help="Firebase: base64_signer_key of the password hash parameters.")
@click.option("--salt-separator", help="Firebase: base64_salt_separator.")
@click.option("--rounds", type=int, help="Firebase: rounds.")
@click.option("--mem-cost", type=int, help="Firebase: mem_cost.")
def import_command(  # click passes each option by its name
    *,
    file: IO[bytes],
    file_format: Literal["firebase", "jsonl"],
    dry_run: bool,
    update: bool,
    hash_key: str | None,
    salt_separator: str | None,
    rounds: int | None,
    mem_cost: int | None,
) -> None:
    """Import the users of FILE with their password hashes; the last line printed is a JSON
    summary, and the exit status 1 when a record failed (docs/migrating.md)."""
    given = (hash_key, salt_separator, rounds, mem_cost)
    firebase = None
    if any(value is not None for value in given):
        if hash_key is None or salt_separator is None or rounds is None or mem_cost is None:
            raise click.UsageError(
                "--hash-key, --salt-separator, --rounds and --mem-cost go together."
            )
        try:
            firebase = FirebaseScrypt.from_base64(hash_key, salt_separator, rounds, mem_cost)
        except DomainError as error:
            raise click.UsageError(error.detail) from None
    records = firebase_records(file) if file_format == "firebase" else jsonl_records(file)
    cmd = ImportUsers(file_format, firebase, dry_run=dry_run, update=update)
    summary = services().moves.import_users(cmd, records, _progress, check_address)
    click.echo(json.dumps(summary.as_json()))
    sys.exit(1 if summary.failed else 0)


@click.command("export")
@with_appcontext
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
@click.option("--format", "file_format", default="jsonl", type=click.Choice(["jsonl"]))
def export_command(file: str, file_format: str) -> None:
    """Write every user to FILE (JSON Lines, readable by its owner only): what
    ``users import --format jsonl`` reads, password hashes included, and never a token,
    session, TOTP secret or passkey."""
    descriptor = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # a file that was there keeps no wider mode
    count = 0
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        for record in services().moves.export_users():
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
            if count % PROGRESS_EVERY == 0:
                click.echo(f"{count} exported", err=True)
    click.echo(json.dumps({"exported": count, "format": file_format}))
