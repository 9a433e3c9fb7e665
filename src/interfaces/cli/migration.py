"""``users import`` and ``users export``: the files of a move, read and written as streams
(docs/migrating.md). A ``firebase auth:export`` file is one JSON document, parsed
incrementally with ijson; firegate's own files are JSON Lines."""

from __future__ import annotations

import contextlib
import json
import os
import stat
import sys
from collections.abc import Iterator
from typing import IO, Any, Literal

import click
from flask.cli import with_appcontext

from application.migration.importing import (
    CheckPassword,
    ImportFile,
    ImportSummary,
    ImportUsers,
    Position,
)
from application.migration.services import MigrationServices
from domain.accounts.password_hashes import FirebaseScrypt
from domain.errors import DomainError, InvalidInput
from interfaces.cli.acting import STDIN, one_reader_of_stdin, secret_from_stdin
from interfaces.shared.services import services

PROGRESS_EVERY = 10_000  # records between two lines of progress
CHECK_PASSWORD = "IMPORT_CHECK_PASSWORD"  # the --check-password user's password


def _unreadable(detail: str) -> InvalidInput:
    return InvalidInput(detail, code="invalid_json")


def firebase_records(stream: IO[bytes]) -> Iterator[tuple[Position, Any]]:
    """The users of ``{"users": [...]}``, one at a time, whatever the file's size."""
    import ijson  # noqa: PLC0415 - an import's reading, not every worker's start

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


def _progress(summary: ImportSummary) -> None:
    if summary.done % PROGRESS_EVERY < 250:  # about once per PROGRESS_EVERY (by batches)
        click.echo(
            f"{summary.done} read: {summary.imported} imported, {summary.updated} updated, "
            f"{summary.skipped} skipped, {summary.failed} failed",
            err=True,
        )


def _check_password_from_stdin() -> bool:
    """The --check-password user's password: IMPORT_CHECK_PASSWORD's value, or standard
    input when that is unset, empty or ``-``."""
    return os.environ.get(CHECK_PASSWORD, "") in ("", STDIN)


def _firebase_parameters(
    hash_key: str | None, salt_separator: str | None, rounds: int | None, mem_cost: int | None
) -> FirebaseScrypt | None:
    if all(value is None for value in (hash_key, salt_separator, rounds, mem_cost)):
        return None
    if hash_key is None or salt_separator is None or rounds is None or mem_cost is None:
        raise click.UsageError("--hash-key, --salt-separator, --rounds and --mem-cost go together.")
    if hash_key == STDIN:
        hash_key = secret_from_stdin("--hash-key")
    try:
        return FirebaseScrypt.from_base64(hash_key, salt_separator, rounds, mem_cost)
    except DomainError as error:
        raise click.UsageError(error.detail) from None


def _refuse(error: DomainError) -> None:
    """The end of an import refused before it wrote anything: its code as the last line."""
    click.echo(json.dumps({"error": error.code, "detail": error.detail}))
    click.echo(f"Error: {error.detail}", err=True)
    sys.exit(1)


def _records(file: IO[bytes], file_format: str) -> Iterator[tuple[Position, Any]]:
    return firebase_records(file) if file_format == "firebase" else jsonl_records(file)


@click.command("import")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--format", "file_format", required=True, type=click.Choice(["firebase", "jsonl"]))
@click.option("--dry-run", is_flag=True, help="Check every record; write nothing.")
@click.option("--update", is_flag=True, help="Update the users whose id exists.")
@click.option(
    "--hash-key",
    help="Firebase: base64_signer_key of the password hash parameters; - reads it from "
    "standard input.",
)
@click.option("--salt-separator", help="Firebase: base64_salt_separator.")
@click.option("--rounds", type=int, help="Firebase: rounds.")
@click.option("--mem-cost", type=int, help="Firebase: mem_cost.")
@click.option(
    "--check-password",
    "check_email",
    metavar="EMAIL",
    help="First check the hash of this user of FILE against its known password "
    f"({CHECK_PASSWORD}, or standard input when that is unset or -): nothing is written "
    "when it does not match.",
)
def import_command(  # click passes each option by its name
    *,
    file: str,
    file_format: Literal["firebase", "jsonl"],
    dry_run: bool,
    update: bool,
    hash_key: str | None,
    salt_separator: str | None,
    rounds: int | None,
    mem_cost: int | None,
    check_email: str | None,
) -> None:
    """Import the users of FILE (- for standard input) with their password hashes; the last
    line printed is a JSON summary, and the exit status 1 when a record failed
    (docs/migrating.md)."""
    password_from_stdin = check_email is not None and _check_password_from_stdin()
    readers = [
        name
        for name, reads in (
            ("FILE", file == STDIN),
            ("--hash-key", hash_key == STDIN),
            (f"--check-password's password ({CHECK_PASSWORD} unset)", password_from_stdin),
        )
        if reads
    ]
    one_reader_of_stdin(readers)
    if check_email is not None and file == STDIN:
        raise click.UsageError("--check-password reads FILE twice: give a file, not -.")
    firebase = _firebase_parameters(hash_key, salt_separator, rounds, mem_cost)
    cmd = ImportUsers(file_format, firebase, dry_run=dry_run, update=update)
    migration = services().of(MigrationServices).users
    if check_email is not None:
        password = (
            secret_from_stdin("the password of " + check_email, keep_spaces=True)
            if password_from_stdin
            else os.environ[CHECK_PASSWORD]
        )
        with open(file, "rb") as stream:
            try:
                records = _records(stream, file_format)
                migration.check_password(CheckPassword(cmd, check_email, password, records))
            except DomainError as error:
                _refuse(error)
    with click.open_file(file, "rb") as stream:
        records = _records(stream, file_format)
        summary = migration.import_users(ImportFile(cmd, records, _progress))
    click.echo(json.dumps(summary.as_json(dry_run=dry_run)))
    sys.exit(1 if summary.failed else 0)


@click.command("export")
@with_appcontext
@click.argument(
    "file", default=STDIN, type=click.Path(dir_okay=False, writable=True, allow_dash=True)
)
@click.option("--format", "file_format", default="jsonl", type=click.Choice(["jsonl"]))
def export_command(file: str, file_format: str) -> None:
    """Write every user to FILE (- or none: standard output) as JSON Lines, readable by its
    owner only: what ``users import --format jsonl`` reads, password hashes included, and
    never a token, session, TOTP secret or passkey. The summary is the last line of stdout,
    or of stderr when the users go to stdout."""
    if file == STDIN:
        _owner_only(sys.stdout)  # `> users.jsonl`: the shell made it with its umask
        count = _export(sys.stdout)
    else:
        descriptor = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(descriptor, 0o600)  # a file that was there keeps no wider mode
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            count = _export(out)
    summary = json.dumps({"exported": count, "format": file_format})
    click.echo(summary, err=file == STDIN)


def _owner_only(stream: IO[str]) -> None:
    """A regular file's mode narrowed to its owner's reading and writing (a pipe or a
    terminal is left alone); a file this user does not own keeps its mode."""
    try:
        descriptor = stream.fileno()
    except (OSError, ValueError):  # no file behind it
        return
    if stat.S_ISREG(os.fstat(descriptor).st_mode):
        with contextlib.suppress(PermissionError):
            os.fchmod(descriptor, 0o600)


def _export(out: IO[str]) -> int:
    count = 0
    for record in services().of(MigrationServices).users.export_users():
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
        if count % PROGRESS_EVERY == 0:
            click.echo(f"{count} exported", err=True)
    out.flush()
    return count


COMMANDS = (import_command, export_command)  # of ``users``
